-- Play back one minute of recording from an hour ago into a raw .h264 file.
local qvr = require "qvrpro"

local nvr <close> = assert(qvr.connect())   -- QVR_URL, QVR_PASSWORD or a config file, like `qvr`
local t0 = qvr.time.parse("-65m")
local pb <close> = assert(nvr:playback(arg[1] or "Back Yard",
  { from = t0, to = t0 + 60000, timecontrol = false }))
local out = assert(io.open("playback.h264", "wb"))
local video, audio, first, last = 0, 0, nil, nil
for frame in pb:frames() do
  if frame.media == "video" then
    frame:write(out)
    video = video + 1
  else
    audio = audio + 1
  end
  first = first or frame.timestamp
  last = frame.timestamp
end
out:close()
print(("%d video and %d audio frames from %s to %s into playback.h264"):format(video, audio,
  qvr.time.iso(first), qvr.time.iso(last)))
