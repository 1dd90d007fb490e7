--- qvr export
local args = require "qvrpro.cli.args"
local common = require "qvrpro.cli.common"

local FORMATS = { mkv = true, mp4 = true, h264 = true, ["264"] = true, jpg = true, jpeg = true,
                  qvr = true }

--- A progress line for exports on a terminal: fraction, rate and ETA.
local function progress_bar()
  local width = 30
  return function(p)
    local done = math.floor((p.fraction or 0) * width + 0.5)
    io.stderr:write(("\r[%s%s] %5.1f%%  %d frames  %.1f MB/s  ETA %s  "):format(
      ("#"):rep(done), ("."):rep(width - done), 100 * (p.fraction or 0), p.frames or 0,
      (p.rate or 0) / 1e6, p.eta and common.hms(p.eta * 1000) or "?"))
  end
end

local function iso(ms) return ms and require("qvrpro.time").iso(ms) or "?" end

--- The plain summary: what was written, and what is missing from it.
local function summary(r, out)
  local lines = {}
  if r.format == "jpg" then
    local base = out:match("^(.*)%.[^./]*$") or out
    lines[1] = ("%s-000001.jpg .. %s-%06d.jpg: %d images, %d bytes"):format(base, base,
      r.video_frames, r.video_frames, r.bytes or 0)
  else
    lines[1] = ("%s: %d frames (%d video, %d audio), %d bytes"):format(r.path, r.frames,
      r.video_frames or 0, r.audio_frames or 0, r.bytes or 0)
  end
  lines[#lines + 1] = ("  recording from %s to %s"):format(iso(r.first_ts), iso(r.last_ts))
  if r.partial then lines[#lines + 1] = "  partial: the recording ends before --to" end
  if r.transcoded then
    lines[#lines + 1] = ("  audio: %s transcoded to AAC (--audio copy keeps it as is in .mkv)")
      :format(r.transcoded)
  end
  for _, g in ipairs(r.gaps or {}) do
    lines[#lines + 1] = ("  gap: nothing recorded from %s to %s (%s)"):format(iso(g.from), iso(g.to),
      common.hms(g.to - g.from))
  end
  for _, c in ipairs(r.skipped or {}) do
    lines[#lines + 1] = ("  left out: %s audio (%s)"):format(c, r.format == "mp4"
      and "--audio none" or ("the " .. r.format .. " format cannot hold it; .mkv keeps it"))
  end
  return table.concat(lines, "\n")
end

return {
  summary = "export recorded video to .mkv .mp4 .h264 .jpg or .qvr",
  usage = [=[
usage: qvr export CAMERA --from TIME --to TIME --out PATH [--audio copy|aac|none]
                  [--resume] [--force] [--json]
Export recorded video of CAMERA to PATH: .mkv (every codec as is), .mp4 (H.264
video, AAC audio), .h264, .jpg (a numbered series PATH-000001.jpg ...) or .qvr
(lossless dump).  --audio: copy (as it came; default for .mkv), aac (G.711 and
G.726 transcoded to AAC; default for .mp4) or none.  TIME: ISO 8601 with an offset, a local time (08:00,
yesterday 22:00), relative (-2h, -1h30m), now, or ms since 1970.
The file is written as PATH.part and renamed when complete; --resume continues
a killed export of the same camera, range and format.  An existing PATH is kept
unless --force.  A progress bar is shown when stderr is a terminal.
]=],
  connects = true,
  args = { min = 1, max = 1 },
  flags = { from = "time", to = "time", out = "value", resume = "flag", quiet = "flag",
            force = "flag", audio = { values = { "copy", "aac", "none" } } },
  run = function(opts, argv, ctx)
    if not opts.from then args.usage("--from is missing") end
    if not opts.to then args.usage("--to is missing") end
    if not opts.out then args.usage("--out is missing") end
    if opts.from > opts.to then
      args.usage("--from (%s) is after --to (%s)", iso(opts.from), iso(opts.to))
    end
    local ext = (opts.out:match("%.([%w]+)$") or ""):lower()
    if not FORMATS[ext] then
      local list = { "mkv", "mp4", "h264", "jpg", "qvr" }
      args.usage("--out %s: unknown format %q: .mkv .mp4 .h264 .jpg or .qvr%s", opts.out, ext,
        args.suggestion(ext, list, "."))
    end
    if common.exists(opts.out) and not opts.force then
      args.die(("%s exists: pass --force to overwrite it"):format(opts.out))
    end
    if opts.force and opts.resume then
      io.stderr:write("qvr export: --force with --resume: an unfinished export of another "
        .. "camera, range or format is started afresh\n")
    end
    local nvr = ctx.connect()
    local tty = require("qvrpro.core").isatty(2) and not opts.quiet
    local r, eerr = require("qvrpro.export").run(nvr, common.camera_arg(argv[1]), {
      from = opts.from, to = opts.to, path = opts.out, resume = opts.resume, force = opts.force,
      audio = opts.audio,
      range_id = ctx.raw and (tostring(ctx.raw.from) .. " .. " .. tostring(ctx.raw.to)) or nil,
      progress = tty and progress_bar() or nil,
    })
    if tty then io.stderr:write("\n") end
    if not r then
      if type(eerr) == "table" and (eerr.name == "SEEK_NO_FILE" or eerr.name == "NO_FRAMES") then
        local tz = require "qvrpro.tz"
        args.die(("no recording of %s between %s and %s"):format(argv[1], tz.describe(opts.from),
          tz.describe(opts.to)), eerr)
      end
      common.fail_with(eerr, "export failed")
    end
    if opts.json then ctx.out_json(r) else print(summary(r, opts.out)) end
    return 0
  end,
}
