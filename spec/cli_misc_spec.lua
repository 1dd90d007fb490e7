-- The command around qvr: config init (0600) and show, schedule --once
-- saying what it ran, qvr.connect() with no argument reading what qvr reads,
-- and the LICENSE the rockspec names.
local h = require "helpers"

local ROOT = h.root
local q = h.shell_quote

describe("qvr config, schedule --once, qvr.connect()", function()
  local sim, dir
  setup(function()
    sim = h.start_sim({})
    dir = h.tmpdir()
  end)
  teardown(function()
    sim.stop()
    h.execute("rm -rf " .. q(dir))
  end)

  local function run(cmd)
    local out = h.capture(cmd .. " 2>&1; echo \"rc=$?\"", true)
    local body, rc = out:match("^(.*)rc=(%d+)\n$")
    return body, tonumber(rc)
  end

  it("config init writes a 0600 file qvr then connects with, and keeps an existing one", function()
    local path = dir .. "/conf/config.lua"
    local url = "http://127.0.0.1:" .. sim.port
    local out, rc = run(("printf 'admin\\n' | env -u QVR_URL -u QVR_PASSWORD lua5.4 %s/bin/qvr config "
      .. "init --url %s --user admin --password-stdin --config %s"):format(ROOT, q(url), q(path)))
    assert.equal(0, rc, out)
    assert.matches("mode 0600", out)
    assert.equal("600", (h.capture("stat -c %a " .. q(path)):gsub("%s", "")))
    local cfg = assert(loadfile(path, "t", {}))()
    assert.equal(url, cfg.url)
    assert.equal("admin", cfg.password)
    out, rc = run(("env -u QVR_URL -u QVR_PASSWORD -u QVR_USER QVR_STATE_DIR=%s lua5.4 %s/bin/qvr "
      .. "cameras --json --config %s"):format(q(dir .. "/st"), ROOT, q(path)))
    assert.equal(0, rc, out)
    out, rc = run(("env -u QVR_URL lua5.4 %s/bin/qvr config show --config %s"):format(ROOT, q(path)))
    assert.equal(0, rc, out)
    assert.matches("password +%(set%)", out)
    assert.is_nil(out:find("admin\n", 1, true) and out:find("password +admin"))
    out, rc = run(("lua5.4 %s/bin/qvr config init --url %s --config %s"):format(ROOT, q(url), q(path)))
    assert.equal(1, rc, out)
    assert.matches("exists: pass %-%-force", out)
    out, rc = run(("lua5.4 %s/bin/qvr config init --url nvr.lan --config %s --force"):format(ROOT,
      q(dir .. "/x.lua")))
    assert.equal(2, rc, out)
    assert.matches("%-%-url nvr%.lan: bad URL", out)
  end)

  it("schedule --once prints what it ran", function()
    local cfg = dir .. "/s.lua"
    h.write_file(cfg, ([[return { nvr = false, state_dir = %q, jobs = {
      { name = "tick", kind = "lua", cron = "* * * * *", fn = function() end } } }]])
      :format(dir .. "/state"))
    local out, rc = run(("lua5.4 %s/bin/qvr schedule --once --config %s"):format(ROOT, q(cfg)))
    assert.equal(0, rc, out)
    assert.matches("ran +tick %(scheduled %d%d%d%d%-%d%d%-%d%dT", out)
    out, rc = run(("lua5.4 %s/bin/qvr schedule --once --config %s"):format(ROOT, q(cfg)))
    assert.equal(0, rc, out)
    assert.matches("nothing was due", out)
  end)

  it("qvr.connect() with no argument connects like qvr does", function()
    local out, rc = run(("env QVR_CONFIG=/nonexistent QVR_URL=%s QVR_PASSWORD=admin lua5.4 -e "
      .. "'local nvr = assert(require(\"qvrpro\").connect()); print(#assert(nvr:cameras()))'")
      :format(q("http://admin@127.0.0.1:" .. sim.port)))
    assert.equal(0, rc, out)
    assert.equal("4\n", out)
    out = run("env -u QVR_URL QVR_CONFIG=/nonexistent lua5.4 -e "
      .. "'print(select(2, require(\"qvrpro\").connect()))'")
    assert.matches("no NVR given", out)
  end)

  it("logs --follow prints new entries as JSON lines and goes on from its cursor after a restart",
     function()
    local env = ("env QVR_CONFIG=/nonexistent QVR_STATE_DIR=%s QVR_PASSWORD=admin QVR_URL=%s ")
      :format(q(dir .. "/follow"), q("http://admin@127.0.0.1:" .. sim.port))
    local out1, rcfile = dir .. "/f1.out", dir .. "/f1.rc"
    h.capture(("( %s lua5.4 %s/bin/qvr logs --follow --every 100ms --max 1 --json >%s 2>&1; "
      .. "echo $? >%s ) >/dev/null 2>&1 &"):format(env, ROOT, q(out1), q(rcfile)), true)
    -- once the follower has its cursor, make an entry (a login) for it
    for _ = 1, 100 do
      if h.capture("ls " .. q(dir .. "/follow") .. " 2>/dev/null"):find("cursor") then break end
      require("qvrpro.core").sleep(0.1)
    end
    local _, rc = run(env .. "lua5.4 " .. ROOT .. "/bin/qvr cameras >/dev/null")
    assert.equal(0, rc)
    for _ = 1, 100 do
      if h.read_file(out1) ~= "" and (io.open(rcfile) and h.read_file(rcfile):match("%d")) then break end
      require("qvrpro.core").sleep(0.1)
    end
    assert.equal("0", h.read_file(rcfile):match("%d+"), h.read_file(out1))
    local first = h.json(h.read_file(out1))
    assert.equal("Login OK", first.content)
    -- a restart continues after it: the entries that came since, none twice
    local out2
    out2, rc = run(env .. "lua5.4 " .. ROOT .. "/bin/qvr logs --follow --every 100ms --max 2 --json")
    assert.equal(0, rc, out2)
    local ids = {}
    for line in out2:gmatch("[^\n]+") do ids[#ids + 1] = h.json(line).log_id end
    assert.same({ first.log_id + 1, first.log_id + 2 }, ids)
  end)

  it("has the LICENSE the rockspec names", function()
    local text = h.read_file(ROOT .. "/LICENSE")
    assert.matches("^MIT License", text)
    assert.matches('license = "MIT"', h.read_file(ROOT .. "/qvrpro-scm-1.rockspec"))
  end)
end)
