-- Watch a live stream for a few seconds and print what arrives.
local qvr = require "qvrpro"

local nvr <close> = assert(qvr.connect())   -- QVR_URL, QVR_PASSWORD or a config file, like `qvr`
local live <close> = assert(nvr:live(arg[1] or "Front Door", { stream_id = 0 }))
local deadline = qvr.time.now() + 1000 * (tonumber(arg[2]) or 3)
local counts = {}
for frame in live:frames() do
  counts[frame.codec] = (counts[frame.codec] or 0) + 1
  if frame.key then print(frame) end
  if qvr.time.now() > deadline then break end
end
for codec, n in pairs(counts) do print(codec, n .. " frames") end
