-- Lock files placed with link(2): core.link_lock / core.break_lock /
-- core.unlink_lock (csrc/lua/fs.c) and the scheduler's per-job locks over
-- them (qvrpro.schedule.store): one holder at a time across processes, a
-- stale lock of a dead process taken over, clear errors, nothing left behind.
local h = require "helpers"
local core = require "qvrpro.core"
local schedule = require "qvrpro.schedule"

local q = h.shell_quote

local read = h.read_file_or_nil

local function listing(dir)
  local names = {}
  for name in h.capture("ls -A " .. q(dir)):gmatch("[^\n]+") do names[#names + 1] = name end
  table.sort(names)
  return names
end

-- lua5.4 running `code` (the spec's module paths) with `prefix` before it
-- (e.g. setpriv); returns its output.
local function run_lua(code, prefix)
  local path = os.tmpname()
  h.write_file(path, code)
  os.execute("chmod 0644 " .. q(path))
  local out = h.capture(("%s lua5.4 %s 2>&1"):format(prefix or "", q(path)), true)
  os.remove(path)
  return out
end

-- our own /proc/<pid>/stat start time, as the lock content has it
local function my_content()
  local stat = read("/proc/self/stat")
  local pid, rest = stat:match("^(%d+) %(.*%) (.*)$")
  local fields = {}
  for f in rest:gmatch("%S+") do fields[#fields + 1] = f end
  return pid, fields[20]
end

describe("core.link_lock", function()
  local dir
  before_each(function() dir = h.tmpdir() end)
  after_each(function() h.execute("chmod -R u+w " .. q(dir) .. "; rm -rf " .. q(dir)) end)

  it("places a free lock, refuses a taken one with its holder, leaves no temporary file", function()
    local path = dir .. "/job.lock"
    assert.same({ true }, { core.link_lock(path, "first\n") })
    assert.equal("first\n", read(path))
    assert.same({ false, "first\n" }, { core.link_lock(path, "second\n") })
    assert.equal("first\n", read(path))                 -- never replaced
    assert.same({ "job.lock" }, listing(dir))
  end)

  it("removes a lock only for its holder", function()
    local path = dir .. "/job.lock"
    assert.is_true(core.link_lock(path, "mine\n"))
    assert.is_false(core.unlink_lock(path, "someone else\n"))
    assert.equal("mine\n", read(path))
    assert.is_true(core.unlink_lock(path, "mine\n"))
    assert.is_nil(read(path))
    assert.is_false(core.unlink_lock(path, "mine\n"))   -- absent: nothing to do
  end)

  it("breaks a lock only if it still holds what was judged stale", function()
    local path = dir .. "/job.lock"
    h.write_file(path, "4242 1\n")
    assert.is_false(core.break_lock(path, "4243 1\n"))  -- someone else's by now: put back
    assert.equal("4242 1\n", read(path))
    assert.is_true(core.break_lock(path, "4242 1\n"))
    assert.is_nil(read(path))
    assert.is_false(core.break_lock(path, "4242 1\n"))  -- gone already
    assert.same({}, listing(dir))
  end)

  it("fails clearly when the folder is missing", function()
    local path = dir .. "/no/such/job.lock"
    local ok, err, code = core.link_lock(path, "x\n")
    assert.is_nil(ok)
    assert.equal("IO_ERROR", err.name)
    assert.matches(path, err.message, 1, true)
    assert.matches("No such file or directory", err.message, 1, true)
    assert.equal(2, code)                                -- ENOENT
    ok, err, code = schedule.lock(path)
    assert.is_nil(ok)
    assert.equal("IO_ERROR", err.name)
    assert.equal(2, code)
  end)

  it("fails clearly when the folder is not writable", function()
    local path = dir .. "/job.lock"
    local code = [[
      local ok, err, code = require("qvrpro.core").link_lock(%q, "x\n")
      local sok, serr, scode = require("qvrpro.schedule").lock(%q)
      io.write(tostring(ok), "|", err and err.name or "", "|", err and err.message or "", "|",
        tostring(code), "|", tostring(sok), "|", tostring(scode))
    ]]
    code = code:format(path, path)
    local out
    if h.capture("id -u"):match("^0") then          -- root writes anywhere: run as nobody
      out = run_lua(code, "setpriv --reuid=65534 --regid=65534 --clear-groups")
    else
      h.execute("chmod 0555 " .. q(dir))
      out = run_lua(code)
    end
    local ok, name, msg, errno, sok, scode = out:match("^(.-)|(.-)|(.-)|(.-)|(.-)|(.-)$")
    assert.equal("nil", ok, out)
    assert.equal("IO_ERROR", name)
    assert.matches("Permission denied", msg, 1, true)
    assert.matches(path, msg, 1, true)
    assert.equal("13", errno)                           -- EACCES
    assert.equal("nil", sok)
    assert.equal("13", scode)
    assert.is_nil(read(path))
  end)
end)

describe("schedule.lock across processes", function()
  local dir
  before_each(function() dir = h.tmpdir() end)
  after_each(function() h.execute("rm -rf " .. q(dir)) end)

  local TAKE = [[
    local schedule = require "qvrpro.schedule"
    local ok, holder = schedule.lock(%q)
    io.write(tostring(ok), " ", tostring(holder))
    if ok then schedule.unlock(%q) end
  ]]

  it("refuses a second taker while the first holds the lock, then lets it in", function()
    local path = dir .. "/job.lock"
    assert.is_true(schedule.lock(path))
    local pid, start = my_content()
    assert.equal(pid .. " " .. start .. "\n", read(path))
    assert.equal("false " .. pid, run_lua(TAKE:format(path, path)))
    assert.equal(pid .. " " .. start .. "\n", read(path))    -- the holder's lock untouched
    assert.is_true(schedule.unlock(path))
    assert.equal("true nil", run_lua(TAKE:format(path, path)))
    assert.is_nil(read(path))
    assert.same({}, listing(dir))
  end)

  it("takes over the lock of a process that has exited", function()
    local path = dir .. "/job.lock"
    local dead = tonumber((h.capture("sh -c 'echo $$'")))
    h.write_file(path, dead .. " 99\n")
    assert.equal("true nil", run_lua(TAKE:format(path, path)))
    assert.is_true(schedule.lock(path))
    local pid = my_content()
    assert.matches("^" .. pid .. " %d+\n$", read(path))
    assert.is_true(schedule.unlock(path))
    assert.same({}, listing(dir))
  end)

  it("lets exactly one of many simultaneous takers in", function()
    local path = dir .. "/job.lock"
    local script = os.tmpname()
    h.write_file(script, ([[
      local schedule = require "qvrpro.schedule"
      local ok = schedule.lock(%q)
      io.write(ok and "won\n" or "lost\n")
      io.stdout:flush()
      if ok then require("qvrpro.core").sleep(5); schedule.unlock(%q) end
    ]]):format(path, path))
    local cmd = {}
    for i = 1, 8 do cmd[#cmd + 1] = ("lua5.4 %s >%s/out%d 2>&1 &"):format(q(script), q(dir), i) end
    h.capture(table.concat(cmd, " ") .. " wait", true)
    os.remove(script)
    local won = 0
    for i = 1, 8 do
      local out = read(dir .. "/out" .. i)
      assert.truthy(out == "won\n" or out == "lost\n", out)
      if out == "won\n" then won = won + 1 end
    end
    assert.equal(1, won)
    assert.is_nil(read(path))
  end)
end)

describe("the scheduler with a lock it cannot take", function()
  it("logs why, counts the run as failed and does not run the job", function()
    local dir = h.tmpdir()
    assert(os.execute("mkdir " .. q(dir .. "/job.lock")))   -- a folder where the lock goes
    local lines, ran = {}, 0
    local s = schedule.run_once{ nvr = false, state_dir = dir,
      log = function(level, msg) lines[#lines + 1] = level .. ": " .. msg end,
      jobs = { { name = "job", kind = "lua", cron = "* * * * *", fn = function() ran = ran + 1 end } } }
    h.execute("rm -rf " .. q(dir))
    assert.equal(0, ran)
    assert.equal(1, #s.failed)
    assert.equal(0, #s.ran)
    local text = table.concat(lines, "\n")
    assert.matches("error: cannot take the job's lock: ", text, 1, true)
    assert.matches("job.lock: Is a directory", text, 1, true)
  end)
end)
