--- qvrpro.schedule.runner: the scheduler's loop (run, run_once), the run
-- timeout, the clock-jump rule and the per-job locks; the job kinds are in
-- qvrpro.schedule.record, .snapshot and .export (a lua job is its fn).  A
-- config read from a file runs each job run in a child process
-- (qvrpro.schedule.pool); a config table built in Lua runs them in this
-- process, one after another.  See qvrpro.schedule's header for the rules.
local qtime = require "qvrpro.time"
local tz = require "qvrpro.tz"
local times = require "qvrpro.schedule.times"
local sconfig = require "qvrpro.schedule.config"
local store = require "qvrpro.schedule.store"
local common = require "qvrpro.schedule.common"
local record = require "qvrpro.schedule.record"
local snapshot_job = require "qvrpro.schedule.snapshot"
local export_job = require "qvrpro.schedule.export"
local pool = require "qvrpro.schedule.pool"

local M = {}

local JUMP_MS = 2000              -- the clock going back by more than this is a jump
local HOOK_COUNT = 1000           -- instructions between two timeout checks
local RETRY_MS = record.RETRY_MS  -- a busy lock or failed switch is tried again after this
local MAX_SLEEP = 1               -- s: sleep in slices, so Ctrl-C and clock jumps are seen
local POLL = 0.05                 -- s: the slice while children run
local LOOKBACK_MS = 400 * 86400000

local next_ms = times.next_ms
local note, is_interrupt = common.note, common.is_interrupt
local mkdir_p, lock_path, read_state, write_state = store.mkdir_p, store.lock_path, store.read_state,
  store.write_state

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

-- in_child: the runner of a child process (never a pool of its own)
local function new_runner(config, once, in_child)
  local cfg = sconfig.check(config)
  cfg.state_dir = cfg.state_dir or store.default_state_dir()
  local ok, err = mkdir_p(cfg.state_dir)
  if not ok then error(("schedule: state_dir %s: %s"):format(cfg.state_dir, tostring(err)), 3) end
  local r = setmetatable({ cfg = cfg, once = once, held = {}, first = true, retry_at = {},
                           clock = cfg.clock or qtime.now,
                           sleep = cfg.sleep or require("qvrpro.core").sleep,
                           logger = cfg.log or default_log,
                           nvr = cfg.session, summary = { ran = {}, skipped = {}, failed = {} } }, Runner)
  local source, globals = sconfig.source(config)
  local isolate = cfg.isolate
  if isolate == nil then isolate = source ~= nil end
  if in_child then isolate = false end
  if isolate and not source then
    error("schedule: isolate = true needs a config read by schedule.load (its children read the file)", 3)
  end
  if isolate then r.pool = pool.new(r, source, globals, cfg) end
  return r
end
Runner.switch, Runner.tick_record, Runner.switch_wait = record.switch, record.tick, record.switch_wait
Runner.take_window_lock, Runner.drop_window_lock = record.take_window_lock, record.drop_window_lock

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

-- the body of a snapshot/export/lua run: true or nil, err
local function run_body(self, job, nvr, at, now, missed)
  if job.kind == "snapshot" then return snapshot_job.run(self, job, nvr, at) end
  if job.kind == "export" then return export_job.run(self, job, nvr, at) end
  local r, e = job.fn(nvr, self:context(job, at, now, missed))
  if r == false or (r == nil and e ~= nil) then return nil, e or "the job returned false" end
  return true
end

-- one run of a snapshot/export/lua job for scheduled time `at` (in this process)
function Runner:execute(job, at, now, missed)
  local nvr, err = self:session()
  if not nvr and self.cfg.nvr ~= false then
    return nil, "cannot connect: " .. tostring(err)
  end
  self:log("info", ("run for %s"):format(tz.describe(at, job.zone)), job)
  local ok, res, rerr = with_timeout(job.timeout_ms, "the run", function()
    return run_body(self, job, nvr, at, now, missed)
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

-- Takes the job's lock at path: true, or nil and "no lock" (logged as an
-- error, counted as failed) or "busy" (another holder: counted as skipped).
local function take_lock(self, job, path)
  local ok, holder = store.lock(path)
  if ok == nil then
    self:log("error", "cannot take the job's lock: " .. tostring(holder), job)
    note(self.summary.failed, job, self.clock())
    return nil, "no lock"
  elseif not ok then
    self:log("info", ("busy: the job's lock is held by pid %s; skipped"):format(tostring(holder)), job)
    note(self.summary.skipped, job, self.clock())
    return nil, "busy"
  end
  return true
end

function Runner:with_lock(job, fn)
  local path = lock_path(self.cfg, job)
  if self.held[job.name] then return fn() end
  local locked, why = take_lock(self, job, path)
  if not locked then return nil, why end
  local res = table.pack(pcall(fn))
  store.unlock(path)
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

-- the runs to make of a job whose state is `st` (under its lock), the count
-- of runs folded or dropped, and the latest due time; nil when none is due
local function due_plan(self, job, st, now)
  local base = st.last_run or (now - math.floor(job.grace * 1000))
  if base >= now then return nil end
  local cap = job.missed == "run_all" and job.max_catch_up or 1
  local due, count = due_runs(job, base, now, cap)
  if count == 0 then return nil end
  local latest = due[#due]
  local runs = due
  if job.missed == "skip" and latest < now - job.grace * 1000 then runs = {} end
  local skipped = count - #runs
  if skipped > 0 then
    local what = job.missed == "run_once" and "folded into one run"
      or job.missed == "run_all" and ("dropped (max_catch_up = %d)"):format(cap) or "skipped"
    self:log("info", ("%d missed run(s) %s (missed = %q)"):format(skipped, what, job.missed), job)
  end
  return runs, skipped, latest
end

-- the outcome of one run: summary, log, state
local function ran(self, job, st, at, ok, err)
  if ok then
    note(self.summary.ran, job, at)
  else
    note(self.summary.failed, job, at)
    self:log("error", tostring(err), job)
  end
  st.last_run = at
  write_state(self.cfg, job, st)
end

-- in this process: each due run, one after another, under the job's lock
function Runner:tick_job_here(job, now)
  return self:with_lock(job, function()
    local st = read_state(self.cfg, job)
    local runs, skipped, latest = due_plan(self, job, st, now)
    if not runs then return end
    for _, at in ipairs(runs) do
      local rok, rerr = self:execute(job, at, now, skipped)
      ran(self, job, st, at, rok, rerr)
    end
    if #runs == 0 then
      st.last_run = latest
      write_state(self.cfg, job, st)
    end
  end)
end

-- in child processes: the due runs go to the pool one after another; the
-- job's lock is held until the last has ended
function Runner:tick_job_pool(job, now)
  local path = lock_path(self.cfg, job)
  local locked, why = take_lock(self, job, path)
  if not locked then return nil, why end
  local st = read_state(self.cfg, job)
  local runs, skipped, latest = due_plan(self, job, st, now)
  if not runs or #runs == 0 then
    if runs then
      st.last_run = latest
      write_state(self.cfg, job, st)
    end
    store.unlock(path)
    return true
  end
  local i = 0
  local function submit_next()
    i = i + 1
    local at = runs[i]
    if not at then store.unlock(path); return end
    self:log("info", ("run for %s (process)"):format(tz.describe(at, job.zone)), job)
    self.pool:submit{ job = job, step = "run", at = at, now = now, missed = skipped,
                      timeout_ms = job.timeout_ms, done = function(rok, rerr, how)
      if how == "stopped" then           -- not done: due again at the next start
        note(self.summary.failed, job, at)
        self:log("error", tostring(rerr), job)
        store.unlock(path)
        return
      end
      ran(self, job, st, at, rok, rerr)
      submit_next()
    end }
  end
  submit_next()
  return true
end

function Runner:tick_job(job, now)
  if self.pool and self.pool:has(job.name) then return nil end    -- running: its end plans again
  local last = self:clock_behind(job, now)
  local first_due = next_ms(job.cron, job.zone, last or (now - math.floor(job.grace * 1000)))
  if not first_due or first_due > now then return first_due end   -- nothing due: no lock needed
  local ok, err
  if self.pool then ok, err = self:tick_job_pool(job, now) else ok, err = self:tick_job_here(job, now) end
  if not ok and (err == "busy" or err == "no lock") then return now + RETRY_MS end
  if self.pool and self.pool:has(job.name) then return nil end
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

-- leaving run(): children stopped, recording windows this process opened
-- closed, locks released
function Runner:shutdown(reason)
  if self.pool then self.pool:stop_all() end
  for _, job in ipairs(self.cfg.jobs) do
    if job.kind == "record" and self.held[job.name] then
      local st = read_state(self.cfg, job)
      if st.rec_until then
        local ok, err = self:switch_wait(job, false)
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

--- In a child process (qvrpro.schedule.child): one step of job `name` of
-- `config` in this process, with its own session: "run" (a snapshot, export
-- or lua run for o.at) or "on"/"off" (a record job's switch).  Logs through
-- o.log(level, msg).  Returns true or nil, err.
function M.child_step(config, name, step, o)
  local r = new_runner(config, true, true)
  r.logger = function(level, msg) o.log(level, msg) end
  local job
  for _, j in ipairs(r.cfg.jobs) do
    if j.name == name then job = j end
  end
  if not job then return nil, ("no enabled job named %q in the config"):format(name) end
  local ok, res, err = pcall(function()
    if job.kind == "record" then
      if step ~= "on" and step ~= "off" then return nil, "a record job's step is on or off" end
      return r:switch(job, step == "on")
    end
    if step ~= "run" then return nil, ("a %s job's step is run"):format(job.kind) end
    local nvr, cerr = r:session()
    if not nvr and r.cfg.nvr ~= false then return nil, "cannot connect: " .. tostring(cerr) end
    return run_body(r, job, nvr, o.at, o.now, o.missed)
  end)
  if r.own_nvr and r.nvr then r.nvr:close() end
  if not ok then return nil, res end
  return res, err
end

--- One-shot mode: runs what is due now (record windows reconciled, missed
-- runs by policy, each job under its lock) and returns a summary
-- { ran = {{job=, at=}...}, skipped = {...}, failed = {...} }.  Recording
-- windows stay on between one-shot runs; the run after the window's end
-- switches recording off.
function M.run_once(config)
  local r = new_runner(config, true)
  local ok, err = pcall(function()
    r:tick(r.clock())
    if r.pool then r.pool:drain() end
  end)
  if not ok and r.pool then r.pool:stop_all() end
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
      local ended = r.pool and r.pool.ended
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
        local slice = max_sleep
        if r.pool then
          r.pool:service()
          if r.pool.ended ~= ended then break end            -- a run ended: plan again
          if r.pool:busy() then slice = math.min(slice, POLL) end
        end
        r.sleep(math.min(left / 1000, slice))
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
