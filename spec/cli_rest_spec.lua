-- The `qvr` commands of the REST family (url, snapshot --at, alarm, ptz,
-- clip, capabilities) against the simulator, run as users do.
local h = require "helpers"

local ROOT = h.root
local GARAGE = "4A1E0C7D9B3F4E21A5C6D7E8F9000002"

describe("qvr REST commands", function()
  local sim, env, dir
  setup(function()
    sim = h.start_sim({})
    env = ("QVR_CONFIG=/nonexistent QVR_URL=%s QVR_PASSWORD=admin "):format(
      h.shell_quote("http://admin@127.0.0.1:" .. sim.port))
    dir = h.tmpdir()
  end)
  teardown(function()
    sim.stop()
    h.execute("rm -rf " .. h.shell_quote(dir))
  end)
  after_each(function() h.control(sim, "clear=1") end)

  local function qvr(args)
    local out, ok = h.capture(("%slua5.4 %s/bin/qvr %s 2>&1"):format(env, ROOT, args), true)
    return out, ok
  end
  local function minute(back) return (h.now_ms() // 60000 - back) * 60000 end

  it("prints the RTSP URL ffprobe reads, and closes it", function()
    local out, ok = qvr("url 'Front Door'")
    assert.truthy(ok, out)
    local url = out:match("^(rtsp://%S+)\n$")
    assert.equal(("rtsp://127.0.0.1:%d/channel1"):format(sim.rtsp_port), url)
    local probe, pok = h.capture("timeout 60 ffprobe -v error -rtsp_transport tcp -of json "
      .. "-show_streams " .. h.shell_quote(url))
    assert.truthy(pok, probe)
    assert.equal("h264", h.json(probe).streams[1].codec_name)
    out = qvr("url 0 --protocol hls --json")
    local j = h.json(out)
    assert.matches("%.m3u8$", j.url)
    assert.equal(32, #j.token)
    out, ok = qvr("url 0 --close")
    assert.truthy(ok, out)
    out, ok = qvr("url 0 --protocol dash")
    assert.is_falsy(ok)
    assert.matches("one of rtsp, hls, rtmp", out)
  end)

  it("saves the recorded picture at a time", function()
    local t = minute(3) + 20000
    local out, ok = qvr(("snapshot Garage --at %d --dir %s --name at.jpg"):format(t, h.shell_quote(dir)))
    assert.truthy(ok, out)
    assert.equal(dir .. "/at.jpg\n", out)
    local frame = h.archive(sim, GARAGE, t, t, false)[1]
    assert.equal(frame.crc32, h.crc32(h.read_file(dir .. "/at.jpg")))
    out, ok = qvr("snapshot --at -1h")
    assert.is_falsy(ok)
    assert.matches("needs the CAMERA", out)
  end)

  it("switches an alarm output and moves a PTZ camera", function()
    local caps = h.json((qvr("capabilities --event --json")))
    local guid = caps.alarm_output[1].guid
    local out, ok = qvr("alarm " .. guid .. " on")
    assert.truthy(ok, out)
    assert.matches("alarm output on", out)
    out, ok = qvr("alarm " .. guid .. " off")
    assert.truthy(ok, out)
    out, ok = qvr("alarm " .. guid .. " maybe")
    assert.is_falsy(ok)
    assert.matches("unknown action", out)
    out, ok = qvr("ptz 'Back Yard' start_move --direction left")
    assert.truthy(ok, out)
    out, ok = qvr("ptz 'Back Yard' stop_move --direction left")
    assert.truthy(ok, out)
    out, ok = qvr("ptz 'Back Yard' spin")
    assert.is_falsy(ok)
    assert.matches("unknown action", out)
    out, ok = qvr("ptz 'Front Door' up")
    assert.is_falsy(ok)
    assert.matches("OPERATION_FAILED", out)
  end)

  it("lists capabilities with camera names", function()
    local out, ok = qvr("capabilities")
    assert.truthy(ok, out)
    assert.matches("camera_motion%s+Front Door", out)
    assert.matches("cameraControl", out)
  end)

  it("saves a clip of the requested range as one MP4", function()
    local from = minute(4) + 45000
    local path = dir .. "/clip.mp4"
    local out, ok = qvr(("clip 'Front Door' --from %d --to %d --out %s"):format(from, from + 30000,
      h.shell_quote(path)))
    assert.truthy(ok, out)
    local streams, packets, format = h.probe(path)
    assert.is_true(math.abs(tonumber(format.duration) - 30) <= 0.1, format.duration)
    local n = { 0, 0 }
    for _, p in ipairs(packets) do n[p.stream + 1] = n[p.stream + 1] + 1 end
    assert.equal(300, n[1])
    -- the camera's AAC audio (16 kHz, 64 ms frames) over the whole clip
    assert.equal("aac", streams[2].codec_name)
    assert.is_true(math.abs(tonumber(streams[2].duration) - 30) <= 0.2, streams[2].duration)
    assert.is_true(n[2] >= 466 and n[2] <= 469, n[2])
    out, ok = qvr(("clip 'Front Door' --from %d --to %d --out x.mkv"):format(from, from + 1000))
    assert.is_falsy(ok)
    assert.matches("%.mp4", out)
  end)
end)
