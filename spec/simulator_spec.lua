-- The simulator itself, over plain HTTP with curl: every endpoint answers as
-- the SDK document and docs/PROTOCOL.md say, and its switches work.
local h = require "helpers"
local core = require "qvrpro.core"

describe("simulator", function()
  local sim, sid
  local S = h.with_sim({ "--sid-idle", "600" }, { connect = false, login = "admin" })
  setup(function() sim, sid = S.sim, S.sid end)

  local function api(path) return h.curl(sim.url("/qvrpro/apis/" .. path)) end

  it("answers a login with CDATA values and an 8-character sid", function()
    local s, body = h.login(sim, "admin", "admin")
    assert.matches("^[a-z0-9]+$", s)
    assert.equal(8, #s)
    assert.matches("<authPassed><!%[CDATA%[1%]%]></authPassed>", body)
    assert.matches("<QDocRoot", body)
  end)

  it("answers a failed login with HTTP 200, authPassed 0 and errorValue -1", function()
    local body, status = h.curl(sim.url("/cgi-bin/authLogin.cgi?user=admin&serviceKey=1&pwd="
      .. h.urlencode(h.base64("wrong"))))
    assert.equal(200, status)
    assert.matches("<authPassed><!%[CDATA%[0%]%]></authPassed>", body)
    assert.matches("<errorValue>%-1</errorValue>", body)
  end)

  it("lists four cameras with the SDK sample's field types", function()
    local body = api("camera_status.cgi?act=list&sid=" .. sid)
    local j = h.json(body)
    assert.is_true(j.success)
    assert.equal(4, #j.datas)
    local c = j.datas[1]
    assert.equal("string", type(c.port))
    assert.equal("string", type(c.frame_rate))
    assert.equal("number", type(c.bit_rate))
    assert.equal(32, #c.guid)
  end)

  it("filters cameras by status and by name", function()
    local j = h.json(api("camera_status.cgi?act=list&status=2&sid=" .. sid))
    for _, c in ipairs(j.datas) do assert.not_equal("NVR_CAM_CONNECTED", c.status) end
    local all = h.json(api("camera_status.cgi?act=list&sid=" .. sid)).datas
    local name = all[1].name
    local part = name:sub(2, 4):lower()
    j = h.json(api("camera_status.cgi?act=list&name=" .. h.urlencode(part) .. "&sid=" .. sid))
    assert.is_true(#j.datas >= 1)
    for _, c in ipairs(j.datas) do assert.truthy(c.name:lower():find(part, 1, true)) end
  end)

  it("answers cpu as an integer", function()
    local j = h.json(api("camera_status.cgi?act=cpu&sid=" .. sid))
    assert.is_true(j.success)
    assert.equal("number", type(j.data))
  end)

  it("refuses calls without a valid sid with the documented code", function()
    local j = h.json(api("camera_status.cgi?act=cpu&sid=nosuchid"))
    assert.is_false(j.success)
    local info = core.code_info(j.error_code)
    assert.equal("AUTH_FAILED", info.name)
  end)

  it("serves a real JPEG snapshot", function()
    local cams = h.json(api("camera_status.cgi?act=list&sid=" .. sid)).datas
    local body, status, ctype = api("getliveimage.cgi?sid=" .. sid .. "&guid=" .. cams[1].guid)
    assert.equal(200, status)
    assert.matches("^image/jpeg", ctype:lower())
    assert.equal("\xFF\xD8\xFF", body:sub(1, 3))
  end)

  it("switches manual recording and logs it", function()
    local cams = h.json(api("camera_status.cgi?act=list&sid=" .. sid)).datas
    local ch = cams[2].channel_index
    assert.is_true(h.json(api(("mrec.cgi?sid=%s&ch=%d&act=1"):format(sid, ch))).success)
    local st = h.json(api(("camera_status.cgi?act=rec_status&sid=%s&guid=%s&stream_id=0")
      :format(sid, cams[2].guid)))
    assert.equal(1, st.rec_status)
    assert.is_true(h.json(api(("mrec.cgi?sid=%s&ch=%d&act=0"):format(sid, ch))).success)
    st = h.json(api(("camera_status.cgi?act=rec_status&sid=%s&guid=%s&stream_id=0")
      :format(sid, cams[2].guid)))
    assert.equal(0, st.rec_status)
  end)

  it("serves logs on the main port and on the logs port, paged and sorted", function()
    for _, base in ipairs({ sim.base, "http://127.0.0.1:" .. sim.logs_port }) do
      local j = h.json(h.curl(base .. "/qvrpro/logs/logs?sid=" .. sid
        .. "&sort_field=time&dir=ASC&start=0&max_results=5"))
      assert.equal(200, j.code)
      assert.equal(5, #j.items)
      assert.is_true(j.totalItems >= 5)
      for i = 2, #j.items do assert.is_true(j.items[i - 1].UTC_time <= j.items[i].UTC_time) end
    end
  end)

  local function live_capture(cam, seconds)
    local body = h.curl(sim.url("/qvrpro/streaming/getstream.cgi?sid=" .. sid .. "&ch_sid="
      .. cam.guid .. "&stream_id=0"), { max_time = seconds })
    -- curl's --max-time cuts the transfer, so the tail may be a partial frame
    local frames, err = core.parse(body)
    assert(err == nil or err.name == "TRUNCATED", tostring(err))
    return frames
  end

  it("streams a live camera paced in real time, with its codec and size", function()
    local cams = h.json(api("camera_status.cgi?act=list&sid=" .. sid)).datas
    local frames = live_capture(cams[1], 2)
    local video = {}
    for _, f in ipairs(frames) do if f.media == "video" then video[#video + 1] = f end end
    assert.is_true(#video >= 10 and #video <= 30, "paced: got " .. #video .. " frames in 2 s")
    for i, f in ipairs(video) do
      assert.equal("h264", f.codec)
      assert.equal(1280, f.width)
      assert.equal(720, f.height)
      if i > 1 then assert.is_true(f.timestamp > video[i - 1].timestamp) end
    end
    local span = video[#video].timestamp - video[1].timestamp
    assert.is_true(span >= 800 and span <= 2200, "timestamps span " .. span .. " ms")
  end)

  it("sends H.264 that decodes with ffprobe once cut out by the parser", function()
    local cams = h.json(api("camera_status.cgi?act=list&sid=" .. sid)).datas
    local path = os.tmpname()
    local out = assert(io.open(path, "wb"))
    local started, n = false, 0
    for _, f in ipairs(live_capture(cams[2], 3)) do
      if f.media == "video" then
        started = started or f.key
        if started then f:write(out); n = n + 1 end
      end
    end
    out:close()
    assert.is_true(n >= 10, "video frames after the first key frame: " .. n)
    local report = h.capture("ffprobe -v error -count_frames -select_streams v:0 -show_entries "
      .. "stream=codec_name,width,height,nb_read_frames -of default=nw=1 -f h264 "
      .. h.shell_quote(path) .. " 2>&1")
    os.remove(path)
    assert.matches("codec_name=h264", report)
    assert.matches("width=640", report)
    assert.matches("nb_read_frames=" .. n, report)
    assert.not_matches("rror", report)
  end)
end)
