-- The tools of the Frames benchmark (docs/BENCHMARKS.md): a recording made
-- from the simulator, tools/bench/fakenvr serving it, and the public API
-- reading it through the fake NVR in each of the benchmark's client modes.
-- Nothing here is timed.
local h = require "helpers"

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

-- Under the sanitizer run (busted with the ASan runtime in LD_PRELOAD) the
-- benchmark scripts' own curl children would inherit the preload and hang;
-- the plain busted run covers these tools.
if os.getenv("LD_PRELOAD") then
  describe("tools/bench fake NVR", function()
    pending("runs in the plain busted suite only (LD_PRELOAD is set)")
  end)
  return
end

describe("tools/bench fake NVR", function()
  local sim, dir, fake, fake_pid, fake_port
  local bench = h.root .. "/tools/bench"
  local lua_path = ("LUA_PATH_5_4=%s"):format(q(bench .. "/?.lua;" .. (os.getenv("LUA_PATH_5_4") or "")))

  setup(function()
    sim = h.start_sim({ "--no-pace" })
    dir = h.tmpdir()
    local out, ok = h.capture(("cd %s && %s QVRSIM_PORT=%d QVR_URL=%s lua5.4 %s %s 1 2>&1"):format(
      q(h.root), lua_path, sim.port, q(("http://admin:admin@127.0.0.1:%d"):format(sim.port)),
      q(bench .. "/record.lua"), q(dir)), true)
    assert(ok, "record.lua: " .. out)
    local exe = dir .. "/fakenvr"
    out, ok = h.capture(("cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Wall -Wextra "
      .. "-Werror -o %s %s -pthread 2>&1"):format(q(exe), q(bench .. "/fakenvr.c")))
    assert(ok, "building fakenvr: " .. out)
    out, ok = h.capture(("cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Wall -Wextra "
      .. "-Werror -o %s %s -lcurl 2>&1"):format(q(dir .. "/fresh_calls"), q(bench .. "/fresh_calls.c")))
    assert(ok, "building fresh_calls: " .. out)
    fake = assert(io.popen(("echo $$; exec env -u LD_PRELOAD %s %s"):format(q(exe), q(dir)), "r"))
    fake_pid = fake:read("l")
    fake_port = tonumber((fake:read("l") or ""):match("^listening port=(%d+)"))
    assert(fake_port, "fakenvr did not start")
  end)

  teardown(function()
    if fake then
      h.execute("kill " .. fake_pid)
      fake:close()
    end
    sim.stop()
    if dir then h.execute("rm -rf " .. q(dir)) end
  end)

  it("calls.lua measures the four clients' calls and CPU against the fake NVR", function()
    local out, ok = h.capture(("%s QVR_BENCH_BUILD=%s QVR_BENCH_SERVER_PID=%s QVR_URL=%s lua5.4 %s 40 2 2>&1")
      :format(lua_path, q(dir), fake_pid, q(("http://admin:admin@127.0.0.1:%d"):format(fake_port)),
        q(bench .. "/calls.lua")), true)
    assert(ok, "calls.lua: " .. out)
    assert.matches("server CPU: process " .. fake_pid, out, 1, true)
    for _, row in ipairs({ "one session (kept connection)", "fresh libcurl easy handle per call",
                           "a new connection per call (connection alone)", "`qvr.connect`" }) do
      assert.matches(row, out, 1, true)
    end
    local wall, cpu = out:match("ratio qvrpro / new connection per call: ([%d.]+) %b(); CPU per call, "
      .. "client %+ server: ([%d.]+)")
    assert.truthy(wall and cpu, out)
    assert.is_true(tonumber(wall) > 0 and tonumber(cpu) > 0, out)
    assert.truthy(out:match("ratio qvrpro / new connection per call, connection alone: [%d.]+"), out)
  end)

  it("serves the recorded playbacks to the public API in every client mode", function()
    local cases = {}
    for line in io.lines(dir .. "/manifest.txt") do
      local guid, cam, _, from, to, size = line:match("^(%x+)\t([^\t]+)\t([^\t]+)\t(%d+)\t(%d+)\t(%d+)$")
      if guid then cases[#cases + 1] = { cam = cam, from = from, to = to, size = tonumber(size) } end
    end
    assert.equal(3, #cases)
    for _, c in ipairs(cases) do
      local frames
      for _, mode in ipairs({ "frames", "frames_gen", "view", "write_to" }) do
        local out, ok = h.capture(("%s QVR_URL=%s lua5.4 %s %s %s %s %s 2 2>&1"):format(lua_path,
          q(("http://admin:admin@127.0.0.1:%d"):format(fake_port)), q(bench .. "/frames_client.lua"),
          mode, q(c.cam), c.from, c.to), true)
        assert(ok, mode .. ": " .. out)
        local bytes, n = out:match("bytes=(%d+) frames=(%d+)")
        assert.equal(2 * c.size, tonumber(bytes), c.cam .. ", " .. mode)
        assert.is_true(tonumber(n) > 100, out)
        frames = frames or tonumber(n)
        assert.equal(frames, tonumber(n), c.cam .. ", " .. mode)
      end
    end
  end)

  it("exports each recorded playback to .mkv with every frame, and prints the export ratios",
    function()
      local url = q(("http://admin:admin@127.0.0.1:%d"):format(fake_port))
      for line in io.lines(dir .. "/manifest.txt") do
        local cam, from, to = line:match("^%x+\t([^\t]+)\t[^\t]+\t(%d+)\t(%d+)\t%d+$")
        if cam then
          local frames_out = assert(h.capture(("%s QVR_URL=%s lua5.4 %s frames %s %s %s 2>&1")
            :format(lua_path, url, q(bench .. "/frames_client.lua"), q(cam), from, to), true))
          local out, ok = h.capture(("%s QVR_URL=%s lua5.4 %s %s %s %s %s 2>&1"):format(lua_path,
            url, q(bench .. "/export_client.lua"), q(cam), from, to, q(dir .. "/x.mkv")), true)
          assert(ok, "export_client: " .. out)
          assert.equal(frames_out:match("frames=(%d+)"), out:match("frames=(%d+)"), cam)
        end
      end
      local out, ok = h.capture(("cd %s && %s QVR_URL=%s QVR_BENCH_REC=%s QVR_BENCH_TARGET_MB=1 "
        .. "lua5.4 %s 1 2>&1"):format(q(h.root), lua_path, url, q(dir), q(bench .. "/export.lua")),
        true)
      assert(ok, "export.lua: " .. out)
      local rows = 0
      for wall, cpu in out:gmatch("\n| [^\n]- | ([%d.]+) | [%d. /]+ | ([%d.]+) |") do
        rows = rows + 1
        assert.is_true(tonumber(wall) > 0 and tonumber(cpu) > 0, out)
      end
      assert.equal(3, rows, out)
    end)

  it("serves paced live streams of the recorded cameras, on their grids", function()
    local qvr = require "qvrpro"
    local nvr = assert(qvr.connect(("http://admin:admin@127.0.0.1:%d"):format(fake_port)))
    local guids = {}
    for line in io.lines(dir .. "/manifest.txt") do
      local guid = line:match("^(%x+)\t")
      if guid then guids[#guids + 1] = guid end
    end
    local streams, step = {}, {}
    for i, guid in ipairs(guids) do
      streams[i] = assert(nvr:live(guid))
      step[streams[i]] = { video = 1000 // assert(nvr:camera(guid)).frame_rate }
    end
    local AUDIO = { aac = 64, g711 = 20 }
    local last, n, lags = {}, {}, {}
    local deadline = qvr.core.monotonic_ms() + 1500
    for st, f in qvr.each(streams) do
      local d = f.media == "video" and step[st].video or AUDIO[f.codec]
      assert.is_number(d, f.codec)
      assert.equal(0, f.timestamp % d, "on the grid")
      last[st] = last[st] or {}
      if last[st][f.media] then assert.equal(last[st][f.media] + d, f.timestamp) end
      last[st][f.media] = f.timestamp
      n[st] = (n[st] or 0) + 1
      lags[#lags + 1] = qvr.time.now() - f.timestamp
      if qvr.core.monotonic_ms() > deadline then break end
    end
    for i, st in ipairs(streams) do
      assert.is_true((n[st] or 0) >= 3, "stream " .. i)   -- paced: 1.5 s of frames, not all at once
      assert.is_true(n[st] < 1000, "stream " .. i .. " is not paced: " .. n[st])
      st:close()
    end
    table.sort(lags)
    assert.is_true(lags[1] >= -50, "a frame came long before its time")
    nvr:close()
  end)
end)
