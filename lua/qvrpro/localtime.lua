--- qvrpro.localtime: times people type, read in a time zone.
--
--   localtime.parse("08:00", now, zone)            -- today 08:00 in zone
--   localtime.parse("yesterday 22:00", now, zone)
--   localtime.parse("today"), ("yesterday")        -- local midnight
--   localtime.parse("2026-11-24 08:00", now, zone) -- a local date and time
--   localtime.day_start(t, zone, days_back)        -- local midnight
--
-- Everything qvrpro.time.parse reads (ms, ISO 8601 with an offset, "now",
-- relative "-1h30m") is read the same way.  zone: a qvrpro.tz zone or name,
-- nil for the local zone.  A local time that the clock skips (DST) is moved
-- forward; one it passes twice is the first.
local qtime = require "qvrpro.time"
local tz = require "qvrpro.tz"

local M = {}

--- ms of the local midnight `days_back` days before the day of ms t (with
-- hour and minute: that time of that day).
function M.day_start(t, zone, days_back, hour, minute)
  local f = tz.fields(t, zone)
  local day = qtime.days_from_civil(f.year, f.month, f.day) - (days_back or 0)
  local y, mo, d = qtime.civil_from_days(day)
  return tz.local_ms(zone, y, mo, d, hour or 0, minute or 0, 0)
end

local function hhmm(s, text)
  if s == "" then return 0, 0, 0 end
  local h, m, sec = s:match("^(%d%d?):(%d%d):?(%d?%d?)$")
  if not h then return nil, ("bad time of day in %q (e.g. 08:00)"):format(text) end
  h, m, sec = tonumber(h), tonumber(m), tonumber(sec ~= "" and sec or "0")
  if h > 24 or m > 59 or sec > 59 or (h == 24 and (m > 0 or sec > 0)) then
    return nil, ("bad time of day in %q"):format(text)
  end
  return h, m, sec
end

--- Reads a time; returns ms since 1970, or nil, message.
function M.parse(v, now, zone)
  if type(v) ~= "string" then return qtime.parse(v, now) end
  local s = v:match("^%s*(.-)%s*$"):lower()
  local word, rest = s:match("^(%a+)%s*(.*)$")
  local back = word and ({ today = 0, yesterday = 1, tomorrow = -1 })[word]
  if back then
    local h, m, sec = hhmm(rest, v)
    if not h then return nil, m end
    local zok, zerr = tz.get(zone)
    if not zok then return nil, zerr end
    return M.day_start(now or qtime.now(), zone, back, h, m) + sec * 1000
  end
  if s:match("^%d%d?:%d%d") then
    local h, m, sec = hhmm(s, v)
    if not h then return nil, m end
    return M.day_start(now or qtime.now(), zone, 0, h, m) + sec * 1000
  end
  local y, mo, d, time = s:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)[t ](%d%d?:%d%d:?%d?%d?)$")
  if not y then
    y, mo, d = s:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)$")
    time = ""
  end
  if y then
    local h, m, sec = hhmm(time, v)
    if not h then return nil, m end
    y, mo, d = tonumber(y), tonumber(mo), tonumber(d)
    if mo < 1 or mo > 12 or d < 1 or d > 31 then return nil, ("date %q is out of range"):format(v) end
    return tz.local_ms(zone, y, mo, d, h, m, sec)
  end
  return qtime.parse(v, now)
end

return M
