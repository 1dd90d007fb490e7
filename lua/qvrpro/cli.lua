--- qvrpro.cli: the `qvr` command.  Each subcommand is a small function over
-- the library; credentials come from the environment (QVR_URL, QVR_USER,
-- QVR_PASSWORD) or a config file, never from argv alone.  Exit status 0 only
-- on success.
local core = require "qvrpro.core"

local M = {}

local function qvr() return require "qvrpro" end

local USAGE = [[
usage: qvr <command> [options]

commands:
  cameras     list cameras
  snapshot    save snapshots of cameras
  record      switch manual recording on or off, or show it
  logs        print log entries
  live        watch a live stream (or record it to a .qvr dump)
  export      export recorded video to .mkv .mp4 .h264 .jpg or .qvr
  schedule    run scheduled jobs (recording windows, snapshots, exports)
  sim         start the bundled QVR Pro simulator
  version     print the qvrpro version

Connection: QVR_URL (http://user@host:port), QVR_USER, QVR_PASSWORD, or a
config file (--config FILE, else $QVR_CONFIG, else ~/.config/qvrpro/config.lua)
returning { url = ..., user = ..., password = ..., verify = ..., cafile = ... }.
Passwords are never taken from the command line.

Run `qvr <command> --help` for a command's options.
]]

-- ---------------------------------------------------------------------------
-- arguments

--- Splits argv into options (--k v, --k=v, --flag) and positionals, using
-- spec: { name = "value" | "flag" }.  Returns opts, args or nil, message.
local function parse_args(argv, spec)
  local opts, args, i = {}, {}, 1
  while i <= #argv do
    local a = argv[i]
    if a == "--" then
      table.move(argv, i + 1, #argv, #args + 1, args)
      break
    end
    local k, v = a:match("^%-%-([%w%-]+)=(.*)$")
    if not k then k = a:match("^%-%-([%w%-]+)$") end
    if a == "-h" then k = "help" end
    if k then
      local key = k:gsub("%-", "_")
      local kind = spec[key] or (key == "help" and "flag") or (key == "json" and "flag")
        or (key == "config" and "value")
      if not kind then return nil, "unknown option --" .. k end
      if kind == "flag" then
        if v then return nil, "option --" .. k .. " takes no value" end
        opts[key] = true
      else
        if not v then
          i = i + 1
          v = argv[i]
          if v == nil then return nil, "option --" .. k .. " needs a value" end
        end
        opts[key] = v
      end
    else
      args[#args + 1] = a
    end
    i = i + 1
  end
  return opts, args
end
M.parse_args = parse_args

-- ---------------------------------------------------------------------------
-- connection

local function load_config(path)
  local explicit = path ~= nil
  path = path or os.getenv("QVR_CONFIG")
  if not path then
    local home = os.getenv("HOME")
    path = home and (home .. "/.config/qvrpro/config.lua")
  end
  if not path then return {} end
  local f = io.open(path)
  if not f then
    if explicit then return nil, "cannot read config file " .. path end
    return {}
  end
  local text = f:read("a")
  f:close()
  local chunk, err = load(text, "@" .. path, "t", {})
  if not chunk then return nil, err end
  local ok, cfg = pcall(chunk)
  if not ok then return nil, tostring(cfg) end
  if type(cfg) ~= "table" then return nil, path .. " must return a table" end
  return cfg
end
M.load_config = load_config

--- Connect options from the config file and the environment (which wins).
function M.connect_options(config_path)
  local cfg, err = load_config(config_path)
  if not cfg then return nil, err end
  local o = {}
  local url = os.getenv("QVR_URL") or cfg.url
  if url then
    for k, v in pairs(qvr().parse_url(url)) do o[k] = v end
  end
  for _, k in ipairs({ "host", "port", "scheme", "user", "password", "verify", "cafile", "timeout",
                       "stall_timeout", "logs_port", "prefix" }) do
    if cfg[k] ~= nil and o[k] == nil then o[k] = cfg[k] end
  end
  o.user = os.getenv("QVR_USER") or o.user
  o.password = os.getenv("QVR_PASSWORD") or o.password
  if not o.host then
    return nil, "no NVR given: set QVR_URL (e.g. http://admin@192.168.1.10:8080) or a config file"
  end
  return o
end

local function connect(opts)
  local o, err = M.connect_options(opts.config)
  if not o then return nil, err end
  local nvr, cerr = qvr().connect(o)
  if not nvr then return nil, tostring(cerr) end
  return nvr
end

-- ---------------------------------------------------------------------------
-- output

local function out_json(v)
  io.stdout:write(require("qvrpro.json").encode(v), "\n")
end

local function fail(msg)
  io.stderr:write("qvr: ", tostring(msg), "\n")
  return 1
end

local function list_arg(s)
  if not s then return nil end
  local t = {}
  for part in s:gmatch("[^,%s]+") do t[#t + 1] = math.tointeger(tonumber(part)) or part end
  return t
end

local function camera_arg(s)
  return math.tointeger(tonumber(s)) or s
end

-- ---------------------------------------------------------------------------
-- commands

local commands, help = {}, {}

help.version = "usage: qvr version\n"
function commands.version(argv)
  if argv[1] == "--help" or argv[1] == "-h" then io.stdout:write(help.version); return 0 end
  print(qvr().version)
  return 0
end

help.cameras = [[
usage: qvr cameras [--status 1|2] [--name TEXT] [--rec-days] [--json]
List the NVR's cameras (status 1: connected, 2: disconnected; name: substring).
]]
function commands.cameras(argv)
  local opts, args = parse_args(argv, { status = "value", name = "value", rec_days = "flag" })
  if not opts then return fail(args) end
  if opts.help then io.stdout:write(help.cameras); return 0 end
  local nvr, err = connect(opts)
  if not nvr then return fail(err) end
  local cams, cerr = nvr:cameras{ status = tonumber(opts.status), name = opts.name,
                                  rec_days = opts.rec_days }
  nvr:close()
  if not cams then return fail(cerr) end
  if opts.json then out_json(cams); return 0 end
  for _, c in ipairs(cams) do
    print(("%3d  %-20s %-9s %-14s %-7s %s  %s"):format(c.channel_index, c.name,
      c.connected and "online" or "offline", c.rec_state or "", c.video_codec_setting or "",
      c.video_resolution_setting or "", c.guid))
  end
  return 0
end

help.snapshot = [[
usage: qvr snapshot [CAMERA...] [--dir DIR] [--name PATTERN] [--every SECONDS]
                    [--count N] [--stream-id N] [--json]
Save snapshots of the cameras (all connected ones when none is named) into DIR
(default .), named by PATTERN (default {camera}-%Y%m%d-%H%M%S.jpg; strftime
fields, {camera}, {channel}, {round}), COUNT rounds EVERY seconds apart.
]]
function commands.snapshot(argv)
  local opts, args = parse_args(argv, { dir = "value", name = "value", every = "value",
                                        count = "value", stream_id = "value" })
  if not opts then return fail(args) end
  if opts.help then io.stdout:write(help.snapshot); return 0 end
  local nvr, err = connect(opts)
  if not nvr then return fail(err) end
  local cams
  if #args > 0 then
    cams = {}
    for i, a in ipairs(args) do cams[i] = camera_arg(a) end
  end
  local r, serr = require("qvrpro.snapshot").capture(nvr, {
    cameras = cams, dir = opts.dir or ".", name = opts.name or "{camera}-%Y%m%d-%H%M%S.jpg",
    every = tonumber(opts.every) or 60, count = tonumber(opts.count) or 1,
    stream_id = tonumber(opts.stream_id), index = false,
    on_file = not opts.json and function(path) print(path) end or nil,
    on_error = function(cam, e) io.stderr:write("qvr: ", cam.name, ": ", tostring(e), "\n") end,
  })
  nvr:close()
  if not r then return fail(serr) end
  if opts.json then out_json(r) end
  return #r.failures == 0 and 0 or 1
end

help.record = [[
usage: qvr record CAMERA on|off|status [--for DURATION] [--json]
Switch manual recording of CAMERA (name, guid or channel) on or off, or show
whether it records.  With --for (e.g. 30s, 5m) it records for that long and
then switches off.
]]
function commands.record(argv)
  local opts, args = parse_args(argv, { ["for"] = "value" })
  if not opts then return fail(args) end
  if opts.help then io.stdout:write(help.record); return 0 end
  local cam, action = args[1], args[2] or "status"
  if not cam or not ({ on = 1, off = 1, status = 1 })[action] then
    io.stderr:write(help.record)
    return 2
  end
  local nvr, err = connect(opts)
  if not nvr then return fail(err) end
  local function done(code, ...) nvr:close(); return code, ... end
  local target, terr = nvr:camera(camera_arg(cam))
  if not target then return done(fail(terr)) end
  if action ~= "status" then
    local ok, rerr = target:record(action == "on")
    if not ok then return done(fail(rerr)) end
    if action == "on" and opts["for"] then
      local ms = qvr().time.parse("+" .. opts["for"]:gsub("^%+", ""), 0)
      if not ms then return done(fail("bad duration " .. opts["for"])) end
      core.sleep(ms / 1000)
      ok, rerr = target:record(false)
      if not ok then return done(fail(rerr)) end
    end
  end
  local on, serr = target:recording(0)
  if on == nil then return done(fail(serr)) end
  if opts.json then out_json({ camera = target.name, recording = on })
  else print(("%s: %s"):format(target.name, on and "recording" or "not recording")) end
  return done(0)
end

help.logs = [[
usage: qvr logs [--since TIME] [--until TIME] [--level 0,1,2] [--channel 0,1]
                [--type N] [--user NAME] [--max N] [--asc] [--json]
Print log entries (newest first unless --asc).  TIME: ISO 8601 with an offset,
ms since 1970, or relative (-1h, -30m, now).  --max: at most N entries
(default 100; 0 for all).
]]
function commands.logs(argv)
  local opts, args = parse_args(argv, { since = "value", ["until"] = "value", level = "value",
    channel = "value", type = "value", user = "value", max = "value", asc = "flag" })
  if not opts then return fail(args) end
  if opts.help then io.stdout:write(help.logs); return 0 end
  local nvr, err = connect(opts)
  if not nvr then return fail(err) end
  local max = tonumber(opts.max) or 100
  local q = { start_time = opts.since, end_time = opts["until"], level = list_arg(opts.level),
              channel_id = list_arg(opts.channel), log_type = tonumber(opts.type),
              user = opts.user, sort_field = "time", dir = opts.asc and "ASC" or "DESC",
              max_results = (max > 0 and max < 100) and max or 100 }
  local ok, perr = pcall(function()
    local n = 0
    local entries = {}
    for e in nvr:each_log(q) do
      n = n + 1
      if opts.json then entries[n] = e
      else print(("%s  %-5s %-10s %s"):format(e.time, ({ [0] = "info", "warn", "error" })[e.level]
        or tostring(e.level), e.user or "", e.content or "")) end
      if max > 0 and n >= max then break end
    end
    if opts.json then out_json(entries) end
  end)
  nvr:close()
  if not ok then return fail(perr) end
  return 0
end

help.live = [[
usage: qvr live CAMERA [--seconds N] [--frames N] [--stream-id N] [--dump FILE.qvr] [--json]
                [--reconnect | --no-reconnect]
Watch CAMERA's live stream: one line per frame (or a JSON object per frame with
--json), for N seconds or N frames (default 5 seconds).  --dump records the
frames losslessly into a .qvr file.  --reconnect (the default with --dump)
reopens the stream after a drop, a stall or a server-side end, with back-off;
each gap is recorded (in the dump's meta: gaps).
]]
function commands.live(argv)
  local opts, args = parse_args(argv, { seconds = "value", frames = "value", stream_id = "value",
                                        dump = "value", reconnect = "flag",
                                        no_reconnect = "flag" })
  if not opts then return fail(args) end
  if opts.help then io.stdout:write(help.live); return 0 end
  if not args[1] then io.stderr:write(help.live); return 2 end
  local nvr, err = connect(opts)
  if not nvr then return fail(err) end
  local reconnect = opts.reconnect or (opts.dump ~= nil and not opts.no_reconnect)
  local live, lerr = nvr:live(camera_arg(args[1]), { stream_id = tonumber(opts.stream_id),
                                                      reconnect = reconnect or nil })
  if not live then nvr:close(); return fail(lerr) end
  local deadline = qvr().time.now() + 1000 * (tonumber(opts.seconds) or 5)
  local max_frames = tonumber(opts.frames)
  local writer, gaps_to_meta
  if opts.dump then
    local meta = { camera = args[1], source = "live" }
    if reconnect then
      writer, gaps_to_meta = require("qvrpro.dump").gap_writer(opts.dump .. ".part", meta, live.gaps)
    else
      writer, gaps_to_meta = core.dump_writer(opts.dump .. ".part", meta)
    end
    if not writer then live:close(); nvr:close(); return fail(gaps_to_meta) end
    if type(gaps_to_meta) ~= "function" then gaps_to_meta = nil end
  end
  local n = 0
  local ok, ferr = pcall(function()
    for f in live:frames() do
      n = n + 1
      if gaps_to_meta then assert(gaps_to_meta()) end
      if writer then writer:write(f) end
      if opts.json then
        out_json({ timestamp = f.timestamp, media = f.media, codec = f.codec, fourcc = f.fourcc,
                   key = f.key, width = f.width, height = f.height, size = f.size })
      elseif not writer then
        print(tostring(f))
      end
      if (max_frames and n >= max_frames) or qvr().time.now() >= deadline then break end
    end
  end)
  live:close()
  nvr:close()
  if writer then
    writer:close()
    if ok then os.rename(opts.dump .. ".part", opts.dump) end
    io.stderr:write(("%d frames into %s%s\n"):format(n, ok and opts.dump or (opts.dump .. ".part"),
      live.gaps and #live.gaps > 0 and (" (%d gaps)"):format(#live.gaps) or ""))
  end
  if not ok then return fail(ferr) end
  return 0
end

--- A progress line for exports on a terminal: fraction, rate and ETA.
local function progress_bar()
  local width = 30
  return function(p)
    local done = math.floor((p.fraction or 0) * width + 0.5)
    io.stderr:write(("\r[%s%s] %5.1f%%  %d frames  %.1f MB/s  ETA %s  "):format(
      ("#"):rep(done), ("."):rep(width - done), 100 * (p.fraction or 0), p.frames or 0,
      (p.rate or 0) / 1e6, p.eta and ("%ds"):format(math.floor(p.eta + 0.5)) or "?"))
  end
end

help.export = [[
usage: qvr export CAMERA --from TIME --to TIME --out PATH [--resume] [--json]
Export recorded video of CAMERA to PATH: .mkv (every codec as is), .mp4 (H.264
video, AAC audio), .h264, .jpg (a numbered series) or .qvr (lossless dump).
The file is written as PATH.part and renamed when complete; --resume continues
a killed export.  A progress bar is shown when stderr is a terminal.
]]
function commands.export(argv)
  local opts, args = parse_args(argv, { from = "value", to = "value", out = "value",
                                        resume = "flag", quiet = "flag" })
  if not opts then return fail(args) end
  if opts.help then io.stdout:write(help.export); return 0 end
  if not args[1] or not opts.from or not opts.to or not opts.out then
    io.stderr:write(help.export)
    return 2
  end
  local export = require "qvrpro.export"
  local nvr, err = connect(opts)
  if not nvr then return fail(err) end
  local tty = core.isatty(2) and not opts.quiet
  local r, eerr = export.run(nvr, camera_arg(args[1]), {
    from = opts.from, to = opts.to, path = opts.out, resume = opts.resume,
    progress = tty and progress_bar() or nil,
  })
  if tty then io.stderr:write("\n") end
  nvr:close()
  if not r then return fail(eerr) end
  if opts.json then out_json(r)
  else
    print(("%s: %d frames (%d video, %d audio), %d bytes%s"):format(r.path, r.frames,
      r.video_frames or 0, r.audio_frames or 0, r.bytes or 0,
      r.partial and ", partial: the recording ends before --to" or ""))
  end
  return 0
end

help.schedule = [[
usage: qvr schedule --config FILE.lua [--once] [--dry-run] [N]
Run the jobs of a schedule config (see examples/schedule.conf.lua): as a
long-running scheduler, once (--once: what is due now, for cron and systemd
timers), or list the next N run times of every job (--dry-run).
]]
function commands.schedule(argv)
  local opts, args = parse_args(argv, { once = "flag", dry_run = "flag" })
  if not opts then return fail(args) end
  if opts.help then io.stdout:write(help.schedule); return 0 end
  if not opts.config then io.stderr:write(help.schedule); return 2 end
  local schedule = require "qvrpro.schedule"
  local lok, cfg, err = pcall(schedule.load, opts.config)
  if not lok then return fail(cfg) end
  if not cfg then return fail(err) end
  if opts.dry_run then
    schedule.plan(cfg, tonumber(args[1]) or 5, io.stdout)
    return 0
  end
  local ok, summary = pcall(opts.once and schedule.run_once or schedule.run, cfg)
  if not ok then
    if tostring(summary):find("interrupted") then return 130 end
    return fail(summary)
  end
  local failed = type(summary) == "table" and summary.failed or nil
  if failed and #failed > 0 then
    return fail(("%d job run(s) failed"):format(#failed))
  end
  return 0
end

help.sim = [[
usage: qvr sim [simulator options]     (qvr sim --help lists them)
Start the bundled QVR Pro simulator (build/qvrsim, or $QVRSIM).
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

function commands.sim(argv)
  local parts = { "exec env -u LD_PRELOAD", quote(find_simulator()) }
  for _, a in ipairs(argv) do parts[#parts + 1] = quote(a) end
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
  local ok, code = xpcall(cmd, debug.traceback, rest)
  if not ok then
    io.stderr:write("qvr: ", tostring(code), "\n")
    return 1
  end
  return code
end

return M
