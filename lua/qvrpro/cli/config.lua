--- qvr config: write or show the config file qvr reads.
local args = require "qvrpro.cli.args"
local common = require "qvrpro.cli.common"

local function lua_string(s) return ("%q"):format(s) end

--- The password: a line from stdin (typed without echo on a terminal).
local function read_password()
  local core = require "qvrpro.core"
  local tty = core.isatty(0)
  if tty then
    io.stderr:write("password (not shown; empty for none): ")
    os.execute("stty -echo 2>/dev/null")
  end
  local line = io.stdin:read("l")
  if tty then
    os.execute("stty echo 2>/dev/null")
    io.stderr:write("\n")
  end
  return line
end

local function init(opts)
  local cfgmod = require "qvrpro.config"
  local path = opts.config or cfgmod.default_path()
  if not path then args.die("no config file path: set HOME or pass --config FILE") end
  if common.exists(path) and not opts.force then
    args.die(("%s exists: pass --force to replace it"):format(path))
  end
  if not opts.url then args.usage("--url is missing (e.g. --url http://192.168.1.10:8080)") end
  local ok, perr = pcall(require("qvrpro.address").parse, opts.url)
  if not ok then args.usage("--url %s: %s", opts.url, tostring(perr):gsub("^.-:%d+: ", "")) end
  local password = opts.password_stdin and read_password() or nil
  local lines = { "-- qvrpro config (qvr config init): read by qvr, the scheduler and qvr.connect()",
                  "return {", ("  url = %s,"):format(lua_string(opts.url)) }
  if opts.user then lines[#lines + 1] = ("  user = %s,"):format(lua_string(opts.user)) end
  if password and password ~= "" then
    lines[#lines + 1] = ("  password = %s,"):format(lua_string(password))
  else
    lines[#lines + 1] = "  -- password = \"...\",   -- or QVR_PASSWORD"
  end
  if opts.cafile then lines[#lines + 1] = ("  cafile = %s,"):format(lua_string(opts.cafile)) end
  if opts.insecure then lines[#lines + 1] = "  verify = false," end
  if opts.timeout then lines[#lines + 1] = ("  timeout = %s,"):format(opts.timeout) end
  lines[#lines + 1] = "}"
  local core = require "qvrpro.core"
  local dir = require("qvrpro.path").dirname(path)
  local mok, merr = core.mkdir_p(dir)
  if not mok then common.fail_with(merr, "cannot make " .. dir) end
  local wok, werr = core.write_atomic(path, table.concat(lines, "\n") .. "\n", tonumber("600", 8))
  if not wok then common.fail_with(werr, "cannot write " .. path) end
  io.stderr:write(("wrote %s (mode 0600)%s\n"):format(path,
    (password and password ~= "") and "" or "; set QVR_PASSWORD, or add the password to it"))
  return 0
end

local function show(opts, ctx)
  local o = common.connect_options(opts)
  local shown = {}
  for k, v in pairs(o) do shown[k] = v end
  if shown.password then shown.password = "(set)" end
  if opts.json then ctx.out_json(shown); return 0 end
  local keys = {}
  for k in pairs(shown) do keys[#keys + 1] = k end
  table.sort(keys)
  for _, k in ipairs(keys) do print(("%-14s %s"):format(k, tostring(shown[k]))) end
  return 0
end

return {
  summary = "write the config file (init) or show the connection settings (show)",
  usage = [=[
usage: qvr config init --url URL [--user NAME] [--password-stdin] [--cafile FILE]
                       [--insecure] [--timeout SECONDS] [--config FILE] [--force]
       qvr config show [--json]
init writes the config file (--config, else $QVR_CONFIG, else
~/.config/qvrpro/config.lua) with mode 0600; with --password-stdin the password
is read from standard input (typed without echo on a terminal), never from the
command line.  An existing file is kept unless --force.
show prints the connection settings qvr would use (the password as "(set)").
]=],
  args = { min = 1, max = 1 },
  flags = { config = "file", url = "value", user = "value", password_stdin = "flag",
            cafile = "file", insecure = "flag", timeout = { kind = "number", min = 0.001 },
            force = "flag" },
  run = function(opts, argv, ctx)
    local action = argv[1]
    if action == "init" then return init(opts) end
    if action == "show" then return show(opts, ctx) end
    args.usage("unknown action %q: init or show%s", action, args.suggestion(action, { "init", "show" }))
  end,
}
