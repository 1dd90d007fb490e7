-- Live streams with reconnect = true against a simulator that drops, stalls
-- and expires sids: the stream goes on, every frame the simulator sent
-- outside the recorded gaps arrives, and `qvr live --dump` keeps the gaps in
-- the dump's meta.
local h = require "helpers"
local qvr = require "qvrpro"

-- the frames of the simulator's camera over the span of `got` that fall
-- outside every gap (gap ends are frames that did arrive); the last
-- timestamp is left out: reading stopped at one frame of it
local function expected_outside_gaps(sim, guid, got, gaps)
  local want = {}
  for _, e in ipairs(h.archive(sim, guid, got[1].timestamp, got[#got].timestamp - 1)) do
    local inside = false
    for _, g in ipairs(gaps) do
      if e.ts > g.from and e.ts < g.to then inside = true break end
    end
    if not inside then want[#want + 1] = e end
  end
  return want
end

-- every expected frame is in got, once, in order (by timestamp, media, size)
local function assert_holds(want, got)
  local seen = {}
  for _, f in ipairs(got) do
    local k = ("%d %s %d"):format(f.timestamp, f.media, f.size)
    assert.is_nil(seen[k], "frame delivered twice: " .. k)
    seen[k] = true
  end
  local missing = {}
  for _, e in ipairs(want) do
    if not seen[("%d %s %d"):format(e.ts, e.media, e.size)] then
      missing[#missing + 1] = ("%d %s"):format(e.ts, e.media)
    end
  end
  assert.equal(0, #missing, ("%d of %d frames outside the gaps are missing (%s; frames %d..%d)")
    :format(#missing, #want, table.concat(missing, ", "), got[1].timestamp,
      got[#got].timestamp))
end

-- reads for ms (read(), not frames(): the loop would close the stream)
local function read_for(st, ms)
  local got, start = {}, qvr.core.monotonic_ms()
  while qvr.core.monotonic_ms() - start <= ms do
    local f, err = st:read()
    if not f then
      if err then error(err, 0) end
      break
    end
    got[#got + 1] = { timestamp = f.timestamp, media = f.media, size = f.size }
  end
  return got
end

describe("live reconnect", function()
  local sim, nvr
  local S = h.with_sim({}, { clear = true })
  setup(function() sim, nvr = S.sim, S.nvr end)

  it("keeps the old behaviour without reconnect: a drop ends the stream with its error", function()
    h.control(sim, "fault=drop_after=30000:getstream")
    local st <close> = assert(nvr:live("Back Yard"))
    local ok, err = pcall(read_for, st, 10000)
    assert.is_false(ok)
    assert.equal("CONNECTION_LOST", err.name)
    assert.is_nil(st.gaps)
  end)

  it("reopens after drops, records each gap, and loses no frame outside them", function()
    h.control(sim, "fault=drop_after=30000:getstream")
    local st <close> = assert(nvr:live("Back Yard", { reconnect = true }))
    local got = read_for(st, 5000)
    assert.is_true(#st.gaps >= 2, "gaps: " .. #st.gaps)
    for _, g in ipairs(st.gaps) do
      assert.is_true(g.from < g.to)
      assert.is_true(g.to - g.from < 3000, "a drop costs well under the back-off cap")
    end
    assert.is_true(st.transfers >= 2)
    assert_holds(expected_outside_gaps(sim, st.camera.guid, got, st.gaps), got)
  end)

  it("reopens after a stall and after the server ends the stream", function()
    local quick <close> = assert(qvr.connect(h.opts(sim, { stall_timeout = 1 })))
    h.control(sim, "fault=stall_after=30000:getstream")
    local st <close> = assert(quick:live("Back Yard", { reconnect = true }))
    local got = read_for(st, 4000)
    assert.is_true(#st.gaps >= 1, "gaps: " .. #st.gaps)
    assert.is_true(got[#got].timestamp > st.gaps[1].to - 1)
  end)

  it("logs in again when the sid expired between attempts", function()
    h.control(sim, "fault=drop_after=30000:getstream")
    local st <close> = assert(nvr:live("Back Yard", { reconnect = { delay = 0.05 } }))
    local logins = nvr.logins
    read_for(st, 300)
    h.control(sim, "fault=expire_sids")
    local got = read_for(st, 3000)
    assert.is_true(#got > 20)
    assert.is_true(#st.gaps >= 1)
    assert.is_true(nvr.logins > logins, "a re-login")
  end)

  it("gives up after reconnect attempts in a row without a frame", function()
    h.control(sim, "fault=drop_after=30000:getstream")
    local st <close> = assert(nvr:live("Back Yard", { reconnect = { attempts = 2, delay = 0.05 } }))
    read_for(st, 300)
    h.control(sim, "fault=ddos")
    local ok, err = pcall(read_for, st, 10000)
    assert.is_false(ok)
    assert.equal("CONNECTION_REJECTED", err.name)
  end)

  it("refuses a bad reconnect option", function()
    assert.has_error(function() nvr:live("Back Yard", { reconnect = "yes" }) end)
  end)
end)

describe("qvr live --dump over a simulator that drops every few seconds", function()
  it("holds every frame the simulator sent outside the gaps, and the gaps (one minute)",
     function()
    local sim = h.start_sim({ "--fault", "drop_after=100000:getstream" })
    local dir = h.tmpdir()
    local path = dir .. "/yard.qvr"
    local env = ("QVR_CONFIG=/nonexistent QVR_URL=%s QVR_PASSWORD=admin "):format(
      h.shell_quote("http://admin@127.0.0.1:" .. sim.port))
    local out, ok = h.capture(("%slua5.4 %s/bin/qvr live 'Back Yard' --seconds 60 --dump %s 2>&1")
      :format(env, h.root, h.shell_quote(path)), true)
    local r = qvr.open_dump(path)
    local guid = h.json((h.curl(sim.url("/qvrpro/apis/camera_status.cgi?act=list&sid="
      .. h.login(sim)))))
    local got = {}
    if r then
      for f in r:frames() do
        got[#got + 1] = { timestamp = f.timestamp, media = f.media, size = f.size }
      end
    end
    local meta = r and r.meta
    if r then r:close() end
    local yard
    for _, c in ipairs(guid.datas or {}) do if c.name == "Back Yard" then yard = c.guid end end
    local want = yard and #got > 0 and expected_outside_gaps(sim, yard, got, meta.gaps or {})
    sim.stop()
    h.execute("rm -rf " .. h.shell_quote(dir))
    assert.truthy(ok, out)
    assert.matches("gaps%)", out)
    assert.truthy(r, "the dump opens")
    assert.is_true(#got > 500)
    assert.is_true(got[#got].timestamp - got[1].timestamp >= 55000)
    assert.is_true(#meta.gaps >= 5, "gaps in the meta: " .. #(meta.gaps or {}))
    assert.equal("Back Yard", meta.camera)
    assert_holds(want, got)
  end)
end)
