--- qvr schedule
local args = require "qvrpro.cli.args"

return {
  summary = "run scheduled jobs (recording windows, snapshots, exports)",
  usage = [=[
usage: qvr schedule --config FILE.lua [--once] [--dry-run [N]]
Run the jobs of a schedule config (see examples/schedule.conf.lua): as a
long-running scheduler, once (--once: what is due now, for cron and systemd
timers), or list the next N run times of every job (--dry-run, default 5).
]=],
  args = { max = 1 },
  flags = { config = "file", once = "flag", dry_run = "flag" },
  run = function(opts, argv, ctx)
    if not opts.config then args.usage("--config FILE.lua is missing") end
    if opts.once and opts.dry_run then args.usage("--once and --dry-run do not go together") end
    local n = 5
    if argv[1] then
      if not opts.dry_run then args.usage("unexpected argument %q", argv[1]) end
      n = math.tointeger(tonumber(argv[1]))
      if not n or n < 1 then args.usage("--dry-run %s: expected a whole number of runs", argv[1]) end
    end
    local schedule = require "qvrpro.schedule"
    local lok, cfg, err = pcall(schedule.load, opts.config)
    if not lok then args.die(tostring(cfg):gsub("^[^:]*%.lua:%d+: ", "")) end
    if not cfg then args.die(tostring(err)) end
    if opts.dry_run then
      schedule.plan(cfg, n, io.stdout)
      return 0
    end
    local ok, summary = pcall(opts.once and schedule.run_once or schedule.run, cfg)
    if not ok then
      if tostring(summary):find("interrupted") then error("interrupted!", 0) end
      args.die(tostring(summary))
    end
    local failed = type(summary) == "table" and summary.failed or nil
    if opts.json and type(summary) == "table" then ctx.out_json(summary)
    elseif opts.once and type(summary) == "table" then
      -- what this pass did, for cron mails and journald
      local qtime = require "qvrpro.time"
      local count = 0
      for _, what in ipairs({ "ran", "skipped", "failed" }) do
        for _, e in ipairs(summary[what] or {}) do
          count = count + 1
          print(("%-7s %s (scheduled %s)"):format(what, e.job, qtime.iso(e.at)))
        end
      end
      if count == 0 then print("nothing was due") end
    end
    if failed and #failed > 0 then
      args.die(("%d job run(s) failed"):format(#failed))
    end
    return 0
  end,
}
