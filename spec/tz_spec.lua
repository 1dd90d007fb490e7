-- qvrpro.tz: offsets checked against GNU date over 1970..2200, POSIX TZ footers,
-- slim (zic -b slim) and version 1 TZif files, wall-time to instant mapping.
local h = require "helpers"
local schedule = require "qvrpro.schedule"
local tz = require "qvrpro.tz"

local q = h.shell_quote
local date_ms = h.date_ms
local tmpdir, write = h.tmpdir, h.write_file
describe("qvrpro.tz", function()
  local ZONES = { "Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata",
                  "Australia/Lord_Howe", "Europe/Dublin", "America/Nuuk", "Pacific/Apia",
                  "Antarctica/Troll", "America/Sao_Paulo" }

  it("gives the offsets date gives, 1970..2200, also beyond the stored transitions", function()
    local ts = {}
    for t = 0, 7258118400, 86400 * 53 + 3607 do ts[#ts + 1] = t end
    local list = os.tmpname()
    local lines = {}
    for i, t in ipairs(ts) do lines[i] = "@" .. t end
    write(list, table.concat(lines, "\n") .. "\n")
    for _, name in ipairs(ZONES) do
      local zone = assert(tz.get(name))
      local out = h.capture(("TZ=%s date -f %s +%%z"):format(q(name), q(list)))
      local i, bad = 0, {}
      for line in out:gmatch("[^\n]+") do
        i = i + 1
        local sign, hh, mm = line:match("([+-])(%d%d)(%d%d)")
        local off = (tonumber(hh) * 3600 + tonumber(mm) * 60) * (sign == "-" and -1 or 1)
        if zone:offset(ts[i]) ~= off then bad[#bad + 1] = ts[i] end
      end
      assert.equal(#ts, i)
      assert.same({}, bad, name)
    end
    os.remove(list)
  end)

  it("reads the POSIX TZ footer (Europe/Berlin's and others)", function()
    assert.equal("CET-1CEST,M3.5.0,M10.5.0/3", tz.get("Europe/Berlin").footer)
    local r = assert(tz.parse_posix("CET-1CEST,M3.5.0,M10.5.0/3"))
    assert.same({ 3600, 7200, 10800 }, { r.std_off, r.dst_off, r["end"].time })
    r = assert(tz.parse_posix("<+0330>-3:30"))
    assert.equal(12600, r.std_off)
    assert.is_nil(r.dst)
    r = assert(tz.parse_posix("<-02>2<-01>,M3.5.0/-1,M10.5.0/0"))
    assert.same({ -7200, -3600, -3600 }, { r.std_off, r.dst_off, r.start.time })
    r = assert(tz.parse_posix("EST5EDT,0/0,J365/25"))                  -- v3: all-year DST
    assert.same({ "N", 0, "J", 365, 90000 }, { r.start.kind, r.start.day, r["end"].kind, r["end"].day,
                                               r["end"].time })
    local z = assert(tz.posix_zone("EST5EDT,0/0,J365/25"))
    assert.equal(-14400, (z:offset(date_ms("UTC", "2030-07-01 00:00") // 1000)))
    assert.equal(-14400, (z:offset(date_ms("UTC", "2030-01-01 12:00") // 1000)))
    for _, bad in ipairs({ "", "CET", "CET-1CEST,M3.5.0", "CET-1CEST,M13.5.0,M10.5.0", "1CET" }) do
      assert.is_nil((tz.parse_posix(bad)), bad)
    end
  end)

  it("reads a slim TZif file (rules only in the footer) made by zic", function()
    local dir = tmpdir()
    write(dir .. "/src", table.concat({
      "Rule T 2000 max - Mar lastSun 1:00u 1:00 S",
      "Rule T 2000 max - Oct lastSun 1:00u 0 -",
      "Zone Test/Slim 1:00 T CE%sT",
    }, "\n") .. "\n")
    local ok = h.execute(("zic -b slim -d %s %s 2>/dev/null"):format(q(dir), q(dir .. "/src")))
    assert.truthy(ok, "zic failed")
    local zone = assert(tz.get(dir .. "/Test/Slim"))
    assert.truthy(zone.footer and zone.footer:match("^CET%-1CEST"))
    -- far past the stored data; 2031-03-30 is the spring-forward day
    local function slim_ms(text)
      return tonumber((h.capture(("TZDIR=%s TZ=Test/Slim date -d %s +%%s"):format(q(dir), q(text))))) * 1000
    end
    local expected = {}
    for i, text in ipairs({ "2031-03-29 02:30", "2031-03-30 03:30", "2031-03-31 02:30" }) do
      expected[i] = slim_ms(text)
    end
    assert.same(expected, schedule.next_n("30 2 * * *", slim_ms("2031-03-28 12:00"), zone, 3))
    local t = slim_ms("2031-10-26 02:30 +0200") // 1000
    local out = h.capture(("TZDIR=%s TZ=Test/Slim date -d @%d +%%z"):format(q(dir), t))
    assert.equal("+0200", out:match("%S+"))
    assert.equal(7200, (zone:offset(t)))
    assert.equal(3600, (zone:offset(t + 3600)))
    h.execute("rm -rf " .. q(dir))
  end)

  it("reads a version 1 TZif file", function()
    -- two transitions: +01:00 "AAA" until 2000-01-01, +02:00 "BBB" then -03:00 "CCC" from 2010
    local y2000, y2010 = 946684800, 1262304000
    local chars = "AAA\0BBB\0CCC\0"
    local body = string.pack(">i4i4BB", y2000, y2010, 1, 2)
      .. string.pack(">i4BB", 3600, 0, 0) .. string.pack(">i4BB", 7200, 1, 4)
      .. string.pack(">i4BB", -10800, 0, 8) .. chars
    local data = "TZif\0" .. ("\0"):rep(15) .. string.pack(">I4I4I4I4I4I4", 0, 0, 0, 2, 3, #chars) .. body
    local zone = assert(tz.parse_tzif(data, "Test/V1"))
    assert.same({ 3600, "AAA", false }, { zone:offset(0) })
    assert.same({ 7200, "BBB", true }, { zone:offset(y2000) })
    assert.same({ -10800, "CCC", false }, { zone:offset(y2010 + 86400 * 365 * 50) })
    assert.is_nil((tz.parse_tzif("TZif2 short", "x")))
    assert.is_nil((tz.parse_tzif("not a zone", "x")))
  end)

  it("refuses a version 2 TZif whose second header has no local time types", function()
    local chars = "AAA\0"
    local v1 = "TZif2" .. ("\0"):rep(15) .. string.pack(">I4I4I4I4I4I4", 0, 0, 0, 1, 1, #chars)
      .. string.pack(">i4B", 946684800, 0) .. string.pack(">i4BB", 3600, 0, 0) .. chars
    local v2 = "TZif2" .. ("\0"):rep(15) .. string.pack(">I4I4I4I4I4I4", 0, 0, 0, 0, 0, 0) .. "\nCET-1\n"
    local zone, err = tz.parse_tzif(v1 .. v2, "Test/NoTypes")
    assert.is_nil(zone)
    assert.equal("TZif: second header without local time types", err)
    local dir = tmpdir()
    write(dir .. "/NoTypes", v1 .. v2)
    local none, why = tz.get(dir .. "/NoTypes")
    assert.is_nil(none)
    assert.matches("second header without local time types", why)
    h.execute("rm -rf " .. q(dir))
  end)

  it("maps wall times to instants: gaps, repeats, and the gap shift", function()
    local berlin = tz.get("Europe/Berlin")
    local w = date_ms("UTC", "2026-03-29 02:30") // 1000                 -- wall time as if UTC
    local hits, shifted = berlin:utc(w)
    assert.same({}, hits)
    assert.equal(date_ms("Europe/Berlin", "2026-03-29 03:30") // 1000, shifted)
    hits = berlin:utc(date_ms("UTC", "2026-10-25 02:30") // 1000)
    assert.same({ date_ms("UTC", "2026-10-25 02:30 +0200") // 1000,
                  date_ms("UTC", "2026-10-25 02:30 +0100") // 1000 }, hits)
    assert.equal("2026-10-25 02:30:00 CET (+01:00)",
      tz.describe(date_ms("UTC", "2026-10-25 02:30 +0100"), berlin))
    assert.equal("2026/10/25 Sun 02 CET +0100 298",
      tz.format("%Y/%m/%d %a %H %Z %z %j", date_ms("UTC", "2026-10-25 02:30 +0100"), "Europe/Berlin"))
    assert.equal(tz.get("Europe/Berlin"), berlin)                            -- cached
    assert.equal(tz.UTC, tz.get("UTC"))
  end)
end)
