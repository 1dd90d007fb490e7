--- qvrpro.schedule.child: one job run in a child process of the scheduler.
-- The runner (qvrpro.schedule.pool) starts this file as a script:
--
--   lua5.4 child.lua CONFIG JOB STEP AT NOW MISSED STATE_DIR GLOBALS
--
-- GLOBALS: the names of standard globals the scheduler's load() gave the
-- config (its extra_env, e.g. "io,os"), separated by commas.
-- STEP is "run" (a snapshot, export or lua job's run for scheduled time AT)
-- or "on"/"off" (a record job's switch).  The config file is read again
-- (schedule.load); the job runs with a session of its own.  Log lines and
-- the result go to fd 3, one record a line ("log", level, message / "done",
-- "ok" | "fail", message; fields separated by tabs, "\n" and "\\" escaped);
-- stdout and stderr are the job's own output, which the scheduler logs.
-- Exit status: 0 the run succeeded, 1 it failed, 2 it could not start.
local M = {}

local function esc(s)
  return (tostring(s):gsub("[\\\n\t]", { ["\\"] = "\\\\", ["\n"] = "\\n", ["\t"] = "\\t" }))
end

local function unesc(s)
  return (s:gsub("\\(.)", { ["\\"] = "\\", n = "\n", t = "\t" }))
end

--- A record of the fd-3 channel as text (one line).
function M.encode(kind, a, b)
  return ("%s\t%s\t%s\n"):format(kind, esc(a or ""), esc(b or ""))
end

--- A line of the channel as kind, a, b (nil for a line that is none).
function M.decode(line)
  local kind, a, b = line:match("^(%a+)\t([^\t]*)\t([^\t]*)$")
  if not kind then return nil end
  return kind, unesc(a), unesc(b)
end

--- Runs the child's step; returns the exit status.
function M.main(args)
  local chan = io.open("/dev/fd/3", "w")
  local function send(kind, a, b)
    if chan then
      chan:write(M.encode(kind, a, b))
      chan:flush()
    else
      io.stderr:write(kind, " ", tostring(a), " ", tostring(b), "\n")
    end
  end
  local path, name, step = args[1], args[2], args[3]
  local at, now, missed = math.tointeger(tonumber(args[4])), math.tointeger(tonumber(args[5])),
    math.tointeger(tonumber(args[6]))
  if not (path and name and step and at and now and missed) then
    send("done", "fail", "usage: child.lua CONFIG JOB STEP AT NOW MISSED [STATE_DIR]")
    return 2
  end
  local extra = {}
  for g in (args[8] or ""):gmatch("[^,]+") do extra[g] = _G[g] end
  local lok, cfg = pcall(require("qvrpro.schedule.config").load, path, extra)
  if not lok then
    send("done", "fail", tostring(cfg))
    return 2
  end
  if args[7] and args[7] ~= "" then cfg.state_dir = args[7] end
  local log = function(level, msg) send("log", level, msg) end
  local ok, res, err = pcall(require("qvrpro.schedule.runner").child_step, cfg, name, step,
    { at = at, now = now, missed = missed, log = log })
  if ok and res then
    send("done", "ok", "")
    return 0
  end
  send("done", "fail", ok and tostring(err) or tostring(res))
  return 1
end

if select("#", ...) > 0 and (...) ~= "qvrpro.schedule.child" then
  os.exit(M.main({ ... }), true)
end

return M
