-- The main job, end to end: list cameras, snapshot every camera, record a
-- short window on one, show the log entries it produced, and save a few
-- minutes of playback.  `bash tools/demo` runs it against the simulator.
local qvr = require "qvrpro"

local url = os.getenv("QVR_URL") or "http://admin:admin@127.0.0.1:8080"
local out = arg[1] or "qvr-demo"
os.execute("mkdir -p '" .. out .. "'")

local nvr <close> = assert(qvr.connect(url))
print(("connected: %s, CPU %d%%"):format(tostring(nvr), assert(nvr:cpu())))

print("\ncameras:")
local cams = assert(nvr:cameras())
for _, cam in ipairs(cams) do
  print(("  %d %-12s %-10s %s"):format(cam.channel_index, cam.name,
    cam.connected and "online" or "offline", cam.video_resolution_setting or ""))
end

print("\nsnapshots:")
for _, cam in ipairs(cams) do
  local path = ("%s/%s.jpg"):format(out, cam.name:gsub("%W", "_"))
  local ok, err = cam:snapshot{ path = path }
  print("  " .. (ok and path or (cam.name .. ": " .. tostring(err))))
end

local cam = assert(nvr:camera("Back Yard"))
local t0 = qvr.time.now()
print(("\nrecording %s for 3 seconds"):format(cam.name))
assert(cam:record(true))
print("  recording:", cam:recording())
qvr.core.sleep(3)
assert(cam:record(false))
print("  recording:", cam:recording())
for entry in nvr:each_log{ start_time = t0 - 1000, channel_id = { cam.channel_index },
                           sort_field = "time", dir = "ASC" } do
  print(("  log: %s %s %s"):format(entry.time, entry.user, entry.content))
end

local from = qvr.time.parse("-30m")
local to = from + 3 * 60000
print(("\nplayback %s %s .. %s"):format(cam.name, qvr.time.iso(from), qvr.time.iso(to)))
local path = out .. "/back_yard.h264"
local f = assert(io.open(path, "wb"))
local pb <close> = assert(cam:playback{ from = from, to = to, timecontrol = false })
local video, audio, bytes = 0, 0, 0
for frame in pb:frames() do
  if frame.media == "video" then
    frame:write(f)
    video, bytes = video + 1, bytes + frame.size
  else
    audio = audio + 1
  end
end
f:close()
print(("  %d video frames (%d bytes) and %d audio frames; video in %s"):format(video, bytes,
  audio, path))
print("\nfiles are in " .. out .. "/")
