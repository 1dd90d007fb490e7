-- The Lua modules' dependencies run one way: no module requires the top
-- module `qvrpro` from inside a function (a lazy require that hides a
-- cycle), and the modules qvrpro itself loads never load it back.
local h = require "helpers"

local q = h.shell_quote

local function lua_files()
  local out = {}
  for f in h.capture("cd " .. q(h.root) .. " && find lua -name '*.lua' | sort"):gmatch("[^\n]+") do
    out[#out + 1] = f
  end
  return out
end

-- runs `code` in a fresh lua5.4 with the spec's module paths; its output
local function fresh(code)
  local path = os.tmpname()
  h.write_file(path, code)
  local out = h.capture("lua5.4 " .. q(path) .. " 2>&1", true)
  os.remove(path)
  return out
end

describe("module dependencies", function()
  it("no module requires qvrpro lazily (inside a function)", function()
    local files = lua_files()
    assert.is_true(#files > 30, "modules found: " .. #files)
    local lazy = {}
    for _, f in ipairs(files) do
      local n = 0
      for line in h.read_file(h.root .. "/" .. f):gmatch("[^\n]*") do
        n = n + 1
        if line:match("^%s+.*require%s*%(?%s*[\"']qvrpro[\"']") then
          lazy[#lazy + 1] = ("%s:%d: %s"):format(f, n, line)
        end
      end
    end
    assert.same({}, lazy)
  end)

  it("qvrpro.config reads URLs without loading qvrpro", function()
    local out = fresh([[
      local config = require "qvrpro.config"
      local o = assert(config.connect_options("http://u:p@10.1.2.3:8081/qvrelite"))
      local _, err = config.connect_options("nvr.local")
      io.write(o.host, " ", o.port, " ", o.prefix, " ", o.user, " ", tostring(package.loaded.qvrpro),
        " | ", tostring(err))
    ]])
    assert.matches("^10.1.2.3 8081 /qvrelite u nil | ", out)
    assert.matches("bad URL", out, 1, true)
  end)

  it("qvrpro.logins loads qvrpro when it loads, and qvrpro does not load it", function()
    local out = fresh([[
      local qvr = require "qvrpro"
      local before = package.loaded["qvrpro.logins"]
      local logins = require "qvrpro.logins"
      io.write(tostring(before), " ", type(logins.connect), " ", tostring(package.loaded.qvrpro == qvr))
    ]])
    assert.equal("nil function true", out)
  end)

  it("qvr.parse_url is qvrpro.address.parse", function()
    local qvr = require "qvrpro"
    assert.equal(require("qvrpro.address").parse, qvr.parse_url)
  end)
end)
