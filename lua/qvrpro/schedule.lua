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
-- A config read by load() (every `qvr schedule`) runs each job run, and each
-- switch of a record job, in a child process (qvrpro.schedule.pool and
-- .child over core.spawn): jobs run side by side up to `max_jobs` (4), one
-- job never overlaps itself, and a run longer than its `timeout` (default:
-- until the job's next run, at least 1 min and at most 1 h, 6 h for
-- exports; 1 min for a record switch) is killed (SIGTERM, SIGKILL after
-- `kill_grace`), wherever it is blocked; a killed "on" switch is followed by
-- recording off.  A config table built in Lua runs its jobs in this process,
-- one after another, stopped at the timeout by a debug hook (Lua code at
-- once, a C call when it returns).  Clock jumps: when the clock is behind a
-- job's last run (it was set back, or a run happened with a clock in the
-- future) the scheduler logs it and resumes at the job's next due time after
-- now, instead of staying silent for as long as the jump; the long-running
-- loop notices a jump back while it sleeps.
--
-- The parts: qvrpro.schedule.times (next runs, durations, job times),
-- .config (load, check, sandbox), .plan (dry run), .store (state and lock
-- files), .runner (the loop, timeouts, clock jumps, locks), .pool and
-- .child (the child processes) and the job
-- kinds .record, .snapshot and .export.  This module is the public entry.
local cron = require "qvrpro.cron"
local tz = require "qvrpro.tz"
local times = require "qvrpro.schedule.times"
local sconfig = require "qvrpro.schedule.config"
local plan = require "qvrpro.schedule.plan"
local store = require "qvrpro.schedule.store"
local runner = require "qvrpro.schedule.runner"

local M = {}

M.cron = cron
M.tz = tz

-- next run times, durations and the times of jobs
M.next, M.next_n, M.format = times.next, times.next_n, times.format
M.duration, M.resolve_time, M.resolve_range = times.duration, times.resolve_time, times.resolve_range
M.expand_path = times.expand_path

-- config
M.check, M.sandbox, M.load = sconfig.check, sconfig.sandbox, sconfig.load

-- dry run
M.plan, M.format_plan = plan.plan, plan.format_plan

-- files: state and locks
M.lock, M.unlock = store.lock, store.unlock
M.state, M.default_state_dir = store.state, store.default_state_dir

-- the runner
M.run, M.run_once = runner.run, runner.run_once

return M
