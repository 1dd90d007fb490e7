--- qvrpro.schedule: cron-driven jobs against one NVR session.
--
--   schedule.next("0 8 * * 1-5", now_ms, "Europe/Berlin")  -- next run, ms, strictly after
--   schedule.next_n(expr, after_ms, zone, n)                -- the next n runs
--   schedule.load(path)                                     -- a config file, sandboxed
--   schedule.run(config)                                    -- long-running scheduler
--   schedule.run_once(config)                               -- what is due now, then return
--   schedule.plan(config, n) / schedule.format_plan(plan)   -- dry run
--
-- Cron expressions are read by qvrpro.cron and evaluated in the wall-clock
-- time of each job's zone (qvrpro.tz).  Across DST changes:
--   * a wall time inside a spring-forward gap runs once, moved forward by the
--     gap's length (02:30 on the day Europe/Berlin skips 02:00-03:00 runs at
--     03:30 CEST), as mktime() normalises such times;
--   * a wall time that occurs twice when the clock is set back runs once, at
--     the first occurrence, unless the job is a "wildcard" one (its minute or
--     hour field starts with "*", e.g. hourly and minutely jobs): those run at
--     both occurrences, so they keep running every real hour/minute;
--   * runs never repeat an instant: every result is strictly after the last.
--
-- Job kinds: record (a manual recording window), snapshot (qvrpro.snapshot),
-- export (qvrpro.export) and lua (a function(nvr, ctx)).  See README/API.md
-- and examples/schedule.conf.lua.
--
-- A run that takes longer than its job's `timeout` (default: until the job's
-- next run, at least 1 min and at most 1 h, 6 h for exports; config `timeout`
-- for every job) is stopped, logged and counted as failed, and the other jobs
-- run on: the check runs in a debug hook, so it
-- stops Lua code at once and a C call (a request, bounded by the session's
-- own timeout) when it returns.  Clock jumps: when the clock is behind a
-- job's last run (it was set back, or a run happened with a clock in the
-- future) the scheduler logs it and resumes at the job's next due time after
-- now, instead of staying silent for as long as the jump; the long-running
-- loop notices a jump back while it sleeps.
local qtime = require "qvrpro.time"
local cron = require "qvrpro.cron"
local tz = require "qvrpro.tz"
local localtime = require "qvrpro.localtime"
local qpath = require "qvrpro.path"

local M = {}

M.cron = cron
M.tz = tz

local DEFAULT_GRACE = 60          -- s: a run this late still counts as on time
local DEFAULT_TIMEOUT = { export = 6 * 3600, snapshot = 3600, lua = 3600 }   -- s, per run
local JUMP_MS = 2000              -- the clock going back by more than this is a jump
local HOOK_COUNT = 1000           -- instructions between two timeout checks
local RETRY_MS = 10000            -- a busy lock or failed switch is tried again after this
local MAX_SLEEP = 1               -- s: sleep in slices, so Ctrl-C and clock jumps are seen
local MAX_CATCH_UP = 100          -- missed = "run_all" runs at most this many
local LOOKBACK_MS = 400 * 86400000

-- ---------------------------------------------------------------------------
-- next run times

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

local function next_ms(c, zone, after_ms)
  local t = next_after(c, zone, after_ms // 1000)
  return t and t * 1000
end

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

-- ---------------------------------------------------------------------------
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

-- ---------------------------------------------------------------------------
-- config

local KINDS = { record = true, snapshot = true, export = true, lua = true }
local MISSED = { skip = true, run_once = true, run_all = true }
-- job keys the scheduler reads itself; others are passed to snapshot/export
local OWN_KEYS = { name = true, kind = true, cron = true, zone = true, missed = true, grace = true,
                   camera = true, cameras = true, enabled = true, duration = true, dir = true,
                   file = true, range = true, from = true, to = true, path = true, fn = true,
                   run = true, max_catch_up = true, timeout = true }

local function job_error(job, i, msg)
  local label = type(job) == "table" and job.name and ("job %q"):format(job.name) or ("job #" .. i)
  error(("schedule config: %s: %s"):format(label, msg), 0)
end

local function check_job(raw, i, cfg, names)
  if type(raw) ~= "table" then job_error(raw, i, "must be a table") end
  local job = { raw = raw, index = i }
  for k, v in pairs(raw) do job[k] = v end
  job.fn = raw.fn or raw.run
  job.kind = raw.kind or (job.fn and "lua")
  if not KINDS[job.kind] then
    job_error(raw, i, ("kind must be record, snapshot, export or lua (got %s)"):format(tostring(raw.kind)))
  end
  job.name = raw.name or (job.kind .. i)
  if type(job.name) ~= "string" or job.name == "" then job_error(raw, i, "name must be a string") end
  if names[job.name] then job_error(raw, i, "duplicate job name") end
  names[job.name] = true
  local c, err = cron.parse(raw.cron)
  if not c then job_error(raw, i, err) end
  job.cron = c
  local zone, zerr = tz.get(raw.zone or cfg.zone)
  if not zone then job_error(raw, i, zerr) end
  job.zone = zone
  job.missed = raw.missed or cfg.missed or "run_once"
  if not MISSED[job.missed] then job_error(raw, i, "missed must be skip, run_once or run_all") end
  local grace, gerr = M.duration(raw.grace or cfg.grace or DEFAULT_GRACE)
  if not grace then job_error(raw, i, "grace: " .. gerr) end
  job.grace = grace
  job.max_catch_up = raw.max_catch_up or cfg.max_catch_up or MAX_CATCH_UP
  if job.kind ~= "record" then
    local given = raw.timeout or cfg.timeout
    local t, terr = M.duration(given or DEFAULT_TIMEOUT[job.kind])
    if not t or t <= 0 then job_error(raw, i, "timeout: " .. (terr or "must be positive")) end
    job.timeout_ms = math.floor(t * 1000)
    if not given then
      -- by default a run ends before the job's next one (at least a minute)
      local t1 = next_ms(job.cron, job.zone, qtime.now())
      local t2 = t1 and next_ms(job.cron, job.zone, t1)
      if t2 then job.timeout_ms = math.min(job.timeout_ms, math.max(60000, t2 - t1)) end
    end
  end
  if job.kind == "record" then
    if not (raw.camera or raw.cameras) then job_error(raw, i, "a record job needs camera or cameras") end
    local secs, derr = M.duration(raw.duration)
    if not secs or secs <= 0 then job_error(raw, i, "duration: " .. (derr or "must be positive")) end
    job.duration_ms = math.floor(secs * 1000)
  elseif job.kind == "export" then
    if type(raw.path) ~= "string" then job_error(raw, i, "an export job needs a path pattern") end
    local ok, perr = qpath.check(raw.path, { camera = true, guid = true, channel = true, job = true })
    if not ok then job_error(raw, i, "path: " .. perr) end
    if raw.range ~= nil and not ({ yesterday = 1, today = 1, last_hour = 1, previous_hour = 1 })[raw.range]
       and not M.duration(raw.range) then
      job_error(raw, i, ("bad range %q"):format(tostring(raw.range)))
    end
  elseif job.kind == "lua" then
    if type(job.fn) ~= "function" then job_error(raw, i, "a lua job needs fn = function(nvr, ctx)") end
  elseif job.kind == "snapshot" then
    local ok, perr = qpath.check(raw.dir or "snapshots", { job = true })
    if not ok then job_error(raw, i, "dir: " .. perr) end
    if raw.file ~= nil then
      ok, perr = qpath.check(raw.file, { camera = true, guid = true, channel = true, round = true,
                                         ms = true })
      if not ok then job_error(raw, i, "file: " .. perr) end
    end
  end
  job.file_key = qpath.safe(job.name)
  return job
end

--- Validates a config; returns a normalised copy (raises with the job's name).
function M.check(config)
  if type(config) ~= "table" then error("schedule config must be a table", 2) end
  if type(config.jobs) ~= "table" then error("schedule config: jobs must be a list", 2) end
  local out = {}
  for k, v in pairs(config) do out[k] = v end
  local names, jobs, keys = {}, {}, {}
  for i, raw in ipairs(config.jobs) do
    local job = check_job(raw, i, config, names)
    if keys[job.file_key] then job_error(raw, i, "name clashes with another job's state file") end
    keys[job.file_key] = true
    if raw.enabled ~= false then jobs[#jobs + 1] = job end
  end
  out.jobs = jobs
  return out
end

local SAFE_GLOBALS = { "assert", "error", "ipairs", "next", "pairs", "pcall", "xpcall", "select",
                       "tonumber", "tostring", "type", "rawequal", "rawget", "rawset", "rawlen",
                       "setmetatable", "getmetatable", "print", "_VERSION" }

local function copy(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

--- The environment a config file runs in: the safe basics, copies of string,
-- table, math, utf8, os.getenv/time/date/clock, and require for qvrpro's
-- own modules.  `extra` adds more (e.g. { io = io }).
function M.sandbox(extra)
  local env = {}
  for _, k in ipairs(SAFE_GLOBALS) do env[k] = _G[k] end
  env.string, env.table, env.math, env.utf8 = copy(string), copy(table), copy(math), copy(utf8)
  env.os = { getenv = os.getenv, time = os.time, date = os.date, clock = os.clock,
             difftime = os.difftime }
  env.require = function(name)
    if type(name) == "string" and (name == "qvrpro" or name:match("^qvrpro%.")) then
      return require(name)
    end
    error(("config files may require only qvrpro modules, not %q"):format(tostring(name)), 2)
  end
  for k, v in pairs(extra or {}) do env[k] = v end
  env._G = env
  return env
end

--- Runs a config file in a sandbox and returns its table (validated: a bad
-- file raises an error naming the file and the job).
function M.load(path, extra_env)
  if type(path) ~= "string" then error("bad argument #1 to 'load' (path expected)", 2) end
  local chunk, err = loadfile(path, "t", M.sandbox(extra_env))
  if not chunk then error(("schedule config %s: %s"):format(path, err), 2) end
  local ok, config = pcall(chunk)
  if not ok then error(("schedule config %s: %s"):format(path, tostring(config)), 2) end
  if type(config) ~= "table" then error(("schedule config %s must return a table"):format(path), 2) end
  local cok, cerr = pcall(M.check, config)
  if not cok then error(("%s (in %s)"):format(tostring(cerr), path), 2) end
  return config
end

-- ---------------------------------------------------------------------------
-- dry run

local function window_text(job, t)
  if job.kind ~= "record" then return nil end
  return tz.describe(t + job.duration_ms, job.zone)
end

--- The next n runs of every job after `after` (default: the config's clock,
-- else now): { {job=, kind=, cron=, zone=, runs = { {at=ms, utc=, local_time=, until_time=} } } }.
-- With an open file (as the third or fourth argument) the plan is also
-- written to it as format_plan's text.
function M.plan(config, n, after, out)
  if io.type(after) == "file" then after, out = nil, after end
  local cfg = M.check(config)
  n = n or 5
  after = check_after(after or (cfg.clock and cfg.clock()), 2)
  local plan = {}
  for _, job in ipairs(cfg.jobs) do
    local runs = {}
    local t = after
    for i = 1, n do
      t = next_ms(job.cron, job.zone, t)
      if not t then break end
      runs[i] = { at = t, utc = qtime.iso(t), local_time = tz.describe(t, job.zone),
                  until_time = window_text(job, t) }
    end
    plan[#plan + 1] = { job = job.name, kind = job.kind, cron = job.cron.expr,
                        zone = job.zone.name, runs = runs }
  end
  if out then out:write(M.format_plan(plan)) end
  return plan
end

--- The plan as text, one line per run.
function M.format_plan(plan)
  local lines = {}
  for _, p in ipairs(plan) do
    lines[#lines + 1] = ("%s (%s) %q in %s:"):format(p.job, p.kind, p.cron, p.zone)
    for _, r in ipairs(p.runs) do
      lines[#lines + 1] = ("  %s  = %s%s"):format(r.local_time, r.utc,
        r.until_time and ("  until " .. r.until_time) or "")
    end
  end
  return table.concat(lines, "\n") .. "\n"
end

-- ---------------------------------------------------------------------------
-- files: state and locks

local function shell_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

local function read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

local function write_file(path, text)
  local tmp = ("%s.tmp%d"):format(path, math.random(0, 0x7fffffff))
  local f, err = io.open(tmp, "wb")
  if not f then return nil, err end
  local ok, werr = f:write(text)
  local cok, cerr = f:close()
  if not (ok and cok) then os.remove(tmp); return nil, werr or cerr end
  local rok, rerr = os.rename(tmp, path)
  if not rok then os.remove(tmp); return nil, rerr end
  return true
end

local function mkdir_p(dir)
  local ok, core = pcall(require, "qvrpro.core")
  if ok and core.mkdir_p then return core.mkdir_p(dir) end
  if os.execute("mkdir -p -- " .. shell_quote(dir)) then return true end
  return nil, "cannot create directory " .. dir
end

local function dirname(path)
  return path:match("^(.*)/[^/]*$")
end

--- The pid and start time (clock ticks since boot) of a process, or nil.
local function proc_stat(pid)
  local s = read_file("/proc/" .. pid .. "/stat")
  if not s then return nil end
  local me, rest = s:match("^(%d+) %(.*%) (.*)$")
  if not me then return nil end
  local fields = {}
  for f in rest:gmatch("%S+") do fields[#fields + 1] = f end
  return tonumber(me), fields[20], fields[1]
end

local self_id
local function my_id()
  if not self_id then
    local pid, start = proc_stat("self")
    self_id = pid and (pid .. " " .. start) or ("0 " .. tostring(math.random(1, 0x7fffffff)))
  end
  return self_id
end

local function holder_alive(content)
  local pid, start = (content or ""):match("^(%d+) (%S+)")
  if not pid then return false end
  local _, now_start, state = proc_stat(pid)
  return now_start ~= nil and now_start == start and state ~= "Z"
end

--- Takes the lock file `path` for this process: written to a temporary file
-- and hard-linked into place (link(2) is atomic and never replaces an
-- existing file).  A lock whose process is gone (or is another process that
-- reused its pid) is taken over.  Returns true, or false, holder pid.
function M.lock(path)
  local id = my_id()
  local tmp = ("%s.%s.tmp"):format(path, id:gsub(" ", "-"))
  local ok, err = write_file(tmp, id .. "\n")
  if not ok then return nil, err end
  local held_by
  for _ = 1, 5 do
    if os.execute(("ln %s %s 2>/dev/null"):format(shell_quote(tmp), shell_quote(path))) then
      os.remove(tmp)
      return true
    end
    local content = read_file(path)
    if content then
      held_by = content:match("^(%d+)")
      if content == id .. "\n" then os.remove(tmp); return true end
      if holder_alive(content) then os.remove(tmp); return false, tonumber(held_by) end
      -- stale: move it aside atomically, and make sure what was moved is the
      -- dead one (another process may have taken it over meanwhile)
      local aside = ("%s.%s.stale"):format(path, id:gsub(" ", "-"))
      if os.rename(path, aside) then
        if read_file(aside) ~= content then
          os.execute(("ln %s %s 2>/dev/null"):format(shell_quote(aside), shell_quote(path)))
        end
        os.remove(aside)
      end
    end
  end
  os.remove(tmp)
  return false, tonumber(held_by)
end

--- Releases a lock this process holds.
function M.unlock(path)
  if read_file(path) == my_id() .. "\n" then os.remove(path) end
end

local function state_path(cfg, job) return cfg.state_dir .. "/" .. job.file_key .. ".state" end
local function lock_path(cfg, job) return cfg.state_dir .. "/" .. job.file_key .. ".lock" end

local function read_state(cfg, job)
  local st = {}
  for k, v in (read_file(state_path(cfg, job)) or ""):gmatch("([%w_]+)=([^\n]*)") do
    st[k] = math.tointeger(tonumber(v)) or v
  end
  return st
end

local function write_state(cfg, job, st)
  local keys = {}
  for k in pairs(st) do keys[#keys + 1] = k end
  table.sort(keys)
  local lines = {}
  for _, k in ipairs(keys) do lines[#lines + 1] = ("%s=%s\n"):format(k, tostring(st[k])) end
  return write_file(state_path(cfg, job), table.concat(lines))
end

--- The saved state of a job of a config: { last_run = ms, rec_start = ms,
-- rec_until = ms } (the fields it has), or nil for an unknown job.
function M.state(config, name)
  local cfg = M.check(config)
  cfg.state_dir = cfg.state_dir or M.default_state_dir()
  for _, job in ipairs(cfg.jobs) do
    if job.name == name then return read_state(cfg, job) end
  end
  return nil
end

--- $STATE_DIRECTORY (systemd), else $XDG_STATE_HOME/qvrpro, else
-- ~/.local/state/qvrpro, else ./.qvrpro-state.
function M.default_state_dir()
  local sd = os.getenv("STATE_DIRECTORY")
  if sd and sd ~= "" then return (sd:match("^[^:]+")) end
  local xdg = os.getenv("XDG_STATE_HOME")
  if xdg and xdg ~= "" then return xdg .. "/qvrpro" end
  local home = os.getenv("HOME")
  if home and home ~= "" then return home .. "/.local/state/qvrpro" end
  return ".qvrpro-state"
end

-- ---------------------------------------------------------------------------
-- the runner

local Runner = {}
Runner.__index = Runner

local function default_log(level, msg, job)
  io.stderr:write(("%s qvrpro.schedule %s%s: %s\n"):format(qtime.iso(qtime.now()), level,
    job and (" [" .. job .. "]") or "", msg))
  io.stderr:flush()
end

function Runner:log(level, msg, job)
  local ok, err = pcall(self.logger, level, msg, job and job.name)
  if not ok then default_log("error", "log function failed: " .. tostring(err)) end
end

-- one precedence for every caller: see qvrpro.config
local function connect_options(spec)
  return require("qvrpro.config").connect_options(spec)
end

--- The session, connected on first use and kept (it logs in again by itself).
function Runner:session()
  if self.nvr then return self.nvr end
  if self.cfg.nvr == false then return nil end
  local opts, err = connect_options(self.cfg.nvr)
  if not opts then return nil, err end
  local nvr, cerr = require("qvrpro.logins").connect(opts)
  if not nvr then return nil, cerr end
  self.nvr, self.own_nvr = nvr, true
  return nvr
end

local function new_runner(config, once)
  local cfg = M.check(config)
  cfg.state_dir = cfg.state_dir or M.default_state_dir()
  local ok, err = mkdir_p(cfg.state_dir)
  if not ok then error(("schedule: state_dir %s: %s"):format(cfg.state_dir, tostring(err)), 3) end
  local r = setmetatable({ cfg = cfg, once = once, held = {}, first = true,
                           clock = cfg.clock or qtime.now,
                           sleep = cfg.sleep or require("qvrpro.core").sleep,
                           logger = cfg.log or default_log,
                           nvr = cfg.session, summary = { ran = {}, skipped = {}, failed = {} } }, Runner)
  return r
end

local KEEP_NOTES = 1000           -- a long-running summary keeps the latest entries only

local function note(list, job, t)
  list[#list + 1] = { job = job.name, at = t }
  local n = #list
  if n > 2 * KEEP_NOTES then
    table.move(list, n - KEEP_NOTES + 1, n, 1)
    for i = n, KEEP_NOTES + 1, -1 do list[i] = nil end
  end
end

-- Ctrl-C in lua5.4 raises "interrupted!": never swallowed as a job failure
local function is_interrupt(err)
  return type(err) == "string" and err:match("interrupted!$") ~= nil
end

-- cameras of a job as keys nvr:camera understands, or "all" (the default)
local function job_cameras(job)
  local c = job.cameras or job.camera
  if c == nil or c == "all" then return "all" end
  if type(c) ~= "table" then return { c } end
  return c
end

local function resolve_cameras(nvr, job)
  local wanted = job_cameras(job)
  if wanted ~= "all" then return wanted end
  local cams, err = nvr:cameras()
  if not cams then return nil, err end
  return cams
end

local function camera_label(cam)
  if type(cam) == "userdata" then return cam.name end
  return tostring(cam)
end

-- snapshot and export pass-through options
local function extra_opts(job, into)
  for k, v in pairs(job.raw) do
    if not OWN_KEYS[k] and into[k] == nil then into[k] = v end
  end
  return into
end

local function run_snapshot(self, job, nvr, at)
  local cams = job_cameras(job)
  local opts = extra_opts(job, {
    cameras = cams, dir = M.expand_path(job.dir or "snapshots", at, job.zone, { job = job.name }),
    name = job.file, count = job.raw.count or 1, zone = job.zone,
  })
  local res, err = require("qvrpro.snapshot").capture(nvr, opts)
  if not res then return nil, err end
  local failures = type(res) == "table" and res.failures or {}
  for _, f in ipairs(failures) do
    self:log("warn", ("snapshot of %s failed: %s"):format(camera_label(f.camera or f.cam or f[1]),
      tostring(f.err or f.error or f[2])), job)
  end
  local files = type(res) == "table" and res.files and #res.files or 0
  self:log("info", ("%d snapshot(s) in %s"):format(files, opts.dir), job)
  if #failures > 0 and files == 0 then return nil, "every snapshot failed" end
  return true
end

-- one camera of an export run: true or nil, err
local function export_one(self, job, nvr, key, from, to)
  local cam, cerr = nvr:camera(key)
  if not cam then return nil, cerr end
  local path = M.expand_path(job.path, from, job.zone, { camera = cam.name, guid = cam.guid,
    channel = cam.channel_index, job = job.name })
  local dir = dirname(path)
  if dir then mkdir_p(dir) end
  local export = require "qvrpro.export"
  local ok, res, err = pcall(export.run, nvr, cam, extra_opts(job, { from = from, to = to, path = path }))
  if not ok then
    if is_interrupt(res) then error(res, 0) end
    return nil, res
  end
  if not res then return nil, err end
  self:log("info", ("exported %s %s .. %s to %s%s"):format(cam.name, qtime.iso(from), qtime.iso(to),
    type(res) == "table" and res.path or path, type(res) == "table" and res.partial and " (partial)" or ""),
    job)
  return true
end

local function run_export(self, job, nvr, at)
  local from, to = M.resolve_range(job, at, job.zone)
  if not from then return nil, to end
  local cams, err = resolve_cameras(nvr, job)
  if not cams then return nil, err end
  local failed = 0
  for _, key in ipairs(cams) do
    local ok, eerr = export_one(self, job, nvr, key, from, to)
    if not ok then
      failed = failed + 1
      self:log("error", ("export of %s failed: %s"):format(camera_label(key), tostring(eerr)), job)
    end
  end
  if failed > 0 then return nil, ("%d of %d export(s) failed"):format(failed, #cams) end
  return true
end

function Runner:context(job, at, now, missed)
  return { job = job.name, kind = job.kind, scheduled = at, now = now, zone = job.zone,
           missed = missed or 0, state_dir = self.cfg.state_dir,
           log = function(msg) self:log("info", tostring(msg), job) end,
           format = function(fmt, t) return tz.format(fmt, t or at, job.zone) end }
end

-- pcall(fn) stopped with "timed out after ..." once ms have passed
local function with_timeout(ms, label, fn)
  local core = require "qvrpro.core"
  local deadline = core.now_ms() + ms
  local old = table.pack(debug.gethook())
  local message = ("%s timed out after %s and was stopped"):format(label,
    ms % 1000 == 0 and ("%d s"):format(ms // 1000) or ("%d ms"):format(ms))
  debug.sethook(function()
    if core.now_ms() > deadline then error(message, 0) end
  end, "", HOOK_COUNT)
  local res = table.pack(pcall(fn))
  if old[1] then debug.sethook(old[1], old[2], old[3]) else debug.sethook() end
  return table.unpack(res, 1, res.n)
end

-- one run of a snapshot/export/lua job for scheduled time `at`
function Runner:execute(job, at, now, missed)
  local nvr, err = self:session()
  if not nvr and self.cfg.nvr ~= false then
    return nil, "cannot connect: " .. tostring(err)
  end
  self:log("info", ("run for %s"):format(tz.describe(at, job.zone)), job)
  local ok, res, rerr = with_timeout(job.timeout_ms, "the run", function()
    if job.kind == "snapshot" then return run_snapshot(self, job, nvr, at) end
    if job.kind == "export" then return run_export(self, job, nvr, at) end
    local r, e = job.fn(nvr, self:context(job, at, now, missed))
    if r == false or (r == nil and e ~= nil) then return nil, e or "the job returned false" end
    return true
  end)
  if not ok then
    if is_interrupt(res) then error(res, 0) end
    return nil, res
  end
  if not res then return nil, rerr end
  return true
end

-- the runs due in (base, now] (the most recent `cap` of them) and their count
local function due_runs(job, base, now, cap)
  base = math.max(base, now - LOOKBACK_MS)
  local ring, count, t = {}, 0, base
  while true do
    t = next_ms(job.cron, job.zone, t)
    if not t or t > now then break end
    count = count + 1
    ring[(count - 1) % cap + 1] = t
  end
  local out = {}
  for i = math.max(1, count - cap + 1), count do out[#out + 1] = ring[(i - 1) % cap + 1] end
  return out, count
end

function Runner:with_lock(job, fn)
  local path = lock_path(self.cfg, job)
  if self.held[job.name] then return fn() end
  local ok, holder = M.lock(path)
  if not ok then
    self:log("info", ("busy: the job's lock is held by pid %s; skipped"):format(tostring(holder)), job)
    note(self.summary.skipped, job, self.clock())
    return nil, "busy"
  end
  local res = table.pack(pcall(fn))
  M.unlock(path)
  if not res[1] then error(res[2], 0) end
  return table.unpack(res, 2, res.n)
end

-- a snapshot/export/lua job: run what is due; returns the next wake-up (ms)
-- the clock-jump rule: a last run after now means the clock went back (or a
-- run had a future clock); forget it, log, and go on from now
function Runner:clock_behind(job, now)
  local last = read_state(self.cfg, job).last_run
  if not last or last <= now + JUMP_MS then return last end
  self:with_lock(job, function()
    local st = read_state(self.cfg, job)
    if st.last_run and st.last_run > now + JUMP_MS then
      self:log("warn", ("the clock is %s behind this job's last run (%s): it was set back, or a run "
        .. "had a clock in the future; going on at the next due time after now"):format(
        qtime.hms(st.last_run - now), qtime.iso(st.last_run)), job)
      st.last_run = now
      write_state(self.cfg, job, st)
    end
  end)
  return now
end

function Runner:tick_job(job, now)
  local last = self:clock_behind(job, now)
  local first_due = next_ms(job.cron, job.zone, last or (now - math.floor(job.grace * 1000)))
  if not first_due or first_due > now then return first_due end   -- nothing due: no lock needed
  local ok, err = self:with_lock(job, function()
    local st = read_state(self.cfg, job)
    local base = st.last_run or (now - math.floor(job.grace * 1000))
    if base >= now then return end
    local cap = job.missed == "run_all" and job.max_catch_up or 1
    local due, count = due_runs(job, base, now, cap)
    if count == 0 then return end
    local latest = due[#due]
    local runs = due
    if job.missed == "skip" and latest < now - job.grace * 1000 then runs = {} end
    local skipped = count - #runs
    if skipped > 0 then
      local what = job.missed == "run_once" and "folded into one run"
        or job.missed == "run_all" and ("dropped (max_catch_up = %d)"):format(cap) or "skipped"
      self:log("info", ("%d missed run(s) %s (missed = %q)"):format(skipped, what, job.missed), job)
    end
    for _, at in ipairs(runs) do
      local rok, rerr = self:execute(job, at, now, skipped)
      if rok then
        note(self.summary.ran, job, at)
      else
        note(self.summary.failed, job, at)
        self:log("error", tostring(rerr), job)
      end
      st.last_run = at
      write_state(self.cfg, job, st)
    end
    if #runs == 0 then
      st.last_run = latest
      write_state(self.cfg, job, st)
    end
  end)
  if not ok and err == "busy" then return now + RETRY_MS end
  return next_ms(job.cron, job.zone, now)
end

-- the recording window containing now: start, end (overlapping windows join)
local function current_window(job, now)
  local s = next_ms(job.cron, job.zone, now - job.duration_ms)
  if not s or s > now then return nil end
  local e = s + job.duration_ms
  for _ = 1, 1000 do
    local s2 = next_ms(job.cron, job.zone, s)
    if not s2 or s2 > e then break end
    s, e = s2, math.max(e, s2 + job.duration_ms)
  end
  return s, e
end

function Runner:switch(job, on)
  local nvr, err = self:session()
  if not nvr then return nil, "cannot connect: " .. tostring(err) end
  local cams, cerr = resolve_cameras(nvr, job)
  if not cams then return nil, cerr end
  local failed = {}
  for _, cam in ipairs(cams) do
    local ok, rerr = nvr:record(cam, on)
    if not ok then failed[#failed + 1] = camera_label(cam) .. ": " .. tostring(rerr) end
  end
  if #failed > 0 then return nil, table.concat(failed, "; ") end
  return true
end

function Runner:take_window_lock(job)
  if self.held[job.name] then return true end
  local ok, holder = M.lock(lock_path(self.cfg, job))
  if not ok then
    if not self.busy_logged then self.busy_logged = {} end
    if not self.busy_logged[job.name] then
      self:log("info", ("busy: lock held by pid %s; not touching recording"):format(tostring(holder)), job)
      self.busy_logged[job.name] = true
    end
    note(self.summary.skipped, job, self.clock())
    return false
  end
  if self.busy_logged then self.busy_logged[job.name] = nil end
  self.held[job.name] = true
  return true
end

function Runner:drop_window_lock(job)
  if self.held[job.name] then
    M.unlock(lock_path(self.cfg, job))
    self.held[job.name] = nil
  end
end

-- a record job: recording on inside a window, off after; returns the next wake-up
function Runner:tick_record(job, now)
  local ws, we = current_window(job, now)
  local st = read_state(self.cfg, job)
  if ws then
    if not self:take_window_lock(job) then return now + RETRY_MS end
    st = read_state(self.cfg, job)
    local is_on = st.rec_until and st.rec_until > now
    if not is_on or (self.first and not self.once) then
      local ok, err = self:switch(job, true)
      if not ok then
        self:log("error", "recording on failed: " .. tostring(err), job)
        note(self.summary.failed, job, ws)
        return now + RETRY_MS
      end
      self:log("info", ("recording on until %s"):format(tz.describe(we, job.zone)), job)
      note(self.summary.ran, job, ws)
    end
    if st.rec_start ~= ws or st.rec_until ~= we then
      st.rec_start, st.rec_until, st.last_run = ws, we, ws
      write_state(self.cfg, job, st)
    end
    return we
  end
  if st.rec_until then
    if not self:take_window_lock(job) then return now + RETRY_MS end
    local ok, err = self:switch(job, false)
    if not ok then
      self:log("error", "recording off failed: " .. tostring(err), job)
      return now + RETRY_MS
    end
    self:log("info", "recording off (window ended)", job)
    st.rec_start, st.rec_until = nil, nil
    write_state(self.cfg, job, st)
  end
  self:drop_window_lock(job)
  return next_ms(job.cron, job.zone, now)
end

--- Runs every job once for time `now`; returns the earliest next wake-up.
function Runner:tick(now)
  local wake
  for _, job in ipairs(self.cfg.jobs) do
    local ok, next_t = pcall(job.kind == "record" and self.tick_record or self.tick_job, self, job, now)
    if not ok and is_interrupt(next_t) then error(next_t, 0) end
    if not ok then
      self:log("error", tostring(next_t), job)
      note(self.summary.failed, job, now)
      next_t = now + RETRY_MS
    end
    if next_t and (not wake or next_t < wake) then wake = next_t end
  end
  self.first = false
  return wake
end

-- leaving run(): recording windows this process opened are closed, locks released
function Runner:shutdown(reason)
  for _, job in ipairs(self.cfg.jobs) do
    if job.kind == "record" and self.held[job.name] then
      local st = read_state(self.cfg, job)
      if st.rec_until then
        local ok, err = self:switch(job, false)
        if ok then
          self:log("info", ("recording off (scheduler %s)"):format(reason), job)
          st.rec_start, st.rec_until = nil, nil
          write_state(self.cfg, job, st)
        else
          self:log("error", "recording off failed at shutdown: " .. tostring(err), job)
        end
      end
    end
    self:drop_window_lock(job)
  end
  if self.own_nvr and self.nvr then self.nvr:close() end
  self.nvr = nil
end

--- One-shot mode: runs what is due now (record windows reconciled, missed
-- runs by policy, each job under its lock) and returns a summary
-- { ran = {{job=, at=}...}, skipped = {...}, failed = {...} }.  Recording
-- windows stay on between one-shot runs; the run after the window's end
-- switches recording off.
function M.run_once(config)
  local r = new_runner(config, true)
  local ok, err = pcall(function() r:tick(r.clock()) end)
  for _, job in ipairs(r.cfg.jobs) do r:drop_window_lock(job) end
  if r.own_nvr and r.nvr then r.nvr:close() end
  if not ok then error(err, 0) end
  return r.summary
end

--- Long-running mode (config.once = true: run_once).  Sleeps until the next
-- due job and runs it; returns the summary when config.stop() says so or the
-- clock reaches config.until_ms.  On return or error (Ctrl-C in lua5.4 is an
-- "interrupted!" error) recording windows it opened are switched off; a
-- restart inside a window switches recording on again.
function M.run(config)
  if type(config) ~= "table" then error("bad argument #1 to 'run' (config table expected)", 2) end
  if config.once then return M.run_once(config) end
  local r = new_runner(config, false)
  local max_sleep = r.cfg.tick or MAX_SLEEP
  local ok, err = pcall(function()
    while true do
      local now = r.clock()
      if r.cfg.until_ms and now >= r.cfg.until_ms then return end
      if r.cfg.stop and r.cfg.stop(r.summary) then return end
      local wake = r:tick(now) or (now + 60000)
      if r.cfg.until_ms and wake > r.cfg.until_ms then wake = r.cfg.until_ms end
      local before = r.clock()
      while true do
        local t = r.clock()
        if t < before - JUMP_MS then
          r:log("warn", ("the clock jumped back by %s: planning again"):format(
            qtime.hms(before - t)))
          break
        end
        before = t
        local left = wake - t
        if left <= 0 then break end
        r.sleep(math.min(left / 1000, max_sleep))
        if r.cfg.stop and r.cfg.stop(r.summary) then return end
      end
    end
  end)
  if not ok and is_interrupt(err) then
    r:log("info", "interrupted (SIGINT): closing open recording windows")
  elseif not ok then
    r:log("error", "stopping on an error: " .. tostring(err))
  end
  r:shutdown(ok and "stopped" or "interrupted")
  if not ok then error(err, 0) end
  return r.summary
end

return M
