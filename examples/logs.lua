-- Print the warnings and errors of the last 6 hours, oldest first.
local qvr = require "qvrpro"

local nvr <close> = assert(qvr.connect(os.getenv("QVR_URL") or "http://admin:admin@127.0.0.1:8080"))
local n = 0
for entry in nvr:each_log{ level = { 1, 2 }, start_time = "-6h", sort_field = "time", dir = "ASC" } do
  n = n + 1
  if n <= 20 then print(entry.time, ({ "INFO", "WARN", "ERROR" })[entry.level + 1], entry.content) end
end
print(n .. " entries")
