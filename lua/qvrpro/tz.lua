--- qvrpro.tz: IANA time zones from the system's zoneinfo, in pure Lua.
-- Reads TZif files (versions 1, 2 and 3, RFC 8536) and the POSIX TZ string of
-- their footer, which gives the rules beyond the last stored transition (and
-- is all that "slim" files hold).  Times here are integer seconds since 1970
-- UTC; "wall" seconds are the zone's local date and time counted as if they
-- were UTC (so qvrpro.time.civil_from_days works on them).
--
--   local zone = tz.get("Europe/Berlin")       -- cached; nil = $TZ, else /etc/localtime
--   zone:offset(t)  --> seconds east of UTC, abbreviation, is_dst
--   zone:wall(t)    --> t + offset
--   zone:utc(wall)  --> every instant showing that wall time (0, 1 or 2, ascending)
local qtime = require "qvrpro.time"
local files = require "qvrpro.files"

local M = {}

local days_from_civil = qtime.days_from_civil
local civil_from_days = qtime.civil_from_days

local Zone = {}
Zone.__index = Zone
Zone.__name = "qvrpro.Zone"

-- ---------------------------------------------------------------------------
-- POSIX TZ strings: "CET-1CEST,M3.5.0,M10.5.0/3", "<+0330>-3:30", "EST5EDT,0/0,J365/25"

local function parse_hms(s, pos, signed)
  local sign = 1
  local c = s:sub(pos, pos)
  if c == "+" or c == "-" then
    if not signed then return nil end
    sign = c == "-" and -1 or 1
    pos = pos + 1
  end
  local h, stop = s:match("^(%d%d?%d?)()", pos)
  if not h then return nil end
  local total = tonumber(h) * 3600
  pos = stop
  local m
  m, stop = s:match("^:(%d%d)()", pos)
  if m then
    total = total + tonumber(m) * 60
    pos = stop
    local sec
    sec, stop = s:match("^:(%d%d)()", pos)
    if sec then total = total + tonumber(sec); pos = stop end
  end
  return sign * total, pos
end

local function parse_abbr(s, pos)
  local q, stop = s:match("^<([%w+-]+)>()", pos)
  if q then return q, stop end
  local a
  a, stop = s:match("^(%a%a%a+)()", pos)
  return a, stop
end

local function parse_rule(s, pos)
  local rule = {}
  local j, stop = s:match("^J(%d+)()", pos)
  if j then
    rule.kind, rule.day = "J", tonumber(j)
    if rule.day < 1 or rule.day > 365 then return nil end
  else
    local mo, w, d
    mo, w, d, stop = s:match("^M(%d%d?)%.(%d)%.(%d)()", pos)
    if mo then
      rule.kind, rule.month, rule.week, rule.wday = "M", tonumber(mo), tonumber(w), tonumber(d)
      if rule.month < 1 or rule.month > 12 or rule.week < 1 or rule.week > 5 or rule.wday > 6 then
        return nil
      end
    else
      local n
      n, stop = s:match("^(%d+)()", pos)
      if not n then return nil end
      rule.kind, rule.day = "N", tonumber(n)
      if rule.day > 365 then return nil end
    end
  end
  rule.time = 7200
  if s:sub(stop, stop) == "/" then
    local t, after = parse_hms(s, stop + 1, true)   -- v3: negative and > 24 h allowed
    if not t then return nil end
    rule.time, stop = t, after
  end
  return rule, stop
end

--- Reads a POSIX TZ string; returns a rule table or nil, message.
function M.parse_posix(s)
  local bad = function() return nil, ("bad POSIX TZ string %q"):format(s) end
  local std, pos = parse_abbr(s, 1)
  if not std then return bad() end
  local off
  off, pos = parse_hms(s, pos, true)
  if not off then return bad() end
  local r = { std = std, std_off = -off }
  if pos > #s then return r end
  local dst
  dst, pos = parse_abbr(s, pos)
  if not dst then return bad() end
  r.dst, r.dst_off = dst, r.std_off + 3600
  if pos <= #s and s:sub(pos, pos) ~= "," then
    off, pos = parse_hms(s, pos, true)
    if not off then return bad() end
    r.dst_off = -off
  end
  if pos > #s then
    -- no rules given: POSIX leaves them to the implementation; use the US ones
    r.start = { kind = "M", month = 3, week = 2, wday = 0, time = 7200 }
    r["end"] = { kind = "M", month = 11, week = 1, wday = 0, time = 7200 }
    return r
  end
  if s:sub(pos, pos) ~= "," then return bad() end
  r.start, pos = parse_rule(s, pos + 1)
  if not r.start or s:sub(pos, pos) ~= "," then return bad() end
  r["end"], pos = parse_rule(s, pos + 1)
  if not r["end"] or pos <= #s then return bad() end
  return r
end

local function is_leap(y)
  return y % 4 == 0 and (y % 100 ~= 0 or y % 400 == 0)
end

local MONTH_DAYS = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }

local function month_days(y, m)
  if m == 2 and is_leap(y) then return 29 end
  return MONTH_DAYS[m]
end
M.month_days = month_days

-- the day number (since 1970) a rule picks in year y
local function rule_day(rule, y)
  if rule.kind == "J" then
    local d = rule.day - 1                             -- Feb 29 is never counted
    if is_leap(y) and rule.day > 59 then d = d + 1 end
    return days_from_civil(y, 1, 1) + d
  elseif rule.kind == "N" then
    return days_from_civil(y, 1, 1) + rule.day
  end
  local first = days_from_civil(y, rule.month, 1)
  local first_wday = (first + 4) % 7                   -- 1970-01-01 was a Thursday
  local d = first + (rule.wday - first_wday) % 7 + (rule.week - 1) * 7
  local last = first + month_days(y, rule.month) - 1
  while d > last do d = d - 7 end
  return d
end

-- offset, abbreviation, is_dst of a POSIX rule at UTC second t
local function posix_offset(r, t)
  if not r.dst then return r.std_off, r.std, false end
  local y = civil_from_days((t + r.std_off) // 86400)
  -- both transitions of year y, in UTC: start is given in standard time, end in DST
  local start = rule_day(r.start, y) * 86400 + r.start.time - r.std_off
  local stop = rule_day(r["end"], y) * 86400 + r["end"].time - r.dst_off
  local in_dst
  if start < stop then
    in_dst = t >= start and t < stop
  else                                                 -- southern hemisphere
    in_dst = t < stop or t >= start
  end
  if in_dst then return r.dst_off, r.dst, true end
  return r.std_off, r.std, false
end

-- ---------------------------------------------------------------------------
-- TZif

local function read_header(data, pos)
  if data:sub(pos, pos + 3) ~= "TZif" or #data < pos + 43 then return nil end
  local version = data:sub(pos + 4, pos + 4)
  local isut, isstd, leap, timecnt, typecnt, charcnt = string.unpack(">I4I4I4I4I4I4", data, pos + 20)
  return { version = version == "\0" and 1 or tonumber(version) or 2, isut = isut, isstd = isstd,
           leap = leap, timecnt = timecnt, typecnt = typecnt, charcnt = charcnt }, pos + 44
end

local function block_size(h, tsize)
  return h.timecnt * tsize + h.timecnt + h.typecnt * 6 + h.charcnt
    + h.leap * (tsize + 4) + h.isstd + h.isut
end

local function read_block(data, pos, h, tsize)
  local tfmt = tsize == 4 and ">i4" or ">i8"
  local times, idx, types = {}, {}, {}
  for i = 1, h.timecnt do times[i], pos = string.unpack(tfmt, data, pos) end
  for i = 1, h.timecnt do idx[i], pos = string.unpack("B", data, pos) end
  for i = 1, h.typecnt do
    local off, isdst, ai
    off, isdst, ai, pos = string.unpack(">i4BB", data, pos)
    types[i] = { off = off, isdst = isdst ~= 0, ai = ai }
  end
  local chars = data:sub(pos, pos + h.charcnt - 1)
  for _, ty in ipairs(types) do
    ty.abbr = chars:match("^[^%z]*", ty.ai + 1) or ""
    ty.ai = nil
  end
  for i, k in ipairs(idx) do
    if k >= h.typecnt then return nil, "transition type out of range" end
    idx[i] = types[k + 1]
  end
  return times, idx, types
end

--- Reads the bytes of a TZif file; returns a Zone or nil, message.
function M.parse_tzif(data, name)
  local h, pos = read_header(data, 1)
  if not h then return nil, "not a TZif file" end
  if h.typecnt == 0 then return nil, "TZif file without local time types" end
  local tsize, footer = 4, nil
  if h.version >= 2 then
    local h2, pos2 = read_header(data, pos + block_size(h, 4))
    if not h2 then return nil, "TZif: bad second header" end
    if h2.typecnt == 0 then return nil, "TZif: second header without local time types" end
    h, pos, tsize = h2, pos2, 8
    footer = data:match("^\n([^\n]*)\n", pos + block_size(h, 8))
  end
  if #data < pos + block_size(h, tsize) - 1 then return nil, "TZif file is truncated" end
  local times, idx, types = read_block(data, pos, h, tsize)
  if not times then return nil, "TZif: " .. idx end
  local zone = setmetatable({ name = name, times = times, types = idx, first = types[1],
                              footer = footer }, Zone)
  if footer and footer ~= "" then
    local rule, err = M.parse_posix(footer)
    if not rule then return nil, err end
    zone.rule = rule
  end
  return zone:finish()
end

--- A zone from a POSIX TZ string alone ("CET-1CEST,M3.5.0,M10.5.0/3").
function M.posix_zone(s, name)
  local rule, err = M.parse_posix(s)
  if not rule then return nil, err end
  return setmetatable({ name = name or s, times = {}, types = {},
                        first = { off = rule.std_off, abbr = rule.std, isdst = false },
                        rule = rule, footer = s }, Zone):finish()
end

-- the largest change of offset the zone ever makes (how far wall time jumps)
function Zone:finish()
  local offs, seen = {}, {}
  local function add(o) if not seen[o] then seen[o] = true; offs[#offs + 1] = o end end
  add(self.first.off)
  for _, ty in ipairs(self.types) do add(ty.off) end
  if self.rule then add(self.rule.std_off); if self.rule.dst_off then add(self.rule.dst_off) end end
  local lo, hi = math.huge, -math.huge
  for _, o in ipairs(offs) do lo = math.min(lo, o); hi = math.max(hi, o) end
  self.max_jump = hi - lo
  return self
end

--- offset east of UTC in seconds, abbreviation and DST flag at UTC second t
function Zone:offset(t)
  local times = self.times
  local n = #times
  if n == 0 or t < times[1] then
    if n == 0 and self.rule then return posix_offset(self.rule, t) end
    return self.first.off, self.first.abbr, self.first.isdst
  end
  if t >= times[n] and self.rule then return posix_offset(self.rule, t) end
  local lo, hi = 1, n                                  -- last i with times[i] <= t
  while lo < hi do
    local mid = (lo + hi + 1) // 2
    if times[mid] <= t then lo = mid else hi = mid - 1 end
  end
  local ty = self.types[lo]
  return ty.off, ty.abbr, ty.isdst
end

--- wall-clock seconds (local time counted as if UTC) of UTC second t
function Zone:wall(t)
  return t + (self:offset(t))
end

--- The UTC seconds showing wall time w: {} in a gap, {t} normally, {t1, t2}
-- when the clock is set back; second result: in a gap, the instant the
-- wall time maps to with the offset in force before the gap (w shifted
-- forward by the gap's length, as mktime does).
function Zone:utc(w)
  local probes, seen, found = {}, {}, {}
  local function probe(o) if not seen[o] then seen[o] = true; probes[#probes + 1] = o end end
  probe((self:offset(w - 86400)))
  probe((self:offset(w)))
  probe((self:offset(w + 86400)))
  local i = 1
  while i <= #probes do                                -- closure: offsets seen near w
    probe((self:offset(w - probes[i])))
    i = i + 1
  end
  local hits = {}
  for _, o in ipairs(probes) do
    local t = w - o
    if (self:offset(t)) == o and not found[t] then found[t] = true; hits[#hits + 1] = t end
  end
  table.sort(hits)
  if #hits > 0 then return hits end
  local max = -math.huge
  for _, o in ipairs(probes) do max = math.max(max, o) end
  return hits, w - (self:offset(w - max))
end

function Zone:__tostring()
  return ("qvrpro.Zone %s"):format(self.name or "?")
end

-- ---------------------------------------------------------------------------
-- lookup

local UTC = M.posix_zone("UTC0", "UTC")
M.UTC = UTC

local cache = {}

local function zoneinfo_dir()
  return os.getenv("TZDIR") or "/usr/share/zoneinfo"
end

local function load_path(path, name)
  local data = files.read(path)
  if not data then return nil end
  local zone, err = M.parse_tzif(data, name)
  if not zone then return nil, ("time zone %s: %s"):format(name, err) end
  return zone
end

local function load_named(name)
  if name == "UTC" or name == "Etc/UTC" or name == "Z" or name == "GMT" then return UTC end
  if name:match("^/") then
    return load_path(name, name)
  end
  if name:find("..", 1, true) or not name:match("^[%w_+%-/]+$") then
    return nil, ("bad time zone name %q"):format(name)
  end
  local zone, err = load_path(zoneinfo_dir() .. "/" .. name, name)
  if zone or err then return zone, err end
  if name:match("^%a+[+-]?%d") or name:match("^<") then return M.posix_zone(name) end
  return nil, ("unknown time zone %q (not in %s)"):format(name, zoneinfo_dir())
end

local function local_zone()
  local tz = os.getenv("TZ")
  if tz and tz ~= "" then
    local name = tz:gsub("^:", "")
    if name:match("^%a%a%a+[+-]?%d") or name:match("^<") then
      local zone = load_named(name)
      if zone then return zone end
      return M.posix_zone(name)
    end
    return load_named(name)
  end
  -- Debian names the zone in /etc/timezone; /etc/localtime holds its data
  local named = (files.read("/etc/timezone") or ""):match("^%s*([%w_+%-/]+)")
  local zone = load_path("/etc/localtime", named or "localtime")
  if zone then return zone end
  return UTC
end

--- The zone of a name ("Europe/Berlin", "UTC", a path, a POSIX TZ string),
-- nil for the local zone ($TZ, else /etc/localtime), or a Zone itself.
-- Returns the (cached) Zone, or nil, message.
function M.get(name)
  if getmetatable(name) == Zone then return name end
  if name ~= nil and type(name) ~= "string" then
    return nil, ("time zone must be a name, got %s"):format(type(name))
  end
  local key = name or ("\0local:" .. (os.getenv("TZ") or ""))
  local zone = cache[key]
  if zone then return zone end
  local err
  if name == nil then zone, err = local_zone() else zone, err = load_named(name) end
  if not zone then return nil, err end
  cache[key] = zone
  return zone
end

--- Like get, but raises (a bad zone argument is a programming error).
function M.check(name, level)
  local zone, err = M.get(name)
  if not zone then error(err, (level or 1) + 1) end
  return zone
end

--- Forgets the cached zones (after a tzdata update).
function M.clear_cache()
  cache = {}
end

M.is_zone = function(v) return getmetatable(v) == Zone end

-- ---------------------------------------------------------------------------
-- formatting

local DAY_NAMES = { "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday" }
local MONTH_NAMES = { "January", "February", "March", "April", "May", "June", "July", "August",
                      "September", "October", "November", "December" }

--- Broken-down local time of UTC ms `ms` in `zone`: year, month, day, hour,
-- min, sec, wday (0 = Sunday), yday (1..366), offset (s), abbr, isdst.
function M.fields(ms, zone)
  zone = M.check(zone, 2)
  local t = ms // 1000
  local off, abbr, isdst = zone:offset(t)
  local w = t + off
  local days = w // 86400
  local y, mo, d = civil_from_days(days)
  local r = w % 86400
  return { year = y, month = mo, day = d, hour = r // 3600, min = r % 3600 // 60, sec = r % 60,
           wday = (days + 4) % 7, yday = days - days_from_civil(y, 1, 1) + 1,
           offset = off, abbr = abbr, isdst = isdst, ms = ms % 1000, epoch = t }
end

local function fmt_offset(off, colon)
  local sign = off < 0 and "-" or "+"
  off = math.abs(off)
  return ("%s%02d%s%02d"):format(sign, off // 3600, colon and ":" or "", off % 3600 // 60)
end

local CONV = {
  Y = function(f) return ("%04d"):format(f.year) end,
  y = function(f) return ("%02d"):format(f.year % 100) end,
  C = function(f) return ("%02d"):format(f.year // 100) end,
  m = function(f) return ("%02d"):format(f.month) end,
  d = function(f) return ("%02d"):format(f.day) end,
  e = function(f) return ("%2d"):format(f.day) end,
  H = function(f) return ("%02d"):format(f.hour) end,
  I = function(f) return ("%02d"):format((f.hour + 11) % 12 + 1) end,
  p = function(f) return f.hour < 12 and "AM" or "PM" end,
  M = function(f) return ("%02d"):format(f.min) end,
  S = function(f) return ("%02d"):format(f.sec) end,
  j = function(f) return ("%03d"):format(f.yday) end,
  a = function(f) return DAY_NAMES[f.wday + 1]:sub(1, 3) end,
  A = function(f) return DAY_NAMES[f.wday + 1] end,
  b = function(f) return MONTH_NAMES[f.month]:sub(1, 3) end,
  B = function(f) return MONTH_NAMES[f.month] end,
  u = function(f) return tostring(f.wday == 0 and 7 or f.wday) end,
  w = function(f) return tostring(f.wday) end,
  Z = function(f) return f.abbr end,
  z = function(f) return fmt_offset(f.offset) end,
  s = function(f) return tostring(f.epoch) end,
  F = function(f) return ("%04d-%02d-%02d"):format(f.year, f.month, f.day) end,
  T = function(f) return ("%02d:%02d:%02d"):format(f.hour, f.min, f.sec) end,
  R = function(f) return ("%02d:%02d"):format(f.hour, f.min) end,
  ["%"] = function() return "%" end,
}

--- strftime-like formatting of UTC ms in a zone: %Y %y %C %m %d %e %H %I %p
-- %M %S %j %a %A %b %B %u %w %Z %z %s %F %T %R %%.  Unknown conversions raise.
function M.format(fmt, ms, zone)
  local f = M.fields(ms, zone)
  return (fmt:gsub("%%(.)", function(c)
    local conv = CONV[c]
    if not conv then error(("unknown time format %%%s in %q"):format(c, fmt), 3) end
    return conv(f)
  end))
end

--- "2026-03-29 03:30:00 CEST (+02:00)": a readable local time.
function M.describe(ms, zone)
  local f = M.fields(ms, zone)
  return ("%04d-%02d-%02d %02d:%02d:%02d %s (%s)"):format(f.year, f.month, f.day, f.hour, f.min,
    f.sec, f.abbr, fmt_offset(f.offset, true))
end

--- The UTC ms of a local date and time in a zone.  In a gap the time is moved
-- forward by the gap's length; when the clock is set back the first
-- occurrence is taken (pass `which = "last"` for the second).
function M.local_ms(zone, y, mo, d, h, mi, s, which)
  zone = M.check(zone, 2)
  local w = days_from_civil(y, mo, d) * 86400 + (h or 0) * 3600 + (mi or 0) * 60 + (s or 0)
  local hits, shifted = zone:utc(w)
  local t = hits[1] and (which == "last" and hits[#hits] or hits[1]) or shifted
  return t * 1000
end

return M
