-- `qvr export` shaped like the tools people know: several cameras or --all,
-- --today/--yesterday/--days, local times in a zone, --split hour|day into
-- per-day folders, {camera}/{guid}/strftime names, a progress line with the
-- recorded time, speed and ETA, a summary table, and files that start at a
-- key frame (checked with ffprobe) unless --exact.
local h = require "helpers"

local ROOT = h.root
local q = h.shell_quote

describe("qvr export", function()
  local sim, env, dir
  setup(function()
    sim = h.start_sim({})
    dir = h.tmpdir()
    env = ("QVR_CONFIG=/nonexistent QVR_STATE_DIR=%s QVR_PASSWORD=admin QVR_URL=%s "):format(
      q(dir .. "/state"), q("http://admin@127.0.0.1:" .. sim.port))
  end)
  teardown(function()
    sim.stop()
    h.execute("rm -rf " .. q(dir))
  end)

  local function qvr(argv, extra_env, stderr)
    local out = h.capture(("env %s%s lua5.4 %s/bin/qvr %s %s; echo \"rc=$?\""):format(env,
      extra_env or "", ROOT, argv, stderr or "2>&1"), true)
    local body, rc = out:match("^(.*)rc=(%d+)\n$")
    return body, tonumber(rc)
  end

  local function first_packet(path)
    local streams, packets = h.probe(path)
    for _, p in ipairs(packets) do
      if streams[p.stream + 1].codec_type == "video" then return p end
    end
  end

  local t0 = (os.time() - 3 * 3600) * 1000

  it("exports several cameras in one run, with a table of the files", function()
    local out, rc = qvr(("export 'Front Door' 'Back Yard' --from %d --to %d --out %s"):format(t0,
      t0 + 5000, q(dir .. "/multi/{camera}-{guid}.mkv")))
    assert.equal(0, rc, out)
    assert.matches("CAMERA%s+FROM%s+FRAMES%s+DURATION%s+GAPS%s+FILE", out)
    assert.matches("\nFront Door .- 0:00:0%d%s+0%s+.*Front_Door%-00089BF9B26200089BF9B26200080000%.mkv", out)
    assert.matches("\nBack Yard .*Back_Yard%-8FBC58E2F7274AF3B6F6761E90FB0001%.mkv", out)
    for _, name in ipairs({ "Front_Door-00089BF9B26200089BF9B26200080000.mkv",
                            "Back_Yard-8FBC58E2F7274AF3B6F6761E90FB0001.mkv" }) do
      local streams = h.probe(dir .. "/multi/" .. name)
      assert.equal("h264", streams[1].codec_name)
    end
    out, rc = qvr(("export 'Front Door' 'Back Yard' --from %d --to %d --out %s"):format(t0,
      t0 + 5000, q(dir .. "/one.mkv")))
    assert.equal(2, rc, out)
    assert.matches("several cameras need {camera}", out)
  end)

  it("plans --all over --yesterday and --days N by local day, in the zone given", function()
    local out, rc = qvr("export --all --yesterday --zone Europe/Berlin --out " .. q(dir .. "/d/")
      .. " --dry-run")
    assert.equal(0, rc, out)
    local lines = {}
    for l in out:gmatch("[^\n]+") do lines[#lines + 1] = l end
    assert.equal(4, #lines, out)      -- the simulator's four cameras
    local tz = require "qvrpro.tz"
    local localtime = require "qvrpro.localtime"
    local y = tz.format("%Y-%m-%d", localtime.day_start(os.time() * 1000, "Europe/Berlin", 1),
      "Europe/Berlin")
    local yp = y:gsub("%-", "%%-")
    for _, l in ipairs(lines) do
      assert.matches(yp .. " 00:00:00 CES?T %(%+0[12]:00%) %.%. " .. yp .. " 23:59:59 CES?T", l)
      assert.matches("/d/[%w_]+/" .. yp .. "/[%w_]+%-" .. y:gsub("%-", "") .. "%-000000%.mkv$", l)
    end
    out, rc = qvr("export Garage --days 3 --split day --zone UTC --out " .. q(dir .. "/d/") .. " --dry-run")
    assert.equal(0, rc, out)
    local n = 0
    for _ in out:gmatch("[^\n]+") do n = n + 1 end
    assert.equal(3, n, out)
    out, rc = qvr("export Garage --days 3 --today --out x.mkv --dry-run")
    assert.equal(2, rc, out)
    assert.matches("do not go together", out)
  end)

  it("reads times of day and names files in the NVR's zone (its log entries say which)", function()
    -- the simulator's entries say UTC; this machine's zone is set to Tokyo's
    local out, rc = qvr("export Garage --from 'today 08:00' --to 'today 08:10' --out "
      .. q(dir .. "/z/%H%M.mkv") .. " --dry-run", "TZ=Asia/Tokyo ")
    assert.equal(0, rc, out)
    assert.matches("08:00:00 UTC %(%+00:00%) %.%. .* 08:10:00 UTC .*/z/0800%.mkv", out)
    out, rc = qvr("export Garage --from 'today 08:00' --to 'today 08:10' --zone Asia/Tokyo --out "
      .. q(dir .. "/z/%H%M.mkv") .. " --dry-run")
    assert.equal(0, rc, out)
    assert.matches("08:00:00 JST %(%+09:00%)", out)
    local common = require "qvrpro.cli.common"
    local fake = { logs = function() return { items = { { timezone = "Asia/Taipei" } } } end }
    assert.equal("Asia/Taipei", common.nvr_zone(fake).name)
    fake.logs = function() return { items = { { timezone = "Nowhere/Land" } } } end
    assert.is_nil(common.nvr_zone(fake))
  end)

  it("splits at midnight into per-day folders, each file starting at a key frame", function()
    local out, rc = qvr(("export 'Front Door' --from 'yesterday 23:59:55' --to 'today 00:00:05' "
      .. "--zone UTC --split day --out %s"):format(q(dir .. "/split/%Y-%m-%d/{camera}.mp4")))
    assert.equal(0, rc, out)
    local files = h.capture("cd " .. q(dir .. "/split") .. " && find . -name '*.mp4' | sort")
    local paths = {}
    for p in files:gmatch("[^\n]+") do paths[#paths + 1] = p end
    assert.equal(2, #paths, files)
    assert.is_true(paths[1]:match("^%./(%d+%-%d+%-%d+)/") < paths[2]:match("^%./(%d+%-%d+%-%d+)/"))
    for _, p in ipairs(paths) do
      local first = first_packet(dir .. "/split/" .. p)
      assert.is_true(first.key, p .. ": the first video packet is not a key frame")
    end
  end)

  it("starts at the key frame at or before --from, and exactly there with --exact", function()
    local from = t0 + 500                        -- key frames of Front Door are on whole seconds
    local out, rc = qvr(("export 'Front Door' --from %d --to %d --out %s --json"):format(from,
      from + 3000, q(dir .. "/key.mkv")), nil, "2>/dev/null")
    assert.equal(0, rc, out)
    local r = h.json(out)
    assert.is_true(r.first_ts <= from and from - r.first_ts < 1000, "first_ts " .. r.first_ts)
    assert.is_true(first_packet(dir .. "/key.mkv").key)
    out, rc = qvr(("export 'Front Door' --from %d --to %d --out %s --json --exact"):format(from,
      from + 3000, q(dir .. "/exact.mkv")), nil, "2>/dev/null")
    assert.equal(0, rc, out)
    r = h.json(out)
    assert.is_true(r.first_ts >= from)
    assert.is_false(first_packet(dir .. "/exact.mkv").key)
  end)

  it("prints progress lines with recorded time, speed and ETA when stderr is not a terminal", function()
    -- a server that answers each get with 200 frames after 100 ms makes the export last
    local slow = h.start_sim({ "--fault", "get_frames=200", "--fault", "get_wait=100" })
    local out, rc = qvr(("export 'Front Door' --from %d --to %d --out %s --progress-every 200ms")
      :format(t0, t0 + 120000, q(dir .. "/slow.mkv")), "QVR_URL=" .. q("http://admin@127.0.0.1:"
      .. slow.port) .. " ")
    slow.stop()
    assert.equal(0, rc, out)
    local n = 0
    for line in out:gmatch("[^\n]+") do
      if line:match("^export  %d%d%d%d%-%d%d%-%d%d %d%d:%d%d:%d%d +%d+%.%d%%  %d+ frames  "
        .. "[%d.]+x real time  ETA %d+:%d%d:%d%d$") then n = n + 1 end
    end
    assert.is_true(n >= 2, "progress lines: " .. n .. "\n" .. out)
    assert.is_nil(out:find("\r", 1, true))
  end)
end)
