--- calls: nvr:cpu() calls per second on one session (one kept-alive
-- connection), side by side with the same number of calls made with a new
-- connection per call.
--
-- usage (under tools/with-sim, or against tools/bench/fakenvr):
--   lua5.4 tools/bench/calls.lua [N [ROUNDS]]
-- With QVR_BENCH_CAFILE set, the server serves https with that certificate
-- and every client connects over https trusting it.  QVR_BENCH_SERVER_PID
-- (or QVRSIM_PID, which tools/with-sim sets): the server process, whose CPU
-- time is then measured too.  tools/bench/run runs the server and this
-- script on one CPU (taskset), see docs/BENCHMARKS.md, "Calls".
--
-- Baseline: build/bench/fresh_calls (tools/bench/fresh_calls.c) GETs the very
-- URL nvr:cpu() requests (same sid), with a fresh libcurl easy handle per
-- call, so each call opens and closes a TCP connection: what a client does
-- when it runs a curl command per call or uses an HTTP library without a
-- kept session.  It is plain C and does not parse the JSON, so it is, if
-- anything, favoured.  Shown too: the same with one easy handle told to
-- open a new connection per call (fresh_calls --one-handle: the cost of
-- the connection alone, without the handle's set-up), and qvr.connect +
-- nvr:cpu() + close per call (login, call, logout: three requests on a new
-- connection).
-- Rounds alternate the three; the table shows the median of each: calls/s
-- (wall), and the CPU time per call of the client (its own process) and of
-- the server (user + system, /proc/PID/stat, in clock ticks: N calls make
-- it exact to 1/(ticks per second * N)).  The ratio of the CPU per call,
-- client + server, new connection / kept, is the figure the load of other
-- processes moves least.
local qvr = require "qvrpro"
local B = require "benchlib"

local N = math.tointeger(tonumber(arg[1])) or 5000
local ROUNDS = math.tointeger(tonumber(arg[2])) or 5
local URL = assert(os.getenv("QVR_URL"), "QVR_URL: the server")
local helper = B.build .. "/fresh_calls"
local cafile = os.getenv("QVR_BENCH_CAFILE")
local url = cafile and URL:gsub("^http:", "https:") or URL
local opts = { cafile = cafile }
local server_pid = os.getenv("QVR_BENCH_SERVER_PID") or os.getenv("QVRSIM_PID")
local TICKS = tonumber(B.capture("getconf CLK_TCK")) or 100

-- the server's CPU seconds so far (nil when unknown)
local function server_cpu()
  if not server_pid then return nil end
  local f = io.open("/proc/" .. server_pid .. "/stat")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  local v = {}
  for x in s:match("%) (.*)$"):gmatch("%S+") do v[#v + 1] = x end
  return (tonumber(v[12]) + tonumber(v[13])) / TICKS
end

local nvr = assert(qvr.connect(url, opts))
for _ = 1, 200 do assert(nvr:cpu()) end   -- warm-up: connection, caches

-- each client: wall seconds, client CPU seconds
local function kept()
  local t0, c0 = B.wall(), B.cpu()
  for _ = 1, N do assert(nvr:cpu()) end
  return B.wall() - t0, B.cpu() - c0
end

local cpu_url = nvr:endpoint_url("camera_status.cpu")
local function fresh_calls(flags)
  local out = B.capture(("%s %s%s %d %s"):format(B.shell_quote(helper), flags,
    B.shell_quote(cpu_url), N, cafile and B.shell_quote(cafile) or ""))
  local calls, secs, cpu = out:match("calls=(%d+) seconds=([%d.]+) cpu=([%d.]+)")
  assert(tonumber(calls) == N, "fresh_calls: " .. out)
  return tonumber(secs), tonumber(cpu)
end
local function fresh() return fresh_calls("") end
local function fresh_one_handle() return fresh_calls("--one-handle ") end

local function reconnect()
  local t0, c0 = B.wall(), B.cpu()
  for _ = 1, N do
    local s = assert(qvr.connect(url, opts))
    assert(s:cpu())
    s:close()
  end
  return B.wall() - t0, B.cpu() - c0
end

local clients = {
  { name = "qvrpro `nvr:cpu()`, one session (kept connection)", run = kept },
  { name = "fresh libcurl easy handle per call (new connection, same sid)", run = fresh },
  { name = "one libcurl easy handle, a new connection per call (connection alone)",
    run = fresh_one_handle },
  { name = "`qvr.connect` + `nvr:cpu()` + close per call", run = reconnect },
}
for _, c in ipairs(clients) do c.wall, c.cpu, c.server, c.ratio, c.cpu_ratio = {}, {}, {}, {}, {} end
for _ = 1, ROUNDS do
  for _, c in ipairs(clients) do
    local s0 = server_cpu()
    local wall, cpu = c.run()
    local s1 = server_cpu()
    c.wall[#c.wall + 1] = wall
    c.cpu[#c.cpu + 1] = cpu
    if s0 and s1 then c.server[#c.server + 1] = s1 - s0 end
  end
  -- this round's ratios against its own kept-connection run
  local k = clients[1]
  for _, c in ipairs(clients) do
    local i = #c.wall
    c.ratio[i] = c.wall[i] / k.wall[i]
    local ks, cs = k.server[i] or 0, c.server[i] or 0
    -- a run too short for the CPU clocks to tick gives no CPU ratio
    if k.cpu[i] + ks > 0 then c.cpu_ratio[#c.cpu_ratio + 1] = (c.cpu[i] + cs) / (k.cpu[i] + ks) end
  end
end
nvr:close()

-- the median of ratios to two places, or "?" when no round gave one
local function ratio2(list)
  local m = B.median(list)
  return m and ("%.2f"):format(m) or "?"
end
local function us(list) return ("%.1f"):format(B.median(list) / N * 1e6) end
local rows = {}
for _, c in ipairs(clients) do
  rows[#rows + 1] = { c.name, B.int(N / B.median(c.wall)), us(c.cpu),
    #c.server > 0 and us(c.server) or "?",
    ("%.2f (%.2f..%.2f)"):format(B.median(c.ratio), math.min(table.unpack(c.ratio)),
      math.max(table.unpack(c.ratio))),
    ratio2(c.cpu_ratio) }
end
B.say("%s, %d calls per run, %d rounds alternating the clients; medians (lowest..highest)",
  cafile and "https" or "http", N, ROUNDS)
B.say("server CPU: %s", server_pid and ("process " .. server_pid .. ", /proc clock ticks")
  or "not measured (no QVR_BENCH_SERVER_PID)")
B.say("")
B.table({ "client", "calls/s", "client CPU µs/call", "server CPU µs/call",
  "time per call vs kept", "CPU per call vs kept" }, rows)
B.say("")
for _, r in ipairs({ { 2, "new connection per call" },
                     { 3, "new connection per call, connection alone" } }) do
  local f, what = clients[r[1]], r[2]
  B.say("ratio qvrpro / %s: %.2f (rounds %.2f..%.2f); CPU per call, client + server: %s",
    what, B.median(f.ratio), math.min(table.unpack(f.ratio)), math.max(table.unpack(f.ratio)),
    ratio2(f.cpu_ratio))
end
