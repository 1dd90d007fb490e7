--- qvrpro.sink.journal: the index journal of a resumable Matroska export
-- (path .. ".part.idx").  It holds no frame: a head (the job, the muxer's
-- zero point, metadata and streams), then, a few times a second, the
-- latest sync point of the muxer (csrc/media/mux.h): the size of the .part
-- up to the end of a whole cluster and, per medium, what of it the file
-- holds (frames, last timestamp and how many frames at it, the muxer's
-- duration state, the gap tracker), and the gaps found so far.  Resume cuts
-- the .part at the last sync point and continues the playback from there
-- (qvrpro.export).
--
-- One record a line: a kind, then key=value pairs; a value is "i:" and an
-- integer, "s:" and the string in hex, or "b:1" (true).  The first line is
-- "QVRJ1 head ...".  A last line without its newline is a write a kill cut
-- short and is ignored; any other line that does not read is corruption.
local M = {}

local MAGIC = "QVRJ1"

local function hex(s)
  return (s:gsub(".", function(c) return ("%02x"):format(c:byte()) end))
end

local function unhex(h)
  if #h % 2 ~= 0 or h:find("[^%x]") then return nil end
  return (h:gsub("%x%x", function(x) return string.char(tonumber(x, 16)) end))
end

local function encode(kind, t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  local out = { kind }
  for _, k in ipairs(keys) do
    local v = t[k]
    if math.type(v) == "integer" then out[#out + 1] = k .. "=i:" .. v
    elseif type(v) == "string" then out[#out + 1] = k .. "=s:" .. hex(v)
    elseif v == true then out[#out + 1] = k .. "=b:1"
    elseif v ~= false and v ~= nil then error("journal: cannot store " .. type(v) .. " " .. k) end
  end
  return table.concat(out, " ") .. "\n"
end

local function decode(line)
  local kind = line:match("^(%a+)")
  if not kind then return nil end
  local t, rest = {}, line:sub(#kind + 1)
  for pair in rest:gmatch("%S+") do
    local k, ty, v = pair:match("^([%w_]+)=(%a):(.*)$")
    if not k then return nil end
    if ty == "i" then t[k] = math.tointeger(tonumber(v))
    elseif ty == "s" then t[k] = unhex(v)
    elseif ty == "b" and v == "1" then t[k] = true
    else return nil end
    if t[k] == nil then return nil end
  end
  if rest:gsub("%S+", ""):find("[^ ]") then return nil end
  return kind, t
end
M.encode, M.decode = encode, decode

local Writer = {}
Writer.__index = Writer

--- A new journal at path: head (a flat table) and streams ({media=,
-- spec={...}} in the muxer's order); when continuing one, its last sync
-- record (as M.load gives it) and the gaps up to it.  Written aside and
-- renamed over path, so a kill leaves the old journal or the new one.
-- writer | nil, err
function M.create(path, head, streams, sync, gaps)
  local tmp = path .. ".tmp"
  local f, err = io.open(tmp, "wb")
  if not f then return nil, err end
  local w = setmetatable({ file = f, path = path, gaps = { video = 0, audio = 0 } }, Writer)
  local lines = { MAGIC .. " " .. encode("head", head) }
  for _, s in ipairs(streams) do
    local t = { media = s.media }
    for k, v in pairs(s.spec) do t["x_" .. k] = v end
    lines[#lines + 1] = encode("stream", t)
  end
  if sync then
    for _, media in ipairs { "video", "audio" } do
      for _, g in ipairs(gaps[media]) do
        lines[#lines + 1] = encode("gap", { media = media, from = g.from, to = g.to })
      end
      w.gaps[media] = #gaps[media]
    end
    lines[#lines + 1] = encode("sync", sync)
  end
  local ok, werr = f:write(table.concat(lines))
  if ok then ok, werr = f:flush() end
  if ok then ok, werr = os.rename(tmp, path) end
  if not ok then f:close(); os.remove(tmp); return nil, werr end
  return w
end

-- The gap records not yet written: per medium, the entries of lists[media]
-- after the ones already in the journal, up to upto[media] (the whole list
-- when upto is nil).  Counts them as written.  {line...}
local function gap_lines(self, lists, upto)
  local lines = {}
  for _, media in ipairs { "video", "audio" } do
    local list = lists[media]
    local n = upto and math.min(upto[media], #list) or #list
    for i = self.gaps[media] + 1, n do
      lines[#lines + 1] = encode("gap", { media = media, from = list[i].from, to = list[i].to })
    end
    self.gaps[media] = math.max(self.gaps[media], n)
  end
  return lines
end

-- Appends lines to the journal and flushes them.  true | nil, err
local function write_lines(self, lines)
  local ok, err = self.file:write(table.concat(lines))
  if ok then ok, err = self.file:flush() end
  if not ok then return nil, err end
  return true
end

--- Records a sync point (loop:sync()) with the gaps up to it (from
-- loop:state()) and the result fields (first_ts).  true | nil, err
function Writer:sync(s, state)
  local lines = gap_lines(self, { video = state.video.gaps, audio = state.audio.gaps },
                          { video = s.video and s.video.gaps or 0, audio = s.audio and s.audio.gaps or 0 })
  local t = { seq = s.seq, offset = s.offset, header_len = s.header_len, zero = s.zero,
              first_ts = state.first_ts }
  for _, media in ipairs { "video", "audio" } do
    local c = s[media]
    if c then
      local p = media:sub(1, 1) .. "_"
      t[p .. "packets"], t[p .. "last_pts"], t[p .. "usual"] = c.packets, c.last_pts, c.usual
      t[p .. "ts"], t[p .. "n"], t[p .. "gaps"], t[p .. "interval"] = c.ts, c.n, c.gaps, c.interval
    end
  end
  lines[#lines + 1] = encode("sync", t)
  return write_lines(self, lines)
end

--- Records a sync point of an export whose output is cut back on resume by
-- Lua (.h264, .jpg): t is the sync record (a flat table); lists holds each
-- medium's whole gap list, of which the entries not yet written go first.
-- true | nil, err
function Writer:record(t, lists)
  local lines = gap_lines(self, lists)
  for _, media in ipairs { "video", "audio" } do t[media:sub(1, 1) .. "_gaps"] = #lists[media] end
  lines[#lines + 1] = encode("sync", t)
  return write_lines(self, lines)
end

function Writer:close()
  if io.type(self.file) == "file" then self.file:close() end
end

--- Reads a journal: {head=, streams={{media=, spec=}}, sync=last sync or
-- nil, gaps={video={...}, audio={...}}} | nil, why (a sentence).
function M.load(path)
  local f, err = io.open(path, "rb")
  if not f then return nil, err end
  local text = f:read("a")
  f:close()
  if text:sub(1, #MAGIC + 1) ~= MAGIC .. " " then
    return nil, "it is not an export journal (no " .. MAGIC .. " head)"
  end
  local j = { streams = {}, gaps = { video = {}, audio = {} } }
  local all = { video = {}, audio = {} }
  local n = 0
  for line, nl in text:sub(#MAGIC + 2):gmatch("([^\n]*)(\n?)") do
    if nl == "" then break end          -- the last line, cut short by a kill
    n = n + 1
    local kind, t = decode(line)
    if not kind or (n == 1) ~= (kind == "head") then
      return nil, ("its line %d is corrupt"):format(n)
    end
    if kind == "head" then j.head = t
    elseif kind == "stream" then
      local spec = {}
      for k, v in pairs(t) do
        local key = k:match("^x_(.+)$")
        if key then spec[key] = v end
      end
      j.streams[#j.streams + 1] = { media = t.media, spec = spec }
    elseif kind == "gap" and all[t.media] and t.from and t.to then
      local list = all[t.media]
      list[#list + 1] = { from = t.from, to = t.to }
    elseif kind == "sync" and t.offset then
      j.sync = t
    else
      return nil, ("its line %d is corrupt"):format(n)
    end
  end
  if not j.head then return nil, "it has no head" end
  for media, list in pairs(all) do
    local upto = j.sync and j.sync[media:sub(1, 1) .. "_gaps"] or 0
    if upto > #list then
      return nil, ("its last sync point counts %d %s gaps, it lists %d"):format(upto, media, #list)
    end
    for i = 1, upto do j.gaps[media][i] = list[i] end
  end
  return j
end

return M
