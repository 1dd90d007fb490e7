--- qvrpro.schedule.export: the export job kind (qvrpro.export.run of the
-- job's range for each of its cameras, to its path pattern).
local qtime = require "qvrpro.time"
local times = require "qvrpro.schedule.times"
local store = require "qvrpro.schedule.store"
local common = require "qvrpro.schedule.common"

local M = {}

local is_interrupt, resolve_cameras = common.is_interrupt, common.resolve_cameras
local camera_label, extra_opts = common.camera_label, common.extra_opts
local mkdir_p, dirname = store.mkdir_p, store.dirname

-- one camera of an export run: true or nil, err
local function export_one(self, job, nvr, key, from, to)
  local cam, cerr = nvr:camera(key)
  if not cam then return nil, cerr end
  local path = times.expand_path(job.path, from, job.zone, { camera = cam.name, guid = cam.guid,
    channel = cam.channel_index, job = job.name })
  local dir = dirname(path)
  if dir then mkdir_p(dir) end
  local export = require "qvrpro.export"
  local ok, res, err = pcall(export.run, nvr, cam, extra_opts(job, { from = from, to = to, path = path }))
  if not ok then
    if is_interrupt(res) then error(res, 0) end
    return nil, res
  end
  if not res then return nil, err end
  self:log("info", ("exported %s %s .. %s to %s%s"):format(cam.name, qtime.iso(from), qtime.iso(to),
    type(res) == "table" and res.path or path, type(res) == "table" and res.partial and " (partial)" or ""),
    job)
  return true
end

--- One run for scheduled time `at`: true or nil, err.
function M.run(self, job, nvr, at)
  local from, to = times.resolve_range(job, at, job.zone)
  if not from then return nil, to end
  local cams, err = resolve_cameras(nvr, job)
  if not cams then return nil, err end
  local failed = 0
  for _, key in ipairs(cams) do
    local ok, eerr = export_one(self, job, nvr, key, from, to)
    if not ok then
      failed = failed + 1
      self:log("error", ("export of %s failed: %s"):format(camera_label(key), tostring(eerr)), job)
    end
  end
  if failed > 0 then return nil, ("%d of %d export(s) failed"):format(failed, #cams) end
  return true
end

return M
