--- qvrpro.schedule.store: the scheduler's files: a job's state file, its
-- lock file, the state directory.
local core = require "qvrpro.core"
local sconfig = require "qvrpro.schedule.config"

local M = {}

local read_file = require("qvrpro.files").read

local function write_file(path, text)
  local tmp = ("%s.tmp%d"):format(path, math.random(0, 0x7fffffff))
  local f, err = io.open(tmp, "wb")
  if not f then return nil, err end
  local ok, werr = f:write(text)
  local cok, cerr = f:close()
  if not (ok and cok) then os.remove(tmp); return nil, werr or cerr end
  local rok, rerr = os.rename(tmp, path)
  if not rok then os.remove(tmp); return nil, rerr end
  return true
end

local function mkdir_p(dir)
  return core.mkdir_p(dir)
end

local function dirname(path)
  return path:match("^(.*)/[^/]*$")
end

--- The pid and start time (clock ticks since boot) of a process, or nil.
local function proc_stat(pid)
  local s = read_file("/proc/" .. pid .. "/stat")
  if not s then return nil end
  local me, rest = s:match("^(%d+) %(.*%) (.*)$")
  if not me then return nil end
  local fields = {}
  for f in rest:gmatch("%S+") do fields[#fields + 1] = f end
  return tonumber(me), fields[20], fields[1]
end

local self_id
local function my_id()
  if not self_id then
    local pid, start = proc_stat("self")
    self_id = pid and (pid .. " " .. start) or ("0 " .. tostring(math.random(1, 0x7fffffff)))
  end
  return self_id
end

local function holder_alive(content)
  local pid, start = (content or ""):match("^(%d+) (%S+)")
  if not pid then return false end
  local _, now_start, state = proc_stat(pid)
  return now_start ~= nil and now_start == start and state ~= "Z"
end

--- Takes the lock file `path` for this process: its content (pid and start
-- time) is placed with link(2) (`core.link_lock`: atomic, never replaces an
-- existing file, safe on NFS).  A lock whose process is gone (or is another
-- process that reused its pid) is taken over: `core.break_lock` removes it
-- only if it still holds what was judged stale.  Re-entrant.  Returns true,
-- or false, holder pid (nil when unreadable), or nil, err, errno when the
-- lock cannot be placed at all (folder missing, not writable, ...).
function M.lock(path)
  local id = my_id() .. "\n"
  local held_by
  for _ = 1, 5 do
    local ok, held, code = core.link_lock(path, id)
    if ok then return true end
    if ok == nil then return nil, held, code end
    if held then
      held_by = held:match("^(%d+)")
      if held == id then return true end
      if holder_alive(held) then return false, tonumber(held_by) end
      local bok, berr, bcode = core.break_lock(path, held)
      if bok == nil then return nil, berr, bcode end
    end
  end
  return false, tonumber(held_by)
end

--- Releases a lock this process holds (another holder's is left alone).
-- Returns true when it removed the lock, false when it held none, or nil,
-- err, errno.
function M.unlock(path)
  return core.unlink_lock(path, my_id() .. "\n")
end

local function state_path(cfg, job) return cfg.state_dir .. "/" .. job.file_key .. ".state" end
local function lock_path(cfg, job) return cfg.state_dir .. "/" .. job.file_key .. ".lock" end

local function read_state(cfg, job)
  local st = {}
  for k, v in (read_file(state_path(cfg, job)) or ""):gmatch("([%w_]+)=([^\n]*)") do
    st[k] = math.tointeger(tonumber(v)) or v
  end
  return st
end

local function write_state(cfg, job, st)
  local keys = {}
  for k in pairs(st) do keys[#keys + 1] = k end
  table.sort(keys)
  local lines = {}
  for _, k in ipairs(keys) do lines[#lines + 1] = ("%s=%s\n"):format(k, tostring(st[k])) end
  return write_file(state_path(cfg, job), table.concat(lines))
end

M.mkdir_p, M.dirname = mkdir_p, dirname
M.lock_path, M.read_state, M.write_state = lock_path, read_state, write_state

--- The saved state of a job of a config: { last_run = ms, rec_start = ms,
-- rec_until = ms } (the fields it has), or nil for an unknown job.
function M.state(config, name)
  local cfg = sconfig.check(config)
  cfg.state_dir = cfg.state_dir or M.default_state_dir()
  for _, job in ipairs(cfg.jobs) do
    if job.name == name then return read_state(cfg, job) end
  end
  return nil
end

--- $STATE_DIRECTORY (systemd), else $XDG_STATE_HOME/qvrpro, else
-- ~/.local/state/qvrpro, else ./.qvrpro-state.
function M.default_state_dir()
  local sd = os.getenv("STATE_DIRECTORY")
  if sd and sd ~= "" then return (sd:match("^[^:]+")) end
  local xdg = os.getenv("XDG_STATE_HOME")
  if xdg and xdg ~= "" then return xdg .. "/qvrpro" end
  local home = os.getenv("HOME")
  if home and home ~= "" then return home .. "/.local/state/qvrpro" end
  return ".qvrpro-state"
end

return M
