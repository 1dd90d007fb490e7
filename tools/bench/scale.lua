--- scale: 64 paced live streams at once in one process through qvr.each
-- for about 10 s: CPU time per delivered frame, and no frame lost.
--
-- usage (under tools/with-sim, paced): lua5.4 tools/bench/scale.lua [STREAMS [SECONDS]]
--
-- The streams are spread over the simulator's connected cameras.  Per
-- stream and per medium (video, audio), every timestamp must sit on the
-- camera's frame grid (video: k x 1000/fps ms; audio: k x 64 ms for AAC,
-- k x 20 ms for G.711, see tools/README.md) and follow the previous one by
-- exactly one interval: no gap, no duplicate, no reordering.  CPU time is
-- os.clock() (user + system, every thread of the process) over the loop.
-- Lag is the wall clock at delivery minus the frame's timestamp (the
-- simulator sends a frame when the clock reaches its timestamp).
local qvr = require "qvrpro"
local B = require "benchlib"

local NSTREAMS = math.tointeger(tonumber(arg[1])) or 64
local SECONDS = tonumber(arg[2]) or 10
local AUDIO_MS = { aac = 64, g711 = 20 }

local sim = B.sim()
local nvr = assert(qvr.connect(sim.url))
local cams = {}
for _, cam in ipairs(assert(nvr:cameras { status = 1 })) do
  if (cam.frame_rate or 0) > 0 then cams[#cams + 1] = cam end
end
assert(#cams > 0, "no connected camera")

local streams, info = {}, {}
local t_open = B.wall()
for i = 1, NSTREAMS do
  local cam = cams[(i - 1) % #cams + 1]
  local st = assert(nvr:live(cam))
  streams[i] = st
  info[st] = { cam = cam, video_ms = 1000 // cam.frame_rate, last = {}, n = 0, problems = {} }
end
local t_opened = B.wall()
local open_at_server = sim.stat("live_streams_open")

local function problem(s, fmt, ...)
  if #s.problems < 5 then s.problems[#s.problems + 1] = fmt:format(...) end
end

local function check(s, frame)
  local media = frame.media
  local step = media == "video" and s.video_ms or AUDIO_MS[frame.codec]
  local ts = frame.timestamp
  if not step then
    problem(s, "unexpected %s frame (%s)", media, frame.codec)
    return
  end
  if ts % step ~= 0 then problem(s, "%s ts %d is off the %d ms grid", media, ts, step) end
  local prev = s.last[media]
  if prev and ts ~= prev + step then
    problem(s, "%s ts %d after %d (expected %d)", media, ts, prev, prev + step)
  end
  s.last[media] = ts
end

local frames, bytes, lags = 0, 0, {}
local c0, t0 = B.cpu(), B.wall()
local deadline = t0 + SECONDS
for st, frame in qvr.each(streams) do
  local s = info[st]
  check(s, frame)
  s.n = s.n + 1
  frames = frames + 1
  bytes = bytes + #frame
  if frames % 16 == 0 then
    local now = B.wall()
    lags[#lags + 1] = now * 1000 - frame.timestamp
    if now >= deadline then break end
  end
end
local cpu, wall = B.cpu() - c0, B.wall() - t0
for _, st in ipairs(streams) do st:close() end

local lost, min_n, max_n = 0, math.huge, 0
for _, st in ipairs(streams) do
  local s = info[st]
  min_n, max_n = math.min(min_n, s.n), math.max(max_n, s.n)
  if #s.problems > 0 then
    lost = lost + 1
    io.stderr:write(("stream %s: %s\n"):format(st.description, table.concat(s.problems, "; ")))
  end
end
table.sort(lags)
local function pct(p) return lags[math.max(1, math.ceil(#lags * p))] or 0 end

B.say("%d live streams over %d cameras (the simulator counted %d open), opened in %.2f s; "
  .. "loop %.1f s", NSTREAMS, #cams, open_at_server, t_opened - t_open, wall)
B.say("")
B.table({ "frames delivered", "frames/s", "MB/s", "CPU s", "CPU", "CPU µs/frame",
  "frames per stream (min..max)", "lag p50 / p99 / max ms", "streams with a lost frame" }, { {
  B.int(frames), B.int(frames / wall), ("%.2f"):format(bytes / wall / 1e6), ("%.2f"):format(cpu),
  ("%.0f %%"):format(cpu / wall * 100), ("%.1f"):format(cpu * 1e6 / frames),
  ("%d..%d"):format(min_n, max_n),
  ("%.0f / %.0f / %.0f"):format(pct(0.5), pct(0.99), lags[#lags] or 0), lost,
} })
nvr:close()
if lost > 0 then
  io.stderr:write(("scale: %d of %d streams lost, repeated or misplaced a frame\n"):format(lost,
    NSTREAMS))
  os.exit(1)
end
