--- qvr clip: an MP4 of a camera's recording cut by the NVR (REST recordingfile).
local common = require "qvrpro.cli.common"
local args = require "qvrpro.cli.args"

return {
  summary = "save an MP4 of a recorded range, cut by the NVR itself",
  usage = [=[
usage: qvr clip CAMERA --from TIME --to TIME --out FILE.mp4 [--stream N] [--json]
Ask the NVR for the recording of CAMERA (name, guid or channel) between --from
and --to (2026-11-24T08:00:00+01:00, 08:00, -1h30m, now, ms since 1970) and
write it to FILE as one MP4.  The NVR hands out one recording file at a time:
the pieces are fetched minute by minute and joined.  An NVR without
recordingfile gets an export of the playback instead.  The clip starts at the
key frame at or before --from.
]=],
  connects = true,
  args = { min = 1, max = 1 },
  flags = { from = "time", to = "time", out = "file", stream = { kind = "int", min = 0, max = 3 } },
  run = function(opts, argv, ctx)
    if not opts.from then args.usage("--from is missing") end
    if not opts.to then args.usage("--to is missing") end
    if not opts.out then args.usage("--out is missing") end
    if opts.to <= opts.from then args.usage("--to must be after --from") end
    if not opts.out:lower():match("%.mp4$") then args.usage("--out %s: the clip is an .mp4", opts.out) end
    local nvr = ctx.connect()
    local cam, cerr = nvr:camera(common.camera_arg(argv[1]))
    if not cam then common.fail_with(cerr) end
    local r, err = cam:clip({ from = opts.from, to = opts.to, path = opts.out, stream = opts.stream })
    if not r then common.fail_with(err, ("no clip of %s"):format(cam.name)) end
    if opts.json then
      ctx.out_json(r)
    else
      local qtime = require "qvrpro.time"
      print(("%s: %s .. %s, %d bytes%s"):format(r.path, r.from and qtime.iso(r.from) or "?",
        r.to and qtime.iso(r.to) or "?", r.bytes or 0, #r.gaps > 0 and
        (", %d gap(s) without recording"):format(#r.gaps) or ""))
    end
    return r.partial and 1 or 0
  end,
}
