-- The rock installs what the README promises: every module of lua/, the
-- simulator (qvr sim after luarocks make) with its media.
local h = require "helpers"

local ROOT = h.root
local q = h.shell_quote

local function rockspec()
  local env = {}
  local chunk = assert(loadfile(ROOT .. "/qvrpro-scm-1.rockspec", "t", env))
  chunk()
  return env
end

local function files(pattern)
  local out = {}
  for line in h.capture("cd " .. q(ROOT) .. " && ls " .. pattern):gmatch("[^\n]+") do
    out[#out + 1] = line
  end
  table.sort(out)
  return out
end

describe("the rockspec", function()
  it("builds the simulator from every source file of tools/sim", function()
    local mod = rockspec().build.modules["qvrpro.simulator"]
    assert.truthy(mod, "no qvrpro.simulator module")
    local listed = {}
    for _, s in ipairs(mod.sources) do
      if s:match("^tools/sim/[^/]+%.c$") then listed[#listed + 1] = s end
    end
    table.sort(listed)
    assert.same(files("tools/sim/*.c"), listed)
    assert.same({ "tools/media", "doc" }, rockspec().build.copy_directories)
  end)

  it("installs every Lua module", function()
    local mods = rockspec().build.modules
    local paths = {}
    for _, v in pairs(mods) do if type(v) == "string" then paths[v] = true end end
    for _, f in ipairs(files("lua/qvrpro/*.lua lua/qvrpro/*/*.lua")) do
      assert.truthy(paths[f], f .. " is not in the rockspec")
    end
  end)
end)

describe("qvr sim after luarocks make", function()
  it("runs the installed simulator, from any folder, without QVRSIM or QVR_ROOT", function()
    local so = package.searchpath("qvrpro.simulator", package.cpath)
    assert.truthy(so, "qvrpro.simulator is not installed in the rock tree")
    local log = os.tmpname()
    local cmd = ("cd /tmp && echo $$ && exec env -u QVRSIM -u QVR_ROOT -u QVRSIM_MEDIA lua5.4 "
      .. "%s/bin/qvr sim --port 0 --logs-port 0 --rtsp-port 0 2>%s"):format(ROOT, q(log))
    local f = assert(io.popen("sh -c " .. q(cmd), "r"))
    local pid = f:read("l")
    local line = f:read("l") or ""
    local port = line:match("^listening port=(%d+)")
    local body, status
    if port then body, status = h.curl("http://127.0.0.1:" .. port .. "/qvrentry") end
    h.execute("kill " .. pid)
    f:close()
    local err = h.read_file(log)
    os.remove(log)
    assert.truthy(port, line .. err)
    assert.equal(200, status)
    assert.matches('"is_qvp"', body)
  end)
end)
