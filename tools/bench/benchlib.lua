--- benchlib: what the benchmarks share.  Clocks, peak memory, the
-- simulator started by tools/with-sim (QVR_URL, QVRSIM_PORT), medians and
-- Markdown tables.  Figures are printed, never asserted as times.
local core = require "qvrpro.core"

local M = {}

M.dir = os.getenv("QVR_BENCH_DIR") or "tools/bench"
M.build = os.getenv("QVR_BENCH_BUILD") or "build/bench"

--- Elapsed time in seconds: the monotonic clock to the nanosecond (a
-- short run, such as 40 calls, can last under a millisecond).  A core of a
-- commit before core.monotonic (tools/bench/run --at/--vs) falls back to
-- its millisecond clock.
M.wall = core.monotonic or function() return core.now_ms() / 1000 end

--- Milliseconds since 1970 UTC (the clock of frame time stamps: delivery lag).
M.epoch_ms = core.now_ms

--- CPU time of this process (all threads) in seconds.
M.cpu = os.clock

--- Fields of /proc/self/status in kB: VmHWM (peak RSS) and VmRSS.
function M.memory()
  local m = {}
  for line in io.lines("/proc/self/status") do
    local k, v = line:match("^(Vm%u%a+):%s*(%d+) kB")
    if k then m[k] = tonumber(v) end
  end
  return m
end

function M.shell_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

--- Output of a shell command (stderr passes through); raises on failure.
function M.capture(cmd)
  local f = assert(io.popen(cmd, "r"))
  local out = f:read("a")
  local ok, how, code = f:close()
  if not ok then error(("command failed (%s %s): %s"):format(how, code, cmd), 2) end
  return out
end

--- The simulator of this run (started by tools/with-sim).
function M.sim()
  local port = assert(os.getenv("QVRSIM_PORT"), "run under tools/with-sim")
  local sim = { url = assert(os.getenv("QVR_URL")), port = tonumber(port),
                base = "http://127.0.0.1:" .. port }
  function sim.get(path)
    return M.capture("curl -s -g --max-time 10 " .. M.shell_quote(sim.base .. path))
  end
  --- An integer counter of /sim/stats (archive_start, qplay_open, ...).
  function sim.stat(name)
    local v = sim.get("/sim/stats"):match('"' .. name .. '"%s*:%s*(%-?%d+)')
    return assert(math.tointeger(tonumber(v)), "no " .. name .. " in /sim/stats")
  end
  return sim
end

function M.median(list)
  local t = {}
  for i, v in ipairs(list) do t[i] = v end
  table.sort(t)
  local n = #t
  if n == 0 then return nil end
  if n % 2 == 1 then return t[(n + 1) // 2] end
  return (t[n // 2] + t[n // 2 + 1]) / 2
end

--- "1 234 567" style grouping for big integers.
function M.int(n)
  local s = ("%d"):format(math.floor(n + 0.5))
  local out = s:reverse():gsub("(%d%d%d)", "%1 "):reverse()
  return (out:gsub("^ ", ""):gsub("^%- ", "-"))
end

function M.mb(bytes)
  return ("%.1f"):format(bytes / 1e6)
end

--- Prints a Markdown table: header is a list of column names, rows a list
-- of lists of strings or numbers.
function M.table(header, rows)
  local function line(cells)
    local t = {}
    for i, c in ipairs(cells) do t[i] = tostring(c) end
    print("| " .. table.concat(t, " | ") .. " |")
  end
  line(header)
  local sep = {}
  for i = 1, #header do sep[i] = "---" end
  line(sep)
  for _, r in ipairs(rows) do line(r) end
  io.stdout:flush()
end

function M.say(fmt, ...)
  io.stdout:write((fmt):format(...), "\n")
  io.stdout:flush()
end

return M
