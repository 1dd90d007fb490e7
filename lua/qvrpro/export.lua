--- qvrpro.export: a playback range of one camera into a file.
--
--   local export = require "qvrpro.export"
--   local r = assert(export.run(nvr, "Front Door", { from = t0, to = t1, path = "door.mkv",
--                                                    progress = print, resume = true }))
--
-- Formats, by the path's extension (or opts.format):
--   .mkv   Matroska, every codec as it came (H.264, MPEG-4, MJPEG; AAC, G.711, G.726, PCM)
--   .mp4   fragmented MP4: H.264/MPEG-4 video, AAC audio; G.711, G.726 and PCM
--          audio is transcoded to AAC (libavcodec; r.transcoded names the
--          codec); other video fails with UNSUPPORTED_CODEC
-- opts.audio: "copy" (as it came; the default for .mkv), "aac" (G.711/G.726/
-- PCM transcoded to AAC; the default for .mp4), "none" (left out, r.skipped).
--   .h264  raw Annex B H.264 video (audio left out, r.skipped)
--   .jpg   a numbered series of the NVR's JPEG images of the key frames (qplay
--          data_type 0): "snaps/door.jpg" gives snaps/door-000001.jpg, -000002, ...
--   .qvr   the lossless dump (qvrpro.open_dump reads it)
-- Each format is a sink beside the muxer: qvrpro.sink.container (mkv, mp4
-- through qvrpro.mux), .h264, .jpeg and .dump; this module is the job.
--
-- Frames are trimmed exactly to [from, to] (both inclusive, like the NVR's
-- playback), or with start = "key" from the video key frame at or before
-- `from` (looked for up to opts.key_lookback, 10 s, earlier), so the first
-- second plays; r.first_ts says where the file starts.  Playback runs with
-- time control off.  Everything is written
-- to path .. ".part" (for .jpg: the folder path .. ".part/"), synced and
-- renamed only when complete; a failure returns nil, err and keeps it.
--
-- Resume (docs/API.md lists the journal of each format): .mkv (audio not
-- transcoded), .h264 and .jpg keep an index journal, path .. ".part.idx"
-- (qvrpro.sink.journal), of sync points: what the output holds up to a point
-- (for .mkv the end of a whole cluster, csrc/media/mux.c) and the job's state
-- there; resume = true cuts the output back to the last one and continues
-- the playback from there, dropping the frames it holds.  .mkv frames go
-- from the stream to the muxer in C (mux.export_loop), Lua getting control
-- back between slices.  .mp4 (and .mkv with audio = "aac"), whose muxer or
-- encoder cannot be continued from a cut file, journal every frame into
-- path .. ".part.qvr" and rebuild the .part from its complete records (the
-- output is a pure function of the frame sequence); .qvr's .part is the
-- dump itself.  Either way the result is the file an uninterrupted export
-- writes.  Only the same job is continued: same camera, format and range
-- (or the same opts.range_id, e.g. the range as the user typed it, so a
-- relative "-1h" resumed later continues the original range); another job
-- fails with RESUME_MISMATCH and keeps the journal, unless force = true,
-- which starts afresh.
--
-- Result: path, format, frames, video_frames, audio_frames, first_ts, last_ts,
-- bytes, gaps ({from, to}: holes over twice the frame interval), partial (the
-- server ended the playback, by an empty `get` or by closing the session,
-- with the last frame more than two frame intervals before `to`: the
-- recording ends before `to`; never because a response ended, since the
-- playback continues over as many `get`s as it takes), skipped (codecs left
-- out), resumed.
-- progress(p) is called at most 4 times a second with p.fraction (by
-- recorded time), p.frames, p.bytes, p.rate (bytes/s), p.eta (s), p.timestamp.
local core = require "qvrpro.core"
local files = require "qvrpro.files"
local qtime = require "qvrpro.time"
local dump = require "qvrpro.dump"
local camera = require "qvrpro.camera"
local common = require "qvrpro.sink.common"
local container = require "qvrpro.sink.container"
local h264_sink = require "qvrpro.sink.h264"
local jpeg_sink = require "qvrpro.sink.jpeg"
local dump_sink = require "qvrpro.sink.dump"
local media = require "qvrpro.media"
local index = require "qvrpro.export.index"

local M = {}

local PROGRESS_MS = 250
local SLICE_MS = 250               -- the bulk path gives Lua control back this often
local KEY_LOOKBACK_MS = 10000      -- how far before `from` a key-frame start looks
local RETRYABLE = { CONNECTION_LOST = true, TIMEOUT = true, NETWORK = true, TRUNCATED = true }

-- outputs resumed by cutting them back to an index journal's sync point in
-- Lua (a raw stream, a series of files); .mkv has its own (the muxer's)
local CUTTABLE = { h264 = true, jpg = true }

local FORMATS = { mkv = "mkv", mp4 = "mp4", h264 = "h264", ["264"] = "h264", jpg = "jpg",
                  jpeg = "jpg", qvr = "qvr" }

local fail, dirname = common.fail, common.dirname

local size_of, exists = files.size, files.exists

-- ---------------------------------------------------------------------------
-- the job; its outputs are the sinks (qvrpro.sink.*)

local Job = {}
Job.__index = Job
-- resume from an index journal: qvrpro.export.index
for name, f in pairs(index.methods) do Job[name] = f end
local key_of = index.key_of


-- holes in one medium's timestamps
local function gap_tracker()
  return { list = {} }
end

local function track_gap(g, ts)
  if g.prev then
    local dt = ts - g.prev
    if g.interval and dt > 2 * g.interval then
      g.list[#g.list + 1] = { from = g.prev, to = ts }
    elseif dt > 0 then
      g.interval = dt
    end
  end
  g.prev = ts
end

function Job:open_output()
  local kind = self.kind
  if kind == "mkv" or kind == "mp4" then
    local c = container.open(self.part, kind, self.title, self.resumable)
    c.audio_mode = self.opts.audio
    c.from, c.to, c.floor = self.from, self.to, self.floor or self.from
    return c
  end
  if kind == "h264" then return h264_sink.open(self.part) end
  if kind == "jpg" then return jpeg_sink.open(self.path) end
  return dump_sink.open()
end

--- A frame of the export's sequence (from the journal or the playback).
function Job:deliver(f)
  local ok, err = self.out:push(f)
  if not ok then return nil, err end
  self.frames_seen = self.frames_seen + 1
  local ts = f.timestamp
  track_gap(f.media == "video" and self.vgaps or self.agaps, ts)
  -- the frames delivered at the last timestamp (kept without allocating)
  local tail = self.tail
  if ts ~= tail.ts then
    tail.ts, tail.n = ts, 0
  end
  tail.n = tail.n + 1
  tail[tail.n] = f
  return true
end

--- Whether a frame from the playback belongs to the export and is new.
function Job:accept(f)
  if f.timestamp < (self.floor or self.from) or f.timestamp > self.to then return false end
  local skip = self.skip
  if skip and f.timestamp <= skip.ts then
    if f.timestamp < skip.ts then return false end
    local k = key_of(f)
    local c = skip.counts[k]
    if c and c > 0 then
      skip.counts[k] = c - 1
      return false
    end
  end
  return true
end

function Job:progress(force)
  local now = core.now_ms()
  if not force and now - self.last_progress < PROGRESS_MS then return true end
  self.last_progress = now
  if self.journal and not self.journal.closed then self.journal:flush() end
  local ts, frames = self.tail.ts, self.frames_seen
  if self.cuttable and not force then
    local ok, err = self:cut_sync()
    if not ok then return nil, err end
  end
  if self.out.loop and not self.out.m.closed then
    local st = self.out:refresh()
    local ok, err = self:journal_sync(st)
    if not ok then return nil, err end
    local last = math.max(st.video.cur_ts, st.audio.cur_ts)
    ts, frames = last >= 0 and last or ts, st.taken
  elseif self.out.state then
    frames = self.out.state.taken
  end
  local cb = self.opts.progress
  if not cb then return true end
  local span = math.max(1, self.to - self.from)
  local done = ts and (ts - self.from) or 0
  local fraction = force and 1 or math.max(0, math.min(1, done / span))
  local elapsed = math.max(1, now - self.started) / 1000
  local bytes = self.out:current_bytes()
  cb { fraction = fraction, frames = frames, bytes = bytes, rate = bytes / elapsed,
       eta = fraction > 0 and elapsed * (1 - fraction) / fraction or nil,
       timestamp = ts }
  return true
end

--- The bulk path: frames from the playback's stream straight into the
-- muxer (csrc/media/exportloop.c), in slices; Lua sends `live`, reports
-- progress and records sync points between them.
function Job:bulk(pb)
  local st, err = pb:stream()
  if not st then return nil, err end
  local loop = self.out.loop
  while true do
    media.keepalive(pb)
    local n, ended = loop:pull(st, SLICE_MS)
    if not n then return nil, ended end
    local ok, perr = self:progress()
    if not ok then return nil, perr end
    if ended == "to" then self.ended = "to"; return true end
    if ended == "end" then self.ended = pb:end_reason(); return true end
  end
end

--- The journal's frames into a fresh output (resume).  Sets the skip list.
function Job:replay()
  local r, err = dump.open(self.jpath)
  if not r then
    if err.name == "TRUNCATED" then return true end   -- killed before its head: start over
    return fail("RESUME_FAILED", "cannot resume from %s: %s", self.jpath, err.message)
  end
  local ex = type(r.meta.export) == "table" and r.meta.export or {}
  -- the same job: camera, format and range (the range as typed when the
  -- caller gives range_id, so "-1h" resumed later still continues it)
  local same, merr = self:same_job(ex)
  if not same then
    r:close()
    return nil, merr
  end
  self.from, self.to = ex.from or self.from, ex.to or self.to
  while true do
    local f, ferr = r:read()
    if not f then
      r:close()
      if ferr and ferr.name ~= "TRUNCATED" then
        return fail("RESUME_FAILED", "cannot resume from %s: %s", self.jpath, ferr.message)
      end
      break
    end
    local ok, derr = self:deliver(f)
    if not ok then r:close(); return nil, derr end
  end
  self.resumed = self.frames_seen > 0
  -- a key-frame start delivered frames before `from`: they are the export's
  if self.out.first_ts and self.out.first_ts < self.from then self.floor = self.out.first_ts end
  return true
end

function Job:meta()
  return { format = "qvrpro.dump", version = 1, kind = "export", qvrpro = core.version,
           camera = { guid = self.guid, name = self.title },
           export = { guid = self.guid, from = self.from, to = self.to, format = self.kind,
                      data_type = self.data_type, range_id = self.opts.range_id } }
end

function Job:open_journal()
  -- the index journal comes with the first sync point
  if self.resumable or self.cuttable then return true end
  local w, err = dump.writer(self.jpath, self:meta(), { append = self.resumed })
  if not w then return nil, err end
  if self.resumed and w.frames ~= self.frames_seen then
    w:close()
    return fail("RESUME_FAILED", "the journal %s changed while resuming", self.jpath)
  end
  self.journal = w
  if self.kind == "qvr" then self.out.journal = w end
  return true
end

function Job:open_playback(exact)
  local loop = self.out.loop
  if loop then
    -- continuing (a dropped connection, a resume): from the earliest medium's
    -- last frame in the file; the loop drops what it holds already
    local st, start = self.out:refresh(), nil
    for _, m in ipairs { "video", "audio" } do
      local has = (m == "video" and self.out.v) or (m == "audio" and self.out.a)
      if has then
        local ts = st[m].cur_ts >= 0 and st[m].cur_ts or (self.floor or self.from)
        start = start and math.min(start, ts) or ts
      end
    end
    loop:arm_skip()
    self.pre, self.skip, self.continuing = nil, nil, true
    local none = self.opts.retries == 0 and 0 or nil
    return self.nvr:playback(self.cam, { from = start or self.floor or self.from, to = self.to,
      timecontrol = false, data_type = self.data_type, stream_id = self.opts.stream_id,
      retries = none, new_sessions = none })
  end
  local start = self.tail.ts or self.from
  -- key-frame start: from a little earlier, to find the key frame at or before `from`
  self.pre = nil
  if not exact and self.key_start and not self.tail.ts then
    start, self.pre = self.from - (self.opts.key_lookback or KEY_LOOKBACK_MS), {}
  end
  self.skip = self.tail.ts and { ts = self.tail.ts, counts = {} } or nil
  if self.skip then
    local counts = self.skip.counts
    for i = 1, self.tail.n do
      local k = key_of(self.tail[i])
      counts[k] = (counts[k] or 0) + 1
    end
  end
  -- retries = 0: a broken transfer fails the export (no retry inside either)
  local none = self.opts.retries == 0 and 0 or nil
  return self.nvr:playback(self.cam, { from = start, to = self.to, timecontrol = false,
    data_type = self.data_type, stream_id = self.opts.stream_id, retries = none,
    new_sessions = none })
end

--- Reads the playback into the journal and the output; reopens it after a
-- dropped connection (opts.retries, default 2).  true | nil, err
function Job:fetch()
  local retries = self.opts.retries or 2
  while true do
    local pb, err = self:open_playback()
    if not pb and self.pre and err.name == "SEEK_NO_FILE" then
      pb, err = self:open_playback(true)     -- nothing recorded before `from`
    end
    if not pb then
      -- nothing recorded after the resume point: the journal had it all
      if (self.tail.ts or self.continuing) and err.name == "SEEK_NO_FILE" then return true end
      return nil, err
    end
    local ok, ferr = self:drain(pb)
    pb:close()
    if ok then return true end
    if not RETRYABLE[ferr.name] or retries <= 0 then return nil, ferr end
    retries = retries - 1
  end
end

function Job:take(f)
  if self.journal then
    local ok, werr = self.journal:write(f)
    if not ok then return nil, werr end
  end
  return self:deliver(f)
end

function Job:drain(pb)
  while true do
    if self.out.loop and not self.pre then return self:bulk(pb) end
    local f, err = pb:read()
    if not f then
      if err then return nil, err end
      self.ended = pb:end_reason()
      return true
    end
    if f.timestamp > self.to then self.ended = "to"; return true end
    local pre = self.pre
    if pre and f.timestamp < self.from then
      -- frames before `from`: kept from the latest video key frame on
      if f.media == "video" and f.key then
        for i = #pre, 1, -1 do pre[i] = nil end
        pre[1] = f
      elseif #pre > 0 then
        pre[#pre + 1] = f
      end
    elseif pre then
      self.pre = nil
      if #pre > 0 then self.floor = pre[1].timestamp; self.out.floor = self.floor end
      for _, p in ipairs(pre) do
        local ok, werr = self:take(p)
        if not ok then return nil, werr end
      end
    end
    if (not pre or f.timestamp >= self.from) and self:accept(f) then
      local dok, derr = self:take(f)
      if not dok then return nil, derr end
      local pok, perr = self:progress()
      if not pok then return nil, perr end
    end
  end
end

function Job:result()
  local out = self.out
  local vg, ag = self.vgaps, self.agaps
  if out.state then
    local v, a = out.state.video, out.state.audio
    vg = { list = v.gaps, interval = v.ginterval >= 0 and v.ginterval or nil }
    ag = { list = a.gaps, interval = a.ginterval >= 0 and a.ginterval or nil }
  end
  local g = out.video_frames > 0 and vg or ag
  local interval = g.interval or 1000
  local gaps = g.list
  if out.first_ts and out.first_ts - self.from > 2 * interval then
    table.insert(gaps, 1, { from = self.from, to = out.first_ts })
  end
  local skipped = {}
  for codec in pairs(out.skipped) do skipped[#skipped + 1] = codec end
  table.sort(skipped)
  return {
    path = self.path, format = self.kind, frames = out.video_frames + out.audio_frames,
    video_frames = out.video_frames, audio_frames = out.audio_frames,
    first_ts = out.first_ts, last_ts = out.last_ts, bytes = out.bytes, gaps = gaps,
    -- the server ended the playback (an empty `get`, the session closed)
    -- with the last frame clearly before `to`: the recording stops there.
    -- A response that ends is never that: the playback goes on.
    partial = self.ended ~= "to" and (out.last_ts == nil or self.to - out.last_ts > 2 * interval),
    skipped = skipped, resumed = self.resumed or false, transcoded = out.transcoded,
  }
end

function Job:complete()
  local ok, err = self.out:finish()
  if not ok then return nil, err end
  if self.kind == "qvr" then
    ok, err = self.journal:close()
    if not ok then return nil, err end
  end
  if self.kind ~= "jpg" then
    local rok, rerr = os.rename(self.part, self.path)
    if not rok then return fail("IO_ERROR", "%s", rerr) end
    self.out.bytes = size_of(self.path) or self.out.bytes
  end
  core.fsync(dirname(self.path))
  if self.ijournal then self.ijournal:close() end
  if self.journal and self.kind ~= "qvr" then self.journal:close() end
  if self.kind ~= "qvr" then os.remove(self.jpath) end
  os.remove(self.jpath .. ".tmp")     -- an index journal a kill left half rewritten
  return true
end

-- Closes what is open after a failure; the .part and journal stay.
function Job:abandon()
  if self.out.loop and not self.out.m.closed then pcall(self.journal_sync, self) end
  if self.cuttable then pcall(self.cut_sync, self) end
  self.out:abort()
  if self.journal then self.journal:close() end
  if self.ijournal then self.ijournal:close() end
end

function Job:execute()
  local ok, err
  if self.opts.resume and (self.resumable or self.cuttable) and exists(self.jpath) then
    if self.resumable then ok, err = self:resume_index() else ok, err = self:resume_cut() end
    if not ok and (err.name == "RESUME_MISMATCH" or err.name == "RESUME_FAILED")
       and self.opts.force then
      ok, err = true, nil     -- start afresh: the journal is rewritten at the first sync point
      os.remove(self.jpath)
      self.out = self:open_output()
    end
    if not ok then return nil, err end
  elseif self.opts.resume and exists(self.jpath) then
    ok, err = self:replay()
    if not ok and err.name == "RESUME_MISMATCH" and self.opts.force then
      ok, err = true, nil     -- start afresh: the journal is rewritten below
      self.frames_seen, self.tail = 0, { n = 0 }
      self.vgaps, self.agaps = gap_tracker(), gap_tracker()
      self.out:abort()
      self.out = self:open_output()
    end
    if not ok then return nil, err end
  end
  ok, err = self:open_journal()
  if not ok then return nil, err end
  ok, err = self:fetch()
  if ok and self.out.loop then self.out:refresh() end
  if ok and self.out.video_frames + self.out.audio_frames == 0 and
     (self.out.pending == nil or #self.out.pending == 0) then
    ok, err = fail("NO_FRAMES", "no recording of this camera between %s and %s",
      qtime.iso(self.from), qtime.iso(self.to))
  end
  if ok then ok, err = self:complete() end
  if not ok then
    self:abandon()
    return nil, err
  end
  self:progress(true)
  return self:result()
end

local function check_opts(opts)
  if type(opts) ~= "table" then error("bad argument #3 to 'run' (table expected)", 3) end
  if type(opts.path) ~= "string" or opts.path == "" then
    error("bad argument #3 to 'run' (path expected)", 3)
  end
  if opts.progress ~= nil and type(opts.progress) ~= "function" then
    error("bad argument #3 to 'run' (progress must be a function)", 3)
  end
  if opts.start ~= nil and opts.start ~= "key" and opts.start ~= "exact" then
    error(("bad argument #3 to 'run' (start must be \"key\" or \"exact\", got %s)")
      :format(tostring(opts.start)), 3)
  end
  if opts.audio ~= nil and opts.audio ~= "copy" and opts.audio ~= "aac" and opts.audio ~= "none" then
    error(("bad argument #3 to 'run' (audio must be \"copy\", \"aac\" or \"none\", got %s)")
      :format(tostring(opts.audio)), 3)
  end
  local ext = opts.format or opts.path:match("%.([%w]+)$") or ""
  local kind = FORMATS[ext:lower()]
  if not kind then
    error(("bad argument #3 to 'run' (unknown export format %q: .mkv .mp4 .h264 .jpg .qvr)")
      :format(ext), 3)
  end
  return kind
end

--- export.run(nvr, cam, {from=, to=, path=, progress=, resume=, force=, range_id=,
---   audio=, start=, key_lookback=, format=, stream_id=, retries=}) -> result | nil, err
function M.run(nvr, cam, opts)
  local kind = check_opts(opts)
  local from = qtime.check(opts.from, "from")
  local to = opts.to ~= nil and qtime.check(opts.to, "to") or qtime.now()
  if to < from then error("bad argument #3 to 'run' (to is before from)", 2) end
  local guid, channel, camobj = camera.resolve(nvr, cam)
  if not guid then return nil, channel end
  -- Matroska without a transcode: an index journal and the bulk path in C
  local resumable = kind == "mkv" and opts.audio ~= "aac"
  local job = setmetatable({
    nvr = nvr, cam = camobj or guid, guid = guid, title = camobj and camobj.name or guid,
    opts = opts, kind = kind, from = from, to = to, path = opts.path, resumable = resumable,
    cuttable = CUTTABLE[kind],
    part = opts.path .. ".part", jpath = kind == "qvr" and opts.path .. ".part" or
      (resumable or CUTTABLE[kind]) and opts.path .. ".part.idx" or opts.path .. ".part.qvr",
    data_type = kind == "jpg" and "jpeg" or "source",
    frames_seen = 0, tail = { n = 0 }, vgaps = gap_tracker(), agaps = gap_tracker(),
    started = core.now_ms(), last_progress = 0, key_start = opts.start == "key",
  }, Job)
  local out, err = job:open_output()
  if not out then return nil, err end
  job.out = out
  -- an error raised inside (a progress callback's, an interrupt) closes the
  -- files the way a failure does, then goes on up
  local ok, r, rerr = pcall(job.execute, job)
  if not ok then
    pcall(job.abandon, job)
    error(r, 0)
  end
  return r, rerr
end

return M
