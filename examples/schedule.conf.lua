-- An example qvr schedule config (copy to /etc/qvrpro/schedule.lua and edit).
-- It is plain Lua run in a sandbox by qvrpro.schedule.load: it returns a table.
-- Against the bundled simulator: QVR_URL=http://admin:admin@127.0.0.1:8080
return {
  -- the NVR: a URL, or a table of qvr.connect options; nil means $QVR_URL
  -- (with $QVR_USER/$QVR_PASSWORD when the URL carries no credentials)
  nvr = os.getenv("QVR_URL"),
  -- last runs, recording windows and locks (default: $STATE_DIRECTORY, i.e.
  -- /var/lib/qvrpro under the systemd unit, else ~/.local/state/qvrpro)
  state_dir = os.getenv("STATE_DIRECTORY") or "qvrpro-state",
  zone = "Europe/Berlin",          -- default for jobs without one; nil = $TZ or /etc/localtime
  missed = "run_once",             -- runs missed while down: "skip" | "run_once" | "run_all"
  -- each job run is a process of its own: up to max_jobs run at once, and one
  -- still going at its timeout (default: until the job's next run, at most
  -- 1 h, 6 h for exports) is killed
  max_jobs = 4,
  jobs = {
    -- manual recording 08:00-08:30 on working days, Berlin time
    { name = "mornings", kind = "record", camera = "Front Door", cron = "0 8 * * 1-5",
      duration = "30m" },
    -- a snapshot of every connected camera every 15 minutes
    { name = "snaps", kind = "snapshot", cron = "*/15 * * * *", cameras = "all", dir = "snaps" },
    -- yesterday's footage of every camera at 01:00, one file per camera and day
    { name = "nightly", kind = "export", cron = "0 1 * * *", cameras = "all", range = "yesterday",
      path = "exports/{camera}/%Y-%m-%d.mkv", missed = "run_all",
      resume = true },                 -- a run killed at its timeout is continued by the next
    -- anything else: a Lua function(nvr, ctx)
    { name = "cpu", kind = "lua", cron = "@hourly", zone = "UTC",
      fn = function(nvr, ctx) ctx.log(("cpu %s%%"):format(tostring(nvr:cpu()))) end },
  },
}
