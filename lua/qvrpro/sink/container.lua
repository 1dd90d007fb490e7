--- qvrpro.sink.container: the Matroska and MP4 sink of qvrpro.export,
-- through the muxer qvrpro.mux, after a lookahead that finds the streams and
-- their parameters (the first key frame's SPS/PPS, the ADTS header's
-- AudioSpecificConfig).
--
-- A resumable sink (Matroska, audio not transcoded: M.open(..., true))
-- writes through a resumable muxer and an export loop (qvrpro.mux's
-- export_loop, csrc/media/exportloop.c) that takes every frame once the
-- streams are known, from Lua (push) or straight from a stream (the job's
-- bulk path, loop:pull); o.loop is that loop, o.specs the streams as they
-- were added and o.zero, o.metadata the muxer's, for the index journal
-- (qvrpro.sink.journal).  M.reopen continues such a file.
local qtime = require "qvrpro.time"
local common = require "qvrpro.sink.common"

local M = {}

local fail, counted, new_output = common.fail, common.counted, common.new_output

local LOOKAHEAD_MS = 2000          -- recorded time a container waits for its streams
local LOOKAHEAD_FRAMES = 3000
local LOOKAHEAD_BYTES = 64 * 1024 * 1024

local Container = {}
Container.__index = Container

--- A sink writing `part` as "mkv" or "mp4" (kind), titled `title`;
-- resumable: through an export loop, with sync points (Matroska only).
function M.open(part, kind, title, resumable)
  local o = new_output(kind)
  o.part, o.title, o.pending, o.pending_bytes = part, title, {}, 0
  o.resumable = resumable and kind == "mkv" or nil
  o.specs = {}
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
  local spec = { codec = v.codec, width = v.width, height = v.height, extradata = extradata }
  self.specs[#self.specs + 1] = { media = "video", spec = spec }
  return self.m:add_stream(spec)
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
  self.specs[#self.specs + 1] = { media = "audio", spec = spec }
  return self.m:add_stream(spec)
end

-- The export loop of a resumable sink, over its muxer and streams.
function Container:make_loop(mux, state)
  state = state or {}
  state.from, state.to, state.floor = self.from, self.to, self.floor
  local v, a = state.video or {}, state.audio or {}
  v.stream, v.codec = self.v, self.vcodec
  a.stream, a.codec = self.a or nil, self.acodec
  a.skipped = self.a == false or nil
  state.video, state.audio = v, a
  self.loop = mux.export_loop(self.m, state)
end

--- The sink's counts from its export loop.
function Container:refresh()
  local loop = self.loop
  if not loop then return nil end
  local st = loop:state()
  self.video_frames, self.audio_frames = st.video.written, st.audio.written
  self.first_ts = st.first_ts >= 0 and st.first_ts or nil
  self.last_ts = st.last_ts >= 0 and st.last_ts or nil
  return st
end

function Container:open()
  local mux = require "qvrpro.mux"
  local first = self.pending[1]
  local resumable = self.resumable and self.audio_mode ~= "aac"
  self.zero = first.timestamp
  self.metadata = { title = self.title, creation_time = qtime.iso(first.timestamp) }
  local m, err = mux.muxer(self.part, { format = self.kind == "mkv" and "matroska" or "mp4",
    fragmented = true, metadata = self.metadata, resumable = resumable or nil,
    zero = resumable and self.zero or nil })
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
  if resumable then self:make_loop(mux) end
  local pending = self.pending
  self.pending = nil
  for _, f in ipairs(pending) do
    local ok, werr = self:push(f)
    if not ok then return nil, werr end
  end
  return true
end

--- Continues the file of a resumable sink from its journal j
-- (qvrpro.sink.journal.load): the streams as they were, the .part cut at
-- the last sync point, the export loop at its state there.  true | nil, err
function Container:reopen(j)
  local mux = require "qvrpro.mux"
  local head, sync = j.head, j.sync
  self.zero, self.title = head.zero, head.title
  self.metadata = { title = head.title, creation_time = head.creation_time }
  local m, err = mux.muxer(self.part, { format = "matroska", fragmented = true,
    metadata = self.metadata, resumable = true, zero = head.zero })
  if not m then return nil, err end
  self.m, self.pending = m, nil
  local state = { taken = 0, first_ts = sync.first_ts }
  local commits = {}
  for i, s in ipairs(j.streams) do
    local spec = s.spec
    local k, aerr = m:add_stream(spec)
    if not k then return nil, aerr end
    self.specs[i] = s
    local p = s.media:sub(1, 1) .. "_"
    local c = { packets = sync[p .. "packets"] or 0, last_pts = sync[p .. "last_pts"] or 0,
                usual = sync[p .. "usual"] or 0 }
    c.tag = { sync[p .. "ts"] or 0, sync[p .. "n"] or 0, sync[p .. "gaps"] or 0,
              sync[p .. "interval"] or -1 }
    commits[i] = c
    local ts = c.packets > 0 and c.tag[1] or -1
    state[s.media] = { written = c.packets, cur_ts = ts, cur_n = c.tag[2], gprev = ts,
                       ginterval = c.packets > 0 and c.tag[4] or -1, gaps = j.gaps[s.media] }
    state.taken = state.taken + c.packets
    if s.media == "video" then self.v, self.vcodec = k, spec.codec
    else self.a, self.acodec = k, spec.codec end
  end
  if head.audio_skipped then
    self.a = false
    self.skipped[head.audio_skipped] = true
  end
  local ok, rerr = m:resume(sync.offset, sync.header_len, commits)
  if not ok then return nil, rerr end
  self:make_loop(mux, state)
  self:refresh()
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
  if self.loop then
    local ok, err = self.loop:push(f)
    if ok == nil then return nil, err end
    return true
  end
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
  self.state = self:refresh()
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
  if self.loop and not self.m.closed then self.state = self:refresh() end
  if self.m then self.m:close() end
  if self.loop then self.loop:close() end
end

return M
