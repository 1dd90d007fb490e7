--- qvrpro.schedule.snapshot: the snapshot job kind (qvrpro.snapshot.capture
-- for the job's cameras into its dir).
local times = require "qvrpro.schedule.times"
local common = require "qvrpro.schedule.common"

local M = {}

local job_cameras, camera_label, extra_opts = common.job_cameras, common.camera_label, common.extra_opts

--- One run for scheduled time `at`: true or nil, err (runner logs through self).
function M.run(self, job, nvr, at)
  local cams = job_cameras(job)
  local opts = extra_opts(job, {
    cameras = cams, dir = times.expand_path(job.dir or "snapshots", at, job.zone, { job = job.name }),
    name = job.file, count = job.raw.count or 1, zone = job.zone,
  })
  local res, err = require("qvrpro.snapshot").capture(nvr, opts)
  if not res then return nil, err end
  local failures = type(res) == "table" and res.failures or {}
  for _, f in ipairs(failures) do
    self:log("warn", ("snapshot of %s failed: %s"):format(camera_label(f.camera or f.cam or f[1]),
      tostring(f.err or f.error or f[2])), job)
  end
  local files = type(res) == "table" and res.files and #res.files or 0
  self:log("info", ("%d snapshot(s) in %s"):format(files, opts.dir), job)
  if #failures > 0 and files == 0 then return nil, "every snapshot failed" end
  return true
end


return M
