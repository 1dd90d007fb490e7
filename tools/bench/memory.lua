--- memory: peak RSS of a process that iterates 10 minutes and 60 minutes of
-- archive (unpaced playback, frame:write to /dev/null); target: the same
-- within 10 %.  10 minutes, not 1: a playback's buffers (the stream's
-- `buffer`, 1 MiB, and libcurl's) fill within the first minutes of an
-- unpaced playback, and a 1-minute playback may end before they do
-- (docs/BENCHMARKS.md, Memory).
--
-- usage (under tools/with-sim with QVRSIM_ARGS=--no-pace):
--   lua5.4 tools/bench/memory.lua [ROUNDS]
--   lua5.4 tools/bench/memory.lua child CAMERA MINUTES   (one measured process)
--
-- Peak RSS is VmHWM of /proc/self/status, read by the process itself after
-- the loop; "before" is VmHWM after connecting, before the playback opens.
-- Each figure is the median of ROUNDS processes.
local qvr = require "qvrpro"
local B = require "benchlib"

local MINUTE = 60000

if arg[1] == "child" then
  local cam, minutes = arg[2], assert(tonumber(arg[3]))
  local sim = B.sim()
  local from = sim.stat("archive_start") + 120 * MINUTE   -- after Front Door's gap
  local nvr = assert(qvr.connect(sim.url))
  local devnull = assert(io.open("/dev/null", "wb"))
  collectgarbage()
  local before = B.memory().VmHWM
  local frames, bytes = 0
  do
    local pb <close> = assert(nvr:playback(cam, { from = from, to = from + minutes * MINUTE,
      timecontrol = false }))
    for frame in pb:frames() do
      frame:write(devnull)
      frames = frames + 1
    end
    bytes = pb.transfer.bytes
  end
  local m = B.memory()
  print(("before=%d peak=%d rss=%d frames=%d bytes=%d"):format(before, m.VmHWM, m.VmRSS, frames,
    bytes))
  nvr:close()
  return
end

local ROUNDS = math.tointeger(tonumber(arg[1])) or 3
local script = B.dir .. "/memory.lua"
local CAMS = {
  { cam = "Garage", what = "MJPEG 320x240" },
  { cam = "Front Door", what = "H.264 720p + AAC" },
}

local function child(cam, minutes)
  local out = B.capture(("lua5.4 %s child %s %d"):format(B.shell_quote(script), B.shell_quote(cam),
    minutes))
  local r = {}
  for k, v in out:gmatch("(%w+)=(%d+)") do r[k] = tonumber(v) end
  assert(r.peak and r.frames > 0, "child: " .. out)
  return r
end

local function median_of(cam, minutes)
  local peaks, befores, last = {}, {}, nil
  for i = 1, ROUNDS do
    last = child(cam, minutes)
    peaks[i], befores[i] = last.peak, last.before
  end
  last.peak, last.before = B.median(peaks), B.median(befores)
  return last
end

local SHORT, LONG = 10, 60     -- minutes

local rows, worst = {}, 0
for _, c in ipairs(CAMS) do
  local short, long = median_of(c.cam, SHORT), median_of(c.cam, LONG)
  local diff = (long.peak - short.peak) / short.peak
  worst = math.max(worst, math.abs(diff))
  rows[#rows + 1] = {
    ("%s (%s)"):format(c.cam, c.what),
    ("%s MB, %s frames"):format(B.mb(short.bytes), B.int(short.frames)),
    ("%s MB, %s frames"):format(B.mb(long.bytes), B.int(long.frames)),
    B.int(short.before), B.int(short.peak), B.int(long.peak),
    B.int(long.peak - long.before), ("%+.1f %%"):format(diff * 100),
  }
end

B.say("peak RSS (VmHWM) in kB, median of %d processes each", ROUNDS)
B.say("")
B.table({ "camera", SHORT .. " min moved", LONG .. " min moved", "before the loop",
  ("peak, %d min"):format(SHORT), ("peak, %d min"):format(LONG),
  ("peak, %d min, over before"):format(LONG), ("%d min vs %d min"):format(LONG, SHORT) }, rows)
B.say("")
B.say("largest difference: %.1f %% (target: within 10 %%: %s)", worst * 100,
  worst <= 0.10 and "met" or "NOT met")
