--- qvrpro.cli: the `qvr` command.  Each subcommand is a small function;
-- credentials come from the environment or a config file, never argv alone.
local qvr = require "qvrpro"

local M = {}

local USAGE = [[
usage: qvr <command> [options]

commands:
  sim [simulator options]   start the bundled QVR Pro simulator (qvrsim --help)
  version                   print the qvrpro version

Run `qvr <command> --help` for a command's options.
]]

local function find_simulator()
  local env = os.getenv("QVRSIM")
  if env then return env end
  local root = os.getenv("QVR_ROOT")
  if root then return root .. "/build/qvrsim" end
  return "qvrsim"
end

local function quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

local commands = {}

function commands.version()
  print(qvr.version)
  return 0
end

function commands.sim(args)
  local parts = { "exec", quote(find_simulator()) }
  for _, a in ipairs(args) do parts[#parts + 1] = quote(a) end
  local ok, _, code = os.execute(table.concat(parts, " "))
  return ok and 0 or (code or 1)
end

function M.main(argv)
  local name = argv[1]
  if name == nil or name == "--help" or name == "-h" or name == "help" then
    io.stdout:write(USAGE)
    return name and 0 or 2
  end
  if name == "--version" then name = "version" end
  local cmd = commands[name]
  if not cmd then
    io.stderr:write("qvr: unknown command '", name, "'\n", USAGE)
    return 2
  end
  local rest = table.move(argv, 2, #argv, 1, {})
  return cmd(rest)
end

return M
