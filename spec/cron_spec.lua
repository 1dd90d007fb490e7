-- qvrpro.cron through schedule.next: next-run tables checked against GNU date
-- (which reads the same zoneinfo through glibc), DST days in Europe/Berlin and
-- America/New_York, and the errors for bad expressions, times and zones.
local h = require "helpers"
local qvr = require "qvrpro"
local schedule = require "qvrpro.schedule"
local cron = require "qvrpro.cron"

local ROOT = h.root
local q = h.shell_quote
local date_ms, date_text = h.date_ms, h.date_text
describe("cron expressions (schedule.next)", function()
  -- expr, zone, after (zone-local text for date), expected runs (zone-local texts for date)
  local TABLE = {
    { "0 8 * * 1-5", "Europe/Berlin", "2026-11-27 12:00",
      { "2026-11-30 08:00", "2026-12-01 08:00", "2026-12-02 08:00" } },
    { "*/15 * * * *", "UTC", "2026-01-01 00:07", { "2026-01-01 00:15", "2026-01-01 00:30",
      "2026-01-01 00:45", "2026-01-01 01:00" } },
    { "1-30/10 * * * *", "UTC", "2026-01-01 00:05", { "2026-01-01 00:11", "2026-01-01 00:21",
      "2026-01-01 01:01", "2026-01-01 01:11" } },
    { "0 9,12,18 * * *", "UTC", "2026-01-01 12:00", { "2026-01-01 18:00", "2026-01-02 09:00",
      "2026-01-02 12:00" } },
    { "0 0 1 JAN-MAR,jul *", "UTC", "2026-01-15 00:00", { "2026-02-01 00:00", "2026-03-01 00:00",
      "2026-07-01 00:00", "2027-01-01 00:00" } },
    { "30 6 * * sat,7", "UTC", "2026-01-01 00:00", { "2026-01-03 06:30", "2026-01-04 06:30",
      "2026-01-10 06:30" } },
    { "0 12 * * 0", "UTC", "2026-01-01 00:00", { "2026-01-04 12:00", "2026-01-11 12:00" } },
    { "0 12 * * Mon-Fri/2", "UTC", "2026-01-01 00:00", { "2026-01-02 12:00", "2026-01-05 12:00",
      "2026-01-07 12:00" } },
    -- both day fields restricted: either matches (Fri 2, Fri 9, Tue 13, Fri 16)
    { "0 0 13 * FRI", "UTC", "2026-01-01 00:00", { "2026-01-02 00:00", "2026-01-09 00:00",
      "2026-01-13 00:00", "2026-01-16 00:00" } },
    -- a day-of-month starting with * counts as unrestricted: both must match (Vixie cron)
    { "0 0 */10 * MON", "UTC", "2026-01-01 00:00", { "2026-05-11 00:00", "2026-06-01 00:00",
      "2026-08-31 00:00" } },
    { "@yearly", "Europe/Berlin", "2026-06-01 00:00", { "2027-01-01 00:00", "2028-01-01 00:00" } },
    { "@annually", "UTC", "2026-06-01 00:00", { "2027-01-01 00:00" } },
    { "@monthly", "America/New_York", "2026-01-31 23:59", { "2026-02-01 00:00", "2026-03-01 00:00" } },
    { "@weekly", "UTC", "2026-01-01 00:00", { "2026-01-04 00:00", "2026-01-11 00:00" } },
    { "@daily", "Europe/Berlin", "2026-03-28 12:00", { "2026-03-29 00:00", "2026-03-30 00:00" } },
    { "@midnight", "UTC", "2026-12-31 23:00", { "2027-01-01 00:00" } },
    { "@hourly", "UTC", "2026-01-01 10:00", { "2026-01-01 11:00", "2026-01-01 12:00" } },
    { "0 0 29 2 *", "UTC", "2026-01-01 00:00", { "2028-02-29 00:00", "2032-02-29 00:00" } },
    { "0 0 29 2 *", "UTC", "2096-03-01 00:00", { "2104-02-29 00:00" } },   -- 2100 is no leap year
    { "0 0 31 * *", "UTC", "2026-01-31 00:00", { "2026-03-31 00:00", "2026-05-31 00:00",
      "2026-07-31 00:00", "2026-08-31 00:00" } },
    { "0 0 30 * *", "UTC", "2026-01-30 00:00", { "2026-03-30 00:00", "2026-04-30 00:00" } },
    { "59 23 31 12 *", "UTC", "2026-06-01 00:00", { "2026-12-31 23:59", "2027-12-31 23:59" } },
    -- Europe/Berlin, spring forward 2026-03-29 02:00 CET -> 03:00 CEST
    { "30 2 * * *", "Europe/Berlin", "2026-03-28 12:00",
      { "2026-03-29 03:30", "2026-03-30 02:30", "2026-03-31 02:30" } },
    { "0 * * * *", "Europe/Berlin", "2026-03-29 00:30",
      { "2026-03-29 01:00", "2026-03-29 03:00", "2026-03-29 04:00" } },
    { "* * * * *", "Europe/Berlin", "2026-03-29 01:58",
      { "2026-03-29 01:59", "2026-03-29 03:00", "2026-03-29 03:01" } },
    { "0 8 * * *", "Europe/Berlin", "2026-03-28 12:00", { "2026-03-29 08:00", "2026-03-30 08:00" } },
    -- Europe/Berlin, fall back 2026-10-25 03:00 CEST -> 02:00 CET
    { "30 2 * * *", "Europe/Berlin", "2026-10-24 12:00",
      { "2026-10-25 02:30 +0200", "2026-10-26 02:30", "2026-10-27 02:30" } },
    { "0 * * * *", "Europe/Berlin", "2026-10-25 01:30",
      { "2026-10-25 02:00 +0200", "2026-10-25 02:00 +0100", "2026-10-25 03:00" } },
    { "*/30 2 * * *", "Europe/Berlin", "2026-10-25 01:30",
      { "2026-10-25 02:00 +0200", "2026-10-25 02:30 +0200", "2026-10-25 02:00 +0100",
        "2026-10-25 02:30 +0100", "2026-10-26 02:00" } },
    -- America/New_York, spring forward 2026-03-08 02:00 EST -> 03:00 EDT
    { "30 2 * * *", "America/New_York", "2026-03-07 12:00",
      { "2026-03-08 03:30", "2026-03-09 02:30" } },
    { "0 * * * *", "America/New_York", "2026-03-08 00:30",
      { "2026-03-08 01:00", "2026-03-08 03:00", "2026-03-08 04:00" } },
    -- America/New_York, fall back 2026-11-01 02:00 EDT -> 01:00 EST
    { "30 1 * * *", "America/New_York", "2026-10-31 12:00",
      { "2026-11-01 01:30 -0400", "2026-11-02 01:30", "2026-11-03 01:30" } },
    { "0,30 1 * * *", "America/New_York", "2026-11-01 00:45",
      { "2026-11-01 01:00 -0400", "2026-11-01 01:30 -0400", "2026-11-02 01:00" } },
    { "0 * * * *", "America/New_York", "2026-11-01 00:30",
      { "2026-11-01 01:00 -0400", "2026-11-01 01:00 -0500", "2026-11-01 02:00" } },
  }

  for _, row in ipairs(TABLE) do
    local expr, zone, after, want = row[1], row[2], row[3], row[4]
    it(("%q in %s after %s"):format(expr, zone, after), function()
      local after_ms = date_ms(zone, after)
      local expected = {}
      for i, text in ipairs(want) do expected[i] = date_ms(zone, text) end
      local got = schedule.next_n(expr, after_ms, zone, #want)
      if not pcall(assert.same, expected, got) then
        local a, b = {}, {}
        for i, t in ipairs(expected) do a[i] = date_text(zone, t) end
        for i, t in ipairs(got) do b[i] = date_text(zone, t) end
        assert.same(a, b)
      end
      assert.equal(expected[1], schedule.next(expr, after_ms, zone))
    end)
  end

  it("is strictly after the given time, and accepts ISO and relative times", function()
    local t = date_ms("UTC", "2026-01-01 08:00")
    assert.equal(t + 86400000, schedule.next("0 8 * * *", t, "UTC"))
    assert.equal(t, schedule.next("0 8 * * *", t - 1, "UTC"))
    assert.equal(date_ms("Europe/Berlin", "2026-01-02 08:00"),
      schedule.next("0 8 * * *", "2026-01-01T09:00:00+01:00", "Europe/Berlin"))
    local now = qvr.time.now()
    local n = schedule.next("* * * * *", "now", "UTC")
    assert.is_true(n > now and n <= now + 60000)
  end)

  it("keeps hourly and minutely jobs on every real hour and minute through both Berlin changes", function()
    for _, day in ipairs({ "2026-03-28 22:00", "2026-10-24 22:00" }) do
      local start = date_ms("Europe/Berlin", day)
      local hours = schedule.next_n("0 * * * *", start, "Europe/Berlin", 12)
      local mins = schedule.next_n("* * * * *", start, "Europe/Berlin", 60 * 8)
      for i = 2, #hours do assert.equal(3600000, hours[i] - hours[i - 1]) end
      for i = 2, #mins do assert.equal(60000, mins[i] - mins[i - 1]) end
    end
  end)

  it("uses $TZ (else /etc/localtime) for a nil zone", function()
    local out = h.capture(("cd %s && TZ=America/New_York lua5.4 -e %s"):format(q(ROOT), q(
      "local s = require 'qvrpro.schedule'; io.write(s.next('0 8 * * *', 1780000000000))")), true)
    assert.equal(date_ms("America/New_York", "2026-05-29 08:00"), tonumber(out))
  end)

  it("refuses numbers too big for any field with a clear error, not an internal one", function()
    for _, expr in ipairs({ "99999999999999999999 * * * *", "1-99999999999999999999 * * * *",
                            "* * * 123456789012345678901234567 *" }) do
      local c, err = cron.parse(expr)
      assert.is_nil(c)
      assert.matches("is out of range", err)
      assert.has_error(function() schedule.next(expr, 0, "UTC") end)
      local ok, raised = pcall(schedule.next, expr, 0, "UTC")
      assert.is_false(ok)
      assert.matches("bad cron expression", raised)
    end
    local c, err = cron.parse("*/99999999999999999999 * * * *")
    assert.is_nil(c)
    assert.matches("step 99999999999999999999 is larger than the field", err)
  end)

  it("raises clear errors for bad expressions, times and zones", function()
    local cases = {
      { "61 * * * *", 'minute field "61": 61 is out of range 0%-59' },
      { "* 24 * * *", 'hour field "24": 24 is out of range 0%-23' },
      { "* * 0 * *", "day%-of%-month field" },
      { "* * * 13 *", "month field" },
      { "* * * * 8", "day%-of%-week field" },
      { "* * * *", "expected 5 fields" },
      { "* * * * * *", "expected 5 fields" },
      { "*/0 * * * *", 'bad step "0"' },
      { "5-1 * * * *", "range 5%-1 goes backwards" },
      { "1,,2 * * * *", "empty list item" },
      { "* * * FOO *", '"FOO" is not a number or a name' },
      { "mon * * * *", '"mon" is not a number' },
      { "0 0 30 2 *", "no day ever matches" },
      { "@reboot", "unknown macro" },
      { "", "expected 5 fields" },
    }
    for _, c in ipairs(cases) do
      local ok, err = pcall(schedule.next, c[1], 0, "UTC")
      assert.is_false(ok, c[1])
      assert.matches("bad cron expression", err)
      assert.matches(c[2], err)
      assert.is_nil((cron.parse(c[1])))
    end
    assert.has_error(function() schedule.next(42, 0, "UTC") end)
    assert.has_error(function() schedule.next("* * * * *", 0, "Mars/Olympus") end,
      'unknown time zone "Mars/Olympus" (not in /usr/share/zoneinfo)')
    assert.has_error(function() schedule.next("* * * * *", 0, "../etc/passwd") end)
    assert.has_error(function() schedule.next("* * * * *", "08:00", "UTC") end)
    assert.has_error(function() schedule.next_n("* * * * *", 0, "UTC", -1) end)
  end)
end)
