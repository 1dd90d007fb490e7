--- qvr logs
local args = require "qvrpro.cli.args"
local common = require "qvrpro.cli.common"

local LEVELS = { [0] = "info", "warn", "error" }

return {
  summary = "print log entries",
  usage = [=[
usage: qvr logs [--since TIME] [--until TIME] [--level 0,1,2] [--channel 0,1]
                [--type N] [--user NAME] [--max N] [--asc] [--json]
Print log entries (newest first unless --asc).  TIME: ISO 8601 with an offset,
a local time (08:00, yesterday 22:00), relative (-1h, -1h30m), now, or ms
since 1970.  --level: 0 info, 1 warning, 2 error.  --max: at most N entries
(default 100; 0 for all).
]=],
  connects = true,
  args = { max = 0 },
  flags = { since = "time", ["until"] = "time", level = "list", channel = "list",
            type = { kind = "int", min = 0 }, user = "value", max = { kind = "int", min = 0 },
            asc = "flag" },
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
    local nvr = ctx.connect()
    local max = opts.max or 100
    local q = { start_time = opts.since, end_time = opts["until"], level = opts.level,
                channel_id = opts.channel, log_type = opts.type,
                user = opts.user, sort_field = "time", dir = opts.asc and "ASC" or "DESC",
                max_results = (max > 0 and max < 100) and max or 100 }
    local n, entries = 0, {}
    local ok, perr = pcall(function()
      for e in nvr:each_log(q) do
        n = n + 1
        if opts.json then entries[n] = e
        else print(("%s  %-5s %-10s %s"):format(e.time, LEVELS[e.level] or tostring(e.level),
          e.user or "", e.content or "")) end
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
