--- qvrpro.cli: the `qvr` command's dispatcher.
--
-- Each command is a module qvrpro.cli.<name> returning
--   { summary = "one line", usage = "usage: qvr <name> ...\n...",
--     flags = { name = kind },          -- see qvrpro.cli.args
--     connects = true,                  -- takes --config --timeout --insecure --cafile
--     args = { min = n, max = n },      -- positional arguments
--     run = function(opts, args, ctx) return exit_status end }
-- and is listed in COMMANDS below (one line each) and in the rockspec.
-- Commands raise args.usage(...) for a usage error (exit 2) and args.die(...)
-- for a failure (exit 1); Ctrl-C exits 130.  No traceback reaches the user
-- unless --debug asks for it.
local args = require "qvrpro.cli.args"
local common = require "qvrpro.cli.common"

local M = {}

M.COMMANDS = {
  "cameras",
  "snapshot",
  "record",
  "logs",
  "live",
  "export",
  "clip",
  "url",
  "alarm",
  "ptz",
  "capabilities",
  "schedule",
  "sim",
  "doctor",
  "config",
  "completion",
  "version",
}

M.EXIT = { ok = 0, failure = 1, usage = 2, interrupted = 130 }

local function load_command(name)
  return require("qvrpro.cli." .. name)
end

function M.usage_text()
  local lines = { "usage: qvr <command> [options]", "", "commands:" }
  for _, name in ipairs(M.COMMANDS) do
    lines[#lines + 1] = ("  %-11s %s"):format(name, load_command(name).summary or "")
  end
  lines[#lines + 1] = [[

Connection: QVR_URL (http://user@host:port), QVR_USER, QVR_PASSWORD, or a
config file (--config FILE, else $QVR_CONFIG, else ~/.config/qvrpro/config.lua)
returning { url = ..., user = ..., password = ..., verify = ..., cafile = ... }.
Passwords are never taken from the command line.  Commands that talk to the
NVR take --timeout SECONDS, --insecure (no certificate check), --cafile FILE
and --debug (the request log, secrets masked).  --json prints JSON, errors
too.

Exit status: 0 success, 1 failure, 2 usage error, 130 interrupted (Ctrl-C).

Run `qvr <command> --help` (or `qvr help <command>`) for a command's options.]]
  return table.concat(lines, "\n") .. "\n"
end

local function is_interrupt(e)
  return type(e) == "string" and e:find("interrupted!$") ~= nil
end

--- The error as the user sees it (and as JSON with --json).
local function report(e, json, command)
  local message = tostring(e)
  if json then
    local err = args.is_failure(e) and e.err or nil
    common.out_json({ error = { message = message, name = type(err) == "table" and err.name or nil,
      code = type(err) == "table" and err.code or nil, command = command } })
  end
  io.stderr:write("qvr", command and (" " .. command) or "", ": ", message, "\n")
end

local function check_positionals(cmd, name, list)
  local a = cmd.args or {}
  if a.min and #list < a.min then
    args.usage("missing argument (usage: %s)", (cmd.usage:match("usage: (qvr [^\n]*)") or name))
  end
  if a.max and #list > a.max then
    args.usage("unexpected argument %q%s", list[a.max + 1],
      a.max == 1 and " (one camera is expected; quote a name with spaces)" or "")
  end
end

--- Runs one command; returns its exit status.
function M.run(name, argv)
  local cmd = load_command(name)
  if cmd.passthrough then return cmd.run(argv) end
  local flags = args.flags(args.COMMON, cmd.connects and args.CONNECT or nil, cmd.flags)
  local opts, nvr, deferred = {}, nil, {}
  local ctx = { out_json = common.out_json }
  function ctx.connect()
    nvr = common.connect(opts)
    return nvr
  end
  function ctx.defer(fn) deferred[#deferred + 1] = fn end
  local function body()
    local list
    opts, list, ctx.raw = args.parse(argv, flags)
    if opts.help then io.stdout:write(cmd.usage); return 0 end
    check_positionals(cmd, name, list)
    return cmd.run(opts, list, ctx)
  end
  local ok, code = xpcall(body, function(e)
    if args.is_usage(e) or args.is_failure(e) or is_interrupt(e) then return e end
    local mt = getmetatable(e)
    if type(e) == "table" and mt and mt.__name == "qvrpro.Error" then   -- raised by an iterator
      return args.failure_of(tostring(e), e)
    end
    return setmetatable({ internal = tostring(e), trace = debug.traceback(tostring(e), 2) },
      { __tostring = function(t) return t.internal end })
  end)
  for i = #deferred, 1, -1 do pcall(deferred[i]) end
  if nvr then pcall(nvr.close, nvr) end
  if ok then return code or 0 end
  if is_interrupt(code) then
    io.stderr:write("qvr ", name, ": interrupted\n")
    return M.EXIT.interrupted
  end
  if args.is_usage(code) then
    report(code, opts.json, name)
    local synopsis = cmd.usage:match("^(usage:[^\n]*\n[ \t][^\n]*\n)") or cmd.usage:match("^(usage:[^\n]*\n)")
    io.stderr:write(synopsis or "", ("Run `qvr %s --help` for its options.\n"):format(name))
    return M.EXIT.usage
  end
  if args.is_failure(code) then
    report(code, opts.json, name)
    return M.EXIT.failure
  end
  -- a defect of qvr itself: say so, the traceback only with --debug
  report(("internal error: %s"):format(code.internal), opts.json, name)
  if opts.debug then io.stderr:write(code.trace, "\n")
  else io.stderr:write("(run again with --debug for details)\n") end
  return M.EXIT.failure
end

function M.main(argv)
  local name = argv[1]
  if name == "help" and argv[2] then        -- qvr help CMD: that command's help
    return M.main({ argv[2], "--help" })
  end
  if name == nil or name == "--help" or name == "-h" or name == "help" then
    io.stdout:write(M.usage_text())
    return name and 0 or 2
  end
  if name == "--version" then name = "version" end
  local known = false
  for _, c in ipairs(M.COMMANDS) do known = known or c == name end
  if not known then
    io.stderr:write(("qvr: unknown command '%s'%s\nRun `qvr --help` for the commands.\n")
      :format(name, args.suggestion(name, M.COMMANDS)))
    return M.EXIT.usage
  end
  local rest = table.move(argv, 2, #argv, 1, {})
  local ok, code = pcall(M.run, name, rest)
  if not ok then
    if is_interrupt(code) then return M.EXIT.interrupted end
    io.stderr:write("qvr: internal error: ", tostring(code), "\n")
    return M.EXIT.failure
  end
  return code
end

--- Kept for scripts: connect options as `qvr` reads them (qvrpro.config).
function M.connect_options(config_path)
  return require("qvrpro.config").connect_options(nil, { config = config_path })
end

--- Kept for scripts: a config file's table (qvrpro.config.load).
function M.load_config(path)
  return require("qvrpro.config").load(path)
end

--- Kept for scripts: argv split by a flag spec ({ name = kind }, see
-- qvrpro.cli.args); returns opts, args or nil, message.
function M.parse_args(argv, spec)
  local ok, opts, rest = pcall(args.parse, argv, args.flags(args.COMMON, { config = "file" }, spec))
  if not ok then return nil, tostring(opts) end
  return opts, rest
end

return M
