-- The main job, end to end: list cameras, snapshot every camera, record a
-- short window on one, show the log entries it produced, and save a few
-- minutes of playback.  `bash tools/demo` runs it against the simulator.
local qvr = require "qvrpro"

local out = arg[1] or "qvr-demo"
os.execute("mkdir -p '" .. out .. "'")

local nvr <close> = assert(qvr.connect())   -- QVR_URL, QVR_PASSWORD or the config file, like `qvr`
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

local export = require "qvrpro.export"
local from = qvr.time.parse("-30m") // 1000 * 1000
local to = from + 3 * 60000

-- a progress bar on a terminal, a line every 25% otherwise
local function progress(name)
  local tty, shown = qvr.core.isatty(2), -1
  return function(p)
    local pct = math.floor(p.fraction * 100)
    if tty then
      local bar = math.floor(p.fraction * 30)
      io.stderr:write(("\r  %-4s [%s%s] %3d%% %6d frames %6.1f MB/s ETA %3ds"):format(name,
        ("#"):rep(bar), ("."):rep(30 - bar), pct, p.frames, p.rate / 1e6, math.floor(p.eta or 0)))
    elseif pct // 25 > shown then
      shown = pct // 25
      print(("  %s %3d%%  %d frames"):format(name, pct, p.frames))
    end
  end
end

print(("\nexporting %s %s .. %s"):format(cam.name, qvr.time.iso(from), qvr.time.iso(to)))
for _, ext in ipairs({ "mkv", "mp4" }) do
  local path = ("%s/back_yard.%s"):format(out, ext)
  local r = assert(export.run(nvr, cam, { from = from, to = to, path = path,
                                          progress = progress(ext) }))
  if qvr.core.isatty(2) then io.stderr:write("\n") end
  print(("  %s: %d frames (%d video, %d audio), %d bytes, %s .. %s%s"):format(r.path, r.frames,
    r.video_frames, r.audio_frames, r.bytes, qvr.time.iso(r.first_ts), qvr.time.iso(r.last_ts),
    (r.skipped and #r.skipped > 0) and (", left out: " .. table.concat(r.skipped, ", ")) or ""))
end
print("\nfiles are in " .. out .. "/")
