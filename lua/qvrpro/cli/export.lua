--- qvr export: recorded video of one or more cameras, by range or by day,
-- one file per camera and period, named by a pattern (qvrpro.path).
local args = require "qvrpro.cli.args"
local common = require "qvrpro.cli.common"

local FORMATS = { mkv = true, mp4 = true, h264 = true, ["264"] = true, jpg = true, jpeg = true,
                  qvr = true }
local DEFAULT_PATTERN = "{camera}/%Y-%m-%d/{camera}-%Y%m%d-%H%M%S.mkv"
local PROGRESS_EVERY_MS = 10000    -- a progress line this often when stderr is not a terminal

local function qtime() return require "qvrpro.time" end
local function tz() return require "qvrpro.tz" end
local function iso(ms) return ms and qtime().iso(ms) or "?" end

-- ---------------------------------------------------------------------------
-- the jobs: cameras x periods

--- [from, to] split at local hour or day boundaries of zone.
local function periods(from, to, split, zone)
  if not split then return { { from = from, to = to } } end
  local localtime = require "qvrpro.localtime"
  local out, t = {}, from
  while t <= to do
    local f = tz().fields(t, zone)
    local next_t
    if split == "day" then
      next_t = localtime.day_start(t, zone, -1)
    else
      next_t = t - ((f.min * 60 + f.sec) * 1000 + f.ms) + 3600000
    end
    out[#out + 1] = { from = t, to = math.min(to, next_t - 1) }
    t = next_t
  end
  return out
end

--- The range of the flags: --from/--to, --today, --yesterday or --days N.
local function range(opts, zone, now)
  local localtime = require "qvrpro.localtime"
  local picked = {}
  for _, k in ipairs({ "today", "yesterday", "days" }) do
    if opts[k] then picked[#picked + 1] = "--" .. k end
  end
  if opts.from then picked[#picked + 1] = "--from" end
  if #picked > 1 then args.usage("%s and %s do not go together", picked[1], picked[2]) end
  local midnight = localtime.day_start(now, zone, 0)
  if opts.today then return midnight, opts.to or now end
  if opts.yesterday then return localtime.day_start(now, zone, 1), midnight - 1 end
  if opts.days then return localtime.day_start(now, zone, opts.days), midnight - 1 end
  if not opts.from then args.usage("--from is missing (or --today, --yesterday, --days N)") end
  if not opts.to then args.usage("--to is missing") end
  return opts.from, opts.to
end

local function check_pattern(out, ncams, nperiods)
  local path = require "qvrpro.path"
  local known = { camera = true, guid = true, channel = true }
  local ok, err = path.check(out, known)
  if not ok then args.usage("--out: %s", err) end
  if ncams > 1 and not out:find("{camera}", 1, true) and not out:find("{guid}", 1, true)
     and not out:find("{channel}", 1, true) then
    args.usage("--out %s: several cameras need {camera} (or {guid}) in the name", out)
  end
  if nperiods > 1 and not out:find("%%[YmdHjsFT]") then
    args.usage("--out %s: --split needs time fields in the name (e.g. %%Y-%%m-%%d/%%H)", out)
  end
  local ext = (out:match("%.([%w]+)$") or ""):lower()
  if not FORMATS[ext] then
    local list = { "mkv", "mp4", "h264", "jpg", "qvr" }
    args.usage("--out %s: unknown format %q: .mkv .mp4 .h264 .jpg or .qvr%s", out, ext,
      args.suggestion(ext, list, "."))
  end
end

-- ---------------------------------------------------------------------------
-- progress and summary

--- Progress: recorded time reached, speed as a multiple of real time, ETA.
local function progress_printer(label, from, to, zone, tty, every)
  local core = require "qvrpro.core"
  local started = core.now_ms()
  local last = started
  return function(p)
    local now = core.now_ms()
    if not tty and p.fraction < 1 and now - last < every then return end
    if not tty and p.fraction >= 1 then return end
    last = now
    local reached = p.timestamp or from
    local elapsed = math.max(1, now - started)
    local speed = (reached - from) / elapsed
    local eta = (speed > 0 and p.fraction < 1) and (to - reached) / speed or nil
    local line = ("%s  %s  %5.1f%%  %s  %.1fx real time  ETA %s"):format(label,
      tz().format("%Y-%m-%d %H:%M:%S", reached, zone), 100 * (p.fraction or 0),
      ("%d frames"):format(p.frames or 0), speed, eta and common.hms(eta) or "-:--:--")
    if tty then
      local width = 20
      local done = math.floor((p.fraction or 0) * width + 0.5)
      io.stderr:write("\r[", ("#"):rep(done), ("."):rep(width - done), "] ", line, "  ")
    else
      io.stderr:write(line, "\n")
    end
  end
end

local function summary_lines(r)
  local lines = {}
  if r.format == "jpg" then
    local base = r.path:match("^(.*)%.[^./]*$") or r.path
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
  return lines
end

--- The table of a run with several files: camera, start, frames, duration, gaps, file.
local function table_lines(rows, zone)
  local out = { ("%-16s %-16s %8s %9s %5s  %s"):format("CAMERA", "FROM", "FRAMES", "DURATION",
    "GAPS", "FILE") }
  for _, row in ipairs(rows) do
    local r = row.result
    out[#out + 1] = ("%-16s %-16s %8s %9s %5s  %s"):format(row.camera:sub(1, 16),
      tz().format("%Y-%m-%d %H:%M", row.from, zone), r and r.frames or "-",
      r and r.first_ts and common.hms(r.last_ts - r.first_ts) or "-",
      r and #r.gaps or "-", r and r.path or ("FAILED: " .. tostring(row.error)))
  end
  return out
end

-- ---------------------------------------------------------------------------

local function camera_list(nvr, opts, argv)
  if opts.all then
    if #argv > 0 then args.usage("--all and camera names do not go together") end
    local cams, err = nvr:cameras()
    if not cams then common.fail_with(err, "cannot list the cameras") end
    return cams
  end
  local list = {}
  for _, a in ipairs(argv) do
    local cam, err = nvr:camera(common.camera_arg(a))
    if not cam then common.fail_with(err) end
    list[#list + 1] = cam
  end
  return list
end

local function export_one(nvr, job, opts, ctx)
  local r, eerr = require("qvrpro.export").run(nvr, job.cam, {
    from = job.from, to = job.to, path = job.path, resume = opts.resume, force = opts.force,
    audio = opts.audio, start = opts.exact and "exact" or "key",
    -- the range as typed (so "-1h" resumed later continues the first run's range);
    -- --today/--yesterday/--days and --split compare the absolute range
    range_id = (ctx.raw and ctx.raw.from and not opts.split)
      and (ctx.raw.from .. " .. " .. tostring(ctx.raw.to)) or nil,
    progress = job.progress,
  })
  if not r and type(eerr) == "table" and (eerr.name == "SEEK_NO_FILE" or eerr.name == "NO_FRAMES") then
    eerr = setmetatable({ name = "NO_FRAMES", message = ("no recording of %s between %s and %s")
      :format(job.cam.name, tz().describe(job.from, job.zone), tz().describe(job.to, job.zone)) },
      { __tostring = function(e) return e.message end })
  end
  return r, eerr
end

return {
  summary = "export recorded video to .mkv .mp4 .h264 .jpg or .qvr",
  usage = [=[
usage: qvr export CAMERA... | --all  (--from TIME --to TIME | --today | --yesterday | --days N)
                  --out PATH|PATTERN|DIR/ [--split hour|day] [--exact] [--audio copy|aac|none]
                  [--zone ZONE] [--resume] [--force] [--progress-every DURATION]
                  [--dry-run] [--json]
Export recorded video of one or more cameras (--all: every camera) to files:
.mkv (every codec as is), .mp4 (H.264 video, AAC audio), .h264, .jpg (a numbered
series PATH-000001.jpg ...) or .qvr (lossless dump).
TIME: ISO 8601 with an offset, a local time (08:00, yesterday 22:00,
2026-11-24 08:00), relative (-2h, -1h30m), now, or ms since 1970.  --today,
--yesterday and --days N (the N whole days before today) are local days.
--out names each file: strftime fields of its start (%Y %m %d %H %M %S ...) and
{camera} {guid} {channel}.  Times of day, days and names are in the NVR's zone
(its log entries name it; else the local zone), or --zone (e.g. Europe/Berlin).
A folder (ending in /) gets the pattern
  {camera}/%Y-%m-%d/{camera}-%Y%m%d-%H%M%S.mkv
--split hour|day writes one file per local hour or day.  Files start at the key
frame at or before the start, so the first second plays (--exact: exactly at
it).  --audio: copy (default for .mkv), aac (G.711/G.726 transcoded; default for
.mp4) or none.  Each file is written as PATH.part and renamed when complete;
--resume continues a killed export of the same camera, range and format; an
existing file is kept unless --force.  Progress: a line on a terminal, else one
line every 10s (--progress-every).  With several files a table sums them up.
--dry-run lists the files and ranges without exporting.
]=],
  connects = true,
  flags = { from = "time", to = "time", out = "value", resume = "flag", quiet = "flag",
            force = "flag", audio = { values = { "copy", "aac", "none" } }, all = "flag",
            today = "flag", yesterday = "flag", days = { kind = "int", min = 1, max = 366 },
            split = { values = { "hour", "day" } }, exact = "flag", zone = "value",
            progress_every = "duration", dry_run = "flag" },
  run = function(opts, argv, ctx)
    local zone
    if opts.zone then
      local z, zerr = tz().get(opts.zone)
      if not z then args.usage("--zone %s: %s", opts.zone, zerr) end
      zone = z
    end
    if #argv == 0 and not opts.all then args.usage("name a camera (or several, or --all)") end
    if not opts.out then args.usage("--out is missing") end
    local out = opts.out
    if out:sub(-1) == "/" then out = out .. DEFAULT_PATTERN end
    -- the range and its files in a zone (times of day are read in it: the
    -- flags were read before it was known)
    local from, to, spans
    local function plan(z)
      if ctx.raw then
        for _, k in ipairs({ "from", "to" }) do
          if ctx.raw[k] then opts[k] = args.value(k, "time", ctx.raw[k], { zone = z }) end
        end
      end
      from, to = range(opts, z, qtime().now())
      if from > to then args.usage("--from (%s) is after --to (%s)", iso(from), iso(to)) end
      spans = periods(from, to, opts.split, z)
      check_pattern(out, opts.all and 2 or #argv, #spans)
    end
    plan(zone)                      -- every usage error before connecting
    local nvr = ctx.connect()
    if not zone then                -- the NVR's zone, when it says (log entries carry it)
      zone = common.nvr_zone(nvr)
      if zone then plan(zone) end
    end
    local cams = camera_list(nvr, opts, argv)
    local path = require "qvrpro.path"
    local jobs, seen = {}, {}
    for _, cam in ipairs(cams) do
      for _, span in ipairs(spans) do
        local p = assert(path.expand(out, span.from, zone,
          { camera = cam.name, guid = cam.guid, channel = cam.channel_index }))
        if seen[p] then args.usage("--out %s names two files %s: add {camera} or time fields", out, p) end
        seen[p] = true
        if common.exists(p) and not opts.force then
          args.die(("%s exists: pass --force to overwrite it"):format(p))
        end
        jobs[#jobs + 1] = { cam = cam, from = span.from, to = span.to, path = p, zone = zone }
      end
    end
    if opts.dry_run then
      for _, job in ipairs(jobs) do
        if opts.json then
          ctx.out_json({ camera = job.cam.name, from = job.from, to = job.to, path = job.path })
        else
          print(("%s  %s .. %s  %s"):format(job.cam.name, tz().describe(job.from, zone),
            tz().describe(job.to, zone), job.path))
        end
      end
      return 0
    end
    local core = require "qvrpro.core"
    local tty = core.isatty(2) and not opts.quiet
    local every = opts.progress_every or PROGRESS_EVERY_MS
    local rows, failed = {}, 0
    for _, job in ipairs(jobs) do
      local ok, merr = core.mkdir_p(path.dirname(job.path))
      if not ok then common.fail_with(merr, "cannot make the folder for " .. job.path) end
      if not opts.quiet then
        job.progress = progress_printer(#jobs > 1 and job.cam.name or "export", job.from, job.to,
          zone, tty, every)
      end
      local r, eerr = export_one(nvr, job, opts, ctx)
      if tty and job.progress then io.stderr:write("\n") end
      rows[#rows + 1] = { camera = job.cam.name, from = job.from, result = r, error = eerr }
      if not r then
        failed = failed + 1
        if #jobs == 1 then
          if getmetatable(eerr) and eerr.name == "NO_FRAMES" then args.die(tostring(eerr), eerr) end
          common.fail_with(eerr, "export failed")
        end
        io.stderr:write(("qvr export: %s %s: %s\n"):format(job.cam.name, iso(job.from), tostring(eerr)))
      end
    end
    if opts.json then
      if #jobs == 1 then ctx.out_json(rows[1].result)
      else
        local list = {}
        for i, row in ipairs(rows) do
          list[i] = { camera = row.camera, from = row.from, result = row.result,
                      error = row.error and tostring(row.error) or nil }
        end
        ctx.out_json(list)
      end
    else
      if #jobs == 1 then print(table.concat(summary_lines(rows[1].result), "\n"))
      else
        for _, row in ipairs(rows) do
          if row.result then print(table.concat(summary_lines(row.result), "\n")) end
        end
        print(table.concat(table_lines(rows, zone), "\n"))
      end
    end
    if failed > 0 then args.die(("%d of %d export(s) failed"):format(failed, #jobs)) end
    return 0
  end,
}
