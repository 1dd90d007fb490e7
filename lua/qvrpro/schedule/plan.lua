--- qvrpro.schedule.plan: the dry run, the next runs of every job of a config.
local qtime = require "qvrpro.time"
local tz = require "qvrpro.tz"
local times = require "qvrpro.schedule.times"
local sconfig = require "qvrpro.schedule.config"

local M = {}

local next_ms, check_after = times.next_ms, times.check_after

local function window_text(job, t)
  if job.kind ~= "record" then return nil end
  return tz.describe(t + job.duration_ms, job.zone)
end

--- The next n runs of every job after `after` (default: the config's clock,
-- else now): { {job=, kind=, cron=, zone=, runs = { {at=ms, utc=, local_time=, until_time=} } } }.
-- With an open file (as the third or fourth argument) the plan is also
-- written to it as format_plan's text.
function M.plan(config, n, after, out)
  if io.type(after) == "file" then after, out = nil, after end
  local cfg = sconfig.check(config)
  n = n or 5
  after = check_after(after or (cfg.clock and cfg.clock()), 2)
  local plan = {}
  for _, job in ipairs(cfg.jobs) do
    local runs = {}
    local t = after
    for i = 1, n do
      t = next_ms(job.cron, job.zone, t)
      if not t then break end
      runs[i] = { at = t, utc = qtime.iso(t), local_time = tz.describe(t, job.zone),
                  until_time = window_text(job, t) }
    end
    plan[#plan + 1] = { job = job.name, kind = job.kind, cron = job.cron.expr,
                        zone = job.zone.name, runs = runs }
  end
  if out then out:write(M.format_plan(plan)) end
  return plan
end

--- The plan as text, one line per run.
function M.format_plan(plan)
  local lines = {}
  for _, p in ipairs(plan) do
    lines[#lines + 1] = ("%s (%s) %q in %s:"):format(p.job, p.kind, p.cron, p.zone)
    for _, r in ipairs(p.runs) do
      lines[#lines + 1] = ("  %s  = %s%s"):format(r.local_time, r.utc,
        r.until_time and ("  until " .. r.until_time) or "")
    end
  end
  return table.concat(lines, "\n") .. "\n"
end

return M
