--- export_client: one export of tools/bench/export.lua, in a process of its
-- own: export.run of a recorded playback to a file, through the public API.
--
-- usage: QVR_URL=... lua5.4 tools/bench/export_client.lua CAMERA FROM TO PATH [REPEAT]
-- Prints "frames=N bytes=B secs=S cpu=C": wall and CPU (os.clock: user +
-- system of this process) of export.run, which ends with the file synced
-- and renamed, summed over REPEAT exports in a row (1 by default; frames
-- and bytes are one export's).
local qvr = require "qvrpro"
local export = require "qvrpro.export"
local B = require "benchlib"

local cam, from, to, path = arg[1], math.tointeger(tonumber(arg[2])),
  math.tointeger(tonumber(arg[3])), arg[4]
local repeats = math.tointeger(tonumber(arg[5])) or 1
assert(cam and from and to and path, "usage: export_client.lua CAMERA FROM TO PATH [REPEAT]")
local nvr = assert(qvr.connect(assert(os.getenv("QVR_URL"))))
local secs, cpu, r = 0, 0, nil
for _ = 1, repeats do
  os.remove(path)
  local t0, c0 = B.wall(), B.cpu()
  r = assert(export.run(nvr, cam, { from = from, to = to, path = path, start = "exact" }))
  secs, cpu = secs + B.wall() - t0, cpu + B.cpu() - c0
end
io.stdout:write(("frames=%d bytes=%d secs=%.6f cpu=%.6f\n"):format(r.frames, r.bytes, secs, cpu))
nvr:close()
