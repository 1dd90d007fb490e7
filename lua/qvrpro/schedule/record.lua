--- qvrpro.schedule.record: the record job kind, a manual recording window:
-- recording on while a window (cron start + duration, overlapping windows
-- join) holds now, off after.  The functions are the runner's methods.  With
-- a pool (qvrpro.schedule.pool) each switch runs in a child under the job's
-- timeout; an "on" step that is killed (its timeout, a signal) is followed
-- by the stop step (recording off), so no camera is left recording.
local tz = require "qvrpro.tz"
local times = require "qvrpro.schedule.times"
local store = require "qvrpro.schedule.store"
local common = require "qvrpro.schedule.common"

local M = {}

M.RETRY_MS = 10000                -- a busy lock or failed switch is tried again after this
local RETRY_MS = M.RETRY_MS

local next_ms = times.next_ms
local note, resolve_cameras, camera_label = common.note, common.resolve_cameras, common.camera_label
local lock_path, read_state, write_state = store.lock_path, store.read_state, store.write_state

-- the recording window containing now: start, end (overlapping windows join)
local function current_window(job, now)
  local s = next_ms(job.cron, job.zone, now - job.duration_ms)
  if not s or s > now then return nil end
  local e = s + job.duration_ms
  for _ = 1, 1000 do
    local s2 = next_ms(job.cron, job.zone, s)
    if not s2 or s2 > e then break end
    s, e = s2, math.max(e, s2 + job.duration_ms)
  end
  return s, e
end

function M.switch(self, job, on)
  local nvr, err = self:session()
  if not nvr then return nil, "cannot connect: " .. tostring(err) end
  local cams, cerr = resolve_cameras(nvr, job)
  if not cams then return nil, cerr end
  local failed = {}
  for _, cam in ipairs(cams) do
    local ok, rerr = nvr:record(cam, on)
    if not ok then failed[#failed + 1] = camera_label(cam) .. ": " .. tostring(rerr) end
  end
  if #failed > 0 then return nil, table.concat(failed, "; ") end
  return true
end

--- The switch in a child when the runner has a pool, waiting for it (the
-- pool serviced meanwhile): true or nil, err.  For leaving the scheduler.
function M.switch_wait(self, job, on)
  if not self.pool then return self:switch(job, on) end
  local res = { nil, "the switch did not end" }
  local core = require "qvrpro.core"
  self.pool:submit{ job = job, step = on and "on" or "off", at = self.clock(), timeout_ms = job.timeout_ms,
                    done = function(ok, err) res = { ok, err } end }
  self.pool:service()
  while self.pool:has(job.name) do
    core.sleep(0.05)
    self.pool:service()
  end
  return res[1], res[2]
end

-- the stop step after an "on" step that did not end by itself
local function stop_after_kill(self, job, why)
  self.pool:submit{ job = job, step = "off", at = self.clock(), timeout_ms = job.timeout_ms,
                    done = function(ok, err)
    if ok then
      self:log("warn", ("recording off: the on step was %s"):format(why), job)
    else
      self:log("error", ("recording off after the %s on step failed: %s"):format(why, tostring(err)), job)
    end
  end }
end

local function on_in_child(self, job, ws, we)
  self.pool:submit{ job = job, step = "on", at = ws, timeout_ms = job.timeout_ms,
                    done = function(ok, err, how)
    if ok then
      self:log("info", ("recording on until %s"):format(tz.describe(we, job.zone)), job)
      note(self.summary.ran, job, ws)
      local st = read_state(self.cfg, job)
      st.rec_start, st.rec_until, st.last_run = ws, we, ws
      write_state(self.cfg, job, st)
      return
    end
    self:log("error", "recording on failed: " .. tostring(err), job)
    note(self.summary.failed, job, ws)
    self.retry_at[job.name] = self.clock() + RETRY_MS
    if how == "timeout" or how == "signal" or how == "stopped" then
      stop_after_kill(self, job, how == "timeout" and "timed out" or "killed")
    end
  end }
end

local function off_in_child(self, job)
  self.pool:submit{ job = job, step = "off", at = self.clock(), timeout_ms = job.timeout_ms,
                    done = function(ok, err)
    if not ok then
      self:log("error", "recording off failed: " .. tostring(err), job)
      self.retry_at[job.name] = self.clock() + RETRY_MS
      return
    end
    self:log("info", "recording off (window ended)", job)
    local st = read_state(self.cfg, job)
    st.rec_start, st.rec_until = nil, nil
    write_state(self.cfg, job, st)
    self:drop_window_lock(job)
  end }
end

function M.take_window_lock(self, job)
  if self.held[job.name] then return true end
  local ok, holder = store.lock(lock_path(self.cfg, job))
  if ok == nil then
    self:log("error", "cannot take the job's lock: " .. tostring(holder), job)
    note(self.summary.failed, job, self.clock())
    return false
  elseif not ok then
    if not self.busy_logged then self.busy_logged = {} end
    if not self.busy_logged[job.name] then
      self:log("info", ("busy: lock held by pid %s; not touching recording"):format(tostring(holder)), job)
      self.busy_logged[job.name] = true
    end
    note(self.summary.skipped, job, self.clock())
    return false
  end
  if self.busy_logged then self.busy_logged[job.name] = nil end
  self.held[job.name] = true
  return true
end

function M.drop_window_lock(self, job)
  if self.held[job.name] then
    store.unlock(lock_path(self.cfg, job))
    self.held[job.name] = nil
  end
end

-- a record job: recording on inside a window, off after; returns the next wake-up
function M.tick(self, job, now)
  if self.pool and self.pool:has(job.name) then return nil end   -- a switch runs: its end plans again
  local retry = self.retry_at[job.name]
  if retry and now < retry then return retry end
  self.retry_at[job.name] = nil
  local ws, we = current_window(job, now)
  local st = read_state(self.cfg, job)
  if ws then
    if not self:take_window_lock(job) then return now + RETRY_MS end
    st = read_state(self.cfg, job)
    local is_on = st.rec_until and st.rec_until > now
    if not is_on or (self.first and not self.once) then
      if self.pool then
        on_in_child(self, job, ws, we)
        return nil
      end
      local ok, err = self:switch(job, true)
      if not ok then
        self:log("error", "recording on failed: " .. tostring(err), job)
        note(self.summary.failed, job, ws)
        return now + RETRY_MS
      end
      self:log("info", ("recording on until %s"):format(tz.describe(we, job.zone)), job)
      note(self.summary.ran, job, ws)
    end
    if st.rec_start ~= ws or st.rec_until ~= we then
      st.rec_start, st.rec_until, st.last_run = ws, we, ws
      write_state(self.cfg, job, st)
    end
    return we
  end
  if st.rec_until then
    if not self:take_window_lock(job) then return now + RETRY_MS end
    if self.pool then
      off_in_child(self, job)
      return nil
    end
    local ok, err = self:switch(job, false)
    if not ok then
      self:log("error", "recording off failed: " .. tostring(err), job)
      return now + RETRY_MS
    end
    self:log("info", "recording off (window ended)", job)
    st.rec_start, st.rec_until = nil, nil
    write_state(self.cfg, job, st)
  end
  self:drop_window_lock(job)
  return next_ms(job.cron, job.zone, now)
end

return M
