-- The `qvr` command, each subcommand against the simulator, run as users do.
local h = require "helpers"

local ROOT = h.root

describe("qvr command", function()
  local sim, env
  setup(function()
    sim = h.start_sim({})
    env = ("QVR_CONFIG=/nonexistent QVR_URL=%s QVR_PASSWORD=admin "):format(
      h.shell_quote("http://admin@127.0.0.1:" .. sim.port))
  end)
  teardown(function() sim.stop() end)

  local function qvr(args, extra_env)
    local out, ok = h.capture(("%s%s lua5.4 %s/bin/qvr %s 2>&1"):format(env, extra_env or "",
      ROOT, args), true)
    return out, ok
  end

  it("prints usage and fails on an unknown command", function()
    local out, ok = qvr("frobnicate")
    assert.is_falsy(ok)
    assert.matches("unknown command", out)
    out, ok = qvr("--help")
    assert.truthy(ok)
    for _, c in ipairs({ "cameras", "snapshot", "record", "logs", "live", "export", "schedule", "sim" }) do
      assert.matches(c, out)
    end
  end)

  it("has --help on every subcommand", function()
    for _, c in ipairs({ "cameras", "snapshot", "record", "logs", "live", "export", "schedule",
                         "version" }) do
      local out, ok = qvr(c .. " --help")
      assert.truthy(ok, c)
      assert.matches("usage: qvr " .. c, out)
    end
  end)

  it("lists cameras as text and as JSON", function()
    local out, ok = qvr("cameras")
    assert.truthy(ok)
    assert.matches("Front Door", out)
    assert.matches("offline", out)
    out = qvr("cameras --json --status 1")
    local list = h.json(out)
    assert.equal(3, #list)
    assert.equal("Front Door", list[1].name)
    assert.equal(1280, tonumber(list[1].video_resolution_setting:match("^(%d+)")))
  end)

  it("takes credentials from the environment only, and tells a missing password from a wrong one",
     function()
    local out, ok = h.capture(("QVR_CONFIG=/nonexistent QVR_URL=%s lua5.4 %s/bin/qvr cameras 2>&1")
      :format(h.shell_quote("http://admin@127.0.0.1:" .. sim.port), ROOT), true)
    assert.is_falsy(ok)
    assert.matches("no password for admin@127.0.0.1: set QVR_PASSWORD", out)
    out, ok = qvr("cameras", "QVR_PASSWORD=wrong ")
    assert.is_falsy(ok)
    assert.matches("AUTH_FAILED", out)
    out, ok = qvr("cameras --password admin")
    assert.is_falsy(ok)
    assert.matches("unknown option %-%-password", out)
  end)

  it("reads a config file", function()
    local path = os.tmpname()
    local f = assert(io.open(path, "w"))
    f:write(('return { url = "http://127.0.0.1:%d", user = "admin", password = "admin" }\n')
      :format(sim.port))
    f:close()
    local out, ok = h.capture(("QVR_CONFIG=%s lua5.4 %s/bin/qvr cameras --json 2>&1")
      :format(path, ROOT), true)
    os.remove(path)
    assert.truthy(ok, out)
    assert.equal(4, #h.json(out))
  end)

  it("saves snapshots", function()
    local dir = os.tmpname()
    os.remove(dir)
    local out, ok = qvr("snapshot Garage 0 --dir " .. dir .. " --json")
    assert.truthy(ok, out)
    local r = h.json(out)
    assert.equal(2, #r.files)
    h.execute("rm -rf " .. dir)
  end)

  it("switches recording and reports it, with a failing exit status on errors", function()
    local out, ok = qvr("record 'Back Yard' on --json")
    assert.truthy(ok, out)
    assert.is_true(h.json(out).recording)
    out = qvr("record 1 off --json")
    assert.is_false(h.json(out).recording)
    out, ok = qvr("record Nowhere on")
    assert.is_falsy(ok)
    assert.matches("NO_SUCH_CAMERA", out)
  end)

  it("prints logs as text and JSON", function()
    local out, ok = qvr("logs --max 3 --level 0")
    assert.truthy(ok)
    local lines = 0
    for _ in out:gmatch("[^\n]+") do lines = lines + 1 end
    assert.equal(3, lines)
    local entries = h.json(qvr("logs --max 4 --json --since -12h"))
    assert.equal(4, #entries)
  end)

  it("watches a live stream and fails on a camera that cannot stream", function()
    local out, ok = qvr("live Garage --frames 3 --json")
    assert.truthy(ok, out)
    local n = 0
    for line in out:gmatch("[^\n]+") do
      n = n + 1
      assert.equal("mjpeg", h.json(line).codec)
    end
    assert.equal(3, n)
    out, ok = qvr("live Lobby")
    assert.is_falsy(ok)
    assert.matches("STREAM_NOT_READY", out)
    out, ok = qvr("live Nope")
    assert.is_falsy(ok)
    assert.matches("NO_SUCH_CAMERA", out)
    assert.matches("Nope", out)
    assert.is_nil(out:find("qvr: nil", 1, true))
  end)

  it("exports a range to a file, quietly when stderr is not a terminal", function()
    local dir = h.tmpdir()
    local path = dir .. "/yard.mkv"
    local t0 = (os.time() - 7200) * 1000
    local out, ok = qvr(("export 'Back Yard' --from %d --to %d --out %s --exact --json"):format(t0,
      t0 + 10000, path))
    assert.truthy(ok, out)
    local r = h.json(out)
    assert.equal(path, r.path)
    assert.equal(101, r.video_frames)          -- 10 fps, both ends inclusive
    assert.is_nil(out:find("ETA", 1, true))    -- no progress bar without a terminal
    local probe = h.capture("ffprobe -v error -count_packets -select_streams v:0 -show_entries "
      .. "stream=codec_name,nb_read_packets -of default=nw=1 " .. path)
    assert.matches("codec_name=h264", probe)
    assert.matches("nb_read_packets=101", probe)
    out, ok = qvr("export 'Back Yard' --from -1h --out " .. path)
    assert.is_falsy(ok)
    assert.matches("usage: qvr export", out)
    h.execute("rm -rf " .. dir)
  end)

  it("lists the next runs of a schedule and runs one that is due", function()
    local out, ok = qvr("schedule --config " .. ROOT .. "/examples/schedule.conf.lua --dry-run 2")
    assert.truthy(ok, out)
    for _, job in ipairs({ "mornings", "snaps", "nightly", "cpu" }) do assert.matches(job, out) end
    local dir = h.tmpdir()
    local cfg = dir .. "/s.lua"
    local f = assert(io.open(cfg, "w"))
    f:write(([[return { nvr = os.getenv("QVR_URL"), state_dir = %q, jobs = {
      { name = "snap", kind = "snapshot", cron = "* * * * *", cameras = { "Garage" }, dir = %q } } }]])
      :format(dir .. "/state", dir .. "/snaps"))
    f:close()
    out, ok = qvr("schedule --once --config " .. cfg, "QVR_USER=admin ")
    assert.truthy(ok, out)
    local files = h.capture("find " .. dir .. "/snaps -name '*.jpg'")
    assert.matches("Garage", files)
    out, ok = qvr("schedule --config /nonexistent.lua --once")
    assert.is_falsy(ok)
    assert.matches("nonexistent", out)
    h.execute("rm -rf " .. dir)
  end)

  it("passes arguments to the simulator", function()
    local out, ok = h.capture(("QVRSIM=%s lua5.4 %s/bin/qvr sim --help 2>&1"):format(
      h.shell_quote(os.getenv("QVRSIM") or (ROOT .. "/build/qvrsim")), ROOT), true)
    assert.truthy(ok)
    assert.matches("%-%-no%-pace", out)
  end)
end)
