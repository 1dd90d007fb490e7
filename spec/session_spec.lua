-- Sessions and queries (SDK sections 1-3) against the simulator: every call,
-- the quirks real servers show, and the failures users meet.
local h = require "helpers"
local qvr = require "qvrpro"

-- every error and tostring the suite produces, scanned for secrets at the end
local seen_text = {}
local function remember(...)
  for i = 1, select("#", ...) do
    local v = select(i, ...)
    if v ~= nil then seen_text[#seen_text + 1] = tostring(v) end
  end
  return ...
end

describe("session", function()
  local sim, nvr
  local S = h.with_sim({}, { clear = true })
  setup(function() sim, nvr = S.sim, S.nvr end)

  describe("connect", function()
    it("logs in with the table form and exposes sid, host and user", function()
      assert.is_nil(nvr.no_such_name)
      assert.equal("function", type(nvr.cpu))   -- a method of the Lua layer
      assert.equal(8, #nvr.sid)
      assert.equal("127.0.0.1", nvr.host)
      assert.equal("admin", nvr.user)
      assert.equal(sim.port, nvr.port)
      local s = remember(tostring(nvr))
      assert.matches("^qvrpro.Session admin@127.0.0.1:%d+", s)
      assert.not_matches(nvr.sid, s, 1, true)
    end)

    it("logs in with the URL form", function()
      local n = assert(qvr.connect("http://admin:admin@127.0.0.1:" .. sim.port))
      assert.equal(8, #n.sid)
      n:close()
    end)

    it("logs out once on close and __close; closing twice is harmless", function()
      local before = h.stats(sim)
      do
        local n <close> = assert(qvr.connect(h.opts(sim)))
        assert.truthy(n.sid)
      end
      local n2 = assert(qvr.connect(h.opts(sim)))
      n2:close(); n2:close()
      assert.is_true(n2.closed)
      assert.has_error(function() n2:cpu() end, "attempt to use a closed qvrpro.Session")
      assert.is_nil(n2.sid)
      assert.has_error(function() return n2.host end, "attempt to use a closed qvrpro.Session")
      assert.has_error(function() return n2.no_such_name end,
                       "attempt to use a closed qvrpro.Session")
      assert.equal("function", type(n2.close))   -- methods stay reachable
      local after = h.stats(sim)
      assert.equal(before.sids_valid, after.sids_valid)
    end)

    it("queues the logout of a collected session for the next call to that NVR", function()
      local keep <close> = assert(qvr.connect(h.opts(sim)))
      local before = h.stats(sim)
      local dropped = assert(qvr.connect(h.opts(sim)))
      assert.truthy(dropped.sid)
      dropped = nil   -- luacheck: ignore
      local t0 = qvr.core.monotonic_ms()
      collectgarbage(); collectgarbage()
      -- __gc waits on no network: nothing was sent yet
      assert.equal(before.sids_valid + 1, h.stats(sim).sids_valid)
      assert.is_true(qvr.core.monotonic_ms() - t0 < 5000)
      assert(keep:cpu())   -- the next call of a session of the same NVR sends it
      assert.equal(before.sids_valid, h.stats(sim).sids_valid)
    end)

    it("sends the queued closes on close() too", function()
      local keep = assert(qvr.connect(h.opts(sim)))
      local before = h.stats(sim)
      local dropped = assert(qvr.connect(h.opts(sim)))
      assert.truthy(dropped.sid)
      dropped = nil   -- luacheck: ignore
      collectgarbage(); collectgarbage()
      keep:close()
      assert.equal(before.sids_valid - 1, h.stats(sim).sids_valid)
    end)

    it("fails with AUTH_FAILED on a wrong password", function()
      local n, err = qvr.connect(h.opts(sim, { user = "viewer", password = "wrong" }))
      assert.is_nil(n)
      remember(err, err.message)
      assert.equal("AUTH_FAILED", err.name)
      assert.equal("qvrpro.Error", getmetatable(err).__name)
      assert.matches("AUTH_FAILED", tostring(err))
    end)

    it("reports a user without permission as PERMISSION_DENIED, not bad credentials", function()
      local n = assert(qvr.connect(h.opts(sim, { user = "viewer", password = "viewer" })))
      local cams, err = n:cameras()
      assert.is_nil(cams)
      remember(err)
      assert.equal("PERMISSION_DENIED", err.name)
      n:close()
    end)

    it("reads the prefix from /qvrentry with prefix = \"auto\"", function()
      local n = assert(qvr.connect(h.opts(sim, { prefix = "auto" })))
      assert.equal("/qvrpro", n.prefix)
      assert.equal(4, #assert(n:cameras()))
      n:close()
    end)
  end)

  describe("cameras", function()
    it("lists Camera objects with normalised types", function()
      local cams = assert(nvr:cameras())
      assert.equal(4, #cams)
      local c = cams[1]
      assert.equal("qvrpro.Camera", getmetatable(c).__name)
      assert.equal("integer", math.type(c.channel_index))
      assert.equal("integer", math.type(c.port))
      assert.equal("number", type(c.frame_rate))
      assert.equal("string", c.guid and type(c.guid))
      assert.equal("table", type(c.stream_state))
      assert.same(c.name, c:fields().name)
      assert.matches("^qvrpro.Camera 0 'Front Door'", remember(tostring(c)))
      assert.has_error(function() c.name = "x" end)
    end)

    it("prints lists and log pages usefully in the REPL", function()
      local text = tostring(assert(nvr:cameras()))
      assert.matches("^qvrpro.Camera 0 'Front Door' %(NVR_CAM_CONNECTED%)\nqvrpro.Camera 1 'Back Yard'", text)
      local page = tostring(assert(nvr:logs{ max_results = 2 }))
      assert.matches("^qvrpro logs: 2 of %d+ entries\n", page)
    end)

    it("filters by status, name and asks for recording days", function()
      local off = assert(nvr:cameras{ status = 2 })
      assert.equal(1, #off)
      assert.equal("Lobby", off[1].name)
      local yard = assert(nvr:cameras{ name = "yard" })
      assert.equal(1, #yard)
      assert.equal("Back Yard", yard[1].name)
      local days = assert(nvr:cameras{ rec_days = true })
      assert.equal("integer", math.type(days[1].normal_rec_days))
    end)

    it("finds a camera by name, guid, channel index or Camera", function()
      local cams = assert(nvr:cameras())
      local door = cams[1]
      assert.equal(door, assert(nvr:camera("Front Door")))
      assert.equal(door, assert(nvr:camera("front door")))
      assert.equal(door, assert(nvr:camera(door.guid)))
      assert.equal(door, assert(nvr:camera(door.guid:lower())))
      assert.equal(door, assert(nvr:camera(0)))
      assert.equal(door, assert(nvr:camera(door)))
      local none, err = nvr:camera("Nowhere")
      assert.is_nil(none)
      assert.equal("NO_SUCH_CAMERA", err.name)
      assert.has_error(function() nvr:camera({}) end)
    end)

    it("answers cpu as a number", function()
      local cpu = assert(nvr:cpu())
      assert.equal("number", type(cpu))
      assert.is_true(cpu >= 0 and cpu <= 100)
    end)
  end)

  describe("manual recording", function()
    it("starts and stops recording, visible in rec_status and the logs", function()
      local t0 = qvr.time.now() - 1000
      assert.is_true(assert(nvr:record("Back Yard", true)))
      assert.is_true(assert(nvr:recording("Back Yard")))
      local cam = assert(nvr:camera("Back Yard"))
      assert.is_true(cam:recording(0))
      assert.is_true(assert(cam:record(false)))
      local rec, err = nvr:recording(cam)
      assert.is_nil(err)
      assert.is_false(rec)
      local page = assert(nvr:logs{ start_time = t0, channel_id = { cam.channel_index },
                                    sort_field = "time", dir = "asc" })
      assert.is_true(#page.items >= 2, "log entries: " .. #page.items)
      local text = page.items[1].content .. " " .. page.items[2].content
      assert.matches("[Mm]anual recording", text)
    end)
  end)

  describe("snapshot", function()
    it("returns JPEG bytes", function()
      local jpeg = assert(nvr:snapshot("Front Door"))
      assert.equal("\xFF\xD8\xFF", jpeg:sub(1, 3))
      local j2 = assert(nvr:snapshot(1, { origin = true, stream_id = 0 }))
      assert.equal("\xFF\xD8\xFF", j2:sub(1, 3))
    end)

    it("writes a file atomically and returns its path", function()
      local path = os.tmpname()
      os.remove(path)
      assert.equal(path, assert(nvr:snapshot("Garage", { path = path })))
      local f = assert(io.open(path, "rb"))
      assert.equal("\xFF\xD8\xFF", f:read(3))
      f:close()
      os.remove(path)
    end)

    it("turns a JSON error answer into an error object and writes no file", function()
      local path = os.tmpname()
      os.remove(path)
      local ok, err = nvr:snapshot("00000000000000000000000000000000", { path = path })
      assert.is_nil(ok)
      remember(err)
      assert.equal("qvrpro.Error", getmetatable(err).__name)
      assert.truthy(err.code)
      assert.is_nil(io.open(path))
      h.control(sim, "quirk=snapshot_error_4xx")
      ok, err = nvr:snapshot("00000000000000000000000000000000", { path = path })
      assert.is_nil(ok)
      assert.truthy(err.code)
      assert.is_nil(io.open(path))
    end)
  end)

  describe("logs", function()
    it("pages and sorts, on the main port", function()
      local page = assert(nvr:logs{ start = 0, max_results = 7, sort_field = "time", dir = "ASC" })
      assert.equal(7, #page.items)
      assert.equal(7, page.count)
      assert.is_true(page.total >= 7)
      for i = 2, 7 do assert.is_true(page.items[i - 1].UTC_time <= page.items[i].UTC_time) end
      local next_page = assert(nvr:logs{ start = 7, max_results = 7, sort_field = "time", dir = "ASC" })
      assert.is_true(next_page.items[1].UTC_time >= page.items[7].UTC_time)
    end)

    it("filters by level lists and times given as relative strings", function()
      local page = assert(nvr:logs{ level = { 1, 2 }, start_time = "-6h", end_time = "now",
                                    max_results = 50 })
      for _, e in ipairs(page.items) do
        assert.is_true(e.level == 1 or e.level == 2)
        assert.is_true(e.UTC_time >= qvr.time.now() - 6 * 3600000 - 5000)
      end
    end)

    it("serves the same logs on the logs port", function()
      local n = assert(qvr.connect(h.opts(sim, { logs_port = sim.logs_port })))
      local a = assert(n:logs{ max_results = 5, sort_field = "log_id", dir = "ASC" })
      local b = assert(nvr:logs{ max_results = 5, sort_field = "log_id", dir = "ASC" })
      assert.equal(b.total, a.total)
      assert.same(b.items[1].log_id, a.items[1].log_id)
      n:close()
    end)

    it("iterates every matching entry across pages", function()
      local q = { level = { 0 }, start_time = "-12h", end_time = "now" }
      local total = assert(nvr:logs(q)).total
      local n, ids = 0, {}
      for e in nvr:each_log{ level = q.level, start_time = q.start_time, end_time = q.end_time,
                             max_results = 9 } do
        n = n + 1
        assert.is_nil(ids[e.log_id])
        ids[e.log_id] = true
      end
      assert.is_true(total > 9)
      assert.equal(total, n)
    end)

    it("accepts the later description's `item` key", function()
      h.control(sim, "quirk=logs_item")
      local page = assert(nvr:logs{ max_results = 3 })
      assert.equal(3, #page.items)
    end)
  end)

  describe("quirks", function()
    local function calls_work()
      local cams = assert(nvr:cameras())
      assert.equal(4, #cams)
      assert.equal("integer", math.type(cams[1].port))
      assert.equal("number", type(assert(nvr:cpu())))
      local ok, err = nvr:recording("00000000000000000000000000000000")
      assert.is_nil(ok)
      return err
    end

    for _, q in ipairs({ "code_format=signed", "code_format=unsigned", "code_format=hex",
                         "json_malformed", "success_string", "numbers_as_strings",
                         "content_length", "xml_mismatch" }) do
      it("copes with " .. q, function()
        h.control(sim, "quirk=" .. q)
        local err = calls_work()
        remember(err)
        assert.equal("BAD_PARAMETER", err.name)
        assert.equal(0x95000003, err.code)
        assert.equal("0x95000003", err.hex)
        local n = assert(qvr.connect(h.opts(sim)))
        n:close()
      end)
    end
  end)

  describe("kept connection", function()
    -- the socket inodes this process holds (Linux: /proc/PID/fd; the shell
    -- io.popen starts is a child of this process)
    local function sockets()
      local f = assert(io.popen("ls -l /proc/$PPID/fd 2>/dev/null"))
      local set, count = {}, 0
      for inode in f:read("a"):gmatch("socket:%[(%d+)%]") do
        set[inode] = true
        count = count + 1
      end
      f:close()
      return set, count
    end

    it("makes every call on the one connection", function()
      local n = assert(qvr.connect(h.opts(sim)))
      assert(n:cpu())
      local before, count = sockets()
      assert.is_true(count > 0)
      for _ = 1, 20 do assert(n:cpu()) end
      assert.same(before, (sockets()))
      n:close()
    end)

    it("replaces a connection the server closed, logs in again and goes on", function()
      local a = h.start_sim({})
      local n = assert(qvr.connect(h.opts(a)))
      assert(n:cpu())
      local port = a.port
      a.stop()      -- the kept connection is closed by the server
      local b = h.start_sim({ "--port", tostring(port) })
      assert.equal(port, b.port)
      assert(n:cpu())
      assert.equal(2, n.logins)   -- the new server did not know the sid
      assert.equal(1, h.stats(b).logins_ok)
      n:close()
      b.stop()
    end)

    -- the handle keeps the last URL parsed (csrc/net/http.c): calls whose URLs
    -- alternate each reach their own endpoint with their own parameters
    it("sends each call's own URL when the URLs alternate", function()
      local n = assert(qvr.connect(h.opts(sim)))
      local cams = assert(n:cameras())
      for _ = 1, 3 do
        assert.equal("number", type(assert(n:cpu())))
        assert.equal(#cams, #assert(n:cameras()))
        for _, cam in ipairs(cams) do
          local a = assert(n:call("camera_status.list", { name = cam.name }))
          assert.equal(1, #a.datas)
          assert.equal(cam.guid, a.datas[1].guid)
        end
      end
      n:close()
    end)

    -- with no proxy in the environment the handle says so once instead of
    -- libcurl reading it for every request; with one, requests still go to it
    it("still sends requests to a proxy the environment names", function()
      local code = ([[
        local qvr = require "qvrpro"
        local n, err = qvr.connect{ host = "127.0.0.1", port = %d, user = "admin",
                                    password = "admin", timeout = 5 }
        io.write(n and "connected" or err.name)
      ]]):format(sim.port)
      local cmd = "env -u no_proxy -u NO_PROXY %s lua5.4 -e " .. h.shell_quote(code)
      -- port 1: no proxy listens there
      local out = h.capture(cmd:format("http_proxy=http://127.0.0.1:1"), true)
      assert.equal("REFUSED", out)
      out = h.capture(cmd:format("-u http_proxy -u all_proxy -u ALL_PROXY"), true)
      assert.equal("connected", out)
    end)

    -- core.open_stream's proxy_env overrides the environment of the moment
    -- (here: a child process with a dead proxy in its environment opens the
    -- stream of a session made by this process)
    it("opens a stream as its proxy_env option says, whatever the environment", function()
      local url = nvr:endpoint_url("getstream", { ch_sid = nvr:cameras()[1].guid, stream_id = 0 })
      local code = [[
        local core = require "qvrpro.core"
        local st, err = core.open_stream(%q, { proxy_env = %s, timeout = 5 })
        local f = st and st:read()
        io.write(st and (f and "frame" or "no frame") or err.name)
        if st then st:close() end
      ]]
      local function child(proxy_env)
        return (h.capture(("env -u no_proxy -u NO_PROXY http_proxy=http://127.0.0.1:1 lua5.4 -e %s 2>&1")
          :format(h.shell_quote(code:format(url, proxy_env))), true))
      end
      assert.equal("frame", child("false"))
      assert.equal("REFUSED", child("true"))
    end)

    -- the session decides once, when it is made; its streams are opened with
    -- that decision, not the environment's of the moment
    it("decides about the proxy once and opens its streams with that decision", function()
      local named = false
      for _, v in ipairs({ "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy",
                           "ALL_PROXY" }) do
        named = named or (os.getenv(v) or "") ~= ""
      end
      assert.equal(named, nvr.proxy_env)
      local core = require "qvrpro.core"
      local open, seen = core.open_stream, {}
      core.open_stream = function(url, opts)
        seen[#seen + 1] = opts.proxy_env
        return open(url, opts)
      end
      local live, err = nvr:live(nvr:cameras()[1])
      core.open_stream = open
      assert(live, err)
      live:close()
      assert.same({ nvr.proxy_env }, seen)
    end)
  end)

  describe("expired sid", function()
    it("logs in again once and retries the call", function()
      local n = assert(qvr.connect(h.opts(sim)))
      assert.equal(1, n.logins)
      local before = h.stats(sim).logins_ok
      h.control(sim, "expire_sids=1")
      assert.equal(4, #assert(n:cameras()))
      assert.equal(2, n.logins)
      assert.equal(before + 1, h.stats(sim).logins_ok)
      assert.equal("number", type(assert(n:cpu())))
      assert.equal(2, n.logins)
      n:close()
    end)

    it("logs in again for the logs API too", function()
      local n = assert(qvr.connect(h.opts(sim)))
      h.control(sim, "expire_sids=1")
      assert.equal(2, #assert(n:logs{ max_results = 2 }).items)
      assert.equal(2, n.logins)
      n:close()
    end)
  end)

  describe("faults", function()
    it("fails with HTTP_ERROR on HTTP 500", function()
      h.control(sim, "fault=http500")
      local ok, err = nvr:cpu()
      assert.is_nil(ok)
      remember(err)
      assert.equal("HTTP_ERROR", err.name)
      assert.equal(500, err.http_status)
    end)

    it("fails after the timeout when the server stalls, not later", function()
      local n = assert(qvr.connect(h.opts(sim, { timeout = 1 })))
      h.control(sim, "fault=stall_after=5")
      local start = qvr.core.monotonic_ms()
      local ok, err = n:cameras()
      local took = qvr.core.monotonic_ms() - start
      assert.is_nil(ok)
      remember(err)
      assert.equal("TIMEOUT", err.name)
      assert.is_true(took >= 900 and took < 4000, "took " .. took .. " ms")
      h.control(sim, "clear=1")
      n:close()
    end)

    it("reports a truncated body", function()
      assert(nvr:cpu())   -- a valid sid first: a cut-off auth error would hide the fault
      h.control(sim, "fault=truncate=40")
      local ok, err = nvr:cameras()
      assert.is_nil(ok)
      remember(err)
      assert.truthy(err.name == "TRUNCATED" or err.name == "BAD_RESPONSE", err.name)
    end)

    it("reports a dropped connection", function()
      assert(nvr:cpu())
      h.control(sim, "fault=drop_after=20")
      local ok, err = nvr:cameras()
      assert.is_nil(ok)
      remember(err)
      assert.truthy(err.name == "TRUNCATED" or err.name == "BAD_RESPONSE", err.name)
    end)

    it("answers slowly but within the timeout", function()
      h.control(sim, "fault=slow=300")
      assert.equal(4, #assert(nvr:cameras()))
    end)
  end)
end)

describe("session against a stopped server", function()
  it("fails with REFUSED, quickly", function()
    local sim = h.start_sim({})
    local port = sim.port
    sim.stop()
    local n, err = qvr.connect{ host = "127.0.0.1", port = port, user = "admin",
                                password = "admin", timeout = 3 }
    assert.is_nil(n)
    remember(err)
    assert.equal("REFUSED", err.name)
  end)

  it("fails with DNS for an unknown host", function()
    local n, err = qvr.connect{ host = "nvr.invalid", port = 8080, password = "x", timeout = 3 }
    assert.is_nil(n)
    assert.truthy(err.name == "DNS" or err.name == "NETWORK", err.name)
  end)

  it("raises on bad arguments", function()
    assert.has_error(function() qvr.connect(42) end)
    assert.has_error(function() qvr.connect{ port = 1 } end)
    assert.has_error(function() qvr.connect{ host = "x", scheme = "ftp" } end)
  end)
end)

describe("login back-off", function()
  it("refuses to hammer the server after repeated failures", function()
    local sim = h.start_sim({ "--lockout", "5" })
    local o = h.opts(sim, { user = "admin", password = "bad" })
    local _, e1 = qvr.connect(o)
    local _, e2 = qvr.connect(o)
    local _, e3 = qvr.connect(o)
    assert.equal("AUTH_FAILED", e1.name)
    assert.equal("AUTH_FAILED", e2.name)
    assert.equal("LOGIN_BACKOFF", e3.name)
    assert.equal(2, h.stats(sim).logins_failed)
    sim.stop()
  end)
end)

describe("credentials", function()
  local password = "p:a@s&s% w\195\182rd+/=?#"
  local user = "j\195\182rg:en@x"
  local sim
  setup(function()
    local cfg = h.sim_config({ { name = user, password = password } })
    sim = h.start_sim({ "--config", cfg })
    os.remove(cfg)
  end)
  teardown(function() sim.stop() end)

  it("work with every awkward character in the table form", function()
    local n = assert(qvr.connect{ host = "127.0.0.1", port = sim.port, user = user,
                                  password = password })
    assert.equal(4, #assert(n:cameras()))
    remember(tostring(n))
    n:close()
  end)

  it("work percent-encoded in the URL form", function()
    local url = ("http://%s:%s@127.0.0.1:%d"):format(h.urlencode(user), h.urlencode(password),
      sim.port)
    local n = assert(qvr.connect(url))
    assert.equal(4, #assert(n:cameras()))
    n:close()
  end)

  it("never appear in the debug log", function()
    local script = ([[
      local qvr = require "qvrpro"
      local n = assert(qvr.connect{ host = "127.0.0.1", port = %d, user = %q, password = %q,
                                    debug = true })
      assert(n:cameras())
      io.stdout:write(n.sid)
      n:close()
    ]]):format(sim.port, user, password)
    local path = os.tmpname()
    local f = assert(io.open(path, "w"))
    f:write(script)
    f:close()
    local sid = h.capture("lua5.4 " .. path .. " 2>" .. path .. ".err", true)
    f = assert(io.open(path .. ".err"))
    local log = f:read("a")
    f:close()
    os.remove(path)
    os.remove(path .. ".err")
    assert.equal(8, #sid)
    assert.matches("qvrpro: GET .*camera_status%.cgi%?sid=%*%*%*&act=list", log)
    assert.is_nil(log:find(sid, 1, true))
    assert.is_nil(log:find(password, 1, true))
    assert.is_nil(log:find(h.urlencode(h.base64(password)), 1, true))
  end)

  it("never appear in errors", function()
    local n = assert(qvr.connect{ host = "127.0.0.1", port = sim.port, user = user,
                                  password = password })
    local sid = n.sid
    h.control(sim, "fault=http500")
    local _, err = n:cpu()
    remember(err, err.message)
    h.control(sim, "clear=1&fault=truncate=10")
    _, err = n:cameras()
    remember(err, err.message)
    h.control(sim, "clear=1")
    n:close()
    for _, text in ipairs(seen_text) do
      assert.is_nil(text:find(password, 1, true), text)
      assert.is_nil(text:find(sid, 1, true), text)
    end
  end)
end)

describe("https", function()
  local sim, dir
  setup(function()
    dir = h.tmpdir()
    assert(h.execute(("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 "
      .. "-addext subjectAltName=IP:127.0.0.1 -keyout %s/key.pem -out %s/cert.pem 2>/dev/null")
      :format(dir, dir)))
    sim = h.start_sim({ "--tls-cert", dir .. "/cert.pem", "--tls-key", dir .. "/key.pem" })
  end)
  teardown(function()
    sim.stop()
    h.execute("rm -rf " .. dir)
  end)

  it("fails with TLS against a self-signed certificate by default", function()
    local n, err = qvr.connect(h.opts(sim, { scheme = "https" }))
    assert.is_nil(n)
    remember(err)
    assert.equal("TLS", err.name)
  end)

  it("works with cafile", function()
    local n = assert(qvr.connect(h.opts(sim, { scheme = "https", cafile = dir .. "/cert.pem" })))
    assert.equal(4, #assert(n:cameras()))
    n:close()
  end)

  it("works with verify = false", function()
    local n = assert(qvr.connect(h.opts(sim, { scheme = "https", verify = false })))
    assert.equal(4, #assert(n:cameras()))
    n:close()
  end)
end)

describe("a login answer cut short", function()
  local sim
  setup(function() sim = h.start_sim({}) end)
  teardown(function() sim.stop() end)
  after_each(function() h.control(sim, "clear=1") end)

  -- 120: before authPassed; 300: after the sid (which the client then logs out)
  for _, cut in ipairs({ 120, 300 }) do
    it(("is TRUNCATED, not AUTH_FAILED, and leaves no sid it got behind (cut at %d)"):format(cut),
       function()
      local before = h.stats(sim).sids_valid
      h.control(sim, "fault=truncate=" .. cut .. ":authLogin")
      local n, err = qvr.connect(h.opts(sim))
      assert.is_nil(n)
      assert.equal("TRUNCATED", err.name)
      assert.matches("cut short", err.message)
      h.control(sim, "clear=1")
      if cut == 300 then
        assert.equal(before, h.stats(sim).sids_valid, "the sid the answer carried was logged out")
      end
      n = assert(qvr.connect(h.opts(sim)))   -- and no back-off was recorded against the user
      n:close()
    end)
  end
end)

describe("a camera lookup that fails", function()
  local sim, nvr
  local S = h.with_sim({})
  setup(function() sim, nvr = S.sim, S.nvr end)

  it("returns its error from every call that takes a camera, and sends nothing", function()
    local before = h.stats(sim).requests
    local calls = {
      live = function() return nvr:live("Nope") end,
      playback = function() return nvr:playback("Nope", { from = "-1h", to = "-59m" }) end,
      record = function() return nvr:record("Nope", true) end,
      recording = function() return nvr:recording("Nope") end,
      snapshot = function() return nvr:snapshot("Nope") end,
    }
    for name, call in pairs(calls) do
      local r, err = call()
      assert.is_nil(r, name)
      assert.truthy(err, name .. " returned nil, nil")
      assert.equal("NO_SUCH_CAMERA", err.name, name)
      assert.matches("Nope", err.message, 1, true)
    end
    local after = h.stats(sim).requests
    for _, ep in ipairs({ "mrec", "getstream", "qplay", "getliveimage" }) do
      assert.equal(before[ep], after[ep], ep .. " was called")
    end
  end)
end)
