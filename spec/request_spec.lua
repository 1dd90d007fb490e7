-- The endpoint table (csrc/proto/request.c) as the bindings use it:
-- core.request, nvr:call and nvr:endpoint_url build what the table says and
-- refuse what it does not hold; the session's fields read through their
-- table; a Playback has no public setter.
local h = require "helpers"
local core = require "qvrpro.core"
local qvr = require "qvrpro"

describe("core.request", function()
  it("builds method, path and query, and names the answer kind", function()
    local m, t, k = core.request("camera.snapshot", { guid = "G1", image_ts = 5 }, { sid = "S" })
    assert.equal("GET", m)
    assert.equal("/qvrpro/camera/snapshot/G1?sid=S&image_ts=5&ver=1.2.0", t)
    assert.equal("rest_image", k)
    m, t, k = core.request("qplay.seek", { session = "abc", seek_time = 7 })
    assert.same({ "GET", "/qvrpro/apis/qplay.cgi?cmd=seek&seek_time=7&session=abc&ver=v1", "lines" },
      { m, t, k })
    m, t = core.request("camera.mrec.stop", { guid = "a b" }, { prefix = "/qvrelite", sid = "S" })
    assert.same({ "PUT", "/qvrelite/camera/mrec/a%20b/stop?sid=S&ver=1.1.0" }, { m, t })
  end)

  it("marshals lists and booleans like nvr:request", function()
    local _, t = core.request("logs", { level = { 1, 2 }, user = "a b" }, { sid = "S" })
    assert.equal("/qvrpro/logs/logs?sid=S&level=1%2C2&user=a%20b", t)
    _, t = core.request("camera_status.list", { rec_days = true }, { sid = "S" })
    assert.equal("/qvrpro/apis/camera_status.cgi?sid=S&act=list&get_rec_days=1", t)
  end)

  it("builds a request longer than its first buffer", function()
    local _, t = core.request("logs", { user = (" "):rep(1000) }, { sid = "S" })
    assert.equal("/qvrpro/logs/logs?sid=S&user=" .. ("%20"):rep(1000), t)
  end)

  it("a __tostring that raises leaves the request unbuilt", function()
    local bad = setmetatable({}, { __tostring = function() error("no text") end })
    assert.has_error(function() core.request("logs", { level = { 1, bad } }) end)
  end)

  it("raises on an unknown endpoint, parameter, a fixed or a missing one", function()
    assert.has_error(function() core.request("qplay.nonsense") end,
      "bad argument #1 to 'request' (no endpoint named 'qplay.nonsense')")
    assert.has_error(function() core.request("qplay.seek", { session = "a", seek_tme = 1 }) end,
      "qplay.seek takes no parameter 'seek_tme'")
    assert.has_error(function() core.request("qplay.seek", { session = "a", seek_time = 1, cmd = "x" }) end,
      "qplay.seek takes no parameter 'cmd'")
    assert.has_error(function() core.request("qplay.seek", { session = "a" }) end,
      "qplay.seek needs the parameter 'seek_time'")
    assert.has_error(function() core.request("vault.info", { vault_id = "" }) end,
      "vault.info: parameter 'vault_id' is empty (a path segment)")
    assert.has_error(function() core.request("camera.list", nil, { prefix = "qvrpro" }) end)
  end)
end)

describe("nvr:call and nvr:endpoint_url", function()
  local S = h.with_sim({})

  it("call sends the endpoint with the session's sid and reads its kind", function()
    local cpu = assert(S.nvr:call("camera_status.cpu"))
    assert.is_table(cpu)
    local list = assert(S.nvr:call("camera.list"))
    assert.is_table(list.datas)
  end)

  it("raises on a parameter the endpoint does not take, before sending", function()
    assert.has_error(function() S.nvr:call("camera.list", { gid = "x" }) end,
      "camera.list takes no parameter 'gid'")
    assert.has_error(function() S.nvr:call("no.such") end)
    assert.has_error(function() S.nvr:call("camera.list", nil, { method = "POST" }) end,
      "bad argument #3 to 'call' (an endpoint is sent with its own method)")
    assert.is_table(assert(S.nvr:call("camera.list", nil, { method = "GET" })))
  end)

  it("reads the answer as another kind when asked, errors name the path", function()
    assert.is_table(assert(S.nvr:call("camera.list")))
    local body = assert(S.nvr:call("camera.list", nil, { kind = "raw" }))
    assert.is_string(body)
    assert.matches('"datas"', body)
    local _, err = S.nvr:call("camera.list", { ver = "9.9.9" }, { kind = "json" })
    assert.equal("/qvrpro/camera/list", err.path)
    assert.equal(0xB1000000, err.code)
  end)

  it("endpoint_url: the sid where the endpoint carries one, the logs port for logs", function()
    local nvr = S.nvr
    local base = ("http://127.0.0.1:%d/qvrpro"):format(S.sim.port)
    assert.equal(base .. "/streaming/getstream.cgi?sid=" .. nvr.sid .. "&ch_sid=G&stream_id=0",
      nvr:endpoint_url("getstream", { ch_sid = "G" }))
    assert.equal(base .. "/apis/qplay.cgi?cmd=get&session=abc&ver=v1",
      nvr:endpoint_url("qplay.get", { session = "abc" }))
    local n2 = assert(qvr.connect(h.opts(S.sim, { logs_port = S.sim.logs_port })))
    assert.matches(("^http://127.0.0.1:%d/qvrpro/logs/logs%%?sid="):format(S.sim.logs_port),
      n2:endpoint_url("logs"))
    assert.is_table(assert(n2:logs{ max_results = 1 }).items)
    local long = n2:endpoint_url("logs", { source_name = ("x"):rep(2000) })
    assert.equal(("x"):rep(2000), long:match("source_name=(x+)$"))
    n2:close()
  end)

  it("a playback's close goes out as qplay.close: the server forgets the session", function()
    local cam = assert(S.nvr:cameras())[1]
    local now = qvr.time.now()
    local pb = assert(S.nvr:playback(cam, { from = now - 3600000, to = now - 3590000 }))
    local id = pb.id
    assert.truthy(S.nvr:call("qplay.live", { session = id }))
    pb:close()
    local ok, err = S.nvr:call("qplay.live", { session = id })
    assert.is_nil(ok)
    assert.equal("SESSION_NOT_FOUND", err.name)
  end)

  it("test_camera names a field it does not know", function()
    assert.has_error(function() S.nvr:test_camera{ umsid = "x", address = "y", bogus = 1 } end,
      "bad argument #1 to 'test_camera' (camera.test takes no parameter 'bogus')")
    assert.has_error(function() S.nvr:test_camera{ umsid = "x" } end,
      "bad argument #1 to 'test_camera' (camera.test needs the parameter 'address')")
  end)
end)

describe("Session fields", function()
  local S = h.with_sim({})

  it("reads every field of an open session, and only closed and sid once closed", function()
    local n = assert(qvr.connect(h.opts(S.sim, { timeout = 7, stall_timeout = 9 })))
    assert.same({ false, "127.0.0.1", "admin", "http", "/qvrpro", S.sim.port, S.sim.port, true, 7, 9 },
      { n.closed, n.host, n.user, n.scheme, n.prefix, n.port, n.logs_port, n.verify, n.timeout,
        n.stall_timeout })
    assert.is_nil(n.cafile)
    assert.equal("cgi", n.api)
    assert.equal(1, n.logins)
    assert.equal(8, #n.sid)
    assert.is_function(n.cameras)
    assert.is_nil(n.no_such_field)
    n:close()
    assert.is_true(n.closed)
    assert.is_nil(n.sid)
    assert.has_error(function() return n.host end, "attempt to use a closed qvrpro.Session")
    assert.has_error(function() return n.no_such_field end, "attempt to use a closed qvrpro.Session")
  end)
end)

describe("Playback", function()
  local S = h.with_sim({ "--no-pace" })

  it("has no public setter; its transfer is set by the Lua layer", function()
    local cam = assert(S.nvr:cameras())[1]
    local now = qvr.time.now()
    local pb <close> = assert(S.nvr:playback(cam, { from = now - 3600000, to = now - 3595000 }))
    assert.is_nil(pb.set)
    assert.is_nil(core.methods("qvrpro.Playback").set)
    assert.is_nil(pb.transfer)
    assert.truthy(pb:read())
    assert.equal("qvrpro.Stream", getmetatable(pb.transfer).__name)
    assert.has_error(function() core.playback_set_transfer(pb, "x") end)
  end)
end)

-- The endpoint table is the one home of paths: no string literal of the Lua
-- layer or of the bindings spells one (comments may name them).
describe("endpoint paths", function()
  local PATHS = { "%.cgi", "/apis/", "StreamingOutput", "qvrip/", "camera/", "ptz/", "/logs/logs",
                  "/qvrentry", "recvNotify", "configure_retention" }

  local function literals(text, c)
    local out = {}
    if c then text = text:gsub("/%*.-%*/", ""):gsub("//[^\n]*", "") end
    for line in text:gmatch("[^\n]+") do
      for _, lit in line:gmatch("([\"'])(.-[^\\])%1") do out[#out + 1] = lit end
    end
    return out
  end

  local function files()
    local list = {}
    local f = assert(io.popen("cd " .. h.root .. " && find lua csrc/lua bin -type f"))
    for name in f:lines() do
      if name:match("%.lua$") or name:match("%.c$") or name == "bin/qvr" then list[#list + 1] = name end
    end
    f:close()
    return list
  end

  it("holds none in lua/, bin/ or csrc/lua/", function()
    local checked = 0
    for _, name in ipairs(files()) do
      local fh = assert(io.open(h.root .. "/" .. name))
      local text = fh:read("a")
      fh:close()
      for _, lit in ipairs(literals(text, name:match("%.c$"))) do
        for _, p in ipairs(PATHS) do
          assert.is_nil(lit:find(p), ("%s spells %q in %q"):format(name, p, lit))
        end
      end
      checked = checked + 1
    end
    assert.is_true(checked > 40)
  end)
end)
