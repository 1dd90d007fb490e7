--- frames_client: one client run of tools/bench/frames.lua, in a process of
-- its own (so that two builds of qvrpro can alternate in one run).
--
-- usage: QVR_URL=... lua5.4 tools/bench/frames_client.lua MODE CAMERA FROM TO
-- MODE: frames   for f in pb:frames() do f:write(devnull) end
--       write_to pb:write_to(devnull) (no Lua frame at all)
-- Prints "bytes=B frames=N secs=S cpu=C": wall and CPU (os.clock: user +
-- system of this process) from opening the `get` (pb:frames() or
-- pb:write_to(), which send `play` first) to the end of the loop.
local qvr = require "qvrpro"
local B = require "benchlib"

local mode, cam, from, to = arg[1], arg[2], math.tointeger(tonumber(arg[3])),
  math.tointeger(tonumber(arg[4]))
assert(mode and cam and from and to, "usage: frames_client.lua MODE CAMERA FROM TO")
local nvr = assert(qvr.connect(assert(os.getenv("QVR_URL"))))
local pb = assert(nvr:playback(cam, { from = from, to = to, timecontrol = false }))
local devnull = assert(io.open("/dev/null", "wb"))
local frames = 0
local t0, c0 = B.wall(), B.cpu()
if mode == "frames" then
  for f in pb:frames() do
    f:write(devnull)
    frames = frames + 1
  end
elseif mode == "write_to" then
  frames = assert(pb:write_to(devnull))
else
  error("unknown mode " .. mode)
end
local secs, cpu = B.wall() - t0, B.cpu() - c0
io.stdout:write(("bytes=%d frames=%d secs=%.6f cpu=%.6f\n"):format(pb.transfer.bytes, frames,
  secs, cpu))
pb:close()
nvr:close()
