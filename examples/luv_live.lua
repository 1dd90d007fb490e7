-- qvrpro inside a luv (libuv) loop: a poll handle on qvrpro's loop
-- descriptor and a timer set from its timeout(); every wake-up runs one
-- non-blocking step() and takes the frames that are there with
-- qvr.each(list, {wait=false}).  Counts the frames of a few live streams.
--   lua5.4 examples/luv_live.lua [SECONDS]
local uv = require "luv"
local qvr = require "qvrpro"

local nvr <close> = assert(qvr.connect())   -- QVR_URL, QVR_PASSWORD or a config file, like `qvr`
local seconds = tonumber(arg[1]) or 3

local streams, counts = {}, {}
for _, cam in ipairs(assert(nvr:cameras { status = 1 })) do
  if (cam.frame_rate or 0) > 0 and #streams < 4 then
    local st = assert(cam:live())
    streams[#streams + 1] = st
    counts[st] = 0
  end
end

local loop = qvr.loop()
local frames = qvr.each(streams, { wait = false })
local poll, timer, stopper = uv.new_poll(loop:pollfd()), uv.new_timer(), uv.new_timer()
local wakeups, bytes = 0, 0

local function run()
  wakeups = wakeups + 1
  loop:step()                                    -- never waits
  for st, frame in frames do
    counts[st] = counts[st] + 1
    bytes = bytes + #frame
  end
  local t = loop:timeout()                       -- libcurl's timer, or nil
  timer:start(t and math.ceil(t * 1000) or 1000, 0, run)
end

poll:start("r", function(err)
  assert(not err, err)
  run()
end)
stopper:start(seconds * 1000, 0, function()       -- the program decides when to stop
  poll:stop()
  timer:stop()
end)
run()
uv.run()
for _, h in ipairs { poll, timer, stopper } do h:close() end
uv.run()

for _, st in ipairs(streams) do
  print(("%-40s %5d frames"):format(st.description, counts[st]))
  assert(counts[st] > 0, st.description .. ": no frame")
  st:close()
end
print(("%d wake-ups of the luv loop, %d bytes"):format(wakeups, bytes))
