-- qvrpro.schedule: plans, config files, locks, missed-run policies, and
-- recording windows against the simulator (also across a kill -9).  Cron
-- expressions are in cron_spec.lua, time zones in tz_spec.lua.
local h = require "helpers"
local qvr = require "qvrpro"
local schedule = require "qvrpro.schedule"
local tz = require "qvrpro.tz"

local ROOT = h.root
local q = h.shell_quote

local date_ms = h.date_ms

local tmpdir = h.tmpdir

local read = h.read_file_or_nil

local function write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

-- lua5.4 running `code` in the background (spec paths, preload kept for the
-- sanitizer run); returns its pid.  Output goes to `log`.
local function spawn(code, log)
  local path = os.tmpname()
  write(path, code)
  local out = h.capture(("lua5.4 %s >%s 2>&1 & echo $!"):format(q(path), q(log)), true)
  return assert(tonumber(out), "no pid: " .. tostring(out)), path
end

local function alive(pid)
  local s = read("/proc/" .. pid .. "/stat")
  return s ~= nil and not s:match("^%d+ %(.*%) Z")
end

local function wait_dead(pid, seconds)
  local deadline = qvr.core.monotonic_ms() + seconds * 1000
  while alive(pid) and qvr.core.monotonic_ms() <= deadline do qvr.core.sleep(0.1) end
  return not alive(pid)
end

local function sleep_until(ms)
  local left = ms - qvr.time.now()
  if left > 0 then qvr.core.sleep(left / 1000) end
end

describe("schedule plan", function()
  it("plans the next runs of every job with zone-local times", function()
    local plan = schedule.plan({ jobs = {
      { name = "mornings", kind = "record", camera = "Front Door", cron = "0 8 * * 1-5",
        duration = "30m", zone = "Europe/Berlin" },
      { name = "nightly", kind = "lua", fn = function() end, cron = "0 1 * * *", zone = "America/New_York" },
    } }, 3, date_ms("UTC", "2026-03-27 12:00"))
    assert.equal(2, #plan)
    assert.equal("mornings", plan[1].job)
    assert.equal("Europe/Berlin", plan[1].zone)
    assert.same({ date_ms("Europe/Berlin", "2026-03-30 08:00"), date_ms("Europe/Berlin", "2026-03-31 08:00"),
                  date_ms("Europe/Berlin", "2026-04-01 08:00") },
                { plan[1].runs[1].at, plan[1].runs[2].at, plan[1].runs[3].at })
    assert.equal("2026-03-30 08:00:00 CEST (+02:00)", plan[1].runs[1].local_time)
    assert.equal("2026-03-30 08:30:00 CEST (+02:00)", plan[1].runs[1].until_time)
    assert.equal("2026-03-30T06:00:00.000Z", plan[1].runs[1].utc)
    assert.equal("2026-03-28 01:00:00 EDT (-04:00)", plan[2].runs[1].local_time)
    local text = schedule.format_plan(plan)
    local tmp = os.tmpname()
    local f = assert(io.open(tmp, "w"))
    local again = schedule.plan({ jobs = { { name = "nightly", kind = "lua", fn = print, cron = "0 1 * * *",
      zone = "America/New_York" } }, clock = function() return date_ms("UTC", "2026-03-27 12:00") end }, 3, f)
    f:close()
    assert.same(plan[2], again[1])
    assert.equal(schedule.format_plan(again), read(tmp))
    os.remove(tmp)
    assert.matches('mornings %(record%) "0 8 %* %* 1%-5" in Europe/Berlin:', text)
    assert.matches("2026%-03%-30 08:00:00 CEST %(%+02:00%)  = 2026%-03%-30T06:00:00.000Z  until", text)
  end)
end)

describe("schedule config", function()
  it("loads a config file in a sandbox and checks it", function()
    local path = os.tmpname()
    write(path, [[
      leaked = true
      local qtime = require "qvrpro.time"
      return { state_dir = "/tmp/x", io_seen = io ~= nil, getenv = os.getenv ~= nil, exec = os.execute,
               t = qtime.parse("2026-01-01T00:00:00Z"),
               jobs = { { name = "a", kind = "lua", cron = "@hourly", fn = function() end } } }
    ]])
    local cfg = schedule.load(path)
    assert.is_false(cfg.io_seen)
    assert.is_true(cfg.getenv)
    assert.is_nil(cfg.exec)
    assert.equal(1767225600000, cfg.t)
    assert.is_nil(rawget(_G, "leaked"))
    local bad = {
      { 'return { jobs = { { name = "x", kind = "record", cron = "0 8 * * *", camera = 1 } } }',
        'job "x": duration' },
      { 'return { jobs = { { name = "x", kind = "movie", cron = "0 8 * * *" } } }', 'job "x": kind must be' },
      { 'return { jobs = { { name = "x", kind = "lua", fn = print, cron = "0 25 * * *" } } }',
        'job "x": bad cron expression "0 25 %* %* %*": hour field' },
      { 'return { jobs = { { name = "x", kind = "lua", fn = print, cron = "@daily", zone = "No/Where" } } }',
        'job "x": unknown time zone' },
      { 'return { jobs = { { kind = "lua", fn = print, cron = "@daily", missed = "maybe" } } }',
        "job #1: missed must be" },
      { 'return { jobs = { { name = "a", kind = "lua", fn = print, cron = "@daily" },'
        .. ' { name = "a", kind = "lua", fn = print, cron = "@daily" } } }', "duplicate job name" },
      { 'return { jobs = { { name = "x", kind = "export", cron = "@daily" } } }', "needs a path" },
      { 'require "os"', 'only qvrpro modules, not "os"' },
      { 'return 42', "must return a table" },
      { 'return {', "schedule config" },
    }
    for _, b in ipairs(bad) do
      write(path, b[1])
      local ok, err = pcall(schedule.load, path)
      assert.is_false(ok, b[1])
      assert.matches(b[2], err)
    end
    os.remove(path)
  end)

  it("loads the example config and plans it (the dry run example)", function()
    local cfg = schedule.load(ROOT .. "/examples/schedule.conf.lua")
    local plan = schedule.plan(cfg, 5)
    assert.is_true(#plan >= 3)
    for _, p in ipairs(plan) do
      assert.equal(5, #p.runs)
      for i = 2, 5 do assert.is_true(p.runs[i].at > p.runs[i - 1].at) end
    end
    local out, ok = h.capture(("cd %s && QVR_URL=http://admin:admin@127.0.0.1:1 lua5.4 %s"):format(
      q(os.getenv("TMPDIR") or "/tmp"), q(ROOT .. "/examples/schedule_dry_run.lua")) .. " 2>&1", true)
    assert.truthy(ok, out)
    assert.matches("mornings %(record%)", out)
  end)
end)

describe("schedule locks", function()
  it("takes a free lock, refuses a live holder, takes over a dead or reused pid", function()
    local dir = tmpdir()
    local path = dir .. "/job.lock"
    assert.is_true(schedule.lock(path))
    assert.is_true(schedule.lock(path))                                    -- re-entrant
    assert.matches("^%d+ %d+\n$", read(path))
    schedule.unlock(path)
    assert.is_nil(read(path))
    -- pid 1 is alive: its lock holds
    local stat1 = read("/proc/1/stat")
    local start1 = stat1:match("^%d+ %(.*%) (.*)$"):match("^" .. ("%S+ "):rep(19) .. "(%S+)")
    write(path, "1 " .. start1 .. "\n")
    assert.same({ false, 1 }, { schedule.lock(path) })
    -- the same pid with another start time is a reused pid: stale
    write(path, "1 12345\n")
    assert.is_true(schedule.lock(path))
    schedule.unlock(path)
    -- a process that has exited
    local dead = tonumber((h.capture("sh -c 'echo $$'")))
    write(path, dead .. " 99\n")
    assert.is_true(schedule.lock(path))
    assert.matches("^%d+ %d+\n$", read(path))
    assert.not_matches("^" .. dead .. " ", read(path))
    schedule.unlock(path)
    h.execute("rm -rf " .. q(dir))
  end)

  it("lets only one of two simultaneous one-shot runs run a job", function()
    local dir = tmpdir()
    local code = ([[
      package.path = %q .. ";" .. package.path
      local schedule = require "qvrpro.schedule"
      local s = schedule.run_once{ nvr = false, state_dir = %q, log = function() end,
        jobs = { { name = "slow", kind = "lua", cron = "* * * * *", fn = function(_, ctx)
          local f = assert(io.open(%q, "a")); f:write(ctx.scheduled, "\n"); f:close()
          require("qvrpro.core").sleep(3)
        end } } }
      io.write(("ran=%%d skipped=%%d failed=%%d\n"):format(#s.ran, #s.skipped, #s.failed))
    ]]):format(ROOT .. "/lua/?.lua;" .. ROOT .. "/lua/?/init.lua", dir, dir .. "/runs")
    local pid1, s1 = spawn(code, dir .. "/out1")
    local pid2, s2 = spawn(code, dir .. "/out2")
    assert.is_true(wait_dead(pid1, 20))
    assert.is_true(wait_dead(pid2, 20))
    local outs = { read(dir .. "/out1"), read(dir .. "/out2") }
    table.sort(outs)
    assert.same({ "ran=0 skipped=1 failed=0\n", "ran=1 skipped=0 failed=0\n" }, outs)
    local runs = {}
    for line in read(dir .. "/runs"):gmatch("[^\n]+") do runs[#runs + 1] = line end
    assert.equal(1, #runs)
    assert.equal(0, tonumber(runs[1]) % 60000)
    assert.is_nil(read(dir .. "/slow.lock"))
    os.remove(s1); os.remove(s2)
    h.execute("rm -rf " .. q(dir))
  end)
end)

describe("schedule missed runs (injected clock)", function()
  local HOUR = 3600000
  local T0 = 1777629600000                                    -- 2026-05-01T10:00:00Z

  local function runner(dir, policy, extra)
    local runs = {}
    local cfg = {
      nvr = false, state_dir = dir, log = function() end, missed = policy,
      jobs = { { name = "hourly", kind = "lua", cron = "0 * * * *", zone = "UTC",
                 fn = function(nvr, ctx)
                   assert.is_nil(nvr)
                   runs[#runs + 1] = { at = ctx.scheduled, missed = ctx.missed }
                 end } },
    }
    for k, v in pairs(extra or {}) do cfg.jobs[1][k] = v end
    return function(now)
      cfg.clock = function() return now end
      runs = {}
      schedule.run_once(cfg)
      local at = {}
      for i, r in ipairs(runs) do at[i] = r.at end
      return at, runs
    end
  end

  it("runs a job that is due now on the first run, and nothing twice", function()
    local dir = tmpdir()
    local run = runner(dir, "run_once")
    assert.same({ T0 }, run(T0 + 30000))
    assert.same({}, run(T0 + 40000))
    assert.same({}, run(T0 + HOUR - 1))
    assert.same({ T0 + HOUR }, run(T0 + HOUR))
    h.execute("rm -rf " .. q(dir))
  end)

  it("run_once folds runs missed while down into one, the latest", function()
    local dir = tmpdir()
    local run = runner(dir, "run_once")
    run(T0 + 30000)
    local at, runs = run(T0 + 5 * HOUR + 600000)
    assert.same({ T0 + 5 * HOUR }, at)
    assert.equal(4, runs[1].missed)
    assert.equal(T0 + 5 * HOUR, schedule.state({ state_dir = dir, jobs = { { name = "hourly",
      kind = "lua", fn = print, cron = "@hourly" } } }, "hourly").last_run)
    h.execute("rm -rf " .. q(dir))
  end)

  it("run_all runs every missed run in order (at most max_catch_up)", function()
    local dir = tmpdir()
    local run = runner(dir, "run_all")
    run(T0 + 30000)
    assert.same({ T0 + HOUR, T0 + 2 * HOUR, T0 + 3 * HOUR, T0 + 4 * HOUR, T0 + 5 * HOUR },
      run(T0 + 5 * HOUR + 600000))
    h.execute("rm -rf " .. q(dir))
    dir = tmpdir()
    run = runner(dir, "run_all", { max_catch_up = 2 })
    run(T0 + 30000)
    assert.same({ T0 + 4 * HOUR, T0 + 5 * HOUR }, run(T0 + 5 * HOUR + 600000))
    h.execute("rm -rf " .. q(dir))
  end)

  it("skip drops late runs and keeps one that is on time (within grace)", function()
    local dir = tmpdir()
    local run = runner(dir, "skip")
    run(T0 + 30000)
    assert.same({ T0 + 5 * HOUR }, run(T0 + 5 * HOUR + 10000))          -- 10 s late: on time
    assert.same({}, run(T0 + 8 * HOUR + 600000))                         -- 10 min late: dropped
    assert.same({}, run(T0 + 8 * HOUR + 700000))
    assert.same({ T0 + 9 * HOUR }, run(T0 + 9 * HOUR))
    h.execute("rm -rf " .. q(dir))
  end)

  it("logs a failing job with its name and keeps running the others", function()
    local dir = tmpdir()
    local lines, ran = {}, 0
    local s = schedule.run_once{
      nvr = false, state_dir = dir, clock = function() return T0 end,
      log = function(level, msg, job) lines[#lines + 1] = ("%s [%s] %s"):format(level, job, msg) end,
      jobs = {
        { name = "broken", kind = "lua", cron = "0 * * * *", fn = function() error("disk on fire") end },
        { name = "nil-err", kind = "lua", cron = "0 * * * *", fn = function() return nil, "no luck" end },
        { name = "fine", kind = "lua", cron = "0 * * * *", fn = function() ran = ran + 1 end },
      } }
    assert.equal(1, ran)
    assert.equal(2, #s.failed)
    assert.equal("fine", s.ran[1].job)
    local text = table.concat(lines, "\n")
    assert.matches("error %[broken%] [^\n]*disk on fire", text)
    assert.matches("error %[nil%-err%] no luck", text)
    h.execute("rm -rf " .. q(dir))
  end)

  it("the default log line has a timestamp", function()
    local dir = tmpdir()
    local out = h.capture(("cd %s && lua5.4 -e %s 2>&1"):format(q(ROOT), q(([[
      package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
      require("qvrpro.schedule").run_once{ nvr = false, state_dir = %q, clock = function() return %d end,
        jobs = { { name = "boom", kind = "lua", cron = "0 * * * *", fn = function() error("bang") end } } }
    ]]):format(dir, T0))), true)
    assert.matches("%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d%.%d%d%dZ qvrpro.schedule error %[boom%]: .*bang", out)
    h.execute("rm -rf " .. q(dir))
  end)
end)

describe("schedule with the simulator", function()
  local S = h.with_sim({})
  after_each(function() S.nvr:record("Back Yard", false) end)

  local function back_yard_recording()
    local cams = assert(S.nvr:cameras{ name = "Back Yard" })
    local rec, err = S.nvr:recording("Back Yard")
    assert(err == nil, tostring(err))
    return cams[1].rec_state == "RECORDING", rec
  end

  local function manual_logs(since)
    local out = {}
    for e in S.nvr:each_log{ start_time = since, channel_id = { 1 }, sort_field = "time", dir = "ASC" } do
      if tostring(e.content):match("^Manual recording") and tonumber(e.UTC_time) >= since then
        out[#out + 1] = e
      end
    end
    return out
  end

  -- a clock shifted so a minute boundary M comes `lead` ms from now; returns
  -- the offset, M, and the cron expression of M (UTC)
  local function fake_minute(lead)
    local now = qvr.time.now()
    local m = (now // 60000 + 10) * 60000
    local off = m - lead - now
    local s = m // 1000
    return off, m, ("%d %d * * *"):format(s % 3600 // 60, s % 86400 // 3600)
  end

  it("records a 5-second window: on during it, off after, with the log entries", function()
    local dir = tmpdir()
    local t_test = qvr.time.now()
    local off, m, expr = fake_minute(1500)
    local t_real = m - off
    local clock = function() return qvr.time.now() + off end
    local samples = {}
    local summary = schedule.run{
      nvr = h.opts(S.sim), state_dir = dir, log = function() end,
      clock = clock, until_ms = m + 7000,
      sleep = function(s)
        local rec_state, rec = back_yard_recording()
        samples[#samples + 1] = { t = clock() - m, rec_state = rec_state, rec = rec }
        qvr.core.sleep(math.min(s, 0.5))
      end,
      jobs = { { name = "window", kind = "record", camera = "Back Yard", cron = expr, duration = "5s",
                 zone = "UTC" } },
    }
    assert.equal(1, #summary.ran)
    local before, during, after = 0, 0, 0
    for _, s in ipairs(samples) do
      if s.t < -100 then
        assert.is_false(s.rec, "recording before the window at " .. s.t)
        before = before + 1
      elseif s.t > 300 and s.t < 4700 then
        assert.is_true(s.rec_state, "rec_state not RECORDING in the window at " .. s.t)
        assert.is_true(s.rec)
        during = during + 1
      elseif s.t > 5300 then
        assert.is_false(s.rec_state, "still RECORDING after the window at " .. s.t)
        assert.is_false(s.rec)
        after = after + 1
      end
    end
    assert.is_true(before >= 1 and during >= 4 and after >= 1,
      ("samples before/during/after: %d/%d/%d"):format(before, during, after))
    assert.same({ false, false }, { back_yard_recording() })
    local logs = manual_logs(t_test)
    assert.equal(2, #logs)
    assert.equal("Manual recording started", logs[1].content)
    assert.equal("Manual recording stopped", logs[2].content)
    local started, stopped = tonumber(logs[1].UTC_time), tonumber(logs[2].UTC_time)
    assert.is_true(math.abs(started - t_real) <= 1500, "start logged at " .. (started - t_real))
    assert.is_true(math.abs(stopped - started - 5000) <= 2000, "window " .. (stopped - started))
    local state = read(dir .. "/window.state")
    assert.is_nil(state:match("rec_until"))
    assert.is_nil(read(dir .. "/window.lock"))
    h.execute("rm -rf " .. q(dir))
  end)

  it("switches recording off when run() is interrupted inside a window", function()
    local dir = tmpdir()
    local off, m, expr = fake_minute(500)
    local clock = function() return qvr.time.now() + off end
    local ok, err = pcall(schedule.run, {
      nvr = h.opts(S.sim), state_dir = dir, log = function() end, clock = clock,
      sleep = function(s)
        if clock() > m + 1000 then
          assert(back_yard_recording())
          error("interrupted!")
        end
        qvr.core.sleep(math.min(s, 0.2))
      end,
      jobs = { { name = "window", kind = "record", camera = "Back Yard", cron = expr, duration = "1h",
                 zone = "UTC" } },
    })
    assert.is_false(ok)
    assert.matches("interrupted!", err)
    assert.same({ false, false }, { back_yard_recording() })
    assert.is_nil(read(dir .. "/window.state"):match("rec_until"))
    assert.is_nil(read(dir .. "/window.lock"))
    -- a one-shot run inside the window turns it back on, and leaves it on
    local s = schedule.run_once{ nvr = h.opts(S.sim), state_dir = dir, log = function() end, clock = clock,
      jobs = { { name = "window", kind = "record", camera = "Back Yard", cron = expr, duration = "1h",
                 zone = "UTC" } } }
    assert.equal(1, #s.ran)
    assert.same({ true, true }, { back_yard_recording() })
    -- and a one-shot run after the window switches it off
    local later = function() return qvr.time.now() + off + 3600000 + 1000 end
    schedule.run_once{ nvr = h.opts(S.sim), state_dir = dir, log = function() end, clock = later,
      jobs = { { name = "window", kind = "record", camera = "Back Yard", cron = expr, duration = "1h",
                 zone = "UTC" } } }
    assert.same({ false, false }, { back_yard_recording() })
    h.execute("rm -rf " .. q(dir))
  end)

  it("a scheduler killed in a window and restarted keeps recording on until the end, then off", function()
    local dir = tmpdir()
    local t_test = qvr.time.now()
    local off, m, expr = fake_minute(1500)
    local t_real = m - off
    local code = ([[
      package.path = %q .. ";" .. package.path
      local qvr = require "qvrpro"
      local schedule = require "qvrpro.schedule"
      schedule.run{ nvr = %q, state_dir = %q, until_ms = %d,
        clock = function() return qvr.time.now() + %d end,
        jobs = { { name = "window", kind = "record", camera = "Back Yard", cron = %q, duration = "6s",
                   zone = "UTC" } } }
      print("finished")
    ]]):format(ROOT .. "/lua/?.lua;" .. ROOT .. "/lua/?/init.lua",
      ("http://admin:admin@127.0.0.1:%d"):format(S.sim.port), dir, m + 8000, off, expr)
    local pid1, s1 = spawn(code, dir .. "/out1")
    -- the first scheduler switches recording on at the window start
    sleep_until(t_real + 1500)
    assert.same({ true, true }, { back_yard_recording() })
    assert.truthy(read(dir .. "/window.lock"):match("^" .. pid1 .. " "))
    assert.truthy(h.execute("kill -9 " .. pid1))
    assert.is_true(wait_dead(pid1, 5))
    assert.same({ true, true }, { back_yard_recording() })                -- nobody switched it off
    -- the restarted one takes the stale lock and keeps recording until the end
    local pid2, s2 = spawn(code, dir .. "/out2")
    local checks = 0
    while qvr.time.now() < t_real + 5500 do
      assert.same({ true, true }, { back_yard_recording() })
      checks = checks + 1
      qvr.core.sleep(0.25)
    end
    assert.is_true(checks >= 8)
    sleep_until(t_real + 6800)
    assert.same({ false, false }, { back_yard_recording() })
    assert.is_true(wait_dead(pid2, 10))
    assert.matches("finished", read(dir .. "/out2"))
    assert.matches("recording on until", read(dir .. "/out2"))
    assert.matches("recording off", read(dir .. "/out2"))
    local logs = manual_logs(t_test)
    local contents = {}
    for i, e in ipairs(logs) do contents[i] = e.content end
    assert.same({ "Manual recording started", "Manual recording started", "Manual recording stopped" },
      contents)
    assert.is_nil(read(dir .. "/window.lock"))
    os.remove(s1); os.remove(s2)
    h.execute("rm -rf " .. q(dir))
  end)

  it("SIGINT (Ctrl-C, systemd KillSignal=SIGINT) closes the open window before exiting", function()
    local dir = tmpdir()
    local off, m, expr = fake_minute(1000)
    local t_real = m - off
    local code = ([[
      package.path = %q .. ";" .. package.path
      local qvr = require "qvrpro"
      require("qvrpro.schedule").run{ nvr = %q, state_dir = %q,
        clock = function() return qvr.time.now() + %d end,
        jobs = { { name = "window", kind = "record", camera = "Back Yard", cron = %q, duration = "1h",
                   zone = "UTC" } } }
    ]]):format(ROOT .. "/lua/?.lua;" .. ROOT .. "/lua/?/init.lua",
      ("http://admin:admin@127.0.0.1:%d"):format(S.sim.port), dir, off, expr)
    local pid, script = spawn(code, dir .. "/out")
    sleep_until(t_real + 1500)
    assert.same({ true, true }, { back_yard_recording() })
    assert.truthy(h.execute("kill -INT " .. pid))
    assert.is_true(wait_dead(pid, 5))
    assert.same({ false, false }, { back_yard_recording() })
    local out = read(dir .. "/out")
    assert.matches("recording off %(scheduler interrupted%)", out)
    assert.matches("interrupted!", out)
    assert.is_nil(read(dir .. "/window.lock"))
    assert.is_nil(read(dir .. "/window.state"):match("rec_until"))
    os.remove(script)
    h.execute("rm -rf " .. q(dir))
  end)

  it("takes snapshots with the real qvrpro.snapshot into a dated folder", function()
    local dir = tmpdir()
    local at = date_ms("Europe/Berlin", "2026-07-01 12:00")
    local s = schedule.run_once{
      nvr = h.opts(S.sim), state_dir = dir .. "/state", clock = function() return at + 2000 end,
      log = function() end,
      jobs = { { name = "snaps", kind = "snapshot", cron = "*/5 * * * *",
                 cameras = { "Front Door", "Garage" }, dir = dir .. "/snaps/%Y-%m-%d", file = "{camera}.jpg",
                 zone = "Europe/Berlin" } },
    }
    assert.equal(1, #s.ran)
    for _, name in ipairs({ "Front_Door", "Garage" }) do
      local jpeg = read(dir .. "/snaps/2026-07-01/" .. name .. ".jpg")
      assert.truthy(jpeg, name)
      assert.equal("\255\216", jpeg:sub(1, 2))
    end
    h.execute("rm -rf " .. q(dir))
  end)

  describe("snapshot and export jobs (modules stubbed)", function()
    local saved
    before_each(function()
      saved = { package.loaded["qvrpro.export"], package.loaded["qvrpro.snapshot"] }
    end)
    after_each(function()
      package.loaded["qvrpro.export"], package.loaded["qvrpro.snapshot"] = saved[1], saved[2]
    end)

    it("exports yesterday of every camera into dated files of the job's zone", function()
      local dir = tmpdir()
      local calls, lines = {}, {}
      package.loaded["qvrpro.export"] = { run = function(n, cam, opts)
        assert.equal(S.nvr, n)
        calls[#calls + 1] = { cam = cam.name, from = opts.from, to = opts.to, path = opts.path,
                              resume = opts.resume }
        if cam.name == "Garage" then return nil, "disk full" end
        return { path = opts.path, frames = 10 }
      end }
      -- 01:00 on the day after the spring-forward day: yesterday had 23 hours
      local at = date_ms("Europe/Berlin", "2026-03-30 01:00")
      local s = schedule.run_once{
        session = S.nvr, state_dir = dir, clock = function() return at + 5000 end,
        log = function(level, msg, job) lines[#lines + 1] = ("%s [%s] %s"):format(level, job, msg) end,
        jobs = { { name = "nightly", kind = "export", cron = "0 1 * * *", cameras = "all",
                   range = "yesterday",
                   path = dir .. "/exports/{camera}/%Y-%m-%d.mkv", zone = "Europe/Berlin", resume = true } },
      }
      assert.equal(4, #calls)
      local from = date_ms("Europe/Berlin", "2026-03-29 00:00")
      local to = date_ms("Europe/Berlin", "2026-03-30 00:00")
      assert.equal(23 * 3600000, to - from)
      for _, c in ipairs(calls) do
        assert.same({ from, to, true }, { c.from, c.to, c.resume })
        assert.equal(("%s/exports/%s/2026-03-29.mkv"):format(dir, c.cam:gsub(" ", "_")), c.path)
      end
      assert.is_true(os.rename(dir .. "/exports/Front_Door", dir .. "/exports/Front_Door"))  -- created
      assert.equal(1, #s.failed)                                                 -- the job as a whole
      assert.matches("error %[nightly%] export of Garage failed: disk full", table.concat(lines, "\n"))
      assert.matches("info %[nightly%] exported Back Yard", table.concat(lines, "\n"))
      h.execute("rm -rf " .. q(dir))
    end)

    it("resolves explicit from/to in the job's zone", function()
      local at = date_ms("America/New_York", "2026-11-02 01:00")
      local zone = tz.get("America/New_York")
      local from, to = schedule.resolve_range({ from = "yesterday 00:00", to = "yesterday 24:00" }, at, zone)
      assert.same({ date_ms("America/New_York", "2026-11-01 00:00"),
                    date_ms("America/New_York", "2026-11-02 00:00") }, { from, to })
      assert.equal(25 * 3600000, to - from)
      from, to = schedule.resolve_range({ from = "today 00:30", to = "-10m" }, at, zone)
      assert.same({ date_ms("America/New_York", "2026-11-02 00:30"), at - 600000 }, { from, to })
      from, to = schedule.resolve_range({ range = "last_hour" }, at + 1234, zone)
      assert.same({ at - 3600000, at }, { from, to })
      from, to = schedule.resolve_range({ range = "2h" }, at, zone)
      assert.same({ at - 7200000, at }, { from, to })
      assert.is_nil((schedule.resolve_range({ from = "today 25:00" }, at, zone)))
      assert.is_nil((schedule.resolve_range({ from = "-1h", to = "-2h" }, at, zone)))
    end)

    it("takes snapshots with the job's options", function()
      local dir = tmpdir()
      local got
      package.loaded["qvrpro.snapshot"] = { capture = function(n, opts)
        assert.equal(S.nvr, n)
        got = opts
        return { rounds = 1, files = { "a", "b" }, failures = {} }
      end }
      local at = date_ms("Europe/Berlin", "2026-07-01 12:00")
      local s = schedule.run_once{
        session = S.nvr, state_dir = dir, clock = function() return at end, log = function() end,
        jobs = { { name = "snaps", kind = "snapshot", cron = "*/5 * * * *", cameras = { "Front Door", 2 },
                   dir = dir .. "/snaps/%Y%m%d", file = "{camera}-%H%M.jpg", stream_id = 1,
                   zone = "Europe/Berlin" } },
      }
      assert.equal(1, #s.ran)
      assert.equal("Europe/Berlin", got.zone.name)   -- file names in the job's zone, like its folders
      got.zone = nil
      assert.same({ cameras = { "Front Door", 2 }, dir = dir .. "/snaps/20260701", name = "{camera}-%H%M.jpg",
                    count = 1, stream_id = 1 }, got)
      h.execute("rm -rf " .. q(dir))
    end)
  end)
end)
