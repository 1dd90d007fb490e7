--- qvr snapshot
local args = require "qvrpro.cli.args"
local common = require "qvrpro.cli.common"

local FIELDS = { camera = true, channel = true, guid = true, round = true, ms = true }

return {
  summary = "save snapshots of cameras",
  usage = [=[
usage: qvr snapshot [CAMERA...] [--dir DIR] [--name PATTERN] [--every DURATION]
                    [--count N] [--stream-id N] [--json]
Save snapshots of the cameras (all connected ones when none is named) into DIR
(default .), named by PATTERN (default {camera}-%Y%m%d-%H%M%S.jpg: strftime
fields in the local zone, {camera} {guid} {channel} {round}; names are made
safe for files), COUNT rounds (default 1) EVERY apart (default 60s; 90s, 5m).
]=],
  connects = true,
  flags = { dir = "value", name = "value", every = "duration", count = { kind = "int", min = 1 },
            stream_id = { kind = "int", min = 0 } },
  run = function(opts, argv, ctx)
    local name = opts.name or "{camera}-%Y%m%d-%H%M%S.jpg"
    local ok, perr = require("qvrpro.path").check(name, FIELDS)
    if not ok then args.usage("--name: %s", perr) end
    local nvr = ctx.connect()
    local cams
    if #argv > 0 then
      cams = {}
      for i, a in ipairs(argv) do cams[i] = common.camera_arg(a) end
    end
    local r, serr = require("qvrpro.snapshot").capture(nvr, {
      cameras = cams, dir = opts.dir or ".", name = name,
      every = (opts.every or 60000) / 1000, count = opts.count or 1,
      stream_id = opts.stream_id, index = false,
      on_file = not opts.json and function(path) print(path) end or nil,
      on_error = function(cam, e)
        io.stderr:write("qvr snapshot: ", cam.name, ": ", cam.connected == false
          and ("camera is offline (%s)"):format(tostring(e)) or tostring(e), "\n")
      end,
    })
    if not r then common.fail_with(serr, "no snapshots") end
    if opts.json then ctx.out_json(r) end
    return #r.failures == 0 and 0 or 1
  end,
}
