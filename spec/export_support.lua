-- What spec/export_spec.lua and spec/export_resume_spec.lua share: the
-- simulator they export from, a file's packets and size, and a child lua5.4
-- exporting in the background (to be killed with kill -9).
local h = require "helpers"

local M = {}

local function q(s) return h.shell_quote(s) end

--- A simulator started with args (a list), a connection to it and a scratch
-- folder for the describe block it is called in, with the simulator's faults
-- cleared after each test.  The fields (S.sim, S.nvr, S.t0 as h.with_sim gives
-- them, S.dir, S.archive_start) are set once its setup has run.
function M.with_export_sim(args)
  local busted = require "busted"
  local S = h.with_sim(args, { clear = true })
  busted.setup(function()
    S.archive_start = h.stats(S.sim).archive_start
    S.dir = h.tmpdir()
  end)
  busted.teardown(function()
    if S.dir then h.execute("rm -rf " .. q(S.dir)) end
  end)
  return S
end

--- ffprobe's packets of a file, one line each: "stream pts size key".
function M.packet_list(path)
  local _, packets = h.probe(path)
  local lines = {}
  for i, p in ipairs(packets) do
    lines[i] = ("%d %d %d %s"):format(p.stream, p.pts, p.size, p.key)
  end
  return lines
end

--- The size of a file in bytes, or nil when it is missing.
M.file_size = require("qvrpro.files").size

-- the environment of a child lua5.4: the plain core (no ASan runtime there)
local function child_env()
  local cpath = (os.getenv("LUA_CPATH_5_4") or ""):gsub("[^;]*/build/asan/%?%.so;", "")
  return ("LUA_PATH_5_4=%s LUA_CPATH_5_4=%s"):format(q(os.getenv("LUA_PATH_5_4") or ""), q(cpath))
end

--- Starts lua5.4 on script in the background, its output going to log and
-- its pid written to pidfile; returns the pid.
function M.spawn_child(script, log, pidfile)
  assert(h.execute(("%s lua5.4 %s >%s 2>&1 & echo $! >%s"):format(child_env(), q(script),
    q(log), q(pidfile))))
  local f = assert(io.open(pidfile))
  local pid = assert(tonumber(f:read("l")))
  f:close()
  return pid
end

--- Kills the child pid (its output in log) with kill -9 once reached() is
-- true (after 60 s at the latest), then clears sim's faults; the child must
-- still run then, and path (its export) must not exist yet.
function M.kill_when(sim, log, pid, path, reached)
  local core = require "qvrpro.core"
  local deadline = core.monotonic_ms() + 60000
  while not reached() and core.monotonic_ms() < deadline do
    core.sleep(0.005)
  end
  assert(h.execute("kill -9 " .. pid), "the child ended before the kill: " .. tostring(h.read_file(log)))
  h.control(sim, "clear=1")
  assert(M.file_size(path) == nil, "the child finished before the kill")
end

return M
