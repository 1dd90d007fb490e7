--- qvr snapshot
local args = require "qvrpro.cli.args"
local common = require "qvrpro.cli.common"

local FIELDS = { camera = true, channel = true, guid = true, round = true, ms = true }

-- --at: the recorded picture of each named camera at one time
local function recorded(opts, argv, ctx, name)
  local snap = require "qvrpro.snapshot"
  local nvr = ctx.connect()
  local dir = opts.dir or "."
  require("qvrpro.core").mkdir_p(dir)
  local files, failed = {}, 0
  for _, a in ipairs(argv) do
    local cam, cerr = nvr:camera(common.camera_arg(a))
    if not cam then common.fail_with(cerr) end
    local path = dir .. "/" .. snap.file_name(name, cam, opts.at, 1)
    local written, err = nvr:snapshot(cam, { at = opts.at, path = path })
    if written then
      files[#files + 1] = written
      if not opts.json then print(written) end
    else
      failed = failed + 1
      io.stderr:write("qvr snapshot: ", cam.name, ": ", tostring(err), "\n")
    end
  end
  if opts.json then ctx.out_json({ files = files, failed = failed }) end
  if #files == 0 then args.die("no snapshots") end
  return failed == 0 and 0 or 1
end

return {
  summary = "save snapshots of cameras",
  usage = [=[
usage: qvr snapshot [CAMERA...] [--dir DIR] [--name PATTERN] [--every DURATION]
                    [--count N] [--stream-id N] [--at TIME] [--json]
Save snapshots of the cameras (all connected ones when none is named) into DIR
(default .), named by PATTERN (default {camera}-%Y%m%d-%H%M%S.jpg: strftime
fields in the local zone, {camera} {guid} {channel} {round}; names are made
safe for files), COUNT rounds (default 1) EVERY apart (default 60s; 90s, 5m).
--at TIME saves the picture RECORDED at that time (2026-11-24T08:00:00+01:00,
08:00, -1h30m, ms since 1970) of each named CAMERA instead, named for TIME.
]=],
  connects = true,
  flags = { dir = "value", name = "value", every = "duration", count = { kind = "int", min = 1 },
            stream_id = { kind = "int", min = 0 }, at = "time" },
  run = function(opts, argv, ctx)
    local name = opts.name or "{camera}-%Y%m%d-%H%M%S.jpg"
    local ok, perr = require("qvrpro.path").check(name, FIELDS)
    if not ok then args.usage("--name: %s", perr) end
    if opts.at then
      if #argv == 0 then args.usage("--at needs the CAMERA(s) to take the picture of") end
      for _, k in ipairs({ "every", "count", "stream_id" }) do
        if opts[k] then args.usage("--at does not go with --%s", k:gsub("_", "-")) end
      end
      return recorded(opts, argv, ctx, name)
    end
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
