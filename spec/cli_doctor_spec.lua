-- qvr doctor against the simulator, a dead port and an HTTPS simulator with
-- a self-signed certificate; and the connection flags --insecure, --cafile,
-- --timeout and --debug (secrets masked).
local h = require "helpers"

local ROOT = h.root
local q = h.shell_quote

describe("qvr doctor and the connection flags", function()
  local sim, tls, dir
  setup(function()
    dir = h.tmpdir()
    assert(h.execute(("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 "
      .. "-addext subjectAltName=IP:127.0.0.1 -keyout %s/key.pem -out %s/cert.pem 2>/dev/null")
      :format(dir, dir)))
    sim = h.start_sim({})
    tls = h.start_sim({ "--tls-cert", dir .. "/cert.pem", "--tls-key", dir .. "/key.pem" })
  end)
  teardown(function()
    sim.stop()
    tls.stop()
    h.execute("rm -rf " .. q(dir))
  end)

  local function qvr(url, argv, stderr)
    local out = h.capture(("env QVR_CONFIG=/nonexistent QVR_STATE_DIR=%s QVR_PASSWORD=admin "
      .. "QVR_URL=%s lua5.4 %s/bin/qvr %s %s; echo \"rc=$?\""):format(q(dir .. "/state"), q(url),
      ROOT, argv, stderr or "2>&1"), true)
    local body, rc = out:match("^(.*)rc=(%d+)\n$")
    return body, tonumber(rc)
  end

  local function verdicts(out)
    local v = {}
    for verdict, name in out:gmatch("\n?(%a+) +(%a+) ") do v[name] = v[name] or verdict end
    return v
  end

  it("passes every check against the simulator", function()
    local out, rc = qvr("http://admin@127.0.0.1:" .. sim.port, "doctor")
    assert.equal(0, rc, out)
    local v = verdicts(out)
    assert.equal("ok", v.config)
    assert.equal("ok", v.reachable)
    assert.equal("warn", v.tls)          -- plain HTTP
    assert.equal("ok", v.api)
    assert.equal("ok", v.login)
    assert.equal("ok", v.rest)
    assert.matches("REST API 1%.3%.1 answers", out)
    assert.equal("warn", v.cameras)      -- Lobby is offline
    assert.matches("offline: Lobby", out)
    assert.equal("ok", v.clock)
    assert.equal("ok", v.zone)
    assert.matches("the NVR's time zone is UTC", out)
    out = qvr("http://admin@127.0.0.1:" .. sim.port, "doctor --json", "2>/dev/null")
    local j = h.json(out)
    assert.is_true(j.ok)
    assert.equal(9, #j.checks)
  end)

  it("says what is wrong with a dead port, and skips the rest", function()
    local out, rc = qvr("http://admin@127.0.0.1:1", "doctor")
    assert.equal(1, rc, out)
    local v = verdicts(out)
    assert.equal("fail", v.reachable)
    assert.matches("hint: nothing listens there", out)
    for _, c in ipairs({ "tls", "api", "login", "rest", "cameras", "zone", "clock" }) do
      assert.equal("skip", v[c], c)
    end
  end)

  it("tells an NVR without the REST family (API 1.x) from one with it", function()
    local old = h.start_sim({ "--api", "cgi" })
    local out, rc = qvr("http://admin@127.0.0.1:" .. old.port, "doctor")
    old.stop()
    assert.equal(0, rc, out)
    assert.matches("ok +rest +no REST family", out)
  end)

  it("tells a wrong password apart in the login check", function()
    local out = h.capture(("env QVR_CONFIG=/nonexistent QVR_STATE_DIR=%s QVR_PASSWORD=nope QVR_URL=%s "
      .. "lua5.4 %s/bin/qvr doctor 2>&1"):format(q(dir .. "/state2"), q("http://admin@127.0.0.1:"
      .. sim.port), ROOT), true)
    assert.equal("fail", verdicts(out).login)
    assert.matches("wrong user name or password", out)
  end)

  it("checks the certificate: --cafile trusts it, --insecure skips the check", function()
    local url = "https://admin@127.0.0.1:" .. tls.port
    local out, rc = qvr(url, "doctor")
    assert.equal(1, rc, out)
    assert.equal("fail", verdicts(out).tls)
    assert.matches("%-%-cafile FILE", out)
    out, rc = qvr(url, "doctor --cafile " .. q(dir .. "/cert.pem"))
    assert.equal(0, rc, out)
    assert.equal("ok", verdicts(out).tls)
    out, rc = qvr(url, "cameras --insecure --json", "2>/dev/null")
    assert.equal(0, rc, out)
    assert.equal(4, #h.json(out))
    out, rc = qvr(url, "cameras")
    assert.equal(1, rc, out)
    assert.matches("TLS", out)
  end)

  it("takes --timeout as seconds and refuses a bad one", function()
    local out, rc = qvr("http://admin@127.0.0.1:" .. sim.port, "cameras --timeout abc")
    assert.equal(2, rc, out)
    assert.matches("%-%-timeout \"abc\": expected a number", out)
    out, rc = qvr("http://admin@127.0.0.1:" .. sim.port, "cameras --timeout 5 --json", "2>/dev/null")
    assert.equal(0, rc, out)
  end)

  it("prints the request log with --debug, with no password or sid in it", function()
    local out, rc = qvr("http://admin@127.0.0.1:" .. sim.port, "cameras --debug", "2>&1 >/dev/null")
    assert.equal(0, rc, out)
    assert.matches("GET http://127%.0%.0%.1:%d+/qvrpro/apis/camera_status%.cgi", out)
    assert.is_nil(out:find("admin", 1, true) and out:find("pwd=", 1, true))
    assert.is_nil(out:find("YWRtaW4", 1, true))           -- base64 of the password
    local sid = out:match("sid=([%w]+)")
    assert.is_true(sid == nil or sid:match("^%*+$") ~= nil or sid == "xxxxxxxx" or #sid == 0,
      "an unmasked sid: " .. tostring(sid))
  end)
end)
