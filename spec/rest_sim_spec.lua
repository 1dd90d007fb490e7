-- The simulator's REST family over plain HTTP with curl, as docs/REST.md
-- records real servers answering: shapes, types, statuses, Content-Type,
-- error bodies, 405s, the permission user, the three --api modes, the RTSP
-- server behind the handed-out URL and the recordingfile MP4s.
local h = require "helpers"

local FRONT = "00089BF9B26200089BF9B26200080000"  -- H.264 720p 10 fps, alarm output
local YARD = "8FBC58E2F7274AF3B6F6761E90FB0001"   -- H.264 360p 10 fps, PTZ, not recording
local GARAGE = "4A1E0C7D9B3F4E21A5C6D7E8F9000002" -- MJPEG 5 fps
local LOBBY = "C0FFEE00112233445566778899AA0003"  -- disconnected

--- A REST call: method, path below /qvrpro/, optional JSON body; returns
-- body, status, content type.
local function call(sim, method, path, body)
  return h.request(sim, method, "/qvrpro/" .. path, body)
end

--- Asserts a 0xB1 error answer and returns its decoded body.
local function assert_b1(code, body, status, ctype)
  assert.equal(403, status)
  assert.equal("application/json", ctype)
  local j = h.json(body)
  assert.is_false(j.success)
  assert.equal(code, j.error_code)
  assert.equal("string", type(j.error_message))
  return j
end

--- The minute that started at least 10 minutes ago (inside every camera's recording).
local function past_minute()
  return (h.now_ms() // 60000) * 60000 - 10 * 60000
end

local sorted_keys = h.sorted_keys

--- The packets of stream 0 (the video) of an h.probe answer.
local function video_packets(packets)
  local v = {}
  for _, p in ipairs(packets) do if p.stream == 0 then v[#v + 1] = p end end
  return v
end

local function probe_url(url)
  local out, ok = h.capture("timeout 60 ffprobe -v error -rtsp_transport tcp -of json "
    .. "-show_entries stream=codec_name,width,height " .. h.shell_quote(url) .. " 2>&1")
  return ok and h.json(out) or nil, out
end

describe("simulator REST family (--api both)", function()
  local sim, sid
  local S = h.with_sim({}, { connect = false, login = "admin" })
  setup(function() sim, sid = S.sim, S.sid end)

  describe("camera/list", function()
    it("lists datas with the recorded key types, success the string true", function()
      for _, ver in ipairs({ "1.1.0", "1.2.0" }) do
        local body, status, ctype = call(sim, "GET", "camera/list?sid=" .. sid .. "&ver=" .. ver)
        assert.equal(200, status)
        assert.equal("application/json", ctype)
        local j = h.json(body)
        assert.equal("true", j.success)
        assert.equal(4, #j.datas)
        assert.equal(4, j.total_channel_num)
        assert.is_nil(j.data)
        local c = j.datas[1]
        assert.equal(0, c.channel_index)
        assert.equal(FRONT, c.guid)
        assert.equal("string", type(c.port))
        assert.equal("string", type(c.frame_rate))
        assert.equal("number", type(c.bit_rate))
        assert.equal("H264", c.video_codec_setting)
        assert.equal("1280x720", c.video_resolution_setting)
        assert.equal("NVR_CAM_CONNECTED", c.status)
        assert.equal("RECORDING", c.rec_state)
        assert.equal(1, #c.stream_state)
        assert.equal("number", type(c.stream_state[1].frame_rate))
        assert.equal("MJPEG", j.datas[3].video_codec_setting)
        local lobby = j.datas[4]
        assert.equal("NVR_CAM_DISCONNECTED", lobby.status)
        assert.equal("-1", lobby.frame_rate)
        assert.equal(-1, lobby.bit_rate)
        assert.same({}, lobby.stream_state)
      end
    end)

    it("carries the recorded Server and X-Frame-Options headers, chunked", function()
      local out = h.capture("curl -s -D - -o /dev/null " .. h.shell_quote(sim.url(
        "/qvrpro/camera/list?sid=" .. sid .. "&ver=1.1.0")))
      assert.matches("\r\nServer: Apache\r\n", out)
      assert.matches("\r\nX%-Frame%-Options: SAMEORIGIN\r\n", out)
      assert.matches("\r\nTransfer%-Encoding: chunked\r\n", out)
      assert.not_matches("Content%-Length", out)
    end)

    it("is one line with datas first", function()
      local body = call(sim, "GET", "camera/list?sid=" .. sid .. "&ver=1.1.0")
      assert.not_matches("\n", body)
      assert.matches('^{"datas":', body)
    end)

    it("takes a missing ver, filters by guid and refuses an unknown guid or version", function()
      local j = h.json((call(sim, "GET", "camera/list?sid=" .. sid)))
      assert.equal(4, #j.datas)
      j = h.json((call(sim, "GET", "camera/list?sid=" .. sid .. "&ver=1.1.0&guid=" .. GARAGE)))
      assert.equal(1, #j.datas)
      assert.equal("Garage", j.datas[1].name)
      assert.equal(1, j.total_channel_num)
      assert_b1(-1325400061, call(sim, "GET", "camera/list?sid=" .. sid .. "&guid=FFFF"))
      local e = assert_b1(-1325400064, call(sim, "GET", "camera/list?sid=" .. sid .. "&ver=2.0.0"))
      assert.equal("API version not supported", e.error_message)
    end)

    it("answers a bad sid with the real auth-failed body", function()
      local body, status, ctype = call(sim, "GET", "camera/list?sid=nosuch00&ver=1.1.0")
      local e = assert_b1(-1325400063, body, status, ctype)
      assert.equal("Authorization failed", e.error_message)
      assert.equal('{\n"success":false,\n"error_code":-1325400063,\n"error_message":'
        .. '"Authorization failed"\n}\n', body)
    end)
  end)

  describe("capability", function()
    it("has cameraControl for the camera act, no success key, the recorded shapes", function()
      local body, status, ctype = call(sim, "GET", "camera/capability?sid=" .. sid
        .. "&ver=1.2.0&act=get_camera_capability")
      assert.equal(200, status)
      assert.equal("application/json", ctype)
      assert.matches("\n\t", body)
      local j = h.json(body)
      assert.is_nil(j.success)
      assert.equal(8, #j.alarm_input)
      assert.equal(7, j.alarm_input[8].index)
      assert.equal("PIR Detection", j.alarm_pir.name)
      assert.equal("Motion Detection", j.camera_motion[1].name)
      assert.equal(3, #j.camera_motion[1].guids)
      assert.equal(1, #j.alarm_output)
      assert.equal(FRONT, j.alarm_output[1].guid)
      assert.equal(1, j.alarm_output[1].output_type[1].type)
      assert.equal("Cross Line", j.iva_crossline_manual.name)
      local guids = j.cameraControl[1].guids
      assert.equal(4, #guids)
      assert.is_false(guids[1].support_preset_points)
      assert.is_true(guids[2].support_preset_points)
    end)

    it("has no cameraControl for the event act and refuses another act", function()
      local j = h.json((call(sim, "GET", "camera/capability?sid=" .. sid
        .. "&ver=1.1.0&act=get_event_capability")))
      assert.is_nil(j.cameraControl)
      assert.equal(8, #j.alarm_input)
      assert_b1(-1325400061, call(sim, "GET", "camera/capability?sid=" .. sid .. "&act=x"))
    end)
  end)

  describe("support, search, test", function()
    it("support lists brands with numeric values and UMSID models", function()
      local j = h.json((call(sim, "GET", "camera/support?sid=" .. sid .. "&ver=1.1.0")))
      assert.is_true(j.success)
      assert.equal(4, #j.brands)
      assert.equal("VIVOTEK", j.brands[1].text)
      assert.equal(0, j.brands[1].value)
      assert.equal("0000000100400002", j.brands[1].models[1].value)
    end)

    it("search finds the cameras with vender, mac_addr and a numeric port", function()
      local j = h.json((call(sim, "GET", "camera/search?sid=" .. sid .. "&ver=1.1.0")))
      assert.is_true(j.success)
      assert.equal(4, j.counter)
      assert.equal("AXIS", j.data[2].vender)
      assert.equal("ac:cc:8e:11:22:33", j.data[2].mac_addr)
      assert.equal(8000, j.data[3].port)
    end)

    it("test connects a configured camera, else a camera-test error", function()
      local q = "camera/test?sid=" .. sid .. "&ver=1.1.0&ipcam_port=80&ipcam_username=u"
        .. "&ipcam_password=p&ipcam_rtsp_port=554"
      local body, status = call(sim, "GET", q .. "&ipcam_umsid=0000000100400002&ipcam_address=10.64.104.143")
      assert.equal(200, status)
      assert.is_true(h.json(body).success)
      assert_b1(-1325400051,
        call(sim, "GET", q .. "&ipcam_umsid=0000000200510007&ipcam_address=10.64.104.143"))
      assert_b1(-1325400055,
        call(sim, "GET", q .. "&ipcam_umsid=0000000400300021&ipcam_address=10.64.104.146"))
      assert_b1(-1325400055, call(sim, "GET", q .. "&ipcam_umsid=0000000100400002&ipcam_address=10.9.9.9"))
      assert_b1(-1325400061, call(sim, "GET", "camera/test?sid=" .. sid .. "&ipcam_address=10.64.104.143"))
    end)
  end)

  describe("snapshot", function()
    it("is a JPEG with exactly image/jpeg", function()
      local body, status, ctype =
        call(sim, "GET", "camera/snapshot/" .. FRONT .. "?sid=" .. sid .. "&ver=1.1.0")
      assert.equal(200, status)
      assert.equal("image/jpeg", ctype)
      assert.equal("\xFF\xD8\xFF", body:sub(1, 3))
    end)

    it("with image_ts is the recorded frame of that time, deterministic", function()
      local t = past_minute() + 20000
      local function at(guid, ms)
        local body, status, ctype = call(sim, "GET", ("camera/snapshot/%s?sid=%s&ver=1.2.0&image_ts=%d")
          :format(guid, sid, ms))
        assert.equal(200, status)
        assert.equal("image/jpeg", ctype)
        assert.equal("\xFF\xD8", body:sub(1, 2))
        return body
      end
      local a, b = at(FRONT, t), at(FRONT, t + 1000)
      assert.equal(a, at(FRONT, t))
      assert.equal(a, at(FRONT, t + 50)) -- the same frame (100 ms apart)
      assert.not_equal(a, b)
      assert.not_equal(a, (call(sim, "GET", "camera/snapshot/" .. FRONT .. "?sid=" .. sid)))
      local png = os.tmpname()
      h.write_file(png, a)
      local streams = h.probe(png)
      os.remove(png)
      assert.equal(1280, streams[1].width)
      -- MJPEG: the recorded JPEG itself, byte for byte
      local frames = h.archive(sim, GARAGE, t, t, false)
      assert.equal(1, #frames)
      assert.equal(frames[1].crc32, h.crc32(at(GARAGE, t + 100)))
    end)

    it("ignores junk image_ts and go's ts, refuses a time without recording", function()
      local live = call(sim, "GET", "camera/snapshot/" .. FRONT .. "?sid=" .. sid)
      assert.equal(live, (call(sim, "GET", "camera/snapshot/" .. FRONT .. "?sid=" .. sid
        .. "&image_ts=%3Cbound%20method%3E")))
      assert.equal(live, (call(sim, "GET", "camera/snapshot/" .. FRONT .. "?sid=" .. sid .. "&ts=5")))
      assert_b1(-1325400058, call(sim, "GET", ("camera/snapshot/%s?sid=%s&image_ts=%d")
        :format(FRONT, sid, h.now_ms() + 3600000)))
      assert_b1(-1325400058, call(sim, "GET", "camera/snapshot/" .. LOBBY .. "?sid=" .. sid))
      assert_b1(-1325400061, call(sim, "GET", "camera/snapshot/0000?sid=" .. sid))
    end)
  end)

  describe("mrec, alarm, ptz", function()
    local function rec_state(guid)
      local j = h.json((call(sim, "GET", "camera/list?sid=" .. sid .. "&guid=" .. guid)))
      return j.datas[1].rec_state
    end

    it("PUT mrec start/stop answers the recorded body and changes rec_state", function()
      assert.equal("NOT_RECORDING", rec_state(YARD))
      local body, status, ctype = call(sim, "PUT", "camera/mrec/" .. YARD .. "/start?ver=1.1.0&sid=" .. sid)
      assert.equal(200, status)
      assert.equal("application/json", ctype)
      assert.equal('{\n"success":true\n}\n', body)
      assert.is_true(h.json(body).success)
      assert.equal("RECORDING", rec_state(YARD))
      body = call(sim, "PUT", "camera/mrec/" .. YARD .. "/stop?sid=" .. sid .. "&ver=1.1.0")
      assert.is_true(h.json(body).success)
      assert.equal("NOT_RECORDING", rec_state(YARD))
      assert_b1(-1325400061, call(sim, "PUT", "camera/mrec/" .. YARD .. "/pause?sid=" .. sid))
      assert_b1(-1325400060, call(sim, "PUT", "camera/mrec/" .. LOBBY .. "/start?sid=" .. sid))
    end)

    it("alarm works on the camera with an alarm output only", function()
      local body, status = call(sim, "PUT", "camera/alarm/" .. FRONT .. "/start?sid=" .. sid .. "&ver=1.1.0")
      assert.equal(200, status)
      assert.is_true(h.json(body).success)
      assert.is_true(h.json((call(sim, "PUT", "camera/alarm/" .. FRONT .. "/stop?sid=" .. sid))).success)
      local e = assert_b1(-1325400032, call(sim, "PUT", "camera/alarm/" .. YARD .. "/start?sid=" .. sid))
      assert.equal("Failed to send output cmd", e.error_message)
    end)

    it("ptz answers hex-string error codes without success", function()
      local function ptz(guid, action, extra)
        local path = ("ptz/v1/channel_list/%s/ptz/action_list/%s/invoke?sid=%s%s")
          :format(guid, action, sid, extra or "")
        local body, status, ctype = call(sim, "PUT", path)
        assert.equal(200, status)
        assert.equal("application/json", ctype)
        local j = h.json(body)
        assert.is_nil(j.success)
        return j.error_code, j.error_message
      end
      assert.same({ "0x0", "Success" }, { ptz(YARD, "up") })
      assert.equal("0x0", ptz(YARD, "zoom_in"))
      assert.equal("0x0", ptz(YARD, "start_move", "&direction=left"))
      assert.equal("0x0", ptz(YARD, "stop_move", "&direction=left"))
      assert.equal("0x96020001", ptz(YARD, "start_move"))
      assert.equal("0x96020001", ptz(YARD, "spin"))
      assert.equal("0x96020003", ptz(FRONT, "up"))
      local body = call(sim, "PUT", "ptz/v1/channel_list/" .. YARD .. "/ptz/action_list/up/invoke?sid=bad")
      assert.equal("0x96020004", h.json(body).error_code)
    end)
  end)

  describe("recordingfile", function()
    local function fetch(guid, stream, query)
      local path = os.tmpname()
      local _, status, ctype = h.curl(sim.url(("/qvrpro/camera/recordingfile/%s/%s?sid=%s&%s")
        :format(guid, stream, sid, query)), { args = "-o " .. h.shell_quote(path), max_time = 60 })
      return path, status, ctype
    end

    it("time/pre_period/post_period gives an MP4 of that duration", function()
      local t = past_minute() + 30000
      local path, status, ctype =
        fetch(FRONT, 0, ("ver=1.1.0&time=%d&pre_period=10000&post_period=0"):format(t))
      assert.equal(200, status)
      assert.equal("video/mp4", ctype)
      local streams, packets, format = h.probe(path)
      os.remove(path)
      assert.equal(2, #streams) -- video, and the camera's AAC audio
      assert.equal("h264", streams[1].codec_name)
      assert.equal(1280, streams[1].width)
      assert.equal("aac", streams[2].codec_name)
      assert.is_true(math.abs(tonumber(format.duration) - 10) <= 0.1)
      assert.equal(100, #video_packets(packets))
      assert.is_true(packets[1].key)
    end)

    it("start_time/end_time across a minute returns only the first recording file", function()
      local m = past_minute()
      local path, status =
        fetch(FRONT, 1, ("ver=1.2.0&start_time=%d&end_time=%d"):format(m + 50000, m + 70000))
      assert.equal(200, status)
      local _, packets, format = h.probe(path)
      os.remove(path)
      assert.is_true(math.abs(tonumber(format.duration) - 10) <= 0.1)
      assert.equal(100, #video_packets(packets))
      -- the next piece starts at the minute
      path = fetch(FRONT, 1, ("ver=1.2.0&start_time=%d&end_time=%d"):format(m + 60000, m + 70000))
      _, packets, format = h.probe(path)
      os.remove(path)
      assert.is_true(math.abs(tonumber(format.duration) - 10) <= 0.1)
      assert.equal(100, #video_packets(packets))
    end)

    it("remuxes an MJPEG camera and cuts from the frame at the start", function()
      local t = past_minute() + 5000
      local path, status = fetch(GARAGE, 0, ("time=%d&pre_period=2000&post_period=3000"):format(t))
      assert.equal(200, status)
      local streams, packets, format = h.probe(path)
      os.remove(path)
      assert.equal("mjpeg", streams[1].codec_name)
      assert.equal(25, #packets)
      assert.is_true(math.abs(tonumber(format.duration) - 5) <= 0.2)
      local first = h.archive(sim, GARAGE, t - 2000, t - 2000, false)[1]
      assert.equal(first.size, packets[1].size)
    end)

    it("refuses bad ranges and times without recordings", function()
      local t = past_minute()
      local function err(code, guid, stream, query)
        local path, status, ctype = fetch(guid, stream, query)
        local body = h.read_file(path)
        os.remove(path)
        assert_b1(code, body, status, ctype)
      end
      err(-1325400061, FRONT, 0, ("time=%d&pre_period=50000&post_period=20000"):format(t))
      err(-1325400061, FRONT, 0, ("time=%d&pre_period=500&post_period=500"):format(t))
      err(-1325400061, FRONT, 0, "time=" .. t)
      err(-1325400061, FRONT, 2, ("start_time=%d&end_time=%d"):format(t, t + 5000))
      err(-1325400061, FRONT, 0, ("start_time=%d&end_time=%d"):format(t, t))
      err(-1325400060, FRONT, 0, ("start_time=%d&end_time=%d"):format(h.now_ms() + 60000, h.now_ms() + 70000))
    end)
  end)

  describe("StreamingOutput", function()
    it("channels carry exactly five keys with an integer channel_index", function()
      local body, status, ctype = call(sim, "GET", "qshare/StreamingOutput/channels?sid=" .. sid)
      assert.equal(200, status)
      assert.equal("application/json", ctype)
      local j = h.json(body)
      assert.equal("StreamingOutput#channels", j.respType)
      assert.equal(8, j.total_channel_num)
      assert.equal(4, j.used_channel_num)
      assert.equal(4, #j.channels)
      for i, ch in ipairs(j.channels) do
        assert.equal("brand,channel_index,guid,model,name", sorted_keys(ch))
        assert.equal(i - 1, math.tointeger(ch.channel_index))
      end
    end)

    it("streams use camelCase channelIndex and an empty frameRate", function()
      local j = h.json((call(sim, "GET",
        "qshare/StreamingOutput/channel/" .. YARD .. "/streams?sid=" .. sid)))
      assert.equal("StreamingOutput#streams", j.respType)
      assert.equal(1, j.channelIndex)
      assert.equal(YARD, j.guid)
      local s = j.streams[1]
      assert.equal(0, s.stream)
      assert.equal("640x360", s.resolution)
      assert.equal("", s.frameRate)
      assert.equal("", s.quality)
      assert.equal("H264", s.videoCodec)
      local body, status = call(sim, "GET", "qshare/StreamingOutput/channel/FFFF/streams?sid=" .. sid)
      assert.equal(404, status)
      assert.equal(404, h.json(body).errorCode)
    end)

    it("liveStream rtsp answers a working rtsp:// URL, again on a repeat POST", function()
      local path = "qshare/StreamingOutput/channel/" .. FRONT .. "/stream/0/liveStream?sid=" .. sid
      local body, status, ctype = call(sim, "POST", path, '{"protocol": "rtsp"}')
      assert.equal(200, status)
      assert.equal("application/json", ctype)
      assert.matches('\n    "potocol"', body)
      local j = h.json(body)
      assert.equal("StreamingOutput#liveStream", j.respType)
      assert.equal("RTSP", j.potocol)
      assert.equal(0, j.channelIndex)
      assert.equal(0, j.stream)
      assert.is_nil(j.streamingToken)
      assert.equal(("rtsp://127.0.0.1:%d/channel1"):format(sim.rtsp_port), j.resourceUris)
      assert.equal(200, select(2, call(sim, "POST", path, '{"protocol": "RTSP"}')))
      local probe, out = probe_url(j.resourceUris)
      assert(probe, out)
      assert.equal("h264", probe.streams[1].codec_name)
      assert.equal(1280, probe.streams[1].width)
      assert.equal(720, probe.streams[1].height)
    end)

    it("the RTSP server streams an MJPEG camera and has no disconnected one", function()
      local j = h.json((call(sim, "POST", "qshare/StreamingOutput/channel/" .. GARAGE
        .. "/stream/0/liveStream?sid=" .. sid, '{"protocol": "rtsp"}')))
      assert.equal(("rtsp://127.0.0.1:%d/channel3"):format(sim.rtsp_port), j.resourceUris)
      local probe, out = probe_url(j.resourceUris)
      assert(probe, out)
      assert.equal("mjpeg", probe.streams[1].codec_name)
      assert.equal(320, probe.streams[1].width)
      assert.is_nil(probe_url(("rtsp://127.0.0.1:%d/channel4"):format(sim.rtsp_port)))
    end)

    it("hls hands out a token URL once until DELETE; DELETE rtsp is 204", function()
      local path = "qshare/StreamingOutput/channel/" .. YARD .. "/stream/0/liveStream?sid=" .. sid
      local body, status = call(sim, "POST", path, '{"protocol": "hls"}')
      assert.equal(200, status)
      local j = h.json(body)
      assert.equal("HLS", j.potocol)
      assert.matches("^%x+$", j.streamingToken)
      assert.equal(32, #j.streamingToken)
      assert.equal(("http://127.0.0.1:%d/qvrpro/hls/%s.m3u8"):format(sim.port, j.streamingToken),
        j.resourceUris)
      body, status = call(sim, "POST", path, '{"protocol": "hls"}')
      assert.equal(409, status)
      assert.equal("StreamingOutput#liveStream", h.json(body).respType)
      local rtmp = h.json((call(sim, "POST", path, '{"protocol": "rtmp"}')))
      assert.equal(("http://127.0.0.1:%d/qvrpro/rtmp/%s"):format(sim.port, rtmp.streamingToken),
        rtmp.resourceUris)
      assert.equal(404, select(2, call(sim, "DELETE", path, '{"token": "0123"}')))
      body, status = call(sim, "DELETE", path, '{"token": "' .. j.streamingToken .. '"}')
      assert.equal(204, status)
      assert.equal("", body)
      assert.equal(200, select(2, call(sim, "POST", path, '{"protocol": "hls"}')))
      local rtsp_path = "qshare/StreamingOutput/channel/" .. YARD .. "/stream/rtsp/liveStream?sid=" .. sid
      assert.equal(204, select(2, call(sim, "DELETE", rtsp_path, '{"token": null}')))
      assert.equal(204, select(2, call(sim, "DELETE", rtsp_path)))
    end)

    it("refuses a bad protocol, stream, guid or sid in its own error family", function()
      local base = "qshare/StreamingOutput/channel/"
      local function post(guid, n, proto)
        return select(2, call(sim, "POST", base .. guid .. "/stream/" .. n .. "/liveStream?sid=" .. sid,
          '{"protocol": "' .. proto .. '"}'))
      end
      local body, status = call(sim, "POST", base .. FRONT .. "/stream/0/liveStream?sid=" .. sid,
        '{"protocol": "dash"}')
      assert.equal(400, status)
      assert.equal("StreamingOutput#liveStream", h.json(body).respType)
      assert.equal(404, post(FRONT, 1, "rtsp"))
      assert.equal(404, post("FFFF", 0, "rtsp"))
      assert.equal(500, post(GARAGE, 0, "hls"))
      assert.equal(200, post(FRONT, 0, "rtsp"))
      body, status = call(sim, "GET", "qshare/StreamingOutput/channels?sid=bad")
      assert.equal(401, status)
      local j = h.json(body)
      assert.equal("StreamingOutput#channels", j.respType)
      assert.equal(401, j.errorCode)
      assert.equal("string", type(j.message))
    end)
  end)

  it("answers 405 to a method a path does not take", function()
    local cases = {
      { "POST", "camera/list?sid=" .. sid },
      { "GET", "camera/mrec/" .. FRONT .. "/start?sid=" .. sid },
      { "PUT", "camera/snapshot/" .. FRONT .. "?sid=" .. sid },
      { "PUT", "camera/recordingfile/" .. FRONT .. "/0?sid=" .. sid },
      { "GET", "ptz/v1/channel_list/" .. YARD .. "/ptz/action_list/up/invoke?sid=" .. sid },
      { "GET", "qshare/StreamingOutput/channel/" .. FRONT .. "/stream/0/liveStream?sid=" .. sid },
      { "DELETE", "qshare/StreamingOutput/channels?sid=" .. sid },
      { "PUT", "camera/capability?sid=" .. sid },
    }
    for _, c in ipairs(cases) do
      local _, status = call(sim, c[1], c[2])
      assert.equal(405, status, c[1] .. " " .. c[2])
    end
    assert.equal(404, select(2, call(sim, "GET", "camera/nosuch?sid=" .. sid)))
    assert.equal(200, select(2, h.curl(sim.url("/qvrpro/apis/camera_status.cgi?act=list&sid=" .. sid))))
  end)

  it("answers an expired sid with auth failed", function()
    local s2 = assert(h.login(sim, "admin", "admin"))
    assert.equal(200, select(2, call(sim, "GET", "camera/list?sid=" .. s2)))
    h.control(sim, "expire_sids=1")
    assert_b1(-1325400063, call(sim, "GET", "camera/list?sid=" .. s2))
    sid = assert(h.login(sim, "admin", "admin"))
  end)
end)

describe("simulator REST family: a user without surveillance permission", function()
  local sim, sid
  local S = h.with_sim({}, { connect = false, login = "viewer" })
  setup(function() sim, sid = S.sim, S.sid end)

  it("gets Insufficient permissions on every 0xB1 call", function()
    local t = past_minute()
    for _, p in ipairs({
      { "GET", "camera/list?ver=1.1.0&sid=" },
      { "GET", "camera/capability?act=get_camera_capability&sid=" },
      { "GET", "camera/snapshot/" .. FRONT .. "?sid=" },
      { "PUT", "camera/mrec/" .. FRONT .. "/start?sid=" },
      { "PUT", "camera/alarm/" .. FRONT .. "/start?sid=" },
      { "GET", ("camera/recordingfile/%s/0?time=%d&pre_period=1000&post_period=1000&sid="):format(FRONT, t) },
      { "GET", "camera/support?sid=" },
      { "GET", "camera/search?sid=" },
    }) do
      local body, status, ctype = call(sim, p[1], p[2] .. sid)
      local e = assert_b1(-1325400062, body, status, ctype)
      assert.equal("Insufficient permissions", e.error_message)
    end
  end)

  it("gets 403 Insufficient permission. on StreamingOutput and Auth Fail on PTZ", function()
    local body, status = call(sim, "GET", "qshare/StreamingOutput/channels?sid=" .. sid)
    assert.equal(403, status)
    assert.equal("Insufficient permission.", h.json(body).message)
    body, status = call(sim, "POST", "qshare/StreamingOutput/channel/" .. FRONT
      .. "/stream/0/liveStream?sid=" .. sid, '{"protocol": "rtsp"}')
    assert.equal(403, status)
    assert.equal(403, h.json(body).errorCode)
    body = call(sim, "PUT", "ptz/v1/channel_list/" .. YARD .. "/ptz/action_list/up/invoke?sid=" .. sid)
    assert.equal("0x96020004", h.json(body).error_code)
  end)

  it("prints the code unsigned and drops the comma as 2.2.0.0 did, with the quirks", function()
    h.control(sim, "quirk=code_format=unsigned")
    local body = call(sim, "GET", "camera/list?sid=" .. sid)
    assert.equal(2969567234, h.json(body).error_code)
    h.control(sim, "clear=1&quirk=json_malformed")
    body = call(sim, "GET", "camera/list?sid=" .. sid)
    assert.matches('"error_code":%-1325400062\n"error_message"', body)
    h.control(sim, "clear=1")
  end)
end)

describe("simulator REST family: --api cgi (an old NVR)", function()
  local sim, sid
  local S = h.with_sim({ "--api", "cgi" }, { connect = false, login = "admin" })
  setup(function() sim, sid = S.sim, S.sid end)

  it("answers 404 on every REST path, whatever the method", function()
    for _, p in ipairs({
      { "GET", "camera/list?ver=1.1.0&sid=" },
      { "GET", "camera/capability?act=get_camera_capability&sid=" },
      { "GET", "camera/snapshot/" .. FRONT .. "?sid=" },
      { "PUT", "camera/mrec/" .. FRONT .. "/start?sid=" },
      { "GET", "camera/mrec/" .. FRONT .. "/start?sid=" },
      { "GET", "qshare/StreamingOutput/channels?sid=" },
      { "POST", "qshare/StreamingOutput/channel/" .. FRONT .. "/stream/0/liveStream?sid=" },
      { "PUT", "ptz/v1/channel_list/" .. YARD .. "/ptz/action_list/up/invoke?sid=" },
    }) do
      local _, status = call(sim, p[1], p[2] .. sid, p[1] == "POST" and '{"protocol": "rtsp"}' or nil)
      assert.equal(404, status, p[1] .. " " .. p[2])
    end
  end)

  it("still serves the CGIs", function()
    local body, status = h.curl(sim.url("/qvrpro/apis/camera_status.cgi?act=list&sid=" .. sid))
    assert.equal(200, status)
    assert.equal(4, #h.json(body).datas)
    assert.equal(200,
      select(2, h.curl(sim.url("/qvrpro/apis/getliveimage.cgi?guid=" .. FRONT .. "&sid=" .. sid))))
  end)
end)

describe("simulator REST family: an NVR with API 1.1.0 (--api-version)", function()
  local sim, sid
  local S = h.with_sim({ "--api-version", "1.1.0" }, { connect = false, login = "admin" })
  setup(function() sim, sid = S.sim, S.sid end)

  it("refuses ver=1.2.0, ignores image_ts and refuses start_time/end_time", function()
    assert_b1(-1325400064, call(sim, "GET", "camera/list?sid=" .. sid .. "&ver=1.2.0"))
    assert.equal(200, select(2, call(sim, "GET", "camera/list?sid=" .. sid .. "&ver=1.1.0")))
    local live = call(sim, "GET", "camera/snapshot/" .. FRONT .. "?sid=" .. sid .. "&ver=1.1.0")
    local past = call(sim, "GET", ("camera/snapshot/%s?sid=%s&ver=1.1.0&image_ts=%d")
      :format(FRONT, sid, past_minute()))
    assert.equal(live, past)
    local t = past_minute()
    local path = os.tmpname()
    local _, status = h.curl(sim.url(("/qvrpro/camera/recordingfile/%s/0?sid=%s&ver=1.1.0"
      .. "&start_time=%d&end_time=%d"):format(FRONT, sid, t, t + 5000)), { args = "-o " .. path })
    assert_b1(-1325400061, h.read_file(path), status, "application/json")
    _, status = h.curl(sim.url(("/qvrpro/camera/recordingfile/%s/0?sid=%s&ver=1.1.0"
      .. "&time=%d&pre_period=0&post_period=5000"):format(FRONT, sid, t)), { args = "-o " .. path })
    os.remove(path)
    assert.equal(200, status)
  end)
end)

describe("simulator REST family: faults", function()
  local sim, sid
  local S = h.with_sim({ "--fault", "http500:camera/list", "--fault", "truncate=100:recordingfile" },
                       { connect = false, login = "admin" })
  setup(function() sim, sid = S.sim, S.sid end)

  it("apply to REST paths by target", function()
    local body, status, ctype = call(sim, "GET", "camera/list?sid=" .. sid .. "&ver=1.1.0")
    assert.equal(500, status)
    assert.equal("text/html", ctype)
    assert.matches("500", body)
    assert.equal(200, select(2, call(sim, "GET", "qshare/StreamingOutput/channels?sid=" .. sid)))
    local t = past_minute()
    body, status = call(sim, "GET", ("camera/recordingfile/%s/0?sid=%s&time=%d&pre_period=0"
      .. "&post_period=5000"):format(FRONT, sid, t))
    assert.equal(200, status)
    assert.equal(100, #body)
  end)
end)

describe("simulator REST family: --api rest (REST only)", function()
  local sim, sid
  local S = h.with_sim({ "--api", "rest" }, { connect = false, login = "admin" })
  setup(function() sim, sid = S.sim, S.sid end)

  it("serves REST and answers 404 on the SDK-only CGIs", function()
    assert.equal(200, select(2, call(sim, "GET", "camera/list?ver=1.2.0&sid=" .. sid)))
    assert.equal(200, select(2, call(sim, "PUT", "camera/mrec/" .. FRONT .. "/start?sid=" .. sid)))
    assert.equal(200, select(2, call(sim, "GET", "qshare/StreamingOutput/channels?sid=" .. sid)))
    for _, p in ipairs({ "camera_status.cgi?act=list", "getliveimage.cgi?guid=" .. FRONT,
                         "mrec.cgi?ch=0&act=1" }) do
      assert.equal(404, select(2, h.curl(sim.url("/qvrpro/apis/" .. p .. "&sid=" .. sid))), p)
    end
    -- the calls API 1.x still documents stay
    local body, status = h.curl(sim.url("/qvrpro/apis/qplay.cgi?ver=v1&cmd=open&sid=" .. sid
      .. "&ch_sid=" .. FRONT .. "&start_time=" .. past_minute() .. "&stream_id=0"))
    assert.equal(200, status)
    assert.matches("^v1\n0\n%x+\n$", body)  -- real servers' layout: version, code, session
  end)
end)
