-- Bash completion and the man page come from the help texts: the copies the
-- rock installs (doc/) are current, completion completes commands, flags
-- and their values, and the man page renders without warnings.
local h = require "helpers"

local ROOT = h.root
local q = h.shell_quote

describe("qvr completion", function()
  local function qvr(argv)
    return h.capture(("lua5.4 %s/bin/qvr %s 2>&1"):format(ROOT, argv), true)
  end

  it("keeps doc/qvr.bash and doc/qvr.1 as the help texts make them", function()
    assert.equal(qvr("completion bash"), h.read_file(ROOT .. "/doc/qvr.bash"),
      "doc/qvr.bash is stale: lua5.4 bin/qvr completion bash > doc/qvr.bash")
    assert.equal(qvr("completion man"), h.read_file(ROOT .. "/doc/qvr.1"),
      "doc/qvr.1 is stale: lua5.4 bin/qvr completion man > doc/qvr.1")
  end)

  local function complete(...)
    local words = { "qvr", ... }
    local quoted = {}
    for i, w in ipairs(words) do quoted[i] = q(w) end
    local script = ("source %s; COMP_WORDS=(%s); COMP_CWORD=%d; _qvr; echo \"${COMPREPLY[*]}\"")
      :format(q(ROOT .. "/doc/qvr.bash"), table.concat(quoted, " "), #words - 1)
    return (h.capture("bash -c " .. q(script)):gsub("\n$", ""))
  end

  it("completes commands, flags and flag values in bash", function()
    assert.equal("export", complete("exp"))
    assert.equal("--status", complete("cameras", "--st"))
    assert.equal("connected", complete("cameras", "--status", "con"))
    assert.equal("hour", complete("export", "X", "--split", "h"))
    assert.equal("on", complete("record", "Garage", "o"):match("on"))
  end)

  it("renders the man page without warnings, with every command and the exit statuses", function()
    local out = h.capture("groff -man -Tutf8 -ww " .. q(ROOT .. "/doc/qvr.1") .. " 2>&1 >/dev/null")
    assert.equal("", out)
    local text = h.capture("groff -man -Tascii -P-cbou " .. q(ROOT .. "/doc/qvr.1") .. " 2>/dev/null")
    for _, c in ipairs(require("qvrpro.cli").COMMANDS) do assert.matches("usage: qvr " .. c, text) end
    assert.matches("0 success, 1 failure, 2 usage error, 130 interrupted", text)
  end)
end)
