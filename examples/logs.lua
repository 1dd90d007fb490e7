-- Print the warnings and errors of the last 6 hours, oldest first.
local qvr = require "qvrpro"

local nvr <close> = assert(qvr.connect())   -- QVR_URL, QVR_PASSWORD or a config file, like `qvr`
local n = 0
for entry in nvr:each_log{ level = { 1, 2 }, start_time = "-6h", sort_field = "time", dir = "ASC" } do
  n = n + 1
  if n <= 20 then print(entry.time, ({ "INFO", "WARN", "ERROR" })[entry.level + 1], entry.content) end
end
print(n .. " entries")
