-- A config read from a file runs each job run in a child process: a run
-- blocked in a C call is killed at its timeout, jobs run concurrently up to
-- max_jobs, a killed record step is followed by recording off, a killed
-- export resumes, and the child inherits no descriptors.  Times are
-- core.monotonic_ms (one clock for every process), with generous margins.
local h = require "helpers"
local qvr = require "qvrpro"
local schedule = require "qvrpro.schedule"

local q = h.shell_quote
local now_ms = qvr.core.monotonic_ms

local read = h.read_file_or_nil

local logger, find = h.logger, h.find_line

-- a config file of `body` (the text of its jobs list) loaded, with `extra` keys
local function load_config(dir, body, extra)
  local path = dir .. "/schedule.lua"
  h.write_file(path, ("return { state_dir = %q, %s jobs = { %s } }"):format(dir .. "/state",
    extra or "", body))
  return schedule.load(path, { io = io, os = os })
end

-- a lua job (text) that writes "start end" (monotonic ms) to `file`, sleeping `secs` between
local function timed_job(name, file, secs)
  return ([[{ name = %q, kind = "lua", cron = "* * * * *", fn = function()
      local core = require "qvrpro.core"
      local t1 = core.monotonic_ms()
      core.sleep(%s)
      local f = assert(io.open(%q, "w"))
      f:write(t1, " ", core.monotonic_ms(), "\n")
      f:close()
    end },]]):format(name, secs, file)
end

describe("schedule jobs in child processes", function()
  local dir
  before_each(function() dir = h.tmpdir() end)
  after_each(function() h.execute("rm -rf " .. q(dir)) end)

  it("runs a file's jobs in children and a table's in this process", function()
    -- (the job prints only in a child: busted's own output stays clean)
    local me = read("/proc/self/stat"):match("^%d+")
    local cfg = load_config(dir, ([[
      { name = "where", kind = "lua", cron = "* * * * *", fn = function(_, ctx)
          local f = io.open("/proc/self/stat"); local pid = f:read("a"):match("^%%d+"); f:close()
          ctx.log("pid " .. pid)
          if pid ~= %q then print("printed by the job") end end },]]):format(me),
      "nvr = false,")
    local log = {}
    cfg.log = logger(log)
    local s = schedule.run_once(cfg)
    assert.equal(1, #s.ran, table.concat(log, "\n"))
    local mine = read("/proc/self/stat"):match("^%d+")
    local line = assert(find(log, "^info %[where%] pid %d+$"), table.concat(log, "\n"))
    assert.not_equal(mine, line:match("pid (%d+)"))
    assert.truthy(find(log, "^info %[where%] printed by the job$"), table.concat(log, "\n"))
    -- isolate = false keeps it here
    h.execute("rm -rf " .. q(dir .. "/state"))
    cfg.isolate, log = false, {}
    cfg.log = logger(log)
    s = schedule.run_once(cfg)
    assert.equal(1, #s.ran)
    assert.equal(mine, find(log, "pid %d+"):match("pid (%d+)"))
    assert.has_error(function()
      schedule.run_once{ nvr = false, isolate = true, state_dir = dir, jobs = {} }
    end, "schedule: isolate = true needs a config read by schedule.load (its children read the file)")
  end)

  it("refuses a bad max_jobs, kill_grace or isolate", function()
    local function bad(extra, pattern)
      local cfg = { nvr = false, jobs = {} }
      for k, v in pairs(extra) do cfg[k] = v end
      local ok, err = pcall(schedule.check, cfg)
      assert.is_false(ok)
      assert.matches(pattern, err)
    end
    bad({ max_jobs = 0 }, "max_jobs must be a whole number of at least 1")
    bad({ max_jobs = 2.5 }, "max_jobs must be a whole number")
    bad({ kill_grace = "soon" }, "kill_grace must be a duration")
    bad({ isolate = "yes" }, "isolate must be true or false")
    assert.equal(5, schedule.check{ jobs = {}, kill_grace = "5s" }.kill_grace)
  end)

  it("kills a run blocked in a C call at its timeout (SIGTERM, SIGKILL after kill_grace)", function()
    local cfg = load_config(dir, [[
      { name = "stuck", kind = "lua", cron = "* * * * *", timeout = "1s",
        fn = function() require("qvrpro.core").sleep(120) end },
      { name = "stuck-shell", kind = "lua", cron = "* * * * *", timeout = "1s",
        fn = function() os.execute("trap '' TERM; sleep 117.31") end },]], "nvr = false, kill_grace = 2,")
    local log = {}
    cfg.log = logger(log)
    local t0 = now_ms()
    local s = schedule.run_once(cfg)
    local took = now_ms() - t0
    assert.equal(2, #s.failed)
    assert.equal(0, #s.ran)
    assert.is_true(took < 1000 + 2000 + 8000, "took " .. took .. " ms")
    assert.truthy(find(log, "^error %[stuck%] the run timed out after 1 s and was stopped %(SIGTERM%)"),
      table.concat(log, "\n"))
    assert.truthy(find(log, "^warn %[stuck%] timed out after 1 s: stopping it"), table.concat(log, "\n"))
    -- the shell that ignores SIGTERM is gone too (its process group was killed)
    assert.truthy(find(log, "^error %[stuck%-shell%] the run timed out after 1 s"), table.concat(log, "\n"))
    local ps = h.capture("ps -eo args | grep -c '^sleep 117.31$' || true")
    assert.equal("0", (ps:gsub("%s", "")))
  end)

  it("runs jobs of different names at the same time", function()
    local cfg = load_config(dir, timed_job("a", dir .. "/a", 2) .. timed_job("b", dir .. "/b", 2),
      "nvr = false,")
    cfg.log = function() end
    local s = schedule.run_once(cfg)
    assert.equal(2, #s.ran)
    local a1, a2 = read(dir .. "/a"):match("(%d+) (%d+)")
    local b1, b2 = read(dir .. "/b"):match("(%d+) (%d+)")
    a1, a2, b1, b2 = tonumber(a1), tonumber(a2), tonumber(b1), tonumber(b2)
    assert.is_true(a1 < b2 and b1 < a2, ("a %d..%d, b %d..%d: no overlap"):format(a1, a2, b1, b2))
  end)

  it("runs at most max_jobs at once, the others when a slot frees", function()
    local body = ""
    for i = 1, 5 do body = body .. timed_job("j" .. i, dir .. "/j" .. i, 1.5) end
    local cfg = load_config(dir, body, "nvr = false, max_jobs = 2,")
    cfg.log = function() end
    local s = schedule.run_once(cfg)
    assert.equal(5, #s.ran)
    local spans = {}
    for i = 1, 5 do
      local t1, t2 = read(dir .. "/j" .. i):match("(%d+) (%d+)")
      spans[i] = { tonumber(t1), tonumber(t2) }
    end
    local most = 0
    for _, sp in ipairs(spans) do           -- how many run at each start
      local n = 0
      for _, o in ipairs(spans) do
        if o[1] <= sp[1] and sp[1] < o[2] then n = n + 1 end
      end
      most = math.max(most, n)
    end
    assert.equal(2, most)
  end)

  it("a job of one name never overlaps itself: its next run waits for the lock", function()
    local cfg = load_config(dir, timed_job("slow", dir .. "/slow", 3), "nvr = false,")
    local log = {}
    local script
    -- a second scheduler started while the first runs the job skips it
    local code = ([[
      package.path = %q .. ";" .. package.path
      local schedule = require "qvrpro.schedule"
      local cfg = schedule.load(%q)
      local s = schedule.run_once(cfg)
      io.write(("ran=%%d skipped=%%d\n"):format(#s.ran, #s.skipped))
    ]]):format(h.root .. "/lua/?.lua;" .. h.root .. "/lua/?/init.lua", dir .. "/schedule.lua")
    script = dir .. "/second.lua"
    h.write_file(script, code)
    cfg.log = logger(log)
    -- the second one starts a moment after the first has its child running
    local out = dir .. "/second.out"
    local pid = h.capture(("(sleep 1; lua5.4 %s) >%s 2>&1 & echo $!"):format(q(script), q(out)), true)
    assert.truthy(tonumber(pid))
    local s = schedule.run_once(cfg)
    assert.equal(1, #s.ran)
    local deadline = now_ms() + 20000
    while not (read(out) or ""):match("\n") and now_ms() < deadline do qvr.core.sleep(0.1) end
    assert.matches("ran=0 skipped=1\n$", read(out))
    assert.matches("busy: the job's lock is held by pid", read(out))
  end)

  it("counts a run that reported success though its process then died on the way out", function()
    local mine = read("/proc/self/stat"):match("^%d+")
    -- the config's finalizer (run at the child's exit) kills the child; never this process
    local cfg = load_config(dir, [[
      { name = "fine", kind = "lua", cron = "* * * * *", fn = function() end },]],
      ([[nvr = false, dying = setmetatable({}, { __gc = function()
          local f = io.open("/proc/self/stat"); local pid = f:read("a"):match("^%%d+"); f:close()
          if pid ~= %q then os.execute("kill -9 " .. pid) end
        end }),]]):format(mine))
    local log = {}
    cfg.log = logger(log)
    local s = schedule.run_once(cfg)
    assert.equal(1, #s.ran, table.concat(log, "\n"))
    assert.truthy(find(log, "^warn %[fine%] the job's process ended with signal 9 after the run succeeded"),
      table.concat(log, "\n"))
  end)

  it("keeps the missed-run policies: run_all runs each missed run in order, in children", function()
    local T0 = 1782900000000          -- 2026-07-01T10:00:00Z
    local cfg = load_config(dir, ([[
      { name = "hourly", kind = "lua", cron = "0 * * * *", zone = "UTC", missed = "run_all",
        fn = function(_, ctx)
          local f = assert(io.open(%q, "a")); f:write(ctx.scheduled, " ", ctx.missed, "\n"); f:close()
        end },]]):format(dir .. "/runs"), "nvr = false,")
    cfg.log = function() end
    cfg.clock = function() return T0 + 30000 end
    assert.equal(1, #schedule.run_once(cfg).ran)
    cfg.clock = function() return T0 + 5 * 3600000 + 600000 end
    assert.equal(5, #schedule.run_once(cfg).ran)
    local runs, folded = {}, 0
    for at, missed in read(dir .. "/runs"):gmatch("(%d+) (%d+)\n") do
      runs[#runs + 1] = tonumber(at)
      folded = folded + tonumber(missed)
    end
    assert.equal(0, folded)                                  -- ctx.missed reaches the child
    assert.same({ T0, T0 + 3600000, T0 + 2 * 3600000, T0 + 3 * 3600000, T0 + 4 * 3600000,
                  T0 + 5 * 3600000 }, runs)
    assert.equal(T0 + 5 * 3600000, schedule.state(cfg, "hourly").last_run)
  end)

  it("gives the child no descriptor of the scheduler's", function()
    local held = {}
    for i = 1, 5 do held[i] = assert(io.open(dir .. "/held" .. i, "w")) end
    local cfg = load_config(dir, ([[
      { name = "fds", kind = "lua", cron = "* * * * *", fn = function()
          local f = io.open("/proc/self/stat"); local pid = f:read("a"):match("^%%d+"); f:close()
          assert(os.execute("ls -l /proc/" .. pid .. "/fd > %s"))
        end },]]):format(dir .. "/fds"), "nvr = false,")
    cfg.log = function() end
    assert.equal(1, #schedule.run_once(cfg).ran)
    for _, f in ipairs(held) do f:close() end
    local fds = {}
    for fd, target in read(dir .. "/fds"):gmatch("(%d+) %-> ([^\n]+)") do fds[tonumber(fd)] = target end
    assert.equal("/dev/null", fds[0])
    assert.matches("^pipe:", fds[1])
    assert.equal(fds[1], fds[2])
    assert.matches("^pipe:", fds[3])
    for fd, target in pairs(fds) do
      assert.is_nil(target:find(dir .. "/held", 1, true), "fd " .. fd .. " leaked: " .. target)
      -- beyond 0..3 only what the child opened itself: its copy of fd 3 and its output file
      if fd > 3 then
        assert.is_true(target == fds[3] or target == dir .. "/fds", "fd " .. fd .. ": " .. target)
      end
    end
  end)
end)

describe("schedule jobs in child processes with the simulator", function()
  local S = h.with_sim({ "--no-pace" })
  local dir
  before_each(function() dir = h.tmpdir() end)
  after_each(function()
    h.control(S.sim, "clear=1")
    h.execute("rm -rf " .. q(dir))
  end)

  local function nvr_url()
    return ("http://admin:admin@127.0.0.1:%d"):format(S.sim.port)
  end

  local function recording(name)
    local rec, err = S.nvr:recording(name)
    assert(err == nil, tostring(err))
    return rec
  end

  -- the NVR's log of Back Yard's (channel 1) manual recording switches since
  -- a second before t, oldest first
  local function manual_switches(t)
    local contents = {}
    for e in S.nvr:each_log{ start_time = t - 1000, channel_id = { 1 }, sort_field = "time",
                             dir = "ASC" } do
      if tostring(e.content):match("^Manual recording") then contents[#contents + 1] = e.content end
    end
    return contents
  end

  it("kills a playback stalled by the server at the run's timeout", function()
    h.control(S.sim, "fault=get_wait=60000")
    local from = (qvr.time.now() - 3600000) // 1000 * 1000
    local cfg = load_config(dir, ([[
      { name = "replay", kind = "lua", cron = "* * * * *", timeout = "2s", fn = function(nvr)
          local pb = assert(nvr:playback("Front Door", { from = %d, to = %d }))
          for _ in pb:frames() do end
        end },]]):format(from, from + 60000), ("nvr = %q, kill_grace = 1,"):format(nvr_url()))
    local log = {}
    cfg.log = logger(log)
    local t0 = now_ms()
    local s = schedule.run_once(cfg)
    local took = now_ms() - t0
    assert.equal(1, #s.failed, table.concat(log, "\n"))
    assert.truthy(find(log, "^error %[replay%] the run timed out after 2 s"), table.concat(log, "\n"))
    assert.is_true(took < 2000 + 1000 + 8000, "took " .. took .. " ms")
  end)

  it("switches recording off when a record job's on step is killed at its timeout", function()
    local door = assert(S.nvr:camera("Front Door"))
    -- Back Yard switches at once; Front Door's switch hangs (the server waits 30 s)
    h.control(S.sim, "fault=slow=30000:" .. door.guid)
    local cfg = load_config(dir, [[
      { name = "window", kind = "record", cron = "* * * * *", duration = "1h", timeout = "3s",
        cameras = { "Back Yard", "Front Door" } },]],   -- REST: the camera's guid is in the path
      ("nvr = { host = '127.0.0.1', port = %d, user = 'admin', password = 'admin', api = 'rest' },"
       .. " kill_grace = 1,"):format(S.sim.port))
    local log = {}
    cfg.log = logger(log)
    local t_test = qvr.time.now()
    local s = schedule.run_once(cfg)
    local text = table.concat(log, "\n")
    assert.equal(1, #s.failed, text)
    assert.truthy(find(log, "^error %[window%] recording on failed: the recording on step timed out "
      .. "after 3 s"), text)
    assert.is_false(recording("Back Yard"), text)
    -- it was on in between: the NVR logged both switches of Back Yard
    assert.same({ "Manual recording started", "Manual recording stopped" }, manual_switches(t_test))
    -- the stop step ran (its Front Door part hangs as well, and is logged)
    assert.truthy(find(log, "recording off after the timed out on step failed") or
                  find(log, "recording off: the on step was timed out"), text)
    assert.is_nil((schedule.state(cfg, "window") or {}).rec_until)
    h.control(S.sim, "clear=1")
    S.nvr:record("Front Door", false)
    S.nvr:record("Back Yard", false)
  end)

  it("leaves a resumable export at its timeout, and the next run finishes it exactly", function()
    local from = (qvr.time.now() - 2 * 3600000) // 1000 * 1000
    local to = from + 120000
    local full = dir .. "/full.qvr"
    assert(require("qvrpro.export").run(S.nvr, "Front Door", { from = from, to = to, path = full }))
    local path = dir .. "/out/Front_Door.qvr"
    local job = ([[
      { name = "nightly", kind = "export", cron = "* * * * *", timeout = "3s", camera = "Front Door",
        from = %d, to = %d, path = %q, resume = true },]]):format(from, to, dir .. "/out/{camera}.qvr")
    -- slowed down: 20 frames a get, each get 250 ms late
    h.control(S.sim, "fault=get_frames=20&fault=get_wait=250")
    local cfg = load_config(dir, job, ("nvr = %q, kill_grace = 1,"):format(nvr_url()))
    local log = {}
    cfg.log = logger(log)
    local s = schedule.run_once(cfg)
    assert.equal(1, #s.failed, table.concat(log, "\n"))
    assert.truthy(find(log, "^error %[nightly%] the run timed out after 3 s"), table.concat(log, "\n"))
    assert.is_nil(read(path))
    local part = assert(read(path .. ".part"), "no .part left")
    assert.is_true(#part > 0 and #part < #read(full), "part " .. #part)
    -- the next run (a new state folder: due again) resumes it
    h.control(S.sim, "clear=1")
    h.execute("rm -rf " .. q(dir .. "/state"))
    log = {}
    cfg.log = logger(log)
    s = schedule.run_once(cfg)
    assert.equal(1, #s.ran, table.concat(log, "\n"))
    h.assert_same_dumps(full, path)
    assert.is_nil(read(path .. ".part"))
  end)

  -- a clock shifted so a minute boundary M comes `lead` ms from now: offset, M, its cron (UTC)
  local function fake_minute(lead)
    local now = qvr.time.now()
    local m = (now // 60000 + 10) * 60000
    local s = m // 1000
    return m - lead - now, m, ("%d %d * * *"):format(s % 3600 // 60, s % 86400 // 3600)
  end

  it("the long-running scheduler starts a due job while another still runs", function()
    local off, m, expr = fake_minute(1000)
    local cfg = load_config(dir, ([[
      { name = "hog", kind = "lua", cron = %q, zone = "UTC", timeout = "1h",
        fn = function() require("qvrpro.core").sleep(60) end },
      { name = "tick", kind = "lua", cron = %q, zone = "UTC", fn = function()
          local f = assert(io.open(%q, "w")); f:write(require("qvrpro.core").monotonic_ms()); f:close()
        end },]]):format(expr, expr, dir .. "/tick"), "nvr = false, kill_grace = 1,")
    local log = {}
    cfg.log = logger(log)
    cfg.clock = function() return qvr.time.now() + off end
    cfg.until_ms = m + 5000
    local t0 = now_ms()
    local s = schedule.run(cfg)
    local took = now_ms() - t0
    local text = table.concat(log, "\n")
    assert.equal(1, #s.ran, text)
    assert.equal("tick", s.ran[1].job)
    assert.is_true(tonumber(read(dir .. "/tick")) - t0 < 1000 + 4000, text)
    -- leaving stops the hog (SIGTERM) and counts it failed; it is due again at the next start
    assert.equal("hog", s.failed[1].job)
    assert.truthy(find(log, "^error %[hog%] stopped: the scheduler is leaving"), text)
    assert.is_true(took < 6000 + 1000 + 8000, "took " .. took)
    assert.is_nil(schedule.state(cfg, "hog").last_run)
    assert.equal(m, schedule.state(cfg, "tick").last_run)
  end)

  it("the long-running scheduler opens and closes a recording window through children", function()
    local off, m, expr = fake_minute(1000)
    local t_test = qvr.time.now()
    local cfg = load_config(dir, ([[
      { name = "window", kind = "record", camera = "Back Yard", cron = %q, zone = "UTC",
        duration = "3s" },]]):format(expr), ("nvr = %q,"):format(nvr_url()))
    local log, seen_on = {}, false
    cfg.log = logger(log)
    cfg.clock = function() return qvr.time.now() + off end
    cfg.until_ms = m + 5000
    cfg.sleep = function(secs)
      if cfg.clock() > m + 500 and cfg.clock() < m + 2500 and recording("Back Yard") then seen_on = true end
      qvr.core.sleep(secs)
    end
    local s = schedule.run(cfg)
    local text = table.concat(log, "\n")
    assert.equal(1, #s.ran, text)
    assert.is_true(seen_on, text)
    assert.is_false(recording("Back Yard"))
    assert.truthy(find(log, "^info %[window%] recording off %(window ended%)"), text)
    assert.same({ "Manual recording started", "Manual recording stopped" }, manual_switches(t_test))
    assert.is_nil(schedule.state(cfg, "window").rec_until)
  end)

  it("qvr schedule (long-running) on SIGINT stops its children and closes the open window", function()
    h.write_file(dir .. "/s.lua", ([[return { nvr = %q, state_dir = %q, jobs = {
      { name = "window", kind = "record", camera = "Back Yard", cron = "* * * * *", duration = "1h" },
      { name = "hog", kind = "lua", cron = "* * * * *", timeout = "1h",
        fn = function() require("qvrpro.core").sleep(600) end } } }]]):format(nvr_url(), dir .. "/state"))
    assert.is_false(recording("Back Yard"))
    local pid = tonumber((h.capture(("lua5.4 %s/bin/qvr schedule --config %s >%s 2>&1 & echo $!"):format(
      q(h.root), q(dir .. "/s.lua"), q(dir .. "/out")), true)))
    assert.truthy(pid)
    local deadline = now_ms() + 20000
    local kids = ""
    while not (recording("Back Yard") and kids:match(" hog run ")) and now_ms() < deadline do
      qvr.core.sleep(0.2)
      kids = h.capture(("ps -o pid=,args= --ppid %d"):format(pid))
    end
    assert.is_true(recording("Back Yard"), read(dir .. "/out"))
    assert.truthy(kids:match(" hog run "), "no child running the hog: " .. kids)
    assert.truthy(h.execute("kill -INT " .. pid))
    deadline = now_ms() + 20000
    local function alive(p)
      local stat = read("/proc/" .. p .. "/stat")
      return stat ~= nil and not stat:match("^%d+ %(.*%) Z")
    end
    while alive(pid) and now_ms() < deadline do qvr.core.sleep(0.1) end
    assert.is_false(alive(pid), read(dir .. "/out"))
    for line in kids:gmatch("[^\n]+") do
      local kid = assert(line:match("^%s*(%d+) "))
      assert.is_false(alive(kid), "child " .. kid .. " left running")
    end
    assert.is_false(recording("Back Yard"), read(dir .. "/out"))
    local out = read(dir .. "/out")
    assert.matches("recording off %(scheduler interrupted%)", out)
    assert.matches("%[hog%]: stopped: the scheduler is leaving", out)
  end)
end)

describe("core.spawn", function()
  local core = qvr.core

  local function wait_end(p)
    local deadline = now_ms() + 10000
    while not p:wait() and now_ms() < deadline do core.sleep(0.02) end
    return p:wait()
  end

  it("starts a program with the given environment, output on two pipes, status when it ends", function()
    local p = assert(core.spawn({ "/bin/sh", "-c", 'echo "out $QVR_X"; echo err >&2; echo msg >&3; exit 7' },
      { "QVR_X=42" }))
    assert.is_true(p:pid() > 0)
    assert.same({ "exit", 7 }, { wait_end(p) })
    assert.equal("out 42\nerr\n", p:read("out"))
    assert.equal("msg\n", p:read("msg"))
    assert.is_nil(p:read("out"))                              -- at its end
    assert.is_nil(p:read("msg"))
    p:close()
    assert.matches("lua", core.exe_path())
  end)

  it("reads without blocking and kills the child's process group", function()
    local p = assert(core.spawn({ "/bin/sh", "-c", "sleep 60 & sleep 60" }))
    assert.equal("", p:read("out"))                           -- nothing yet, no wait
    assert.is_nil(p:wait())
    assert.is_true(p:kill(core.SIGTERM))
    assert.same({ "signal", core.SIGTERM }, { wait_end(p) })
    -- its background sleep was in the group too
    local deadline = now_ms() + 5000
    local left
    repeat
      left = h.capture("ps -eo pgid=,args= | awk '$1 == " .. p:pid() .. "' | grep -c 'sleep 60' || true")
      core.sleep(0.05)
    until left:match("^0") or now_ms() > deadline
    assert.matches("^0", left)
  end)

  it("answers nil, err for a program that cannot start", function()
    local p, err = core.spawn({ "/nonexistent/program" })
    assert.is_nil(p)
    assert.equal("IO_ERROR", err.name)
    assert.matches("cannot start /nonexistent/program: No such file", tostring(err))
    assert.has_error(function() core.spawn({}) end)
    assert.has_error(function() core.spawn({ "/bin/true", 42 }) end)
  end)
end)

describe("schedule pool", function()
  it("sends SIGKILL kill_grace after SIGTERM to a child that ignores SIGTERM", function()
    local pool = require "qvrpro.schedule.pool"
    local dir = h.tmpdir()
    local script = dir .. "/stubborn.sh"
    h.write_file(script, "trap '' TERM\necho started\nsleep 30\n")
    local log = {}
    local r = { cfg = { state_dir = dir }, log = function(_, level, msg, job)
      log[#log + 1] = ("%s [%s] %s"):format(level, job.name, msg)
    end }
    local p = pool.new(r, dir .. "/unused.lua", "", { kill_grace = 1 })
    p.exe, p.script = "/bin/sh", script          -- a child that is not ours to end politely
    local res
    p:submit{ job = { name = "stubborn" }, step = "run", at = 0, timeout_ms = 500,
              done = function(ok, err, how) res = { ok, err, how } end }
    local t0 = now_ms()
    p:drain()
    local took = now_ms() - t0
    assert.same({ false, "the run timed out after 500 ms and was stopped (SIGKILL)", "timeout" }, res)
    assert.is_true(took >= 1400 and took < 1500 + 8000, "took " .. took)
    local text = table.concat(log, "\n")
    assert.truthy(find(log, "^info %[stubborn%] started$"), text)
    assert.truthy(find(log, "^warn %[stubborn%] timed out after 500 ms: stopping it "
      .. "%(SIGTERM, SIGKILL in 1 s%)"), text)
    assert.truthy(find(log, "^warn %[stubborn%] still running: SIGKILL"), text)
    h.execute("rm -rf " .. q(dir))
  end)
end)
