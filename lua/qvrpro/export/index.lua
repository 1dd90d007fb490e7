--- qvrpro.export.index: the export job's side of its index journal
-- (qvrpro.sink.journal): recording sync points and resuming from the last
-- one, for .mkv (the muxer's sync points, csrc/media/mux.c) and for .h264
-- and .jpg (the output cut back in Lua).  Its functions are methods of the
-- job of qvrpro.export (M.methods).
local qtime = require "qvrpro.time"
local common = require "qvrpro.sink.common"
local journal = require "qvrpro.sink.journal"
local files = require "qvrpro.files"

local M = {}

local fail = common.fail

--- A frame's key in the list of frames at the last timestamp (dedupe).
function M.key_of(f)
  return f.media .. ":" .. f.fourcc .. ":" .. f.size
end
local key_of = M.key_of

local Job = {}
M.methods = Job


function Job:journal_head()
  local out = self.out
  local skipped = next(out.skipped)
  return { guid = self.guid, format = self.kind, from = self.from, to = self.to,
           range_id = self.opts.range_id ~= nil and tostring(self.opts.range_id) or nil,
           data_type = self.data_type, floor = self.floor or self.from, zero = out.zero,
           title = out.metadata.title, creation_time = out.metadata.creation_time,
           audio_skipped = out.a == false and skipped or nil }
end

--- Records the muxer's latest sync point, once there is one and it moved.
function Job:journal_sync(state)
  local s = self.out.loop:sync()
  if not s or s.seq == self.synced then return true end
  if not self.ijournal then
    local w, err = journal.create(self.jpath, self:journal_head(), self.out.specs)
    if not w then return fail("IO_ERROR", "%s: %s", self.jpath, tostring(err)) end
    self.ijournal = w
  end
  local ok, err = self.ijournal:sync(s, state or self.out:refresh())
  if not ok then return fail("IO_ERROR", "%s: %s", self.jpath, tostring(err)) end
  self.synced = s.seq
  return true
end

-- The job's state at a sync point of a cuttable output, and back.
local function tail_keys(tail)
  local keys = {}
  for i = 1, tail.n do keys[i] = key_of(tail[i]) end
  return table.concat(keys, ",")
end

local function tail_of(ts, keys)
  local tail = { n = 0, ts = ts }
  for key in (keys or ""):gmatch("[^,]+") do
    local m, fourcc, size = key:match("^(%a+):(.*):(%d+)$")
    if not m then return nil end
    tail.n = tail.n + 1
    tail[tail.n] = { media = m, fourcc = fourcc, size = math.tointeger(tonumber(size)) }
  end
  return tail
end

--- Records a sync point of a .h264 or .jpg export: what its output holds
-- (flushed) and the job's state after the last frame in it.
function Job:cut_sync()
  local out = self.out
  local at, err = out:commit()
  if not at then return nil, err end
  if at == self.synced then return true end
  if not self.ijournal then
    local w, jerr = journal.create(self.jpath, self:cut_head(), {})
    if not w then return fail("IO_ERROR", "%s: %s", self.jpath, tostring(jerr)) end
    self.ijournal = w
  end
  local skipped = {}
  for codec in pairs(out.skipped) do skipped[#skipped + 1] = codec end
  table.sort(skipped)
  local vg, ag = self.vgaps, self.agaps
  local ok, werr = self.ijournal:record({ offset = at, bytes = out.bytes,
    frames_seen = self.frames_seen, floor = self.floor, vf = out.video_frames,
    af = out.audio_frames, first_ts = out.first_ts, last_ts = out.last_ts,
    skipped = table.concat(skipped, ","), tail_ts = self.tail.ts, tail = tail_keys(self.tail),
    v_interval = vg.interval, v_prev = vg.prev, a_interval = ag.interval, a_prev = ag.prev },
    { video = vg.list, audio = ag.list })
  if not ok then return fail("IO_ERROR", "%s: %s", self.jpath, tostring(werr)) end
  self.synced = at
  return true
end

function Job:cut_head()
  return { guid = self.guid, format = self.kind, from = self.from, to = self.to,
           range_id = self.opts.range_id ~= nil and tostring(self.opts.range_id) or nil,
           data_type = self.data_type }
end

-- A journal's job against this one (the same camera, format and range, or
-- the same range_id: the range as typed, so "-1h" resumed later continues
-- it): true | nil, RESUME_MISMATCH
function Job:same_job(ex)
  local same_range = (ex.from == self.from and ex.to == self.to)
    or (self.opts.range_id ~= nil and ex.range_id == tostring(self.opts.range_id))
  if ex.guid ~= self.guid or ex.format ~= self.kind or not same_range then
    return fail("RESUME_MISMATCH", "%s holds an unfinished export of another job (camera %s, "
      .. "%s to %s, format %s); this one is %s to %s, format %s: give the same camera, range "
      .. "and format to continue it, or start afresh (force)", self.jpath, tostring(ex.guid),
      ex.from and qtime.iso(ex.from) or "?", ex.to and qtime.iso(ex.to) or "?", tostring(ex.format),
      qtime.iso(self.from), qtime.iso(self.to), self.kind)
  end
  return true
end

-- The job's index journal read back (journal.load) | nil, RESUME_FAILED.
local function load_journal(self)
  local j, why = journal.load(self.jpath)
  if not j then
    return fail("RESUME_FAILED", "cannot resume from %s: %s; the .part and the journal are "
      .. "kept as they are (remove both, or give force, to start afresh)", self.jpath, why)
  end
  return j
end

--- Continues a .h264 or .jpg export from its index journal: the output is
-- cut back to the last sync point, the job's state set as it was there.
function Job:resume_cut()
  local j, jerr = load_journal(self)
  if not j then return nil, jerr end
  local ok, err = self:same_job(j.head)
  if not ok then return nil, err end
  local s = j.sync
  if not s then return true end            -- killed before its first sync point: start over
  local tail = tail_of(s.tail_ts, s.tail)
  if not tail or (s.frames_seen or -1) < 0 then
    return fail("RESUME_FAILED", "cannot resume from %s: its last sync point does not read",
      self.jpath)
  end
  ok, err = self.out:cut(s.offset)
  if not ok then
    return fail("RESUME_FAILED", "cannot resume from %s: %s; the .part and the journal are kept "
      .. "as they are", self.jpath, err.message or tostring(err))
  end
  self.from, self.to, self.floor = j.head.from, j.head.to, s.floor
  local out = self.out
  out.bytes, out.video_frames, out.audio_frames = s.bytes or 0, s.vf or 0, s.af or 0
  out.first_ts, out.last_ts = s.first_ts, s.last_ts
  for codec in (s.skipped or ""):gmatch("[^,]+") do out.skipped[codec] = true end
  self.frames_seen, self.tail = s.frames_seen, tail
  self.vgaps = { list = j.gaps.video, interval = s.v_interval, prev = s.v_prev }
  self.agaps = { list = j.gaps.audio, interval = s.a_interval, prev = s.a_prev }
  self.resumed = self.frames_seen > 0
  local w, werr = journal.create(self.jpath, j.head, {}, s, j.gaps)
  if not w then return fail("IO_ERROR", "%s: %s", self.jpath, tostring(werr)) end
  self.ijournal, self.synced = w, s.offset
  return true
end

--- Continues a resumable export from its index journal: the .part is cut
-- at the last sync point, the playback continues from there.
function Job:resume_index()
  local j, jerr = load_journal(self)
  if not j then return nil, jerr end
  local ex = j.head
  local same, merr = self:same_job(ex)
  if not same then return nil, merr end
  if not j.sync then return true end       -- killed before its first cluster: start over
  if not files.exists(self.part) then
    return fail("RESUME_FAILED", "cannot resume from %s: %s is missing; the journal is kept "
      .. "(remove it, or give force, to start afresh)", self.jpath, self.part)
  end
  self.from, self.to, self.floor = ex.from, ex.to, ex.floor
  local out = self.out
  out.from, out.to, out.floor = ex.from, ex.to, ex.floor
  local ok, err = out:reopen(j)
  if not ok then
    out:abort()
    self.out = self:open_output()
    return fail("RESUME_FAILED", "cannot resume from %s: %s; the .part and the journal are kept "
      .. "as they are", self.jpath, err.message or tostring(err))
  end
  -- the journal again, from its last sync point (written aside, then renamed)
  local w, werr = journal.create(self.jpath, ex, j.streams, j.sync, j.gaps)
  if not w then return fail("IO_ERROR", "%s: %s", self.jpath, tostring(werr)) end
  self.ijournal, self.synced = w, nil
  self.resumed, self.continuing = true, true
  return true
end

return M
