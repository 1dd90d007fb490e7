--- qvrpro.schedule.times: next run times of cron expressions in a zone (see
-- the DST rules in qvrpro.schedule's header), durations, and the times and
-- ranges a job's config names relative to its scheduled run.
local qtime = require "qvrpro.time"
local cron = require "qvrpro.cron"
local tz = require "qvrpro.tz"
local localtime = require "qvrpro.localtime"
local qpath = require "qvrpro.path"

local M = {}

local function check_after(after, level)
  if after == nil then return qtime.now() end
  local t, err = qtime.parse(after)
  if not t then error("bad time: " .. err, level + 1) end
  return t
end

-- how far the zone's offset moves near UTC second t (0 far from any change)
local function local_jump(zone, t)
  if zone.max_jump == 0 then return 0 end
  local lo, hi = math.huge, -math.huge
  for d = -2, 2 do
    local o = zone:offset(t + d * 86400)
    lo, hi = math.min(lo, o), math.max(hi, o)
  end
  return hi - lo
end

-- the UTC seconds a matching wall time w stands for (see the header)
local function instants(c, zone, w)
  local hits, shifted = zone:utc(w)
  if #hits == 0 then return { shifted } end
  if #hits > 1 and not c.wildcard then return { hits[1] } end
  return hits
end

-- the first run (UTC seconds) strictly after UTC second a
local function next_after(c, zone, a)
  local jump = local_jump(zone, a)
  local w = c:next_wall(zone:wall(a) - jump)
  local best, limit
  while w do
    if limit and w > limit then break end
    for _, t in ipairs(instants(c, zone, w)) do
      if t > a and (not best or t < best) then
        best = t
        if not limit then limit = w + local_jump(zone, t) end
      end
    end
    w = c:next_wall(w + 60)
  end
  return best
end

--- The first run (ms) of parsed cron `c` in zone object `zone` strictly
-- after ms `after_ms`, or nil.
function M.next_ms(c, zone, after_ms)
  local t = next_after(c, zone, after_ms // 1000)
  return t and t * 1000
end
local next_ms = M.next_ms

--- ms of `after` (nil = now); raises "bad time" at `level`.
M.check_after = check_after

--- The next run of a cron expression strictly after `after` (ms, or any time
-- qvrpro.time reads; nil = now), in the wall time of `zone` (an IANA name,
-- "UTC", a POSIX TZ string, nil for the local zone).  Raises on a bad
-- expression, time or zone.
function M.next(expr, after, zone)
  local c = cron.check(expr, 2)
  local z = tz.check(zone, 2)
  return next_ms(c, z, check_after(after, 2))
end

--- The next n runs (an array of ms), strictly after `after`.
function M.next_n(expr, after, zone, n)
  local c = cron.check(expr, 2)
  local z = tz.check(zone, 2)
  local t = check_after(after, 2)
  if math.type(n) ~= "integer" or n < 0 then error("bad argument #4 to 'next_n' (count expected)", 2) end
  local out = {}
  for i = 1, n do
    t = next_ms(c, z, t)
    if not t then break end
    out[i] = t
  end
  return out
end

--- strftime-like text of ms in a zone (see qvrpro.tz.format).
function M.format(fmt, ms, zone)
  return tz.format(fmt, ms, zone)
end

-- durations and times of jobs

--- Seconds of a duration: a number of seconds or "90s", "30m", "1h30m", "2d"
-- (qvrpro.time.duration_ms reads it).
function M.duration(v)
  local ms, err = qtime.duration_ms(v)
  if not ms then return nil, err end
  return ms / 1000
end

local local_day_start = localtime.day_start

--- A time of a job relative to its scheduled run `at` in `zone`: ms, ISO 8601
-- with an offset, "now", relative ("-2h"), "today HH:MM", "yesterday HH:MM"
-- (HH may be 24), "today"/"yesterday" (midnight), or function(at, zone).
function M.resolve_time(spec, at, zone)
  if type(spec) == "function" then return spec(at, zone) end
  if type(spec) == "string" then
    local word, hh, mm = spec:match("^%s*(%a+)%s*(%d?%d?):?(%d?%d?)%s*$")
    local back = word and ({ today = 0, yesterday = 1 })[word:lower()]
    if back then
      local h, m = tonumber(hh) or 0, tonumber(mm) or 0
      if h > 24 or m > 59 or (h == 24 and m > 0) then
        return nil, ("bad time of day in %q"):format(spec)
      end
      return local_day_start(at, zone, back, h, m)
    end
  end
  return qtime.parse(spec, at)
end

--- The [from, to] of an export run at `at`: range = "yesterday", "today"
-- (midnight until now), "last_hour" (the previous whole local hour), a
-- duration ("2h": the two hours before the run); or explicit from/to.
function M.resolve_range(job, at, zone)
  local range = job.range
  local from, to, err
  if range == "yesterday" then
    from, to = local_day_start(at, zone, 1), local_day_start(at, zone, 0)
  elseif range == "today" then
    from, to = local_day_start(at, zone, 0), at
  elseif range == "last_hour" or range == "previous_hour" then
    local f = tz.fields(at, zone)
    to = at - ((f.min * 60 + f.sec) * 1000 + f.ms)
    from = to - 3600000
  elseif range ~= nil then
    local secs
    secs, err = M.duration(range)
    if not secs then return nil, err end
    from, to = at - math.floor(secs * 1000), at
  else
    if job.from == nil and job.to == nil then return M.resolve_range({ range = "yesterday" }, at, zone) end
    from, err = M.resolve_time(job.from or "yesterday 00:00", at, zone)
    if not from then return nil, err end
    to, err = M.resolve_time(job.to or "now", at, zone)
    if not to then return nil, err end
  end
  if to <= from then return nil, ("empty export range %s .. %s"):format(qtime.iso(from), qtime.iso(to)) end
  return from, to
end

--- A path pattern: strftime fields of ms `t` in `zone`, then {camera},
-- {channel}, {guid}, {job}, each made safe for a file name (qvrpro.path).
-- Raises on an unknown field (configs are checked when loaded).
function M.expand_path(pattern, t, zone, vars)
  local p, err = qpath.expand(pattern, t, zone, vars)
  if not p then error(err, 2) end
  return p
end

return M
