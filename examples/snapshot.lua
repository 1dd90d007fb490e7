-- Save a snapshot of every connected camera into the current folder.
local qvr = require "qvrpro"

local nvr <close> = assert(qvr.connect())   -- QVR_URL, QVR_PASSWORD or a config file, like `qvr`
for _, cam in ipairs(assert(nvr:cameras{ status = 1 })) do
  local path = ("%s.jpg"):format(cam.name:gsub("%W", "_"))
  local ok, err = cam:snapshot{ path = path }
  print(ok and ("saved " .. path) or ("failed " .. cam.name .. ": " .. tostring(err)))
end
