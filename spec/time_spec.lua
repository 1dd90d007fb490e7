local qtime = require "qvrpro.time"

describe("qvrpro.time", function()
  local NOW = 1764000000000   -- 2025-11-24T16:00:00Z

  it("passes integers of ms through", function()
    assert.equal(1489126232000, qtime.parse(1489126232000))
  end)

  it("reads ISO 8601 with offsets, Z and fractions", function()
    assert.equal(1764000000000, qtime.parse("2025-11-24T16:00:00Z"))
    assert.equal(1764000000000, qtime.parse("2025-11-24T17:00:00+01:00"))
    assert.equal(1764000000000, qtime.parse("2025-11-24T11:00:00-0500"))
    assert.equal(1764000000250, qtime.parse("2025-11-24T16:00:00.25Z"))
    assert.equal(1764000000000, qtime.parse("2025-11-24 16:00:00+00"))
    assert.equal(951782400000, qtime.parse("2000-02-29T00:00:00Z"))
  end)

  it("refuses a local time without an offset, naming the DST ambiguity", function()
    local t, err = qtime.parse("2026-03-29T02:30:00")
    assert.is_nil(t)
    assert.matches("offset", err)
    assert.matches("DST", err)
  end)

  it("reads relative times against now", function()
    assert.equal(NOW, qtime.parse("now", NOW))
    assert.equal(NOW - 15 * 60000, qtime.parse("-15m", NOW))
    assert.equal(NOW + 2 * 3600000, qtime.parse("+2h", NOW))
    assert.equal(NOW - 500, qtime.parse("-500ms", NOW))
    assert.equal(NOW - 86400000, qtime.parse("-1d", NOW))
    assert.is_nil(qtime.parse("-3fortnights", NOW))
  end)

  it("raises on a bad time argument with check", function()
    assert.has_error(function() qtime.check({}, "from") end)
    assert.has_error(function() qtime.check("yesterday", "from") end)
  end)

  it("refuses times out of years 0000..9999 with a message (a 27-digit --from)", function()
    for _, v in ipairs({ "123456789012345678901234567", "-99999999999999999999h", "+99999999999999999999.5d",
                         1e30, 253402300800000, math.mininteger }) do
      local t, err = qtime.parse(v, NOW)
      assert.is_nil(t, tostring(v))
      assert.matches("is out of range %(years 0000 to 9999%)", err)
      local ok, raised = pcall(qtime.check, v, "--from", NOW)
      assert.is_false(ok)
      assert.matches("^.*%-%-from: time .* is out of range", raised)
    end
    assert.equal(253402300799999, qtime.parse("253402300799999"))
    assert.equal("9999-12-31T23:59:59.999Z", qtime.iso(qtime.MAX_MS))
    assert.has_error(function() qtime.iso(1e30) end, "bad time 1e+30 (expected integer ms)")
  end)

  it("prints ISO text and round-trips through parse", function()
    for _, t in ipairs({ 0, 951782400000, 1764000000123, 4102444799999 }) do
      assert.equal(t, qtime.parse(qtime.iso(t)))
    end
    assert.equal("2025-11-24T16:00:00.000Z", qtime.iso(NOW))
  end)

  it("core.monotonic_ms counts elapsed ms and never goes back", function()
    local core = require "qvrpro.core"
    local a = core.monotonic_ms()
    assert.equal("integer", math.type(a))
    core.sleep(0.05)
    local b = core.monotonic_ms()
    assert.is_true(b - a >= 45, ("slept 50 ms, measured %d"):format(b - a))
    local last = b
    for _ = 1, 1000 do
      local t = core.monotonic_ms()
      assert.is_true(t >= last)
      last = t
    end
  end)

  it("has a now close to os.time", function()
    assert.is_true(math.abs(qtime.now() - os.time() * 1000) < 2000)
  end)
end)
