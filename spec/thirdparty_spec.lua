-- Third-party call sequences against the simulator, over plain HTTP with
-- curl, exactly as those clients make them (docs/REST.md): Home Assistant's
-- qvr_pro integration through its Python client (pyqvrpro), and go-qvrpro.
-- The assertions are what those clients need from each answer.
local h = require "helpers"

local curl = h.request
local sorted_keys = h.sorted_keys

describe("Home Assistant's qvr_pro integration (pyqvrpro)", function()
  local sim
  setup(function() sim = h.start_sim({}) end)
  teardown(function() sim.stop() end)

  it("runs its whole call sequence", function()
    -- GET /qvrentry: JSON, read unguarded
    local body, status, ctype = curl(sim, "GET", "/qvrentry")
    assert.equal(200, status)
    assert.equal("application/json", ctype)
    local entry = h.json(body)
    assert.equal("yes", entry.is_qvp)
    assert.equal("qvrpro", entry.fw_web_ui_prefix)

    -- login: user, base64 pwd, serviceKey=1 and the stray verify=True; text/xml
    body, status, ctype = curl(sim, "GET", "/cgi-bin/authLogin.cgi?user=admin&pwd="
      .. h.urlencode(h.base64("admin")) .. "&serviceKey=1&verify=True")
    assert.equal(200, status)
    assert.equal("text/xml", ctype)
    assert.matches("<authPassed><!%[CDATA%[1%]%]></authPassed>", body)
    local sid = body:match("<authSid><!%[CDATA%[(%w+)%]%]></authSid>")
    assert.truthy(sid)

    -- camera list: exact application/json, datas[].guid
    body, status, ctype = curl(sim, "GET", "/qvrpro/camera/list?sid=" .. sid .. "&ver=1.1.0")
    assert.equal(200, status)
    assert.equal("application/json", ctype)
    local list = h.json(body)
    assert.truthy(list.success == "true")
    local guid = list.datas[1].guid
    assert.matches("^%x+$", guid)
    assert.equal(32, #guid)

    -- channels: QVRProCamera(**channel) takes exactly these five keys; channel_index + 1
    body, status, ctype = curl(sim, "GET", "/qvrpro/qshare/StreamingOutput/channels?sid=" .. sid)
    assert.equal(200, status)
    assert.equal("application/json", ctype)
    local channels = h.json(body).channels
    assert.equal(#list.datas, #channels)
    for _, ch in ipairs(channels) do
      assert.equal("brand,channel_index,guid,model,name", sorted_keys(ch))
      assert.equal("number", type(ch.channel_index + 1))
      assert.equal(math.type(ch.channel_index), "integer")
    end

    -- snapshot: bytes only on exactly image/jpeg
    body, status, ctype = curl(sim, "GET", "/qvrpro/camera/snapshot/" .. channels[1].guid
      .. "?sid=" .. sid .. "&ver=1.1.0")
    assert.equal(200, status)
    assert.equal("image/jpeg", ctype)
    assert.equal("\xFF\xD8", body:sub(1, 2))
    assert.is_true(#body > 10)

    -- liveStream rtsp for the channel (no ver), resourceUris[:7] + user:pass@ + rest
    body, status, ctype = curl(sim, "POST", "/qvrpro/qshare/StreamingOutput/channel/"
      .. channels[1].guid .. "/stream/0/liveStream?sid=" .. sid, '{"protocol": "rtsp"}')
    assert.equal(200, status)
    assert.equal("application/json", ctype)
    local uri = h.json(body).resourceUris
    assert.equal("string", type(uri))
    assert.equal("rtsp://", uri:sub(1, 7))
    local with_creds = uri:sub(1, 7) .. "admin:admin@" .. uri:sub(8)
    local out, ok = h.capture("timeout 60 ffprobe -v error -rtsp_transport tcp -of json "
      .. "-show_entries stream=codec_name " .. h.shell_quote(with_creds) .. " 2>&1")
    assert(ok, out)
    assert.equal("h264", h.json(out).streams[1].codec_name)

    -- services qvr_pro.start_record / stop_record: PUT, success is True
    for _, action in ipairs({ "start", "stop" }) do
      body, status, ctype = curl(sim, "PUT", "/qvrpro/camera/mrec/" .. guid .. "/" .. action
        .. "?sid=" .. sid .. "&ver=1.1.0")
      assert.equal(200, status)
      assert.equal("application/json", ctype)
      assert.is_true(h.json(body).success)
    end

    -- get_recording: time, pre_period 10000, post_period 0, stream 0, video/mp4
    local t = (h.now_ms() // 60000) * 60000 - 300000 + 20000
    local path = os.tmpname()
    local _, st, ct = h.curl(sim.url(("/qvrpro/camera/recordingfile/%s/0?sid=%s&ver=1.1.0"
      .. "&time=%d&pre_period=10000&post_period=0"):format(guid, sid, t)),
      { args = "-o " .. h.shell_quote(path), max_time = 60 })
    assert.equal(200, st)
    assert.equal("video/mp4", ct)
    local streams, _, format = h.probe(path)
    os.remove(path)
    assert.equal("h264", streams[1].codec_name)
    assert.is_true(math.abs(tonumber(format.duration) - 10) <= 0.1)
  end)
end)

describe("go-qvrpro", function()
  local sim, sid
  local guid = "00089BF9B26200089BF9B26200080000"
  local S = h.with_sim({ "--quirk", "qplay_version_line" }, { connect = false, login = "admin" })
  setup(function() sim, sid = S.sim, S.sid end)

  it("lists cameras with ver=1.2.0 and reads the capability with its act", function()
    local body, status, ctype = curl(sim, "GET", "/qvrpro/camera/list?sid=" .. sid .. "&ver=1.2.0")
    assert.equal(200, status)
    assert.equal("application/json", ctype)
    assert.equal(guid, h.json(body).datas[1].guid)
    body, status, ctype = curl(sim, "GET", "/qvrpro/camera/capability?sid=" .. sid
      .. "&ver=1.2.0&act=get_camera_capability")
    assert.equal(200, status)
    assert.equal("application/json", ctype)
    local cap = h.json(body)
    assert.equal("table", type(cap.cameraControl))
    assert.equal(guid, cap.cameraControl[1].guids[1].guid)
  end)

  it("gets past frames with image_ts, different times giving different pictures", function()
    local t = (h.now_ms() // 1000) * 1000 - 120000
    local function snap(ms)
      local body, status, ctype = curl(sim, "GET", ("/qvrpro/camera/snapshot/%s?sid=%s&ver=1.2.0"
        .. "&image_ts=%d"):format(guid, sid, ms))
      assert.equal(200, status)
      assert.equal("image/jpeg", ctype)
      return body
    end
    local a = snap(t)
    assert.equal(a, snap(t))
    assert.not_equal(a, snap(t + 2000))
  end)

  it("drives qplay with the version line first: code on line 2, session on line 3", function()
    local function qplay(query)
      local body, status = h.curl(sim.url("/qvrpro/apis/qplay.cgi?ver=v1&sid=" .. sid .. "&" .. query),
        { max_time = 3 })
      assert.equal(200, status)
      return body
    end
    local start = (h.now_ms() // 1000) * 1000 - 600000
    local lines = {}
    for l in qplay(("cmd=open&ch_sid=%s&start_time=%d&query_type=0&recording_type=0&stream=0"
      .. "&data_type=0"):format(guid, start)):gmatch("([^\n]*)\n") do lines[#lines + 1] = l end
    assert.equal(3, #lines)
    assert.equal("0", lines[2])
    local session = lines[3]
    assert.matches("^%x+$", session)
    local function code_of(body) return body:match("^[^\n]*\n([^\n]*)\n") end
    assert.equal("0", code_of(qplay("cmd=seek&session=" .. session .. "&seek_time=" .. start)))
    assert.equal("0", code_of(qplay("cmd=play&session=" .. session)))
    local data = qplay("cmd=get&session=" .. session .. "&data_type=0")
    local ver, code, name, ts, len = data:match("^([^\n]*)\n([^\n]*)\n([^\n]*)\n(%d+)\n(%d+)\n")
    assert.equal(lines[1], ver)
    assert.equal("0", code)
    assert.equal("Front Door", name)
    assert.is_true(tonumber(ts) >= start)
    assert.is_true(tonumber(len) > 0)
    assert.truthy(data:find("\xFF\xD8", 1, true))
  end)
end)
