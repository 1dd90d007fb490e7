-- Save a snapshot of every connected camera into the current folder.
local qvr = require "qvrpro"

local nvr <close> = assert(qvr.connect(os.getenv("QVR_URL") or "http://admin:admin@127.0.0.1:8080"))
for _, cam in ipairs(assert(nvr:cameras{ status = 1 })) do
  local path = ("%s.jpg"):format(cam.name:gsub("%W", "_"))
  local ok, err = cam:snapshot{ path = path }
  print(ok and ("saved " .. path) or ("failed " .. cam.name .. ": " .. tostring(err)))
end
