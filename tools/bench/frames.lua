--- frames: frames into Lua against curl, with a server that is not the
-- bottleneck (tools/bench/fakenvr.c serving recorded `get` bodies with
-- sendfile).  Per recorded playback, round by round: `curl -o /dev/null` of
-- the `get` of a qplay session opened like the client's, then
-- tools/bench/frames_client.lua (`for f in pb:frames() do f:write(devnull)
-- end` through the public API), the same under collectgarbage("generational"),
-- the same with pb:frames{view=true} (one
-- frame object refilled), then pb:write_to(devnull) (no Lua frame), each in
-- a process of its own; with QVR_BENCH_VS set (the
-- checkout of another commit, see tools/bench/run --vs), that commit's
-- frames loop and write_to too, in the same rounds.
--
-- usage (tools/bench/run frames sets all this up):
--   QVR_URL=<fakenvr> QVR_BENCH_REC=<recording dir> lua5.4 tools/bench/frames.lua [ROUNDS]
--
-- Each run, curl's or a client's, moves the recorded body N times (N qplay
-- sessions in a row, N chosen to move about QVR_BENCH_TARGET_MB, 600 by
-- default) so that it lasts long enough for the clocks.
-- Figures per case: MB/s (median of the rounds), throughput ratio client /
-- curl and CPU ratio client / curl (medians of the rounds' ratios: each
-- pair saw the same conditions), and the CPU per frame over curl's in µs
-- ((client CPU - curl CPU) / frames, median).  curl's CPU is its whole
-- process (user + system, from its parent bash's `times`: getrusage of the
-- children, to the millisecond, so with its start-up); the client's is
-- os.clock() around its loop.
local qvr = require "qvrpro"
local B = require "benchlib"

local ROUNDS = math.tointeger(tonumber(arg[1])) or 5
local REC = assert(os.getenv("QVR_BENCH_REC"), "QVR_BENCH_REC: the recording directory")
local URL = assert(os.getenv("QVR_URL"), "QVR_URL: the fake NVR")
local VS = os.getenv("QVR_BENCH_VS")           -- another checkout (rock + lua), or nil
if VS == "" then VS = nil end
local VS_NAME = os.getenv("QVR_BENCH_VS_NAME") or "other"

local cases, minutes = {}, nil
for line in io.lines(REC .. "/manifest.txt") do
  local f = {}
  for v in line:gmatch("[^\t]+") do f[#f + 1] = v end
  if f[1] == "minutes" then
    minutes = tonumber(f[2])
  else
    cases[#cases + 1] = { guid = f[1], cam = f[2], what = f[3], from = tonumber(f[4]),
      to = tonumber(f[5]), size = tonumber(f[6]) }
  end
end

local nvr = assert(qvr.connect(URL))

-- Each client run moves REPEAT times the recorded body (REPEAT qplay
-- sessions one after the other, so that a run lasts long enough for the
-- clocks: curl's CPU time is in clock ticks)
local TARGET = (tonumber(os.getenv("QVR_BENCH_TARGET_MB")) or 600) * 1e6

-- curl of REPEAT `get`s in one process (one session each, opened and played
-- like the client's, before the clocks start): bytes, seconds (sum of
-- time_total), CPU seconds.  `Connection: close` gives each `get` a connection
-- of its own, as the client's `get` has (the fake NVR closes after the body;
-- curl's time_total then counts the connect, as the client's clock does).
local function run_curl(case)
  local pbs, args = {}, {}
  for i = 1, case.repeats do
    local pb = assert(nvr:playback(case.cam, { from = case.from, to = case.to,
      timecontrol = false }))
    assert(pb:play())
    pbs[i] = pb
    args[i] = "-o /dev/null " .. B.shell_quote(nvr:endpoint_url("qplay.get",
      { session = pb.id }))
  end
  -- bash's `times`: the children's user and system time from getrusage, to
  -- the millisecond (/proc's clock ticks are 10 ms: 0.1 µs per frame of Garage)
  local script = "curl -s -H 'Connection: close'"
    .. " -w '%{http_code} %{size_download} %{time_total}\\n' "
    .. table.concat(args, " ") .. "; times"
  local out = B.capture("bash -c " .. B.shell_quote(script))
  for _, pb in ipairs(pbs) do pb:close() end
  local r = { bytes = 0, secs = 0 }
  local n = 0
  local times = {}
  for line in out:gmatch("[^\n]+") do
    local code, bytes, secs = line:match("^(%d+) (%d+) ([%d.]+)$")
    if code then
      assert(code == "200", "curl: " .. out)
      r.bytes, r.secs, n = r.bytes + tonumber(bytes), r.secs + tonumber(secs), n + 1
    else
      local um, us, sm, ss = line:match("^(%d+)m([%d.]+)s (%d+)m([%d.]+)s$")
      if um then times[#times + 1] = 60 * (um + sm) + us + ss end
    end
  end
  -- `times` prints the shell's own line, then its children's (curl's)
  assert(n == case.repeats and #times == 2, "curl: " .. out)
  r.cpu = times[2]
  return r
end

-- a client process: the code of this checkout, or of `code` (a checkout dir)
local function run_client(mode, case, code)
  local env = ""
  if code then
    local p = B.capture(("luarocks --lua-version=5.4 --tree=%s path"):format(
      B.shell_quote(code .. "/.rocks")))
    local cpath = assert(p:match("LUA_CPATH[_%d]*='([^']*)'"))
    env = ("LUA_CPATH_5_4=%s LUA_PATH_5_4=%s "):format(B.shell_quote(cpath),
      B.shell_quote(("%s/?.lua;%s/lua/?.lua;%s/lua/?/init.lua;"):format(B.dir, code, code)
        .. (p:match("LUA_PATH[_%d]*='([^']*)'") or "")))
  end
  local out = B.capture(("%slua5.4 %s %s %s %d %d %d"):format(env,
    B.shell_quote(B.dir .. "/frames_client.lua"), mode, B.shell_quote(case.cam), case.from,
    case.to, case.repeats))
  local r = {}
  for k, v in out:gmatch("(%a+)=([%d.]+)") do r[k] = tonumber(v) end
  assert(r.bytes and r.frames, "frames_client: " .. out)
  return r
end

for _, case in ipairs(cases) do case.repeats = math.max(1, math.ceil(TARGET / case.size)) end

local clients = {
  { name = "qvrpro frames", mode = "frames" },
  { name = "qvrpro frames, generational GC", mode = "frames_gen" },
  { name = "qvrpro frames{view=true}", mode = "view" },
  { name = "qvrpro write_to", mode = "write_to" },
}
if VS then
  table.insert(clients, 2, { name = ("qvrpro frames at %s"):format(VS_NAME), mode = "frames",
    code = VS })
  clients[#clients + 1] = { name = ("qvrpro write_to at %s"):format(VS_NAME),
    mode = "write_to", code = VS }
end

local rows = {}
for _, case in ipairs(cases) do
  local per = {}
  for _, c in ipairs(clients) do per[c] = { tput = {}, cpu = {}, us = {}, mbs = {} } end
  local curl_mbs, frames = {}, nil
  for _ = 1, ROUNDS do
    local cr = run_curl(case)
    if cr.bytes ~= case.size * case.repeats then
      error(("%s: curl moved %d bytes, the recording has %d x %d"):format(case.cam, cr.bytes,
        case.size, case.repeats))
    end
    curl_mbs[#curl_mbs + 1] = cr.bytes / cr.secs
    for _, c in ipairs(clients) do
      local r = run_client(c.mode, case, c.code)
      if r.bytes ~= cr.bytes then
        error(("%s, %s: moved %d bytes, curl %d"):format(case.cam, c.name, r.bytes, cr.bytes))
      end
      if frames and r.frames ~= frames then
        error(("%s, %s: %d frames, another client %d"):format(case.cam, c.name, r.frames, frames))
      end
      frames = r.frames
      local p = per[c]
      p.mbs[#p.mbs + 1] = r.bytes / r.secs
      p.tput[#p.tput + 1] = cr.secs / r.secs
      p.cpu[#p.cpu + 1] = r.cpu / cr.cpu
      p.us[#p.us + 1] = (r.cpu - cr.cpu) / r.frames * 1e6
    end
  end
  for i, c in ipairs(clients) do
    local p = per[c]
    rows[#rows + 1] = {
      i == 1 and ("%s (%s), %d min"):format(case.cam, case.what, minutes) or "",
      i == 1 and ("%s MB, %s frames, x %d"):format(B.mb(case.size), B.int(frames // case.repeats),
        case.repeats) or "",
      c.name, B.mb(B.median(curl_mbs)), B.mb(B.median(p.mbs)),
      ("%.2f (%.2f..%.2f)"):format(B.median(p.tput), math.min(table.unpack(p.tput)),
        math.max(table.unpack(p.tput))),
      ("%.2f"):format(B.median(p.cpu)), ("%.2f"):format(B.median(p.us)),
    }
  end
end
nvr:close()

B.say("server: tools/bench/fakenvr (recorded bodies, sendfile); %d rounds per case, each curl"
  .. " then every client in turn; each run moves the recorded body x N (N sessions in a row);"
  .. " MB = 10^6 bytes", ROUNDS)
B.say("MB/s: medians; ratios: median of the rounds' ratios to that round's curl (lowest..highest);")
B.say("µs/frame over curl: (client CPU - curl CPU) / frames, median")
B.say("")
B.table({ "playback", "size", "client", "curl MB/s", "client MB/s", "throughput / curl",
  "CPU / curl", "µs/frame over curl" }, rows)
