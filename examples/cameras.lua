-- List the NVR's cameras with their state.
-- QVR_URL=http://admin:secret@192.168.1.10:8080 lua5.4 examples/cameras.lua
local qvr = require "qvrpro"

local nvr = assert(qvr.connect())   -- QVR_URL, QVR_PASSWORD or a config file, like `qvr`
for _, cam in ipairs(assert(nvr:cameras{ rec_days = true })) do
  print(("%2d  %-12s %-9s %-14s %s %s fps, %d days recorded"):format(cam.channel_index, cam.name,
    cam.connected and "online" or "offline", cam.rec_state, cam.video_codec_setting or "?",
    cam.frame_rate, cam.normal_rec_days or 0))
end
nvr:close()
