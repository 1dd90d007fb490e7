-- CPU load of the NVR and whether each camera is recording.
local qvr = require "qvrpro"

local nvr <close> = assert(qvr.connect())   -- QVR_URL, QVR_PASSWORD or a config file, like `qvr`
print(("NVR CPU: %d%%"):format(assert(nvr:cpu())))
for _, cam in ipairs(assert(nvr:cameras())) do
  -- recording() answers true or false, or nil, err: `assert` would trip on false
  local on, err = cam:recording(0)
  print(("%-12s recording: %s"):format(cam.name, on == nil and tostring(err) or tostring(on)))
end
