-- The scheduler does not let one job or the clock stop the others: a hung
-- run is stopped after its timeout and logged, and a clock that jumps back
-- (or a run with a clock in the future) is logged and recovered from at the
-- next due time instead of silence for as long as the jump.
local h = require "helpers"
local schedule = require "qvrpro.schedule"

local q = h.shell_quote
local MIN = 60000
local T0 = 1782900000000          -- 2026-07-01T10:00:00Z, on a whole minute

describe("schedule safety", function()
  local dir
  before_each(function() dir = h.tmpdir() end)
  after_each(function() h.execute("rm -rf " .. q(dir)) end)

  local logger, find = h.logger, h.find_line

  it("stops a hung run after its timeout, logs it, and runs the other jobs", function()
    local ran, log = {}, {}
    local s = schedule.run_once{
      nvr = false, state_dir = dir, clock = function() return T0 end, log = logger(log),
      jobs = {
        { name = "hang", kind = "lua", cron = "* * * * *", timeout = "1s",
          fn = function() while true do end end },
        { name = "fine", kind = "lua", cron = "* * * * *",
          fn = function() ran[#ran + 1] = "fine" end },
      },
    }
    assert.same({ "fine" }, ran)
    assert.equal(1, #s.failed)
    assert.equal("hang", s.failed[1].job)
    assert.equal(1, #s.ran)
    assert.truthy(find(log, "^error %[hang%] the run timed out after 1 s"), table.concat(log, "\n"))
  end)

  it("lets a run last until the job's next run by default (at least a minute, at most 1 h / 6 h)",
     function()
    local cfg = schedule.check{ nvr = false, jobs = {
      { name = "a", kind = "lua", cron = "* * * * *", fn = print },
      { name = "b", kind = "snapshot", cron = "*/15 * * * *" },
      { name = "c", kind = "lua", cron = "0 3 * * *", fn = print },
      { name = "d", kind = "export", cron = "0 1 * * *", path = "x/{camera}.mkv" },
      { name = "e", kind = "lua", cron = "0 3 * * *", fn = print, timeout = "2h" } } }
    local got = {}
    for _, j in ipairs(cfg.jobs) do got[j.name] = j.timeout_ms end
    assert.same({ a = 60000, b = 900000, c = 3600000, d = 6 * 3600000, e = 7200000 }, got)
  end)

  it("refuses a bad timeout", function()
    assert.has_error(function()
      schedule.run_once{ nvr = false, state_dir = dir, jobs = {
        { name = "x", kind = "lua", cron = "* * * * *", timeout = "soon", fn = print } } }
    end)
  end)

  it("refuses a path pattern with an unknown field when the config is checked", function()
    local ok, err = pcall(schedule.check, { jobs = {
      { name = "nightly", kind = "export", cron = "0 1 * * *", path = "x/{camra}/%Y.mkv" } } })
    assert.is_false(ok)
    assert.matches("nightly.*unknown field {camra}", err)
    ok, err = pcall(schedule.check, { jobs = {
      { name = "snaps", kind = "snapshot", cron = "* * * * *", file = "{cam}.jpg" } } })
    assert.is_false(ok)
    assert.matches("snaps.*unknown field {cam}", err)
  end)

  it("recovers at the next due time after a run with a clock in the future", function()
    local runs, log = {}, {}
    local function run_at(now)
      schedule.run_once{ nvr = false, state_dir = dir, clock = function() return now end,
        log = logger(log), jobs = { { name = "five", kind = "lua", cron = "*/5 * * * *",
          fn = function(_, ctx) runs[#runs + 1] = ctx.scheduled end } } }
    end
    run_at(T0 + 24 * 60 * MIN)         -- a run with the clock a day ahead
    assert.same({ T0 + 24 * 60 * MIN }, runs)
    run_at(T0 + 1 * MIN)               -- the clock is right again
    assert.truthy(find(log, "^warn %[five%] the clock is 23:59:00 behind"), table.concat(log, "\n"))
    run_at(T0 + 5 * MIN + 1000)        -- the next due time runs, not a day later
    assert.same({ T0 + 24 * 60 * MIN, T0 + 5 * MIN }, runs)
  end)

  it("notices a clock jumping back while it sleeps and keeps running on time", function()
    local now, jumped, runs, log = T0 + 1000, false, {}, {}
    local slept = 0
    schedule.run{
      nvr = false, state_dir = dir, log = logger(log), tick = 1,
      clock = function() return now end,
      sleep = function(s)
        now = now + math.floor(s * 1000)
        slept = slept + s
        if not jumped and now >= T0 + 150000 then now = now - 3600000; jumped = true end
      end,
      stop = function() return slept > 12 * 60 end,
      jobs = { { name = "minutely", kind = "lua", cron = "* * * * *",
                 fn = function(_, ctx) runs[#runs + 1] = ctx.scheduled end } },
    }
    assert.truthy(find(log, "the clock jumped back by 0:59:5%d: planning again"), table.concat(log, "\n"))
    local after = 0
    for _, t in ipairs(runs) do if t < T0 then after = after + 1 end end
    -- about 9.5 minutes of clock after the jump: a run every minute, not silence for an hour
    assert.is_true(after >= 8, ("runs after the jump: %d (%s)"):format(after, table.concat(log, "\n")))
  end)
end)
