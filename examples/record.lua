-- Record one camera manually for a few seconds, then show the log entries.
local qvr = require "qvrpro"

local nvr <close> = assert(qvr.connect())   -- QVR_URL, QVR_PASSWORD or a config file, like `qvr`
local cam = assert(nvr:camera(arg[1] or "Back Yard"))
local t0 = qvr.time.now()
assert(cam:record(true))
print(cam.name, "recording:", cam:recording())
qvr.core.sleep(tonumber(arg[2]) or 2)
assert(cam:record(false))
print(cam.name, "recording:", cam:recording())
for entry in nvr:each_log{ start_time = t0 - 1000, channel_id = { cam.channel_index },
                           sort_field = "time", dir = "ASC" } do
  print(entry.time, entry.user, entry.content)
end
