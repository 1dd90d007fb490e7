--- qvrpro.schedule.pool: the scheduler's child processes.  Each job run (and
-- each switch of a record job) runs in a child (qvrpro.schedule.child, started
-- with core.spawn: the same Lua interpreter, a process group of its own, no
-- inherited descriptors, killed when the scheduler dies).  The pool runs up
-- to `max_jobs` runs at once (record switches never wait for a slot), stops a
-- child at its timeout (SIGTERM to its process group, SIGKILL after
-- `kill_grace`), relays its output and log lines to the scheduler's log, and
-- calls the run's `done(ok, err, how)` when it has ended; `how` is "ok",
-- "failed", "timeout", "signal" (killed by someone else) or "stopped" (the
-- scheduler is leaving).  The pool is never blocked by a child: `service`
-- only reads what is there and reaps what has ended.
local core = require "qvrpro.core"
local child = require "qvrpro.schedule.child"

local M = {}

M.DEFAULT_MAX = 4                 -- runs at once
M.DEFAULT_GRACE_MS = 10000        -- SIGTERM .. SIGKILL

local Pool = {}
Pool.__index = Pool

local function ms_text(ms)
  return ms % 1000 == 0 and ("%d s"):format(ms // 1000) or ("%d ms"):format(ms)
end

--- A pool for runner `r` whose children read config file `source` (with
-- the standard globals named in `globals` added, see config.source).
function M.new(r, source, globals, cfg)
  local exe, err = core.exe_path()
  if not exe then error("schedule: cannot find the Lua interpreter: " .. tostring(err), 3) end
  local script = package.searchpath("qvrpro.schedule.child", package.path)
  if not script then error("schedule: qvrpro.schedule.child is not on package.path", 3) end
  return setmetatable({ r = r, source = source, globals = globals or "", exe = exe, script = script,
                        max = cfg.max_jobs or M.DEFAULT_MAX,
                        grace_ms = math.floor((cfg.kill_grace or M.DEFAULT_GRACE_MS / 1000) * 1000),
                        active = {}, queue = {}, ended = 0 }, Pool)
end

--- Whether job `name` has a child running or a run waiting for a slot.
function Pool:has(name)
  if self.active[name] then return true end
  for _, req in ipairs(self.queue) do
    if req.job.name == name then return true end
  end
  return false
end

--- Whether any child runs or any run waits.
function Pool:busy()
  return next(self.active) ~= nil or #self.queue > 0
end

local function runs_active(self)
  local n = 0
  for _, e in pairs(self.active) do
    if e.step == "run" then n = n + 1 end
  end
  return n
end

local function finish(self, e, ok, err, how)
  self.active[e.job.name] = nil
  self.ended = self.ended + 1
  local cok, cerr = pcall(e.done, ok, err, how)
  if not cok then self.r:log("error", "after the run: " .. tostring(cerr), e.job) end
end

function Pool:start(req)
  local job = req.job
  local argv = { self.exe, self.script, self.source, job.name, req.step, tostring(req.at),
                 tostring(req.now or req.at), tostring(req.missed or 0), self.r.cfg.state_dir or "",
                 self.globals }
  local env = { "LUA_PATH_5_4=" .. package.path, "LUA_CPATH_5_4=" .. package.cpath }
  local p, err = core.spawn(argv, env)
  if not p then
    finish(self, { job = job, done = req.done }, false,
      "cannot start the job's process: " .. tostring(err), "failed")
    return
  end
  self.active[job.name] = { job = job, step = req.step, at = req.at, proc = p, done = req.done,
                            timeout_ms = req.timeout_ms,
                            deadline = core.monotonic_ms() + req.timeout_ms,
                            out = "", msg = "", result = nil }
end

--- Runs `req` now (a record switch, or a free slot) or when a slot frees:
-- { job=, step = "run" | "on" | "off", at=, now=, missed=, timeout_ms=, done = fn(ok, err, how) }.
function Pool:submit(req)
  if req.step ~= "run" or (#self.queue == 0 and runs_active(self) < self.max) then
    self:start(req)
  else
    self.queue[#self.queue + 1] = req
  end
end

-- the complete lines of a buffer, the rest kept
local function lines(buf, data, last, fn)
  buf = buf .. (data or "")
  for line in buf:gmatch("([^\n]*)\n") do fn(line) end
  buf = buf:match("[^\n]*$")
  if last and buf ~= "" then fn(buf); buf = "" end
  return buf
end

-- what a pipe holds now; all of it (up to EOF or an empty pipe) when `all`
local function drain_pipe(p, which, all)
  local data = p:read(which)
  if not all or not data or data == "" then return data end
  local parts = { data }
  repeat
    data = p:read(which)
    parts[#parts + 1] = data
  until not data or data == ""
  return table.concat(parts)
end

local function pump(self, e, last)
  local job = e.job
  local out = drain_pipe(e.proc, "out", last)
  e.out = lines(e.out, out, last or out == nil, function(line)
    self.r:log("info", line, job)
  end)
  local msg = drain_pipe(e.proc, "msg", last)
  e.msg = lines(e.msg, msg, last or msg == nil, function(line)
    local kind, a, b = child.decode(line)
    if kind == "log" then self.r:log(a, b, job)
    elseif kind == "done" then e.result = { a == "ok", b }
    else self.r:log("info", line, job) end
  end)
end

local function result_of(e, how_ended, code)
  if e.killed then
    return false, ("the %s timed out after %s and was stopped (%s)"):format(
      e.step == "run" and "run" or ("recording " .. e.step .. " step"), ms_text(e.timeout_ms), e.killed),
      "timeout"
  end
  if e.stopped then return false, "stopped: the scheduler is leaving", "stopped" end
  if how_ended == "exit" and code == 0 and e.result and e.result[1] then return true, nil, "ok" end
  if e.result and e.result[1] then
    -- the run reported success (its files are complete); the process failed on its way out
    -- (e.g. a sanitizer's exit check): the run counts, the exit is logged
    e.exit_note = ("the job's process ended with %s %d after the run succeeded"):format(
      how_ended == "signal" and "signal" or "status", code)
    return true, nil, "ok"
  end
  if e.result and not e.result[1] then
    -- SIGINT (systemd sends it to the whole control group) ends a child as an error
    local interrupted = tostring(e.result[2]):match("interrupted!$")
    return false, e.result[2], interrupted and "signal" or "failed"
  end
  if how_ended == "signal" then
    return false, ("the job's process was killed (signal %d)"):format(code), "signal"
  end
  return false, ("the job's process exited with status %d and no result"):format(code), "failed"
end

local function check_timeout(self, e, now)
  if now < e.deadline then return end
  if not e.killed and not e.stopped then
    e.killed = "SIGTERM"
    self.r:log("warn", ("timed out after %s: stopping it (SIGTERM, SIGKILL in %s)"):format(
      ms_text(e.timeout_ms), ms_text(self.grace_ms)), e.job)
    e.proc:kill(core.SIGTERM)
    e.term_at = now
  elseif e.term_at and now >= e.term_at + self.grace_ms and not e.sigkill then
    e.sigkill = true
    if e.killed then e.killed = "SIGKILL" end
    self.r:log("warn", "still running: SIGKILL", e.job)
    e.proc:kill(core.SIGKILL)
  end
end

--- Relays output, reaps ended children, enforces timeouts, starts waiting
-- runs.  Never blocks.
function Pool:service()
  local now = core.monotonic_ms()
  local names = {}
  for name in pairs(self.active) do names[#names + 1] = name end
  table.sort(names)
  for _, name in ipairs(names) do
    local e = self.active[name]
    pump(self, e, false)
    local how, code = e.proc:wait()
    if how then
      if e.killed or e.stopped then e.proc:kill(core.SIGKILL) end   -- what it started, if any is left
      pump(self, e, true)
      e.proc:close()
      local ok, err, why = result_of(e, how, code)
      if e.exit_note then self.r:log("warn", e.exit_note, e.job) end
      finish(self, e, ok, err, why)
    else
      check_timeout(self, e, now)
    end
  end
  while #self.queue > 0 and runs_active(self) < self.max do
    self:start(table.remove(self.queue, 1))
  end
end

--- Waits (servicing, sleeping in short slices) until nothing runs or waits.
function Pool:drain(sleep)
  sleep = sleep or core.sleep
  self:service()
  while self:busy() do
    sleep(0.05)
    self:service()
  end
end

--- Leaving: waiting runs are dropped, running children get SIGTERM, then
-- SIGKILL after the grace period; returns when all have ended.
function Pool:stop_all()
  local queued = self.queue
  self.queue = {}
  for _, req in ipairs(queued) do
    local ok, err = pcall(req.done, false, "not started: the scheduler is leaving", "stopped")
    if not ok then self.r:log("error", tostring(err), req.job) end
  end
  local now = core.monotonic_ms()
  for _, e in pairs(self.active) do
    if not e.killed then
      e.stopped = true
      e.proc:kill(core.SIGTERM)
      e.term_at = now
      e.deadline = now
    end
  end
  self:drain(core.sleep)
end

M.Pool = Pool
return M
