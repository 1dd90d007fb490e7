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
--
-- Frames are trimmed exactly to [from, to] (both inclusive, like the NVR's
-- playback), or with start = "key" from the video key frame at or before
-- `from` (looked for up to opts.key_lookback, 10 s, earlier), so the first
-- second plays; r.first_ts says where the file starts.  Playback runs with
-- time control off.  Everything is written
-- to path .. ".part" (for .jpg: the folder path .. ".part/"), synced and
-- renamed only when complete; a failure returns nil, err and keeps it.
--
-- Resume: besides the .part, every frame goes into a journal,
-- path .. ".part.qvr" (for .qvr the .part itself is the dump), flushed a few
-- times a second.  resume = true rebuilds the .part from the journal's
-- complete records (the output is a pure function of the frame sequence, so
-- the result is the file an uninterrupted export writes), then continues the
-- playback from the journal's last timestamp, skipping the frames it already
-- holds.  Only the same job is continued: same camera, format and range
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
local qtime = require "qvrpro.time"
local dump = require "qvrpro.dump"

local M = {}

local PROGRESS_MS = 250
local LOOKAHEAD_MS = 2000          -- recorded time a container waits for its streams
local LOOKAHEAD_FRAMES = 3000
local LOOKAHEAD_BYTES = 64 * 1024 * 1024
local KEY_LOOKBACK_MS = 10000      -- how far before `from` a key-frame start looks
local RETRYABLE = { CONNECTION_LOST = true, TIMEOUT = true, NETWORK = true, TRUNCATED = true }

local FORMATS = { mkv = "mkv", mp4 = "mp4", h264 = "h264", ["264"] = "h264", jpg = "jpg",
                  jpeg = "jpg", qvr = "qvr" }

local function fail(name, fmt, ...)
  return nil, core.error { name = name, message = fmt:format(...) }
end

local function dirname(path)
  return path:match("^(.*)/[^/]*$") or "."
end

local function size_of(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local n = f:seek("end")
  f:close()
  return n
end

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

-- ---------------------------------------------------------------------------
-- outputs: push(frame) -> true | nil, err; finish() -> true | nil, err;
-- abort(); fields video_frames, audio_frames, bytes, skipped (set of codecs)

local function counted(out, f)
  if f.media == "video" then out.video_frames = out.video_frames + 1
  else out.audio_frames = out.audio_frames + 1 end
  out.first_ts = out.first_ts or f.timestamp
  out.last_ts = f.timestamp
end

local function new_output(kind)
  return { kind = kind, video_frames = 0, audio_frames = 0, bytes = 0, skipped = {} }
end

--- Matroska and MP4 through qvrpro.mux, after a lookahead that finds the
-- streams and their parameters (the first key frame's SPS/PPS, the ADTS
-- header's AudioSpecificConfig).
local Container = {}
Container.__index = Container

local function container(part, kind, title)
  local o = new_output(kind)
  o.part, o.title, o.pending, o.pending_bytes = part, title, {}, 0
  return setmetatable(o, Container)
end

function Container:note(f)
  if f.media == "video" then
    self.video = self.video or f
    if f.key and not self.key then self.key = f end
  elseif f.media == "audio" then
    if self.audio and not self.audio2 then self.audio2 = f end
    self.audio = self.audio or f
  end
end

function Container:ready()
  local p = self.pending
  if #p >= LOOKAHEAD_FRAMES or self.pending_bytes >= LOOKAHEAD_BYTES then return true end
  local long = p[#p].timestamp - p[1].timestamp >= LOOKAHEAD_MS
  local video_known = self.key or (self.video and self.video.codec == "mjpeg") or
    (not self.video and long)
  return video_known and (self.audio2 or long)
end

local VIDEO_MP4 = { h264 = true, mpeg4 = true }

function Container:add_video(mux)
  local v = self.key or self.video
  if self.kind == "mp4" and not VIDEO_MP4[v.codec] then
    return fail("UNSUPPORTED_CODEC", "MP4 takes H.264 or MPEG-4 video, this camera sends %s: "
      .. "export it to .mkv", v.codec)
  end
  local extradata
  if v.codec == "h264" then
    extradata = self.key and mux.h264_extradata(self.key)
    if not extradata then
      return fail("NO_PARAMETER_SETS", "no H.264 SPS/PPS in the first key frame (%s)",
        self.key and "none in it" or "no key frame in the first frames")
    end
  elseif v.codec == "mpeg4" then
    extradata = self.key and mux.mpeg4_extradata(self.key)
  end
  self.vcodec = v.codec
  return self.m:add_stream { codec = v.codec, width = v.width, height = v.height,
                             extradata = extradata }
end

-- G.726 carries 2..5 bits a sample: from the size and spacing of two frames
local function g726_bits(a, b)
  if not b or b.timestamp <= a.timestamp or (a.sample_rate or 0) == 0 then return 4 end
  local samples = (b.timestamp - a.timestamp) * a.sample_rate / 1000
  return math.max(2, math.min(5, math.floor(a.size * 8 / samples + 0.5)))
end

local TRANSCODABLE = { g711 = true, g726 = true, pcm = true }

function Container:add_audio(mux)
  local a = self.audio
  local mode = self.audio_mode or (self.kind == "mp4" and "aac" or "copy")
  if mode == "none" then
    self.skipped[a.codec] = true
    return false
  end
  local spec = { codec = a.codec, fourcc = a.fourcc, sample_rate = a.sample_rate,
                 channels = a.channels }
  if a.codec ~= "aac" and mode == "aac" then
    if not TRANSCODABLE[a.codec] then
      self.skipped[a.codec] = true
      return false
    end
    spec.aac = true
    self.transcoded = a.codec
  elseif self.kind == "mp4" and a.codec ~= "aac" then
    return fail("UNSUPPORTED_CODEC", "MP4 takes AAC audio, this camera sends %s: export it with "
      .. "audio = \"aac\" (transcoded), \"none\", or to .mkv", a.codec)
  end
  if a.codec == "aac" then
    local asc, rate, channels = mux.aac_config(a)
    if not asc then
      return fail("UNSUPPORTED_CODEC", "AAC audio without ADTS headers cannot be exported")
    end
    spec.extradata, spec.sample_rate, spec.channels = asc, rate, channels
  elseif a.codec == "g726" then
    spec.bits = g726_bits(a, self.audio2)
  end
  self.acodec = a.codec
  return self.m:add_stream(spec)
end

function Container:open()
  local mux = require "qvrpro.mux"
  local first = self.pending[1]
  local m, err = mux.muxer(self.part, { format = self.kind == "mkv" and "matroska" or "mp4",
    fragmented = true, metadata = { title = self.title, creation_time = qtime.iso(first.timestamp) } })
  if not m then return nil, err end
  self.m = m
  if self.video then
    self.v, err = self:add_video(mux)
    if not self.v then return nil, err end
  end
  if self.audio then
    self.a, err = self:add_audio(mux)
    if self.a == nil then return nil, err end
  end
  local pending = self.pending
  self.pending = nil
  for _, f in ipairs(pending) do
    local ok, werr = self:write(f)
    if not ok then return nil, werr end
  end
  return true
end

function Container:write(f)
  local stream, codec
  if f.media == "video" then stream, codec = self.v, self.vcodec
  elseif f.media == "audio" then stream, codec = self.a, self.acodec end
  if not stream then
    if f.media == "audio" and self.skipped[f.codec] then return true end
    return fail("STREAM_CHANGED", "a %s stream (%s) appeared after the export started at %s",
      f.media, f.codec, qtime.iso(f.timestamp))
  end
  if f.codec ~= codec then
    return fail("STREAM_CHANGED", "the camera's %s codec changed from %s to %s at %s", f.media,
      codec, f.codec, qtime.iso(f.timestamp))
  end
  local ok, err = self.m:write(stream, f)
  if not ok then return nil, err end
  counted(self, f)
  return true
end

function Container:push(f)
  if self.m then return self:write(f) end
  if f.media ~= "video" and f.media ~= "audio" then return true end
  self.pending[#self.pending + 1] = f
  self.pending_bytes = self.pending_bytes + f.size
  self:note(f)
  if self:ready() then return self:open() end
  return true
end

function Container:finish()
  if not self.m then
    if #self.pending == 0 then return fail("NO_FRAMES", "no frames to write") end
    local ok, err = self:open()
    if not ok then return nil, err end
  end
  local ok, err = self.m:close()
  self.bytes = self.m.bytes
  return ok, err
end

function Container:current_bytes()
  return self.m and self.m.bytes or 0
end

-- after a failure: what was received so far still makes a playable .part
function Container:abort()
  if not self.m and self.pending and #self.pending > 0 then self:open() end
  if self.m then self.m:close() end
end

--- Raw Annex B H.264.
local Raw = {}
Raw.__index = Raw

local function raw(part)
  local o = new_output("h264")
  local f, err = io.open(part, "wb")
  if not f then return fail("IO_ERROR", "%s", err) end
  o.file, o.part = f, part
  return setmetatable(o, Raw)
end

function Raw:push(f)
  if f.media ~= "video" then
    self.skipped[f.codec] = true
    return true
  end
  if f.codec ~= "h264" then
    return fail("UNSUPPORTED_CODEC", "a raw .h264 export takes H.264 video, this camera sends %s: "
      .. "export it to .mkv", f.codec)
  end
  local ok, err = f:write(self.file)
  if not ok then return fail("IO_ERROR", "%s: %s", self.part, tostring(err)) end
  self.bytes = self.bytes + f.size
  counted(self, f)
  return true
end

function Raw:finish()
  if self.video_frames == 0 then return fail("NO_FRAMES", "no H.264 video frames to write") end
  local ok, err = self.file:close()
  if not ok then return fail("IO_ERROR", "%s: %s", self.part, tostring(err)) end
  return core.fsync(self.part)
end

function Raw:current_bytes() return self.bytes end
function Raw:abort() if io.type(self.file) == "file" then self.file:close() end end

--- A numbered JPEG series, staged in a folder.
local Series = {}
Series.__index = Series

local function series(path)
  local o = new_output("jpg")
  local dir, base = dirname(path), path:match("([^/]*)%.[^./]*$") or path
  o.staging, o.dir, o.base, o.n = path .. ".part", dir, base, 0
  local ok, err = core.mkdir_p(o.staging)
  if not ok then return nil, err end
  return setmetatable(o, Series)
end

function Series:name(i) return ("%s-%06d.jpg"):format(self.base, i) end

function Series:push(f)
  if f.codec ~= "jpeg" and f.codec ~= "mjpeg" then
    self.skipped[f.codec] = true
    return true
  end
  local path = self.staging .. "/" .. self:name(self.n + 1)
  local file, err = io.open(path, "wb")
  if not file then return fail("IO_ERROR", "%s", err) end
  local ok, werr = f:write(file)
  local cok, cerr = file:close()
  if not ok or not cok then return fail("IO_ERROR", "%s: %s", path, tostring(werr or cerr)) end
  self.n = self.n + 1
  self.bytes = self.bytes + f.size
  counted(self, f)
  return true
end

function Series:finish()
  if self.n == 0 then return fail("NO_FRAMES", "no JPEG images to write") end
  for i = 1, self.n do
    local from = self.staging .. "/" .. self:name(i)
    local ok, err = core.fsync(from)
    if not ok then return nil, err end
    local rok, rerr = os.rename(from, self.dir .. "/" .. self:name(i))
    if not rok then return fail("IO_ERROR", "%s", rerr) end
  end
  -- files of an earlier, longer attempt, then the folder
  local i = self.n + 1
  while os.remove(self.staging .. "/" .. self:name(i)) do i = i + 1 end
  os.remove(self.staging)
  return true
end

function Series:current_bytes() return self.bytes end
function Series.abort() end

--- The .qvr dump: the journal is the output.
local Dump = {}
Dump.__index = Dump
function Dump:push(f) counted(self, f); return true end
function Dump.finish() return true end
function Dump:current_bytes() return self.journal and self.journal.bytes or 0 end
function Dump.abort() end

-- ---------------------------------------------------------------------------
-- the job

local Job = {}
Job.__index = Job

local function key_of(f)
  return f.media .. ":" .. f.fourcc .. ":" .. f.size
end

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
    local c = container(self.part, kind, self.title)
    c.audio_mode = self.opts.audio
    return c
  end
  if kind == "h264" then return raw(self.part) end
  if kind == "jpg" then return series(self.path) end
  return setmetatable(new_output("qvr"), Dump)
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
  if not force and now - self.last_progress < PROGRESS_MS then return end
  self.last_progress = now
  if self.journal and not self.journal.closed then self.journal:flush() end
  local cb = self.opts.progress
  if not cb then return end
  local span = math.max(1, self.to - self.from)
  local done = self.tail.ts and (self.tail.ts - self.from) or 0
  local fraction = force and 1 or math.max(0, math.min(1, done / span))
  local elapsed = math.max(1, now - self.started) / 1000
  local bytes = self.out:current_bytes()
  cb { fraction = fraction, frames = self.frames_seen, bytes = bytes, rate = bytes / elapsed,
       eta = fraction > 0 and elapsed * (1 - fraction) / fraction or nil,
       timestamp = self.tail.ts }
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
  local same_range = (ex.from == self.from and ex.to == self.to)
    or (self.opts.range_id ~= nil and ex.range_id == self.opts.range_id)
  if ex.guid ~= self.guid or ex.format ~= self.kind or not same_range then
    r:close()
    return fail("RESUME_MISMATCH", "%s holds an unfinished export of another job (camera %s, "
      .. "%s to %s, format %s); this one is %s to %s, format %s: give the same camera, range "
      .. "and format to continue it, or start afresh (force)", self.jpath, tostring(ex.guid),
      ex.from and qtime.iso(ex.from) or "?", ex.to and qtime.iso(ex.to) or "?", tostring(ex.format),
      qtime.iso(self.from), qtime.iso(self.to), self.kind)
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
      if self.tail.ts and err.name == "SEEK_NO_FILE" then return true end
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
  local ok, werr = self.journal:write(f)
  if not ok then return nil, werr end
  return self:deliver(f)
end

function Job:drain(pb)
  while true do
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
      if #pre > 0 then self.floor = pre[1].timestamp end
      for _, p in ipairs(pre) do
        local ok, werr = self:take(p)
        if not ok then return nil, werr end
      end
    end
    if (not pre or f.timestamp >= self.from) and self:accept(f) then
      local ok, werr = self.journal:write(f)
      if not ok then return nil, werr end
      local dok, derr = self:deliver(f)
      if not dok then return nil, derr end
      self:progress()
    end
  end
end

function Job:result()
  local out = self.out
  local g = out.video_frames > 0 and self.vgaps or self.agaps
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
  if self.kind ~= "qvr" then
    self.journal:close()
    os.remove(self.jpath)
  end
  return true
end

-- Closes what is open after a failure; the .part and journal stay.
function Job:abandon()
  self.out:abort()
  if self.journal then self.journal:close() end
end

function Job:execute()
  local ok, err
  if self.opts.resume and exists(self.jpath) then
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
  local guid, channel, camobj = require("qvrpro").resolve(nvr, cam)
  if not guid then return nil, channel end
  local job = setmetatable({
    nvr = nvr, cam = camobj or guid, guid = guid, title = camobj and camobj.name or guid,
    opts = opts, kind = kind, from = from, to = to, path = opts.path,
    part = opts.path .. ".part", jpath = kind == "qvr" and opts.path .. ".part" or
      opts.path .. ".part.qvr",
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
