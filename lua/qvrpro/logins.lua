--- qvrpro.logins: the login back-off shared by every process of the user.
--
-- NAS systems lock an address out after a few failed logins, and a lockout
-- answers exactly like a wrong password.  The C session backs off inside one
-- process; cron and systemd start a new process for every run, so `qvr` and
-- the scheduler also keep the failures of each user@host:port in one small
-- file (QVR_STATE_DIR, else $XDG_STATE_HOME/qvrpro, else
-- ~/.local/state/qvrpro: "logins"), under an flock(2), and:
--   * wait before logging in again after failures (2 failures: 60 s, then
--     doubling up to an hour) instead of feeding the lockout;
--   * tell a failed login after earlier failures (the NVR may be refusing
--     this address for now) from a first one (wrong user name or password).
-- A success forgets the failures.
--
-- It sits above the library: it wraps qvr.connect, so it requires qvrpro
-- when it loads (qvrpro never requires it: no cycle).
local core = require "qvrpro.core"
local qvr = require "qvrpro"

local M = {}

M.FIRST_WAIT_MS = 60000
M.MAX_WAIT_MS = 3600000
M.FORGET_MS = 86400000

--- The folder of the state file.
function M.state_dir()
  local d = os.getenv("QVR_STATE_DIR")
  if d and d ~= "" then return d end
  local x = os.getenv("XDG_STATE_HOME")
  if x and x ~= "" then return x .. "/qvrpro" end
  local home = os.getenv("HOME")
  return home and (home .. "/.local/state/qvrpro") or nil
end

local function key_of(o)
  return ("%s@%s:%s"):format(o.user or "admin", o.host or "?", tostring(o.port or ""))
end

local function read_all(path)
  local t = {}
  local f = io.open(path)
  if not f then return t end
  for line in f:lines() do
    local k, n, last = line:match("^(%S+)\t(%d+)\t(%d+)$")
    if k then t[k] = { failures = tonumber(n), last = tonumber(last) } end
  end
  f:close()
  return t
end

local function write_all(path, t, now)
  local lines = {}
  for k, e in pairs(t) do
    if now - e.last < M.FORGET_MS then lines[#lines + 1] = ("%s\t%d\t%d\n"):format(k, e.failures, e.last) end
  end
  table.sort(lines)
  return core.write_atomic(path, table.concat(lines))
end

-- runs fn(table) under the lock; writes the table back when fn says so
local function with_state(fn)
  local dir = M.state_dir()
  if not dir or not core.mkdir_p(dir) then return fn({}, function() end) end
  local lock = core.lock_file(dir .. "/logins.lock")
  local path = dir .. "/logins"
  local t = read_all(path)
  local r1, r2 = fn(t, function(now) write_all(path, t, now) end)
  if lock then lock:unlock() end
  return r1, r2
end

local function wait_after(failures)
  if failures < 2 then return 0 end
  return math.min(M.MAX_WAIT_MS, M.FIRST_WAIT_MS * 2 ^ (failures - 2)) // 1
end

--- Before logging in: nil when a login may go to the NVR, else ms to wait
-- and the count of failures in a row.
function M.check(o, now)
  now = now or core.now_ms()
  return with_state(function(t)
    local e = t[key_of(o)]
    if not e then return nil end
    local left = e.last + wait_after(e.failures) - now
    if left > 0 then return left, e.failures end
    return nil
  end)
end

--- After a login: records a failure (ok false) or forgets them; returns the
-- number of failures in a row before this one.
function M.record(o, ok, now)
  now = now or core.now_ms()
  return with_state(function(t, save)
    local k = key_of(o)
    local before = t[k] and t[k].failures or 0
    if ok then
      if t[k] then t[k] = nil; save(now) end
    else
      t[k] = { failures = before + 1, last = now }
      save(now)
    end
    return before
  end)
end

local function hms(ms)
  local s = math.ceil(ms / 1000)
  if s < 120 then return ("%d s"):format(s) end
  return ("%d min"):format(math.ceil(s / 60))
end

--- qvr.connect with the shared back-off; returns the session, or nil, err
-- with a message that says which case it is.
function M.connect(o)
  local who = key_of(o)
  local wait, failures = M.check(o)
  if wait then
    return nil, core.error { name = "LOGIN_BACKOFF", message = ("not logging in as %s for another %s: "
      .. "the last %d logins from this machine failed, and the NVR locks an address out after "
      .. "repeated failures (check the password; the wait protects the address)")
      :format(who, hms(wait), failures) }
  end
  local nvr, err = qvr.connect(o)
  if nvr then M.record(o, true); return nvr end
  if type(err) == "table" and err.name == "AUTH_FAILED" then
    local before = M.record(o, false)
    local msg
    if before > 0 then
      msg = ("login as %s refused: the NVR may be refusing logins from this address for now "
        .. "(%d failed logins from this machine before this one; a lockout lasts minutes), "
        .. "or the password is wrong"):format(who, before)
    else
      msg = ("login as %s refused: wrong user name or password"):format(who)
    end
    return nil, core.error { name = "AUTH_FAILED", message = msg, http_status = err.http_status }
  end
  return nil, err
end

return M
