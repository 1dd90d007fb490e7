--- qvrpro.schedule.common: what the runner and the job kinds share: the
-- run summary, the interrupt test, a job's cameras and pass-through options.
local sconfig = require "qvrpro.schedule.config"

local M = {}

local OWN_KEYS = sconfig.OWN_KEYS

local KEEP_NOTES = 1000           -- a long-running summary keeps the latest entries only

local function note(list, job, t)
  list[#list + 1] = { job = job.name, at = t }
  local n = #list
  if n > 2 * KEEP_NOTES then
    table.move(list, n - KEEP_NOTES + 1, n, 1)
    for i = n, KEEP_NOTES + 1, -1 do list[i] = nil end
  end
end

-- Ctrl-C in lua5.4 raises "interrupted!": never swallowed as a job failure
local function is_interrupt(err)
  return type(err) == "string" and err:match("interrupted!$") ~= nil
end

-- cameras of a job as keys nvr:camera understands, or "all" (the default)
local function job_cameras(job)
  local c = job.cameras or job.camera
  if c == nil or c == "all" then return "all" end
  if type(c) ~= "table" then return { c } end
  return c
end

local function resolve_cameras(nvr, job)
  local wanted = job_cameras(job)
  if wanted ~= "all" then return wanted end
  local cams, err = nvr:cameras()
  if not cams then return nil, err end
  return cams
end

local function camera_label(cam)
  if type(cam) == "userdata" then return cam.name end
  return tostring(cam)
end

-- snapshot and export pass-through options
local function extra_opts(job, into)
  for k, v in pairs(job.raw) do
    if not OWN_KEYS[k] and into[k] == nil then into[k] = v end
  end
  return into
end

M.note, M.is_interrupt, M.job_cameras = note, is_interrupt, job_cameras
M.resolve_cameras, M.camera_label, M.extra_opts = resolve_cameras, camera_label, extra_opts

return M
