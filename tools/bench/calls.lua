--- calls: nvr:cpu() calls per second on one session (one kept-alive
-- connection), side by side with the same number of calls made with a new
-- connection per call.
--
-- usage (under tools/with-sim): lua5.4 tools/bench/calls.lua [N [ROUNDS]]
-- With QVR_BENCH_CAFILE set, the simulator serves https with that
-- certificate and every client connects over https trusting it.
--
-- Baseline: build/bench/fresh_calls (tools/bench/fresh_calls.c) GETs the very
-- URL nvr:cpu() requests (same sid), with a fresh libcurl easy handle per
-- call, so each call opens and closes a TCP connection: what a client does
-- when it runs a curl command per call or uses an HTTP library without a
-- kept session.  It is plain C and does not parse the JSON, so it is, if
-- anything, favoured.  Shown too: qvr.connect + nvr:cpu() + close per call
-- (login, call, logout: three requests on a new connection).
-- Rounds alternate the three; the table shows the median of each.
local qvr = require "qvrpro"
local B = require "benchlib"

local N = math.tointeger(tonumber(arg[1])) or 5000
local ROUNDS = math.tointeger(tonumber(arg[2])) or 3
local sim = B.sim()
local helper = B.build .. "/fresh_calls"
local cafile = os.getenv("QVR_BENCH_CAFILE")
local url = cafile and sim.url:gsub("^http:", "https:") or sim.url
local opts = { cafile = cafile }

local nvr = assert(qvr.connect(url, opts))
for _ = 1, 200 do assert(nvr:cpu()) end   -- warm-up: connection, caches

local function kept()
  local t0 = B.wall()
  for _ = 1, N do assert(nvr:cpu()) end
  return B.wall() - t0
end

local cpu_url = nvr:url(nvr.prefix .. "/apis/camera_status.cgi", { act = "cpu" })
local function fresh()
  local out = B.capture(("%s %s %d %s"):format(B.shell_quote(helper), B.shell_quote(cpu_url), N,
    cafile and B.shell_quote(cafile) or ""))
  local calls, secs = out:match("calls=(%d+) seconds=([%d.]+)")
  assert(tonumber(calls) == N, "fresh_calls: " .. out)
  return tonumber(secs)
end

local function reconnect()
  local t0 = B.wall()
  for _ = 1, N do
    local s = assert(qvr.connect(url, opts))
    assert(s:cpu())
    s:close()
  end
  return B.wall() - t0
end

local times = { kept = {}, fresh = {}, reconnect = {} }
for _ = 1, ROUNDS do
  times.kept[#times.kept + 1] = kept()
  times.fresh[#times.fresh + 1] = fresh()
  times.reconnect[#times.reconnect + 1] = reconnect()
end
nvr:close()

local k = N / B.median(times.kept)
local f = N / B.median(times.fresh)
local r = N / B.median(times.reconnect)
B.say("%s, %d calls per run, %d rounds, median of each", cafile and "https" or "http", N, ROUNDS)
B.say("")
B.table({ "client", "calls/s", "vs qvrpro" }, {
  { "qvrpro `nvr:cpu()`, one session (kept connection)", B.int(k), "1.00" },
  { "fresh libcurl easy handle per call (new connection, same sid)", B.int(f),
    ("%.2f"):format(f / k) },
  { "`qvr.connect` + `nvr:cpu()` + close per call", B.int(r), ("%.2f"):format(r / k) },
})
B.say("")
B.say("ratio qvrpro / new connection per call: %.2f", k / f)
