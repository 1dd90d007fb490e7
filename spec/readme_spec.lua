-- The README's automation example runs as written on Lua 5.4 (against the
-- simulator, with its fixed dates moved into the simulator's archive).
local h = require "helpers"

describe("README", function()
  local sim
  setup(function() sim = h.start_sim({}) end)
  teardown(function() sim.stop() end)

  it("runs the export example of the automation section", function()
    local text = h.read_file(h.root .. "/README.md")
    local block = text:match('\n(local export = require "qvrpro.export".-print%(r%.frames[^\n]*)\n')
    assert.truthy(block, "the export example is not in the README")
    local qvr = require "qvrpro"
    local from = qvr.time.iso((os.time() - 3 * 3600) * 1000)
    local to = qvr.time.iso((os.time() - 3 * 3600 + 20) * 1000)
    local n = 0
    block = block:gsub('"%d%d%d%d%-%d%d%-%d%dT[%d:]+[+-]%d%d:%d%d"', function()
      n = n + 1
      return ("%q"):format(n == 1 and from or to)
    end)
    assert.equal(2, n)
    local dir = h.tmpdir()
    block = block:gsub('path = "night%.mkv"', ('path = %q'):format(dir .. "/night.mkv"))
    local nvr = assert(qvr.connect(h.opts(sim)))
    local printed = {}
    local env = setmetatable({ nvr = nvr, print = function(...) printed[#printed + 1] = { ... } end,
      io = { stderr = { write = function() end } } }, { __index = _G })
    -- its progress callback, with a fraction a real export passes
    local progress = assert(block:match("progress = (function%(p%).- end) }"))
    local written = {}
    local penv = setmetatable({ io = { stderr = { write = function(_, s) written[#written + 1] = s end } } },
      { __index = _G })
    assert(load("return " .. progress, "=README progress", "t", penv))() { fraction = 1 / 3 }
    assert.equal("\r 33%", written[1])
    local chunk = assert(load(block, "=README", "t", env))
    chunk()
    nvr:close()
    h.execute("rm -rf " .. h.shell_quote(dir))
    assert.equal(1, #printed)
    assert.is_true(printed[1][1] > 200, "frames: " .. tostring(printed[1][1]))   -- 20 s of video and audio
  end)
end)
