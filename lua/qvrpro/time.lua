--- qvrpro.time: the times scripts pass, as integers of milliseconds since
-- 1970 UTC.  Accepts integers (ms), ISO 8601 strings with an offset
-- ("2026-11-24T08:00:00+01:00", "...Z", fractional seconds) and relative
-- strings ("now", "-15m", "+2h", "-1h30m", "-90s", "-1d", "-500ms").  A local
-- time without an offset is refused here: it is ambiguous at DST changes
-- (qvrpro.localtime reads times of day in a named zone).  duration_ms is the
-- one duration parser of the project ("90s", "5m", "1h30m", "500ms", or a
-- number of seconds).
local core = require "qvrpro.core"

local M = {}

local UNIT_MS = { ms = 1, s = 1000, m = 60000, h = 3600000, d = 86400000, w = 604800000 }

--- Days since 1970-01-01 of a proleptic Gregorian date (no os.time: it is local).
local function days_from_civil(y, m, d)
  y = m <= 2 and y - 1 or y
  local era = (y >= 0 and y or y - 399) // 400
  local yoe = y - era * 400
  local doy = (153 * (m + (m > 2 and -3 or 9)) + 2) // 5 + d - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  return era * 146097 + doe - 719468
end
M.days_from_civil = days_from_civil

--- The civil date (y, m, d) of a day number since 1970-01-01.
function M.civil_from_days(z)
  z = z + 719468
  local era = (z >= 0 and z or z - 146096) // 146097
  local doe = z - era * 146097
  local yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
  local y = yoe + era * 400
  local doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
  local mp = (5 * doy + 2) // 153
  local d = doy - (153 * mp + 2) // 5 + 1
  local m = mp + (mp < 10 and 3 or -9)
  return (m <= 2 and y + 1 or y), m, d
end

local function parse_iso(s)
  local y, mo, d, h, mi, sec, rest =
    s:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)[Tt ](%d%d):(%d%d):?(%d?%d?)(.*)$")
  if not y then
    y, mo, d, rest = s:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)(.*)$")
    if not y then return nil end
    h, mi, sec = "0", "0", "0"
  end
  local frac = rest:match("^[.,](%d+)") or ""
  rest = rest:sub(frac ~= "" and #frac + 2 or 1)
  local off
  if rest == "Z" or rest == "z" then
    off = 0
  else
    local sign, oh, om = rest:match("^([+-])(%d%d):?(%d%d)$")
    if not sign then
      sign, oh = rest:match("^([+-])(%d%d)$")
      om = "00"
    end
    if not sign then
      if rest == "" then
        return nil, ("time %q has no UTC offset (add Z or +01:00): "
          .. "local times are ambiguous at DST changes"):format(s)
      end
      return nil
    end
    off = (tonumber(oh) * 60 + tonumber(om)) * (sign == "-" and -1 or 1)
  end
  y, mo, d = tonumber(y), tonumber(mo), tonumber(d)
  h, mi, sec = tonumber(h), tonumber(mi), tonumber(sec ~= "" and sec or "0")
  if mo < 1 or mo > 12 or d < 1 or d > 31 or h > 23 or mi > 59 or sec > 60 then
    return nil, ("time %q is out of range"):format(s)
  end
  local ms = tonumber((frac .. "000"):sub(1, 3))
  local days = days_from_civil(y, mo, d)
  return ((days * 86400 + h * 3600 + mi * 60 + sec) - off * 60) * 1000 + ms
end

--- Milliseconds of a duration: a number of seconds, or text of one or more
-- <number><unit> parts ("90s", "30m", "1h30m", "2d", "500ms"; units ms s m h
-- d w).  Returns nil, message for anything else (negative, empty, "2x").
function M.duration_ms(v)
  if type(v) == "number" then
    if v >= 0 and v == v and v < math.huge then return math.floor(v * 1000 + 0.5) end
    return nil, ("bad duration %s"):format(tostring(v))
  end
  if type(v) ~= "string" then return nil, ("bad duration %s"):format(tostring(v)) end
  local s = v:gsub("%s", "")
  local bad = ("bad duration %q (e.g. \"90s\", \"30m\", \"1h30m\")"):format(v)
  if s == "" then return nil, bad end
  if s:match("^%d+%.?%d*$") then
    if #s > 15 then return nil, bad end
    return math.floor(tonumber(s) * 1000 + 0.5)
  end
  local total, rest = 0, s
  while rest ~= "" do
    local n, unit, after = rest:match("^(%d+%.?%d*)(%a+)()")
    if not n or not UNIT_MS[unit] or #n > 15 then return nil, bad end
    total = total + tonumber(n) * UNIT_MS[unit]
    rest = rest:sub(after)
  end
  if total > 2 ^ 53 then return nil, bad end
  return math.floor(total + 0.5)
end

--- Now, in ms since 1970 UTC.
function M.now()
  return core.now_ms()
end

--- Times are ms within years 0000..9999 (ISO text can show them; larger
-- numbers are typing slips, not times).
M.MAX_MS = 253402300799999          -- 9999-12-31T23:59:59.999Z
M.MIN_MS = -62167219200000          -- 0000-01-01T00:00:00.000Z

local function in_range(ms, shown)
  if ms and math.type(ms) == "integer" and ms >= M.MIN_MS and ms <= M.MAX_MS then return ms end
  return nil, ("time %s is out of range (years 0000 to 9999)"):format(shown)
end

--- Converts a time argument to ms; returns nil, message when it is not one.
function M.parse(v, now)
  if math.type(v) == "integer" then return in_range(v, tostring(v)) end
  if type(v) == "number" and v == math.floor(v) then return in_range(math.tointeger(v), tostring(v)) end
  if type(v) ~= "string" then
    return nil, ("expected a time (ms, ISO 8601 or relative), got %s"):format(type(v))
  end
  local s = v:match("^%s*(.-)%s*$")
  if s == "now" then return now or M.now() end
  if s:match("^%d+$") and #s >= 10 then return in_range(math.tointeger(tonumber(s)), ("%q"):format(s)) end
  local sign, rel = s:match("^([+-])(%d+%.?%d*%a.*)$")
  if sign then
    local d = M.duration_ms(rel)
    if not d then
      local unit = rel:match("^%d+%.?%d*(%a+)")
      if unit and not UNIT_MS[unit] then return nil, ("unknown time unit %q in %q"):format(unit, s) end
      if rel:match(("%d"):rep(16)) then return in_range(nil, ("%q"):format(s)) end
      return nil, ("cannot read %q as a relative time (e.g. -2h, -1h30m, +90s)"):format(s)
    end
    if d > M.MAX_MS - M.MIN_MS then return in_range(nil, ("%q"):format(s)) end
    return in_range((now or M.now()) + (sign == "-" and -d or d), ("%q"):format(s))
  end
  local t, err = parse_iso(s)
  if t then return t end
  return nil, err or ("cannot read %q as a time"):format(s)
end

--- Like parse, but raises (for arguments: a bad time is a programming error).
function M.check(v, what, now)
  local t, err = M.parse(v, now)
  if not t then error((what and (what .. ": ") or "") .. err, 3) end
  return t
end

--- "h:mm:ss" of a ms duration (rounded to the second; hours grow past 24).
function M.hms(ms)
  local s = math.floor((ms or 0) / 1000 + 0.5)
  return ("%d:%02d:%02d"):format(s // 3600, s % 3600 // 60, s % 60)
end

--- ISO 8601 UTC text of a ms time ("2026-11-24T07:00:00.000Z").
function M.iso(ms)
  ms = math.tointeger(ms) or error(("bad time %s (expected integer ms)"):format(tostring(ms)), 2)
  local s = ms // 1000
  local y, mo, d = M.civil_from_days(s // 86400)
  local r = s % 86400
  return ("%04d-%02d-%02dT%02d:%02d:%02d.%03dZ"):format(y, mo, d, r // 3600, r % 3600 // 60,
    r % 60, ms % 1000)
end

return M
