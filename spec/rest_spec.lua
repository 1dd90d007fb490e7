-- The REST family in the client (qvrpro.rest, docs/REST.md): every call
-- against the simulator as a current NVR (--api both), a REST-only one
-- (--api rest) and an old one (--api cgi), the fallback between the
-- families both ways, permissions, sid expiry and faults.
local h = require "helpers"
local qvr = require "qvrpro"

local FRONT = "00089BF9B26200089BF9B26200080000"   -- H.264 1280x720, 10 fps, GOP 10
local BACK = "8FBC58E2F7274AF3B6F6761E90FB0001"    -- the PTZ camera
local GARAGE = "4A1E0C7D9B3F4E21A5C6D7E8F9000002"  -- MJPEG 320x240, 5 fps
local LOBBY = "C0FFEE00112233445566778899AA0003"   -- not connected

local function is_jpeg(s) return type(s) == "string" and s:sub(1, 3) == "\xFF\xD8\xFF" end

-- a whole second some minutes back, away from the archive's gap and from now
local function past_second(minutes)
  return (h.now_ms() // 60000 - minutes) * 60000
end

local function rest_requests(sim) return h.stats(sim).requests.rest end

local function alarm_guid(nvr)
  local caps = assert(nvr:capabilities("event"))
  return caps.alarm_output[1] and caps.alarm_output[1].guid
end

for _, mode in ipairs({ "both", "rest", "cgi" }) do
  describe("REST client against --api " .. mode, function()
    local sim, nvr, dir
    local has_rest = mode ~= "cgi"
    setup(function()
      sim = h.start_sim({ "--api", mode })
      nvr = assert(qvr.connect(h.opts(sim)))
      dir = h.tmpdir()
    end)
    teardown(function()
      nvr:close()
      sim.stop()
      h.execute("rm -rf " .. h.shell_quote(dir))
    end)
    after_each(function() h.control(sim, "clear=1") end)

    it("probes the family once and remembers it in nvr.api", function()
      assert.equal(mode == "rest" and "rest" or "cgi", nvr.api)
    end)

    it("lists the same Camera objects with normalised types", function()
      local cams = assert(nvr:cameras())
      assert.equal(4, #cams)
      assert.equal("Front Door", cams[1].name)
      assert.equal(FRONT, cams[1].guid)
      assert.equal(0, cams[1].channel_index)
      assert.equal("integer", math.type(cams[1].port))
      assert.equal("number", type(cams[1].frame_rate))
      assert.is_true(cams[1].connected)
      assert.is_false(cams[4].connected)
      assert.equal("qvrpro.Camera", getmetatable(cams[1]).__name)
      local connected = assert(nvr:cameras{ status = 1 })
      assert.equal(3, #connected)
      local named = assert(nvr:cameras{ name = "door" })
      assert.equal(1, #named)
      assert.equal("Front Door", named[1].name)
    end)

    it("takes a live snapshot", function()
      assert.is_true(is_jpeg(assert(nvr:snapshot("Front Door"))))
      local cam = assert(nvr:camera("Garage"))
      assert.is_true(is_jpeg(assert(cam:snapshot())))
    end)

    it("takes the recorded image at a time: the same time gives the same picture", function()
      local t = past_second(3) + 10000
      local a = assert(nvr:snapshot("Garage", { at = t }))
      local b = assert(nvr:snapshot("Garage", { at = t }))
      local c = assert(nvr:snapshot("Garage", { at = t + 1000 }))
      assert.is_true(is_jpeg(a))
      assert.equal(a, b)
      assert.not_equal(a, c)
      -- the MJPEG camera's recorded frame, byte for byte, in either family
      local frame = h.archive(sim, GARAGE, t, t, false)[1]
      assert.equal(t, frame.ts)
      assert.equal(frame.crc32, h.crc32(a))
      local path = dir .. "/at.jpg"
      assert.equal(path, assert(nvr:snapshot("Garage", { at = t, path = path })))
      assert.equal(a, h.read_file(path))
    end)

    it("starts and stops manual recording", function()
      assert.is_true(assert(nvr:record("Back Yard", true)))
      assert.is_true(assert(nvr:recording("Back Yard")))
      assert.is_true(assert(nvr:record("Back Yard", false)))
      assert.is_false((nvr:recording("Back Yard")))
    end)

    it("writes a clip of the requested duration, across recording files", function()
      local from = past_second(4) + 30000
      local to = from + 100000
      local path = dir .. "/clip.mp4"
      local r = assert(nvr:clip("Front Door", { from = from, to = to, path = path }))
      assert.equal(path, r.path)
      assert.equal(has_rest and "rest" or "cgi", r.api)
      if has_rest then assert.equal(3, r.pieces) end
      assert.same({}, r.gaps)
      assert.is_false(r.partial)
      local streams, packets, format = h.probe(path)
      assert.equal("h264", streams[1].codec_name)
      assert.equal(1280, streams[1].width)
      assert.is_true(math.abs(tonumber(format.duration) - 100) <= 0.1,
        "duration " .. format.duration)
      local video = {}
      for _, p in ipairs(packets) do if p.stream == 0 then video[#video + 1] = p end end
      assert.equal(1000, #video)
      assert.equal(0, video[1].pts)
      assert.is_nil(io.open(path .. ".part"))
    end)

    if has_rest then
      it("reads capabilities of both kinds", function()
        local cam = assert(nvr:capabilities())
        local ev = assert(nvr:capabilities("event"))
        assert.equal(8, #cam.alarm_input)
        assert.equal("PIR Detection", ev.alarm_pir.name)
        assert.truthy(cam.cameraControl)
        assert.is_nil(ev.cameraControl)
        assert.has_error(function() nvr:capabilities("other") end)
      end)

      it("switches an alarm output, and names the failure of a camera without one", function()
        local guid = alarm_guid(nvr)
        assert.truthy(guid)
        assert.is_true(assert(nvr:alarm(guid, true)))
        assert.is_true(assert(nvr:alarm(guid, false)))
        local other = guid == GARAGE and FRONT or GARAGE
        local ok, err = nvr:alarm(other, true)
        assert.is_nil(ok)
        assert.equal("OUTPUT_CMD_FAILED", err.name)
        assert.equal("0xB1000020", err.hex)
        assert.equal(403, err.http_status)
      end)

      it("moves a PTZ camera and refuses bad actions before sending", function()
        local back = assert(nvr:camera(BACK))
        assert.is_true(assert(back:ptz("up")))
        assert.is_true(assert(nvr:ptz(BACK, "start_move", { direction = "left" })))
        assert.is_true(assert(nvr:ptz(BACK, "stop_move", { direction = "left" })))
        local ok, err = nvr:ptz(FRONT, "zoom_in")
        assert.is_nil(ok)
        assert.equal("OPERATION_FAILED", err.name)
        assert.has_error(function() nvr:ptz(BACK, "spin") end)
        assert.has_error(function() nvr:ptz(BACK, "up", { direction = "up" }) end)
        assert.has_error(function() nvr:ptz(BACK, "start_move") end)
      end)

      it("lists StreamingOutput channels with their five keys, and a camera's streams", function()
        local chans = assert(nvr:channels())
        assert.equal(4, #chans)
        assert.same({ channel_index = 0, name = "Front Door", guid = FRONT,
                      brand = chans[1].brand, model = chans[1].model }, chans[1])
        local streams = assert(nvr:streams("Front Door"))
        assert.equal("1280x720", streams[1].resolution)
      end)

      it("hands out an RTSP URL that ffprobe reads, and closes it", function()
        local cam = assert(nvr:camera("Front Door"))
        local url, info = assert(cam:stream_url())
        assert.equal(("rtsp://127.0.0.1:%d/channel1"):format(sim.rtsp_port), url)
        assert.equal("rtsp", info.protocol)
        assert.equal(0, info.channel_index)
        local out, ok = h.capture("timeout 60 ffprobe -v error -rtsp_transport tcp -of json "
          .. "-show_streams " .. h.shell_quote(url))
        assert.truthy(ok, out)
        local j = h.json(out)
        assert.equal("h264", j.streams[1].codec_name)
        assert.equal(1280, j.streams[1].width)
        assert.equal(url, (assert(nvr:stream_url(FRONT, { protocol = "rtsp" }))))  -- repeat: 200
        assert.is_true(assert(cam:close_stream_url()))
      end)

      it("publishes HLS with a token and closes it with that token", function()
        local url, info = assert(nvr:stream_url(FRONT, { protocol = "hls" }))
        assert.matches("^http://127%.0%.0%.1:%d+/qvrpro/hls/%x+%.m3u8$", url)
        assert.equal(32, #info.token)
        local again, err = nvr:stream_url(FRONT, { protocol = "hls" })
        assert.is_nil(again)
        assert.equal("ALREADY_PUBLISHED", err.name)
        assert.equal(409, err.http_status)
        assert.is_true(assert(nvr:close_stream_url(FRONT, { protocol = "hls" })))
        local ok, cerr = nvr:close_stream_url(FRONT, { protocol = "hls", token = info.token })
        assert.is_nil(ok)
        assert.equal("NOT_FOUND", cerr.name)
        assert.has_error(function() nvr:stream_url(FRONT, { protocol = "dash" }) end)
      end)

      it("searches, tests and lists supported cameras as plain tables", function()
        local found = assert(nvr:search_cameras())
        assert.is_true(#found >= 3)
        assert.truthy(found[1].umsid and found[1].address)
        local brands = assert(nvr:camera_support())
        assert.truthy(brands[1].text and brands[1].models[1].value)
        local cams = assert(nvr:cameras())
        assert.is_true(assert(nvr:test_camera{ umsid = cams[1].umsid, address = cams[1].ip }))
        local ok, err = nvr:test_camera{ umsid = cams[1].umsid, address = "192.0.2.1" }
        assert.is_nil(ok)
        assert.equal("CONNECTION_FAILED", err.name)
        assert.has_error(function() nvr:test_camera{ address = "x" } end)
      end)

      it("names REST errors in every code layout the servers print", function()
        local guid = alarm_guid(nvr)
        local other = guid == GARAGE and FRONT or GARAGE
        for _, q in ipairs({ "quirk=json_malformed", "quirk=code_format=unsigned",
                             "quirk=code_format=hex" }) do
          h.control(sim, q)
          local ok, err = nvr:alarm(other, true)
          assert.is_nil(ok)
          assert.equal("OUTPUT_CMD_FAILED", err.name, q)
          h.control(sim, "clear=1")
        end
      end)

      it("logs in again when the sid expires, on GET, PUT and POST calls", function()
        local logins = nvr.logins
        h.control(sim, "fault=expire_sids")
        assert.truthy(assert(nvr:capabilities()))
        h.control(sim, "fault=expire_sids")
        assert.is_true(assert(nvr:ptz(BACK, "down")))
        h.control(sim, "fault=expire_sids")
        assert.truthy(assert(nvr:stream_url(FRONT)))
        assert.equal(logins + 3, nvr.logins)
      end)

      it("reports a server failure as an error, without falling back", function()
        h.control(sim, "fault=http500")
        local ok, err = nvr:capabilities()
        assert.is_nil(ok)
        assert.equal(500, err.http_status)
        h.control(sim, "clear=1")
        assert.truthy(assert(nvr:capabilities()))
      end)

      it("keeps no file when a clip's piece breaks", function()
        local from = past_second(4)
        local path = dir .. "/broken.mp4"
        h.control(sim, "fault=truncate=2000:recordingfile")
        local r, err = nvr:clip(FRONT, { from = from, to = from + 5000, path = path })
        assert.is_nil(r)
        assert.truthy(err.name)
        assert.is_nil(io.open(path))
        assert.is_nil(io.open(path .. ".part"))
      end)
    else
      it("answers NOT_SUPPORTED for calls only the REST family has", function()
        for _, call in ipairs({
          function() return nvr:capabilities() end,
          function() return nvr:alarm(FRONT, true) end,
          function() return nvr:ptz(BACK, "up") end,
          function() return nvr:channels() end,
          function() return nvr:stream_url(FRONT) end,
          function() return nvr:search_cameras() end,
        }) do
          local ok, err = call()
          assert.is_nil(ok)
          assert.equal("NOT_SUPPORTED", err.name)
        end
      end)
    end
  end)
end

describe("REST client fallback", function()
  it("goes from REST to the CGIs on an old NVR and asks REST only once per call", function()
    local sim = h.start_sim({ "--api", "cgi" })
    finally(sim.stop)
    local nvr = assert(qvr.connect(h.opts(sim)))
    local t = past_second(3) + 5000
    local before = rest_requests(sim)
    assert.is_true(is_jpeg(assert(nvr:snapshot("Garage", { at = t }))))
    assert.equal(before + 1, rest_requests(sim))
    assert.is_true(is_jpeg(assert(nvr:snapshot("Garage", { at = t + 200 }))))
    assert.equal(before + 1, rest_requests(sim))
    nvr:close()
    sim.stop()
  end)

  it("goes from the CGIs to REST on a REST-only NVR", function()
    local sim = h.start_sim({ "--api", "rest" })
    local nvr
    finally(function()
      if nvr then nvr:close() end
      sim.stop()
    end)
    nvr = assert(qvr.connect(h.opts(sim)))
    -- the probe asked camera_status.cgi once (404), then camera/list
    assert.equal("rest", nvr.api)
    local before = h.stats(sim).requests
    assert.equal(1, before.camera_status)
    assert.equal(4, #assert(nvr:cameras()))
    -- stream_id asks for the CGI first, which this NVR lacks: REST answers,
    -- and the CGI is not asked again
    assert.is_true(is_jpeg(assert(nvr:snapshot(FRONT, { stream_id = 0 }))))
    assert.is_true(is_jpeg(assert(nvr:snapshot(FRONT, { stream_id = 0 }))))
    local after = h.stats(sim).requests
    assert.equal(before.getliveimage + 1, after.getliveimage)
    assert.equal(1, after.camera_status)
    assert.equal(before.rest + 3, after.rest)
  end)

  it("falls back where an NVR of API 1.1.0 says \"API version not supported\"", function()
    local sim = h.start_sim({ "--api-version", "1.1.0" })
    local nvr, dir
    finally(function()
      if nvr then nvr:close() end
      sim.stop()
      if dir then h.execute("rm -rf " .. h.shell_quote(dir)) end
    end)
    nvr = assert(qvr.connect(h.opts(sim)))
    -- image_ts needs ver=1.2.0: refused with 0xB1000000, so the picture comes from a playback
    local t = past_second(3) + 12000
    local before = h.stats(sim).qplay_opened_total
    local jpeg = assert(nvr:snapshot("Garage", { at = t }))
    assert.equal(h.archive(sim, GARAGE, t, t, false)[1].crc32, h.crc32(jpeg))
    assert.equal(before + 1, h.stats(sim).qplay_opened_total)
    -- recordingfile's start/end form likewise: the clip is an export of the playback
    dir = h.tmpdir()
    local from = past_second(4)
    local r = assert(nvr:clip(FRONT, { from = from, to = from + 5000, path = dir .. "/c.mp4" }))
    assert.equal("cgi", r.api)
    local _, _, format = h.probe(dir .. "/c.mp4")
    assert.is_true(math.abs(tonumber(format.duration) - 5) <= 0.1, format.duration)
    -- calls of 1.1.0 still go to REST
    assert.truthy(assert(nvr:capabilities()))
  end)

  it("sticks to a forced family", function()
    local sim = h.start_sim({ "--api", "cgi" })
    finally(sim.stop)
    local nvr = assert(qvr.connect(h.opts(sim, { api = "rest" })))
    assert.equal("rest", nvr.api)
    local ok, err = nvr:cameras()
    assert.is_nil(ok)
    assert.equal("NOT_SUPPORTED", err.name)
    nvr:close()
    nvr = assert(qvr.connect(h.opts(sim, { api = "cgi" })))
    assert.equal("cgi", nvr.api)
    local before = rest_requests(sim)
    ok, err = nvr:snapshot(FRONT, { at = past_second(2) })
    assert.truthy(ok, err and tostring(err))
    ok, err = nvr:alarm(FRONT, true)
    assert.is_nil(ok)
    assert.equal("NOT_SUPPORTED", err.name)
    assert.equal(before, rest_requests(sim))
    nvr:close()
    assert.has_error(function() qvr.connect(h.opts(sim, { api = "soap" })) end)
    sim.stop()
  end)

  it("finds QVR Elite's prefix and speaks REST below it", function()
    local sim = h.start_sim({ "--api", "rest", "--prefix", "/qvrelite" })
    finally(sim.stop)
    local nvr = assert(qvr.connect(h.opts(sim, { prefix = "auto" })))
    assert.equal("/qvrelite", nvr.prefix)
    assert.equal("rest", nvr.api)
    assert.equal(4, #assert(nvr:cameras()))
    assert.truthy(assert(nvr:channels()))
    nvr:close()
    sim.stop()
  end)
end)

describe("REST client permissions", function()
  local sim, nvr
  setup(function()
    sim = h.start_sim({ "--api", "rest" })
    nvr = assert(qvr.connect(h.opts(sim, { user = "viewer", password = "viewer" })))
  end)
  teardown(function()
    nvr:close()
    sim.stop()
  end)

  it("names every refusal PERMISSION_DENIED, in each error family", function()
    for name, call in pairs({
      cameras = function() return nvr:cameras() end,
      snapshot = function() return nvr:snapshot(FRONT) end,
      capabilities = function() return nvr:capabilities() end,
      channels = function() return nvr:channels() end,
      stream_url = function() return nvr:stream_url(FRONT) end,
      ptz = function() return nvr:ptz(BACK, "up") end,
      record = function() return nvr:record(FRONT, true) end,
    }) do
      local ok, err = call()
      assert.is_nil(ok, name)
      assert.equal("PERMISSION_DENIED", err.name, name .. ": " .. tostring(err))
    end
  end)

  it("is not confused with a missing family", function()
    assert.equal("rest", nvr.api)
    local ok, err = nvr:snapshot(LOBBY)
    assert.is_nil(ok)
    assert.equal("PERMISSION_DENIED", err.name)
  end)
end)
