--- qvr logs
local args = require "qvrpro.cli.args"
local common = require "qvrpro.cli.common"

local LEVELS = { [0] = "info", "warn", "error" }

local function print_entry(e, json, out_json)
  if json then out_json(e)
  else print(("%s  %-5s %-10s %s"):format(e.time, LEVELS[e.level] or tostring(e.level),
    e.user or "", e.content or "")) end
end

-- ---------------------------------------------------------------------------
-- --follow: new entries as they come, from a cursor that survives restarts

local function cursor_path(opts, o)
  if opts.cursor then return opts.cursor end
  local dir = require("qvrpro.logins").state_dir()
  if not dir then args.die("no folder for the cursor: set QVR_STATE_DIR or pass --cursor FILE") end
  return ("%s/logs-%s.cursor"):format(dir, require("qvrpro.path").safe(("%s@%s_%s")
    :format(o.user or "admin", o.host, tostring(o.port))))
end

local function read_cursor(path)
  local f = io.open(path)
  if not f then return nil end
  local t, id = (f:read("a") or ""):match("^(%-?%d+) (%-?%d+)")
  f:close()
  if not t then return nil end
  return { t = math.tointeger(tonumber(t)), id = math.tointeger(tonumber(id)) }
end

local function save_cursor(path, c)
  local core = require "qvrpro.core"
  core.mkdir_p(require("qvrpro.path").dirname(path))
  local ok, err = core.write_atomic(path, ("%d %d\n"):format(c.t, c.id))
  if not ok then common.fail_with(err, "cannot save the cursor " .. path) end
end

local function newer(e, c)
  local t, id = tonumber(e.UTC_time) or 0, tonumber(e.log_id) or 0
  if t ~= c.t then return t > c.t end
  return id > c.id
end

-- one poll: every entry after the cursor, oldest first; returns how many
local function poll(nvr, q, c, each)
  local query = {}
  for k, v in pairs(q) do query[k] = v end
  query.start_time = c.t
  query.sort_field, query.dir, query.max_results = "time", "ASC", 100
  local n = 0
  for e in nvr:each_log(query) do
    if newer(e, c) then
      c.t, c.id = math.tointeger(tonumber(e.UTC_time)) or c.t, math.tointeger(tonumber(e.log_id)) or c.id
      n = n + 1
      if each(e) == false then return n, true end
    end
  end
  return n, false
end

local function follow(nvr, opts, q, ctx)
  local core = require "qvrpro.core"
  local path = cursor_path(opts, common.connect_options(opts))
  local c = read_cursor(path)
  if not c then
    -- no cursor yet: from --since, else from now (the newest entry is the start)
    c = { t = opts.since or require("qvrpro.time").now(), id = -1 }
    if not opts.since then
      local page = nvr:logs{ max_results = 1, sort_field = "time", dir = "DESC" }
      local e = page and page.items[1]
      if e then c = { t = math.tointeger(tonumber(e.UTC_time)), id = math.tointeger(tonumber(e.log_id)) } end
    end
    save_cursor(path, c)
  end
  local max, printed = opts.max, 0
  local every = opts.every or 5000
  while true do
    local _, stop = poll(nvr, q, c, function(e)
      print_entry(e, opts.json, ctx.out_json)
      io.stdout:flush()
      printed = printed + 1
      if max and max > 0 and printed >= max then return false end
    end)
    save_cursor(path, c)
    if stop then return 0 end
    local deadline = core.now_ms() + every
    while core.now_ms() < deadline do core.sleep(math.min(0.2, (deadline - core.now_ms()) / 1000)) end
  end
end

return {
  summary = "print log entries",
  usage = [=[
usage: qvr logs [--since TIME] [--until TIME] [--level 0,1,2] [--channel 0,1]
                [--type N] [--user NAME] [--max N] [--asc] [--json]
       qvr logs --follow [--every DURATION] [--cursor FILE] [--since TIME] [--max N] [--json]
Print log entries (newest first unless --asc).  --follow prints new entries as
they come (oldest first; JSON lines with --json), polling every 5s (--every),
and keeps its place in a cursor file (--cursor, else one per NVR and user in
$QVR_STATE_DIR or ~/.local/state/qvrpro) so a restart goes on where it stopped;
the first run starts now (or at --since).  --max N stops after N entries.  TIME: ISO 8601 with an offset,
a local time (08:00, yesterday 22:00), relative (-1h, -1h30m), now, or ms
since 1970.  --level: 0 info, 1 warning, 2 error.  --max: at most N entries
(default 100; 0 for all).
]=],
  connects = true,
  args = { max = 0 },
  flags = { since = "time", ["until"] = "time", level = "list", channel = "list",
            type = { kind = "int", min = 0 }, user = "value", max = { kind = "int", min = 0 },
            asc = "flag", follow = "flag", every = "duration", cursor = "file" },
  run = function(opts, _, ctx)
    for _, l in ipairs(opts.level or {}) do
      if not LEVELS[l] then args.usage("--level %s: expected 0 (info), 1 (warning) or 2 (error)", l) end
    end
    for _, c in ipairs(opts.channel or {}) do
      if math.type(c) ~= "integer" or c < 0 then args.usage("--channel %s: expected channel numbers", c) end
    end
    if opts.since and opts["until"] and opts.since > opts["until"] then
      args.usage("--since is after --until")
    end
    if opts.follow and (opts["until"] or opts.asc) then
      args.usage("--follow goes on from the cursor: it takes no --until or --asc")
    end
    if (opts.every or opts.cursor) and not opts.follow then
      args.usage("--every and --cursor go with --follow")
    end
    local nvr = ctx.connect()
    if opts.follow then
      return follow(nvr, opts, { level = opts.level, channel_id = opts.channel, log_type = opts.type,
                                 user = opts.user }, ctx)
    end
    local max = opts.max or 100
    local q = { start_time = opts.since, end_time = opts["until"], level = opts.level,
                channel_id = opts.channel, log_type = opts.type,
                user = opts.user, sort_field = "time", dir = opts.asc and "ASC" or "DESC",
                max_results = (max > 0 and max < 100) and max or 100 }
    local n, entries = 0, {}
    local ok, perr = pcall(function()
      for e in nvr:each_log(q) do
        n = n + 1
        if opts.json then entries[n] = e else print_entry(e) end
        if max > 0 and n >= max then break end
      end
    end)
    if not ok then
      if type(perr) == "string" and perr:find("interrupted!$") then error(perr, 0) end
      common.fail_with(perr, "cannot read the logs")
    end
    if opts.json then ctx.out_json(entries) end
    return 0
  end,
}
