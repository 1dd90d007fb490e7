-- qvrpro inside a cqueues controller: one coroutine per live stream and one
-- for a playback, each reading with try_read() and waiting with
-- cqueues.poll(obj) on qvrpro's loop (pollfd/events/timeout), next to the
-- program's own work (a ticker).  Counts the frames of each.
--   lua5.4 examples/cqueues_live.lua [SECONDS]
local cqueues = require "cqueues"
local qvr = require "qvrpro"

local nvr <close> = assert(qvr.connect())   -- QVR_URL, QVR_PASSWORD or a config file, like `qvr`
local seconds = tonumber(arg[1]) or 3
local stop_at = qvr.core.monotonic_ms() + seconds * 1000
local cq = cqueues.new()
local counts = {}

-- reads obj until it ends or the time is up; polls the loop while nothing is there
local function pump(name, obj)
  counts[name] = 0
  cq:wrap(function()
    while qvr.core.monotonic_ms() < stop_at do
      local frame, err = obj:try_read()
      if frame then
        counts[name] = counts[name] + 1
      elseif frame == false then
        cqueues.poll(obj, 0.5)
      else
        assert(not err, err)
        break                                 -- the end (a playback reached `to`)
      end
    end
    obj:close()
  end)
end

local cams = {}
for _, cam in ipairs(assert(nvr:cameras { status = 1 })) do
  if (cam.frame_rate or 0) > 0 then cams[#cams + 1] = cam end
end
for i = 1, math.min(3, #cams) do pump("live " .. cams[i].name, assert(cams[i]:live())) end
local hour_ago = qvr.time.now() - 3600 * 1000
pump("playback " .. cams[1].name,
  assert(cams[1]:playback { from = hour_ago, to = hour_ago + 2000, timecontrol = false }))

local ticks = 0
cq:wrap(function()              -- the program's own work on the same controller
  while qvr.core.monotonic_ms() < stop_at do ticks = ticks + 1 cqueues.sleep(0.25) end
end)

assert(cq:loop())
local names = {}
for name in pairs(counts) do names[#names + 1] = name end
table.sort(names)
for _, name in ipairs(names) do
  print(("%-30s %5d frames"):format(name, counts[name]))
  assert(counts[name] > 0, name .. ": no frame")
end
print(("ticker: %d ticks"):format(ticks))
