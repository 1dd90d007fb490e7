--- qvrpro.dump: lossless `.qvr` dumps of live streams and playbacks.
-- The format, writer and reader are C (csrc/proto/dump.c, csrc/lua/dumpobj.c); this
-- adds `stream:dump(path)` and `pb:dump(path)` as methods and the meta a
-- dump carries (camera, kind, time range), and is what `qvrpro.open_dump`
-- is.
--
--   local n = assert(pb:dump("door.qvr"))
--   for frame in qvr.open_dump("door.qvr"):frames() do ... end
local core = require "qvrpro.core"

local M = {}

local Stream = core.methods("qvrpro.Stream")
local Playback = core.methods("qvrpro.Playback")

--- qvrpro.open_dump(path) -> DumpReader | nil, err.  The reader has
-- `meta`, `read()`, `frames()`, `seek(ts_ms)`, `close()`, and `count`,
-- `first_timestamp`, `last_timestamp`, `complete` (index present).
function M.open(path)
  if type(path) ~= "string" then error("bad argument #1 to 'open_dump' (path expected)", 2) end
  return core.open_dump(path)
end

--- dump.writer(path, meta [, {append=true}]) -> DumpWriter | nil, err
M.writer = core.dump_writer

local function camera_meta(cam)
  if type(cam) == "string" then return { guid = cam } end
  if cam == nil then return nil end
  return { guid = cam.guid, name = cam.name, channel_index = cam.channel_index }
end

--- The meta of a dump of `obj` (a Stream or a Playback): what it is, so a
-- reader (or the simulator replaying it) knows where the frames came from.
function M.meta(obj, extra)
  local meta = {
    format = "qvrpro.dump", version = 1, qvrpro = core.version, created = core.now_ms(),
    kind = obj.kind or (obj.data_type and "playback") or "stream",
    description = obj.description,
    camera = camera_meta(obj.camera),
  }
  if obj.data_type then
    meta.kind = "playback"
    meta.data_type = obj.data_type
    meta.from, meta.to = obj.from, obj.to
  end
  for k, v in pairs(extra or {}) do meta[k] = v end
  return meta
end

-- room left after the meta of a dump that records gaps: about 1400 gaps
local GAP_ROOM = 65536

--- A dump writer for a stream whose `gaps` array grows as it reconnects:
-- the meta carries `gaps` ({{from=, to=}, ...}, the holes between the last
-- frame before each reconnection and the first after it), rewritten in
-- place (QVRDUMP1 readers see a plain meta).  Returns the writer and a
-- function to call after each read; nil, err.
function M.gap_writer(path, meta, gaps, opts)
  local m = {}
  for k, v in pairs(meta or {}) do m[k] = v end
  m.gaps = nil          -- present once there is a gap
  local w, err = core.dump_writer(path, m, { append = opts and opts.append,
                                             meta_room = GAP_ROOM })
  if not w then return nil, err end
  local written = 0
  local function update()
    if #gaps == written then return true end
    written = #gaps
    local list = {}
    for i, g in ipairs(gaps) do list[i] = { from = g.from, to = g.to } end
    m.gaps = list
    m.gaps_incomplete = nil
    local ok, serr = w:set_meta(m)
    while not ok and serr.name == "BAD_ARGUMENT" and #list > 0 do
      -- out of room: the first gaps stay, and the meta says some are missing
      list[#list] = nil
      m.gaps_incomplete = true
      ok, serr = w:set_meta(m)
    end
    -- no room at all (a dump appended to, made without room): the frames
    -- matter more than the meta, the recording goes on
    if not ok and serr.name == "BAD_ARGUMENT" then return true end
    return ok, serr
  end
  return w, update
end

--- Writes every frame `read()` returns into path until the end (or a
-- frame after opts.until_ts).  Returns the count, or nil, err, count with
-- the complete records kept (a later dump with append=true continues it).
-- opts.gaps: the stream's gaps array, kept in the meta (M.gap_writer).
function M.write_frames(read, path, meta, opts)
  opts = opts or {}
  local w, err, update
  if opts.gaps then
    w, update = M.gap_writer(path, meta, opts.gaps, opts)
    if not w then err = update end
  else
    w, err = core.dump_writer(path, meta, { append = opts.append })
  end
  if not w then return nil, err, 0 end
  local until_ts, n = opts.until_ts, 0
  while true do
    local f, ferr = read()
    if update and f then
      local ok, uerr = update()
      if not ok then
        w:close()
        return nil, uerr, n
      end
    end
    if not f then
      if ferr then
        w:close()
        return nil, ferr, n
      end
      break
    end
    if until_ts and f.timestamp > until_ts then break end
    local ok, werr = w:write(f)
    if not ok then
      w:close()
      return nil, werr, n
    end
    n = n + 1
  end
  local ok, cerr = w:close()
  if not ok then return nil, cerr, n end
  return n
end

local function check_args(path, opts)
  if type(path) ~= "string" then error("bad argument #1 to 'dump' (path expected)", 3) end
  if opts ~= nil and type(opts) ~= "table" then
    error("bad argument #2 to 'dump' (table expected)", 3)
  end
  return opts or {}
end

--- stream:dump(path [, {until_ts=, meta=, append=}]) -> count | nil, err, count
-- Every frame of a live stream (until until_ts, or the stream's end).
function Stream:dump(path, opts)
  opts = check_args(path, opts)
  local o = {}
  for k, v in pairs(opts) do o[k] = v end
  o.gaps = self.gaps       -- a stream that reconnects records its gaps
  return M.write_frames(function() return self:read() end, path, M.meta(self, opts.meta), o)
end

--- pb:dump(path [, {until_ts=, meta=, append=}]) -> count | nil, err, count
-- Every frame of a playback, to its `to` or the end of the recording.
function Playback:dump(path, opts)
  opts = check_args(path, opts)
  return M.write_frames(function() return self:read() end, path, M.meta(self, opts.meta), opts)
end

return M
