-- docs/API.md is checked against the code: every documented function exists,
-- and every public function of the modules and object types is documented.
local h = require "helpers"
local core = require "qvrpro.core"
require "qvrpro"   -- fills the methods tables of the C types

local function read_doc()
  local f = assert(io.open(h.root .. "/docs/API.md"))
  local text = f:read("a")
  f:close()
  return text
end

-- where each heading prefix lives in the code
local TARGETS = {
  ["qvr."] = function() return require "qvrpro" end,
  ["time."] = function() return require "qvrpro.time" end,
  ["snapshot."] = function() return require "qvrpro.snapshot" end,
  ["json."] = function() return require "qvrpro.json" end,
  ["cli."] = function() return require "qvrpro.cli" end,
  ["config."] = function() return require "qvrpro.config" end,
  ["path."] = function() return require "qvrpro.path" end,
  ["logins."] = function() return require "qvrpro.logins" end,
  ["localtime."] = function() return require "qvrpro.localtime" end,
  ["export."] = function() return require "qvrpro.export" end,
  ["vault."] = function() return require "qvrpro.vault" end,
  ["schedule."] = function() return require "qvrpro.schedule" end,
  ["nvr:"] = function() return core.methods("qvrpro.Session") end,
  ["cam:"] = function() return core.methods("qvrpro.Camera") end,
  ["stream:"] = function() return core.methods("qvrpro.Stream") end,
  ["pb:"] = function() return core.methods("qvrpro.Playback") end,
  ["loop:"] = function() return core.methods("qvrpro.Loop") end,
  ["frame:"] = function() return core.methods("qvrpro.Frame") end,
  ["writer:"] = function() return core.methods("qvrpro.DumpWriter") end,
  ["dump."] = function() return require "qvrpro.dump" end,
  ["mux."] = function() return require "qvrpro.mux" end,
  ["muxer:"] = function() require "qvrpro.mux"; return core.methods("qvrpro.Muxer") end,
  ["reader:"] = function() return core.methods("qvrpro.DumpReader") end,
  ["xloop:"] = function()
    require "qvrpro.mux"
    return debug.getregistry()["qvrpro.ExportLoop"].__index
  end,
  ["proc:"] = function() return core.methods("qvrpro.Proc") end,
}

local function documented()
  local names = {}
  for prefix, name in read_doc():gmatch("\n### ([%a_]+[.:])([%w_]+)%(") do
    names[prefix] = names[prefix] or {}
    names[prefix][name] = true
  end
  return names
end

describe("docs/API.md", function()
  local names = documented()

  it("documents functions that exist", function()
    local n = 0
    for prefix, set in pairs(names) do
      assert.truthy(TARGETS[prefix], "unknown heading prefix " .. prefix)
      local t = TARGETS[prefix]()
      for name in pairs(set) do
        n = n + 1
        assert.equal("function", type(t[name]), prefix .. name .. " is documented but absent")
      end
    end
    assert.is_true(n > 60, "headings found: " .. n)
  end)

  it("documents every public function of the code", function()
    for prefix, get in pairs(TARGETS) do
      local ok, t = pcall(get)
      if ok and type(t) == "table" then
        for k, v in pairs(t) do
          if type(v) == "function" and type(k) == "string" and not k:match("^_") then
            assert.truthy(names[prefix] and names[prefix][k], prefix .. k .. " is not documented")
          end
        end
      end
    end
  end)
end)
