--- scale: many paced live streams at once in one process through qvr.each.
--
-- usage: lua5.4 tools/bench/scale.lua [STREAMS [SECONDS [LAG_STREAMS]]]
--   against tools/bench/fakenvr (QVR_URL, QVR_BENCH_REC: its recording; the
--   cameras of its manifest), or under tools/with-sim (paced) without
--   QVR_BENCH_REC.  Defaults: 1000 streams, 10 s, lag at 512.
--
-- Phases, each figure next to its baseline from the same run:
--  1. open: STREAMS streams opened at once (nvr:live_many), and one after
--     another (nvr:live, then closed); baseline: STREAMS x the time of
--     opening one stream alone (100 opened and closed one at a time): what
--     opening one by one costs when each open is O(1).
--  2. CPU: STREAMS streams through qvr.each for SECONDS: the client's CPU
--     time (os.clock(): user + system, every thread) as a share of one core;
--     baseline: 16 `curl -o /dev/null` of the same live stream for the same
--     time, their CPU (the shell's `times` for its children) x STREAMS/16.
--  3. lag: LAG_STREAMS of them kept (the others closed) for SECONDS / 2:
--     delivery lag p50 / p99 (the wall clock at delivery minus the frame's
--     timestamp: the server sends a frame when the clock reaches it).
-- In every phase, per stream and medium, every timestamp must sit on the
-- camera's grid (video k x 1000/fps ms, AAC k x 64, G.711 k x 20) and follow
-- the previous one by exactly one interval; frames lost (the intervals
-- missing) are counted and the benchmark fails when there is one.
local qvr = require "qvrpro"
local B = require "benchlib"

local NSTREAMS = math.tointeger(tonumber(arg[1])) or 1000
local SECONDS = tonumber(arg[2]) or 10
local NLAG = math.min(NSTREAMS, math.tointeger(tonumber(arg[3])) or 512)
local CURLS = 16
local AUDIO_MS = { aac = 64, g711 = 20 }
local REC = os.getenv("QVR_BENCH_REC")
local url = assert(os.getenv("QVR_URL"), "QVR_URL: the fake NVR or the simulator")

local nvr = assert(qvr.connect(url))
local wanted
if REC then        -- the fake NVR serves live streams of the recorded cameras only
  wanted = {}
  for line in io.lines(REC .. "/manifest.txt") do
    local guid = line:match("^(%x+)\t")
    if guid then wanted[guid] = true end
  end
end
local cams = {}
for _, cam in ipairs(assert(nvr:cameras { status = 1 })) do
  if (cam.frame_rate or 0) > 0 and (not wanted or wanted[cam.guid]) then cams[#cams + 1] = cam end
end
assert(#cams > 0, "no connected camera")

local function problem(s, fmt, ...)
  if #s.problems < 3 then s.problems[#s.problems + 1] = fmt:format(...) end
end

-- checks one frame of stream s; returns the frames missing before it
local function check(s, frame)
  local media = frame.media
  local step = media == "video" and s.video_ms or AUDIO_MS[frame.codec]
  local ts = frame.timestamp
  if not step then
    problem(s, "unexpected %s frame (%s)", media, frame.codec)
    return 1
  end
  if ts % step ~= 0 then problem(s, "%s ts %d is off the %d ms grid", media, ts, step) end
  local prev, lost = s.last[media], 0
  if prev and ts ~= prev + step then
    problem(s, "%s ts %d after %d (expected %d)", media, ts, prev, prev + step)
    lost = ts > prev and (ts - prev) // step - 1 or 1
  end
  s.last[media] = ts
  return lost
end

local function pct(list, p)
  table.sort(list)
  return list[math.max(1, math.ceil(#list * p))] or 0
end

--- Runs qvr.each over streams for secs: frames, bytes, lost, cpu, wall, lags.
local function run(streams, info, secs)
  local r = { frames = 0, bytes = 0, lost = 0, lags = {} }
  local c0, t0 = B.cpu(), B.wall()
  local deadline = t0 + secs
  for st, frame in qvr.each(streams) do
    local s = info[st]
    r.lost = r.lost + check(s, frame)
    s.n = s.n + 1
    r.frames = r.frames + 1
    r.bytes = r.bytes + frame.size
    if r.frames % 16 == 0 then
      r.lags[#r.lags + 1] = B.epoch_ms() - frame.timestamp
      if B.wall() >= deadline then break end
    end
  end
  r.cpu, r.wall = B.cpu() - c0, B.wall() - t0
  return r
end

-- 1. open: one stream alone, then all of them
local SINGLES = 100
local t_single = B.wall()
for i = 1, SINGLES do       -- (one open takes a fraction of a millisecond: time 100 of them)
  assert(nvr:live(cams[(i - 1) % #cams + 1])):close()
end
local one_open = (B.wall() - t_single) / SINGLES
local list = {}
for i = 1, NSTREAMS do list[i] = cams[(i - 1) % #cams + 1] end
local t_open = B.wall()
local seq = {}
for i = 1, NSTREAMS do
  local st, err = nvr:live(list[i])
  if not st then error(("stream %d of %d: %s"):format(i, NSTREAMS, tostring(err))) end
  seq[i] = st
end
local open_seq_s = B.wall() - t_open
for _, st in ipairs(seq) do st:close() end
-- (tools/bench/run --at an older commit: no live_many there, one by one again)
local has_many = nvr.live_many ~= nil
local live_many = nvr.live_many or function(n, cs)
  local out = {}
  for i, cam in ipairs(cs) do out[i] = assert(n:live(cam)) end
  return out, {}
end
t_open = B.wall()
local streams, errors = live_many(nvr, list)
local open_s = B.wall() - t_open
local info = {}
for i, st in ipairs(streams) do
  if not st then error(("stream %d of %d: %s"):format(i, NSTREAMS, tostring(errors[i]))) end
  local cam = list[i]
  info[st] = { cam = cam, video_ms = 1000 // cam.frame_rate, last = {}, n = 0, problems = {} }
end

-- 2. CPU with every stream
local all = run(streams, info, SECONDS)

-- 3. lag with NLAG streams (a fresh check: the closed ones are gone)
for i = NLAG + 1, NSTREAMS do streams[i]:close() end
local kept = {}
for i = 1, NLAG do
  kept[i] = streams[i]
  info[streams[i]].last = {}
end
local lag = run(kept, info, SECONDS / 2)
for _, st in ipairs(kept) do st:close() end

-- baseline of phase 2: CURLS curl processes on the same live stream
local function curl_cpu()
  local cam = cams[1]
  local live_url = nvr:endpoint_url("getstream", { ch_sid = cam.guid, stream_id = 0, audio = 1 })
  local script = ("for i in $(seq %d); do curl -s -o /dev/null --max-time %g %s & done; wait; times")
    :format(CURLS, SECONDS, B.shell_quote(live_url))
  local out = B.capture("bash -c " .. B.shell_quote(script))
  -- `times`: the shell's user/system, then its children's
  local lines = {}
  for line in out:gmatch("[^\n]+") do lines[#lines + 1] = line end
  local function secs(s)
    local m, x = s:match("(%d+)m([%d.]+)s")
    return tonumber(m) * 60 + tonumber(x)
  end
  local u, s = lines[#lines]:match("^(%S+)%s+(%S+)")
  return secs(u) + secs(s), cam
end
local curl_s, curl_cam = curl_cpu()
nvr:close()

local bad = 0
for _, st in ipairs(streams) do
  local s = info[st]
  if #s.problems > 0 then
    bad = bad + 1
    if bad <= 5 then
      io.stderr:write(("stream %s: %s\n"):format(st.description, table.concat(s.problems, "; ")))
    end
  end
end

local function share(cpu, wall) return ("%.1f %%"):format(cpu / wall * 100) end
B.say("%d paced live streams over %d cameras (%s), %d s with all of them, %.1f s with %d",
  NSTREAMS, #cams, REC and "tools/bench/fakenvr" or "the simulator", SECONDS, SECONDS / 2, NLAG)
B.say("")
B.table({ "figure", "qvrpro", "baseline", "ratio" }, {
  { ("open %d streams at once (nvr:live_many%s)"):format(NSTREAMS, has_many and "" or
      ": absent, one by one"), ("%.2f s"):format(open_s),
    ("%.2f s (%d x one open alone, %.3f ms)"):format(one_open * NSTREAMS, NSTREAMS, one_open * 1000),
    ("%.2f"):format(open_s / (one_open * NSTREAMS)) },
  { ("open %d streams one by one (nvr:live)"):format(NSTREAMS), ("%.2f s"):format(open_seq_s),
    ("%.2f s (the same)"):format(one_open * NSTREAMS),
    ("%.2f"):format(open_seq_s / (one_open * NSTREAMS)) },
  { ("CPU, %d streams (share of one core)"):format(NSTREAMS), share(all.cpu, all.wall),
    ("%s (%d curl of %s x %d/%d)"):format(share(curl_s * NSTREAMS / CURLS, SECONDS), CURLS,
      curl_cam.name, NSTREAMS, CURLS),
    ("%.2f"):format((all.cpu / all.wall) / (curl_s * NSTREAMS / CURLS / SECONDS)) },
  { ("frames/s, µs CPU per frame, %d streams"):format(NSTREAMS),
    ("%s, %.1f"):format(B.int(all.frames / all.wall), all.cpu * 1e6 / math.max(1, all.frames)), "", "" },
  { ("lag p50 / p99 / max ms, %d streams"):format(NSTREAMS),
    ("%.0f / %.0f / %.0f"):format(pct(all.lags, 0.5), pct(all.lags, 0.99), pct(all.lags, 1)), "", "" },
  { ("lag p50 / p99 / max ms, %d streams"):format(NLAG),
    ("%.0f / %.0f / %.0f"):format(pct(lag.lags, 0.5), pct(lag.lags, 0.99), pct(lag.lags, 1)),
    "goal: p99 < 50", "" },
  { "frames delivered / lost", ("%s / %d"):format(B.int(all.frames + lag.frames), all.lost + lag.lost),
    ("streams with a problem: %d"):format(bad), "" },
})
if all.lost + lag.lost > 0 or bad > 0 then os.exit(1) end
