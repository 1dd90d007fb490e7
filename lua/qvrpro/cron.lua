--- qvrpro.cron: five-field cron expressions, matched against wall-clock time.
--
--   minute hour day-of-month month day-of-week
--   "*", "5", "1-5", "*/15", "1-30/5", "10/20" (10-max/20), lists "1,15,30",
--   month names JAN..DEC and day names SUN..SAT (any case), 0 and 7 = Sunday,
--   @yearly @annually @monthly @weekly @daily @midnight @hourly.
--
-- Day of month and day of week: when both are restricted a day matches if
-- either matches (the classic OR rule); a field that starts with "*" (also
-- "*/2") counts as unrestricted, as in Vixie cron and cronie.
--
-- `cron.parse(expr)` returns a Cron or nil, message; `cron.check(expr)` raises.
-- `c:next_wall(w)` is the first matching wall minute >= w (wall seconds: local
-- time counted as if UTC).  Time zones are qvrpro.schedule's business.
local qtime = require "qvrpro.time"
local tz = require "qvrpro.tz"

local M = {}

local civil_from_days = qtime.civil_from_days

local MACROS = {
  ["@yearly"] = "0 0 1 1 *", ["@annually"] = "0 0 1 1 *", ["@monthly"] = "0 0 1 * *",
  ["@weekly"] = "0 0 * * 0", ["@daily"] = "0 0 * * *", ["@midnight"] = "0 0 * * *",
  ["@hourly"] = "0 * * * *",
}

local MONTHS = { jan = 1, feb = 2, mar = 3, apr = 4, may = 5, jun = 6, jul = 7, aug = 8, sep = 9,
                 oct = 10, nov = 11, dec = 12 }
local DAYS = { sun = 0, mon = 1, tue = 2, wed = 3, thu = 4, fri = 5, sat = 6 }

local FIELDS = {
  { name = "minute", min = 0, max = 59 },
  { name = "hour", min = 0, max = 23 },
  { name = "day-of-month", min = 1, max = 31 },
  { name = "month", min = 1, max = 12, names = MONTHS },
  { name = "day-of-week", min = 0, max = 7, names = DAYS },
}

local Cron = {}
Cron.__index = Cron
Cron.__name = "qvrpro.Cron"

local function value(spec, text)
  local n = text:match("^%d+$") and math.tointeger(tonumber(text))
  if not n and spec.names then n = spec.names[text:lower()] end
  if not n and text:match("^%d+$") then n = math.huge end          -- too many digits
  if not n then
    return nil, ("%q is not a number%s"):format(text, spec.names and " or a name" or "")
  end
  if n < spec.min or n > spec.max then
    return nil, ("%s is out of range %d-%d"):format(text, spec.min, spec.max)
  end
  return n
end

-- one comma-separated item: "*", "N", "N-M", each with an optional "/step"
local function item(spec, text, set)
  local base, step = text:match("^([^/]*)/(.*)$")
  base = base or text
  local lo, hi
  if base == "*" then
    lo, hi = spec.min, spec.max
  else
    local a, b = base:match("^([^-]+)-([^-]+)$")
    local err
    if a then
      lo, err = value(spec, a)
      if not lo then return nil, err end
      hi, err = value(spec, b)
      if not hi then return nil, err end
      if lo > hi then return nil, ("range %s goes backwards"):format(base) end
    else
      lo, err = value(spec, base)
      if not lo then return nil, err end
      hi = step and spec.max or lo                     -- "10/20" means 10-max/20
    end
  end
  local by = 1
  if step then
    by = step:match("^%d+$") and tonumber(step)
    if not by or by < 1 then return nil, ("bad step %q"):format(step) end
    if by > spec.max - spec.min + 1 then return nil, ("step %s is larger than the field"):format(step) end
  end
  for v = lo, hi, by do set[v] = true end
  return true
end

local function field(spec, text)
  local set = {}
  if text == "" then return nil, "empty" end
  for part in (text .. ","):gmatch("([^,]*),") do
    if part == "" then return nil, ("empty list item in %q"):format(text) end
    local ok, err = item(spec, part, set)
    if not ok then return nil, err end
  end
  return set
end

local function sorted_list(set, lo, hi)
  local list = {}
  for v = lo, hi do if set[v] then list[#list + 1] = v end end
  return list
end

-- false when no month of any year has a matching day (e.g. "0 0 30 2 *")
local function can_match(c)
  if not c.dom_star and not c.dow_star then return true end  -- OR rule: any weekday works
  if c.dom_star then return true end
  for m = 1, 12 do
    if c.month[m] then
      local days = m == 2 and 29 or tz.month_days(2001, m)
      for d = 1, days do if c.dom[d] then return true end end
    end
  end
  return false
end

--- Parses an expression; returns a Cron or nil, message.
function M.parse(expr)
  if type(expr) ~= "string" then
    return nil, ("cron expression must be a string, got %s"):format(type(expr))
  end
  local text = expr:match("^%s*(.-)%s*$")
  local fail = function(msg) return nil, ("bad cron expression %q: %s"):format(expr, msg) end
  if text:sub(1, 1) == "@" then
    local m = MACROS[text:lower()]
    if not m then return fail("unknown macro (use @yearly, @annually, @monthly, @weekly, "
      .. "@daily, @midnight or @hourly)") end
    text = m
  end
  local parts = {}
  for p in text:gmatch("%S+") do parts[#parts + 1] = p end
  if #parts ~= 5 then
    return fail(("expected 5 fields (minute hour day-of-month month day-of-week), got %d"):format(#parts))
  end
  local c = setmetatable({ expr = expr, fields = parts }, Cron)
  local sets = {}
  for i, spec in ipairs(FIELDS) do
    local set, err = field(spec, parts[i])
    if not set then return fail(("%s field %q: %s"):format(spec.name, parts[i], err)) end
    sets[i] = set
  end
  if sets[5][7] then sets[5][0] = true; sets[5][7] = nil end
  c.minute, c.hour, c.dom, c.month, c.dow = sets[1], sets[2], sets[3], sets[4], sets[5]
  c.minutes, c.hours = sorted_list(c.minute, 0, 59), sorted_list(c.hour, 0, 23)
  c.dom_star = parts[3]:sub(1, 1) == "*"
  c.dow_star = parts[5]:sub(1, 1) == "*"
  -- "wildcard" jobs (minute or hour field starting with * or covering every
  -- value) run at every real time when the clock is set back
  c.wildcard = parts[1]:sub(1, 1) == "*" or parts[2]:sub(1, 1) == "*"
    or #c.minutes == 60 or #c.hours == 24
  if not can_match(c) then return fail("no day ever matches") end
  return c
end

--- Like parse, but raises.
function M.check(expr, level)
  if getmetatable(expr) == Cron then return expr end
  local c, err = M.parse(expr)
  if not c then error(err, (level or 1) + 1) end
  return c
end

M.is_cron = function(v) return getmetatable(v) == Cron end

--- Does day number `days` (since 1970, wall) match the day fields?
function Cron:day_matches(days)
  local _, mo, d = civil_from_days(days)
  if not self.month[mo] then return false end
  local wday = (days + 4) % 7
  if self.dom_star or self.dow_star then
    return self.dom[d] and self.dow[wday] or false
  end
  return self.dom[d] or self.dow[wday] or false
end

local SEARCH_DAYS = 366 * 12

--- The first matching wall minute at or after wall second w (rounded up to
-- a whole minute); nil if none within twelve years (cannot happen for an
-- expression that parsed).
function Cron:next_wall(w)
  w = -(-w // 60) * 60
  local day0 = w // 86400
  local r = w % 86400
  local h0, m0 = r // 3600, r % 3600 // 60
  for day = day0, day0 + SEARCH_DAYS do
    if self:day_matches(day) then
      for _, h in ipairs(self.hours) do
        if day > day0 or h >= h0 then
          for _, m in ipairs(self.minutes) do
            if day > day0 or h > h0 or m >= m0 then
              return day * 86400 + h * 3600 + m * 60
            end
          end
        end
      end
    end
  end
  return nil
end

function Cron:__tostring()
  return ("qvrpro.Cron %s"):format(self.expr)
end

return M
