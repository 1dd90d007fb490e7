--- frames_client: one client run of tools/bench/frames.lua, in a process of
-- its own (so that two builds of qvrpro can alternate in one run).
--
-- usage: QVR_URL=... lua5.4 tools/bench/frames_client.lua MODE CAMERA FROM TO [REPEAT]
-- MODE: frames   for f in pb:frames() do f:write(devnull) end
--       frames_gen  the same after collectgarbage("generational") (the
--                collector a script reading owned frames at full speed may pick)
--       view     the same with pb:frames{view = true} (one frame object, refilled)
--       write_to pb:write_to(devnull) (no Lua frame at all)
-- Prints "bytes=B frames=N secs=S cpu=C": wall and CPU (os.clock: user +
-- system of this process) from opening the `get` on a new connection
-- (pb:frames() or pb:write_to(); `play` is sent before the clocks start, as
-- tools/bench/frames.lua does for curl) to the end of the loop, summed over
-- REPEAT playbacks in a row (1 by default).
local qvr = require "qvrpro"
local B = require "benchlib"

local mode, cam, from, to = arg[1], arg[2], math.tointeger(tonumber(arg[3])),
  math.tointeger(tonumber(arg[4]))
local repeats = math.tointeger(tonumber(arg[5])) or 1
assert(mode and cam and from and to, "usage: frames_client.lua MODE CAMERA FROM TO [REPEAT]")
if mode == "frames_gen" then
  collectgarbage("generational")
  mode = "frames"
end
local nvr = assert(qvr.connect(assert(os.getenv("QVR_URL"))))
local devnull = assert(io.open("/dev/null", "wb"))
local bytes, frames, secs, cpu = 0, 0, 0, 0
for _ = 1, repeats do
  local pb = assert(nvr:playback(cam, { from = from, to = to, timecontrol = false }))
  assert(pb:play())
  local t0, c0 = B.wall(), B.cpu()
  if mode == "frames" then
    for f in pb:frames() do
      f:write(devnull)
      frames = frames + 1
    end
  elseif mode == "view" then
    for f in pb:frames { view = true } do
      f:write(devnull)
      frames = frames + 1
    end
  elseif mode == "write_to" then
    frames = frames + assert(pb:write_to(devnull))
  else
    error("unknown mode " .. mode)
  end
  secs, cpu = secs + B.wall() - t0, cpu + B.cpu() - c0
  bytes = bytes + pb.transfer.bytes
  pb:close()
end
io.stdout:write(("bytes=%d frames=%d secs=%.6f cpu=%.6f\n"):format(bytes, frames, secs, cpu))
nvr:close()
