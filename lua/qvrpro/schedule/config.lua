--- qvrpro.schedule.config: a schedule config read (in a sandbox) and
-- validated; check() returns the normalised copy the runner works on.
local qtime = require "qvrpro.time"
local cron = require "qvrpro.cron"
local tz = require "qvrpro.tz"
local qpath = require "qvrpro.path"
local times = require "qvrpro.schedule.times"

local M = {}

local DEFAULT_GRACE = 60          -- s: a run this late still counts as on time
local DEFAULT_TIMEOUT = { export = 6 * 3600, snapshot = 3600, lua = 3600 }   -- s, per run
local RECORD_TIMEOUT = 60         -- s: a record job's switch step (on or off)
local MAX_CATCH_UP = 100          -- missed = "run_all" runs at most this many

local next_ms = times.next_ms

local KINDS = { record = true, snapshot = true, export = true, lua = true }
local MISSED = { skip = true, run_once = true, run_all = true }
-- job keys the scheduler reads itself; others are passed to snapshot/export
local OWN_KEYS = { name = true, kind = true, cron = true, zone = true, missed = true, grace = true,
                   camera = true, cameras = true, enabled = true, duration = true, dir = true,
                   file = true, range = true, from = true, to = true, path = true, fn = true,
                   run = true, max_catch_up = true, timeout = true }

M.OWN_KEYS = OWN_KEYS

-- the file each config table was read from (schedule.load), for the children
local SOURCES = setmetatable({}, { __mode = "k" })

--- The path a config table was read from by load() and the names of the
-- standard globals its extra_env added (a child process loads the file the
-- same way), or nil (not read by load, or extra_env held other values,
-- which no child could have).
function M.source(config)
  local s = SOURCES[config]
  if not s then return nil end
  return s.path, s.globals
end

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
  local grace, gerr = times.duration(raw.grace or cfg.grace or DEFAULT_GRACE)
  if not grace then job_error(raw, i, "grace: " .. gerr) end
  job.grace = grace
  job.max_catch_up = raw.max_catch_up or cfg.max_catch_up or MAX_CATCH_UP
  if job.kind ~= "record" then
    local given = raw.timeout or cfg.timeout
    local t, terr = times.duration(given or DEFAULT_TIMEOUT[job.kind])
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
    local t, terr = times.duration(raw.timeout or RECORD_TIMEOUT)
    if not t or t <= 0 then job_error(raw, i, "timeout: " .. (terr or "must be positive")) end
    job.timeout_ms = math.floor(t * 1000)
    if not (raw.camera or raw.cameras) then job_error(raw, i, "a record job needs camera or cameras") end
    local secs, derr = times.duration(raw.duration)
    if not secs or secs <= 0 then job_error(raw, i, "duration: " .. (derr or "must be positive")) end
    job.duration_ms = math.floor(secs * 1000)
  elseif job.kind == "export" then
    if type(raw.path) ~= "string" then job_error(raw, i, "an export job needs a path pattern") end
    local ok, perr = qpath.check(raw.path, { camera = true, guid = true, channel = true, job = true })
    if not ok then job_error(raw, i, "path: " .. perr) end
    if raw.range ~= nil and not ({ yesterday = 1, today = 1, last_hour = 1, previous_hour = 1 })[raw.range]
       and not times.duration(raw.range) then
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
  if config.max_jobs ~= nil and (math.type(config.max_jobs) ~= "integer" or config.max_jobs < 1) then
    error("schedule config: max_jobs must be a whole number of at least 1", 2)
  end
  if config.kill_grace ~= nil then
    local g = times.duration(config.kill_grace)
    if not g or g < 0 then error("schedule config: kill_grace must be a duration", 2) end
    out.kill_grace = g
  end
  if config.isolate ~= nil and type(config.isolate) ~= "boolean" then
    error("schedule config: isolate must be true or false", 2)
  end
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
  local globals = {}
  for k, v in pairs(extra_env or {}) do
    if type(k) ~= "string" or not rawequal(_G[k], v) then globals = nil; break end
    globals[#globals + 1] = k
  end
  if globals then
    table.sort(globals)
    SOURCES[config] = { path = path, globals = table.concat(globals, ",") }
  end
  return config
end

return M
