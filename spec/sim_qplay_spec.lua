-- The simulator's playback (qplay.cgi) over plain HTTP with curl: the text
-- layout real servers use by default and the document's as a quirk, and the
-- get faults a client must survive: get_frames=N (batches), get_cut=N (a
-- response cut mid-frame) and get_wait=MS (waits, an empty get at the end),
-- the session's position carrying over from one get to the next.  Frames are
-- parsed here from the bytes (56-byte headers, JPEG records), not by the core.
local h = require "helpers"

local YARD = "8FBC58E2F7274AF3B6F6761E90FB0001"   -- H.264 640x360 + G.711, 10 fps
local GARAGE = "4A1E0C7D9B3F4E21A5C6D7E8F9000002" -- MJPEG 320x240, 5 fps, no audio

--- A code as a text answer prints it: signed 32-bit decimal.
local function signed(code) return tostring(code - (1 << 32)) end

local function lines(body)
  local out = {}
  for l in body:gmatch("([^\n]*)\n") do out[#out + 1] = l end
  return out
end

--- Source frames (data_type=1) from pos on: { {ts=, fourcc=, key=, size=, crc32=}, ... }
-- and the bytes left over after the last complete frame.
local function parse_source(body, pos)
  local frames = {}
  while #body - pos + 1 >= 56 do
    local fourcc, flags, _, _, ts, _, reserved, size = string.unpack("<c4I4I4I4I8c24I4I4", body, pos)
    local data = pos + 56 + reserved
    if data + size - 1 > #body then break end
    frames[#frames + 1] = { ts = ts, fourcc = fourcc, key = flags & 1 == 1, size = size,
                            crc32 = h.crc32(body:sub(data, data + size - 1)) }
    pos = data + size
  end
  return frames, #body - pos + 1
end

--- JPEG records (data_type=0) from pos on: NAME\nTS\nLEN\n + LEN bytes.
local function parse_jpeg(body, pos)
  local frames = {}
  while pos <= #body do
    local name, ts, len, data = body:match("^([^\n]*)\n(%d+)\n(%d+)\n()", pos)
    if not name or data + tonumber(len) - 1 > #body then break end
    assert.equal("\255\216\255", body:sub(data, data + 2))
    frames[#frames + 1] = { ts = tonumber(ts), name = name, size = tonumber(len) }
    pos = data + tonumber(len)
  end
  return frames, #body - pos + 1
end

--- The archive as /sim/frames lists it (data_type 0: the video key frames only).
local function expected(sim, guid, from, to, data_type)
  local out = {}
  for _, f in ipairs(h.archive(sim, guid, from, to)) do
    if data_type == 1 or (f.media == "video" and f.key) then out[#out + 1] = f end
  end
  return out
end

local function assert_frames(want, got, data_type)
  assert.equal(#want, #got, "frame count")
  for i, w in ipairs(want) do
    local g = got[i]
    assert.equal(w.ts, g.ts, "timestamp of frame " .. i)
    if data_type == 1 then
      assert.equal(w.fourcc, g.fourcc, "fourcc of frame " .. i)
      assert.equal(w.size, g.size, "size of frame " .. i)
      assert.equal(w.crc32, g.crc32, "payload of frame " .. i)
    end
  end
end

describe("simulator playback (qplay)", function()
  local sim, sid, t0
  local S = h.with_sim({ "--no-pace" }, { connect = false, login = "admin" })
  setup(function()
    sim, sid = S.sim, S.sid
    -- whole seconds an hour back: key frames fall on whole seconds
    t0 = (os.time() - 3600) * 1000
  end)

  -- every test sets exactly the switches it wants ($QVR_TEST_SIM_ARGS may add some)
  before_each(function() h.control(sim, "clear=1") end)

  local function qplay(query, s)
    local body, status = h.curl((s or sim).url("/qvrpro/apis/qplay.cgi?ver=v1&" .. query))
    assert.equal(200, status)
    return body
  end

  --- Opens a session on [from, to]; returns its id (layout with version line).
  local function open(guid, from, to, data_type, s)
    local body = qplay(("cmd=open&sid=%s&ch_sid=%s&start_time=%d&end_time=%d&stream_id=0"
      .. "&stream=0&data_type=%d"):format(sid, guid, from, to, data_type), s)
    local l = lines(body)
    assert.same({ "v1", "0" }, { l[1], l[2] }, body)
    assert.matches("^[0-9A-F]+$", l[3])
    return l[3]
  end

  local function command(session, cmd, s)
    return lines(qplay("cmd=" .. cmd .. "&session=" .. session, s))
  end

  --- One get: body, curl's exit status (18: the response ended early), seconds.
  local function get(session, s)
    local path = os.tmpname()
    local out = h.capture(("curl -s -g --max-time 30 -o %s -w '%%{time_total}' %s; echo \" $?\"")
      :format(h.shell_quote(path), h.shell_quote((s or sim).url(
        "/qvrpro/apis/qplay.cgi?ver=v1&cmd=get&session=" .. session))))
    local secs, rc = out:match("^(%S+) (%d+)")
    local body = h.read_file(path)
    os.remove(path)
    return body, tonumber(rc), tonumber(secs)
  end

  --- Frames of one get (after "v1\n0\n"), and the bytes of a cut frame.
  local function frames_of_get(body, data_type)
    assert.equal("v1\n0\n", body:sub(1, 5))
    return (data_type == 1 and parse_source or parse_jpeg)(body, 6)
  end

  local GONE = { [signed(0x93010202)] = true, [signed(0x93010203)] = true }

  --- gets until one answers no frame (or, with playclose on, the session is
  -- gone); returns the gets' frame lists, their bodies, and how it ended:
  -- "empty" or the code of the error answer.
  local function drain(session, data_type, s)
    local gets, bodies = {}, {}
    for _ = 1, 300 do
      local body, rc = get(session, s)
      assert.is_true(rc == 0 or rc == 18, "curl exit status " .. rc)
      if rc == 0 and body:sub(1, 5) ~= "v1\n0\n" then
        local l = lines(body)
        assert.equal(2, #l, body)
        assert.is_true(GONE[l[2]], "get answered " .. body)
        return gets, bodies, l[2]
      end
      local frames, left = frames_of_get(body, data_type)
      if #frames == 0 and rc == 0 then
        assert.equal("v1\n0\n", body)
        return gets, bodies, "empty"
      end
      gets[#gets + 1] = frames
      bodies[#bodies + 1] = { body = body, rc = rc, left = left }
    end
    error("too many gets")
  end

  local function concat(gets)
    local all = {}
    for _, g in ipairs(gets) do for _, f in ipairs(g) do all[#all + 1] = f end end
    return all
  end

  describe("text answers", function()
    it("put the CGI version line v1 first by default, then the code, then the session", function()
      local session = open(YARD, t0, t0 + 1000, 1)
      assert.equal(30, #session)
      assert.same({ "v1", "0" }, command(session, "live"))
      assert.same({ "v1", signed(0x93010202) }, command("0123456789ABCDEF0123456789ABCD", "live"))
      assert.same({ "v1", signed(0x93010003) }, lines(qplay("cmd=nope&session=" .. session)))
      assert.same({ "v1", "0" }, command(session, "close"))
    end)

    it("follow the 2017 document's layout (code first, no version line) with qplay_doc_layout", function()
      h.control(sim, "quirk=qplay_doc_layout")
      local l = lines(qplay(("cmd=open&sid=%s&ch_sid=%s&start_time=%d&end_time=%d&stream_id=0"
        .. "&data_type=1"):format(sid, YARD, t0, t0 + 500)))
      assert.equal(2, #l)
      assert.equal("0", l[1])
      assert.matches("^[0-9A-F]+$", l[2])
      local session = l[2]
      assert.same({ "0" }, command(session, "timecontrol&enable=0"))
      local body = get(session)
      assert.equal("0\n", body:sub(1, 2))
      local frames, left = parse_source(body, 3)
      assert.equal(0, left)
      assert_frames(expected(sim, YARD, t0, t0 + 500, 1), frames, 1)
      assert.same({ signed(0x93010202) }, command(session, "live"))
    end)

    it("keep qplay_version_line=TEXT as the version text, unless qplay_doc_layout is on", function()
      h.control(sim, "quirk=qplay_version_line=1.1.0")
      assert.same({ "1.1.0", signed(0x93010104) }, lines(qplay("cmd=live")))
      h.control(sim, "quirk=qplay_doc_layout")
      assert.same({ signed(0x93010104) }, lines(qplay("cmd=live")))
      h.control(sim, "clear=quirks")
      assert.same({ "v1", signed(0x93010104) }, lines(qplay("cmd=live")))
    end)
  end)

  describe("get", function()
    it("streams the whole range in one get by default, then closes the session", function()
      local session = open(YARD, t0, t0 + 2000, 1)
      command(session, "timecontrol&enable=0")
      local body, rc = get(session)
      assert.equal(0, rc)
      local frames, left = frames_of_get(body, 1)
      assert.equal(0, left)
      assert_frames(expected(sim, YARD, t0, t0 + 2000, 1), frames, 1)
      -- playclose is on: the session is gone (0x93010203 while the get still ends)
      local code = command(session, "live")[2]
      assert.is_true(GONE[code], code)
    end)

    -- each kind of get, source (Back Yard, time control off) and JPEG (Garage) alike

    --- With the get fault FAULT on, drains a session on the case's range opened with
    -- playclose off; returns the archive's frames, the session and drain's answers.
    local function drain_case(c, fault)
      h.control(sim, "fault=" .. fault)
      local want = expected(sim, c.guid, t0, t0 + c.to, c.data_type)
      local session = open(c.guid, t0, t0 + c.to, c.data_type)
      if c.timecontrol == false then command(session, "timecontrol&enable=0") end
      command(session, "playclose&enable=0")
      return want, session, drain(session, c.data_type)
    end

    local BATCHES = {
      { "answers at most N frames per get with get_frames=N and continues on the next get",
        guid = YARD, data_type = 1, to = 3000, n = 7, timecontrol = false },
      { "does the same in JPEG mode (data_type=0)", guid = GARAGE, data_type = 0, to = 4000, n = 3,
        frames = 21 },
    }
    for _, c in ipairs(BATCHES) do
      it(c[1], function()
        local want, session, gets, bodies, ending = drain_case(c, "get_frames=" .. c.n)
        if c.frames then assert.equal(c.frames, #want) end
        assert.equal("empty", ending)       -- playclose off: the end is an empty get
        assert.equal(math.ceil(#want / c.n), #gets)
        for i, g in ipairs(gets) do
          assert.equal(0, bodies[i].rc)     -- each ends cleanly
          assert.equal(0, bodies[i].left)   -- after a whole frame
          assert.equal(math.min(c.n, #want - c.n * (i - 1)), #g)
        end
        assert_frames(want, concat(gets), c.data_type)
        -- playclose off: the session stays open at the end
        assert.same({ "v1", "0" }, command(session, "live"))
        assert.same({ "v1", "0" }, command(session, "close"))
      end)
    end

    local CUTS = {
      { "cuts each get after N bytes with get_cut=N and sends the cut frame whole next time",
        guid = YARD, data_type = 1, to = 3000, cut = 25000, timecontrol = false, min_cuts = 3 },
      { "cuts JPEG gets the same way", guid = GARAGE, data_type = 0, to = 4000, cut = 20000,
        min_cuts = 1 },
    }
    for _, c in ipairs(CUTS) do
      it(c[1], function()
        local want, session, gets, bodies = drain_case(c, "get_cut=" .. c.cut)
        assert.equal(18, bodies[1].rc)                 -- the first get is already cut
        local cut = 0
        for i, b in ipairs(bodies) do
          if b.rc == 18 then
            cut = cut + 1
            assert.equal(c.cut, #b.body)               -- exactly N bytes, then the connection ends
            assert.is_true(b.left > 0, "cut mid-frame")
            -- the cut frame is the next get's first, sent whole
            if c.data_type == 1 and b.left >= 24 then
              assert.equal(string.unpack("<I8", b.body, #b.body - b.left + 1 + 16), gets[i + 1][1].ts)
            end
          else
            assert.equal(0, b.left)
          end
        end
        assert.is_true(cut >= c.min_cuts, "cut gets: " .. cut)
        assert_frames(want, concat(gets), c.data_type)
        command(session, "close")
      end)
    end

    it("waits MS before the frames with get_wait=MS and answers an empty get at the end", function()
      h.control(sim, "fault=get_wait=700&fault=get_frames=40")
      local want = expected(sim, YARD, t0, t0 + 1000, 1)
      assert.is_true(#want > 40 and #want <= 80)
      local session = open(YARD, t0, t0 + 1000, 1)
      command(session, "timecontrol&enable=0")
      command(session, "playclose&enable=0")
      local frames, bodies = {}, {}
      for i = 1, 4 do
        local body, rc, secs = get(session)
        assert.equal(0, rc)
        assert.is_true(secs >= 0.69, ("get %d took %.3f s"):format(i, secs))
        bodies[i] = body
        frames[i] = frames_of_get(body, 1)
      end
      assert.equal(40, #frames[1])
      assert.equal(#want - 40, #frames[2])
      assert.equal("v1\n0\n", bodies[3])               -- empty: the end, after the wait
      assert.equal("v1\n0\n", bodies[4])               -- and again
      assert_frames(want, concat(frames), 1)
      -- playclose on: the empty get at the end closes the session
      command(session, "playclose&enable=1")
      assert.equal("v1\n0\n", (get(session)))
      assert.is_true(GONE[command(session, "live")[2]])
    end)

    it("ends each kind of get the same way at end_time with playclose on", function()
      for _, fault in ipairs({ "get_frames=5", "get_cut=12000", "get_wait=50" }) do
        h.control(sim, "clear=faults&fault=" .. fault)
        local session = open(YARD, t0, t0 + 1000, 1)
        command(session, "timecontrol&enable=0")
        local gets, _, ending = drain(session, 1)
        assert.is_true(GONE[ending], fault .. ": " .. ending)
        assert_frames(expected(sim, YARD, t0, t0 + 1000, 1), concat(gets), 1)
        -- later commands: session closing (a get still ending) or gone, as a text answer
        for _, cmd in ipairs({ "live", "play", "close" }) do
          local l = command(session, cmd)
          assert.equal(2, #l)
          assert.equal("v1", l[1])
          assert.is_true(GONE[l[2]], fault .. " " .. cmd .. ": " .. l[2])
        end
      end
      assert.equal(0, h.stats(sim).qplay_open)
    end)

    it("keeps the position between gets, and a seek between them moves it", function()
      h.control(sim, "fault=get_frames=5")
      local session = open(YARD, t0, t0 + 3000, 1)
      command(session, "timecontrol&enable=0")
      local first = frames_of_get((get(session)), 1)
      assert_frames({ table.unpack(expected(sim, YARD, t0, t0 + 3000, 1), 1, 5) }, first, 1)
      assert.same({ "v1", "0" }, command(session, "seek&seek_time=" .. (t0 + 2000)))
      local after = frames_of_get((get(session)), 1)
      assert_frames({ table.unpack(expected(sim, YARD, t0 + 2000, t0 + 3000, 1), 1, 5) }, after, 1)
      command(session, "close")
    end)

    it("leaves the position alone when get_cut strikes inside the code lines", function()
      h.control(sim, "fault=get_cut=3")
      local session = open(YARD, t0, t0 + 500, 1)
      command(session, "timecontrol&enable=0")
      local body, rc = get(session)
      assert.equal(18, rc)
      assert.equal("v1\n", body)
      h.control(sim, "clear=faults")
      local frames, left = frames_of_get((get(session)), 1)
      assert.equal(0, left)
      assert_frames(expected(sim, YARD, t0, t0 + 500, 1), frames, 1)
    end)

    it("rejects bad get fault values", function()
      for _, spec in ipairs({ "get_frames=x", "get_cut", "get_wait=-5" }) do
        local body, status = h.curl(sim.url("/sim/control?fault=" .. spec))
        assert.equal(400, status, spec)
        assert.matches("get_", body)
      end
      local out, ok = h.capture(h.shell_quote(os.getenv("QVRSIM") or (h.root .. "/build/qvrsim"))
        .. " --port 0 --fault get_frames 2>&1")
      assert.is_falsy(ok)
      assert.matches("get_frames", out)
    end)
  end)

  describe("paced (time control on)", function()
    local paced
    setup(function() paced = h.start_sim({}) end)
    teardown(function() paced.stop() end)

    it("continues across get_frames batches at 16x speed, in source and JPEG mode", function()
      local psid = assert(h.login(paced, "admin", "admin"))
      h.control(paced, "clear=1&fault=get_frames=9")
      for _, c in ipairs({ { YARD, 1 }, { GARAGE, 0 } }) do
        local body = h.curl(paced.url(("/qvrpro/apis/qplay.cgi?ver=v1&cmd=open&sid=%s&ch_sid=%s"
          .. "&start_time=%d&end_time=%d&stream_id=0&data_type=%d"):format(psid, c[1], t0, t0 + 2000, c[2])))
        local session = lines(body)[3]
        assert.same({ "v1", "0" }, lines((h.curl(paced.url(
          "/qvrpro/apis/qplay.cgi?ver=v1&cmd=speed&speed=160&session=" .. session)))))
        local gets, _, ending = drain(session, c[2], paced)
        assert.is_true(GONE[ending], ending)  -- playclose on
        for _, g in ipairs(gets) do assert.is_true(#g <= 9) end
        assert_frames(expected(paced, c[1], t0, t0 + 2000, c[2]), concat(gets), c[2])
      end
    end)
  end)

  describe("QVR Elite", function()
    it("answers /qvrentry with is_qvp no and the qvrelite prefix under /qvrelite", function()
      local elite = h.start_sim({ "--prefix", "/qvrelite", "--no-pace" })
      local ok, err = pcall(function()
        h.control(elite, "clear=1")
        local body, status = h.curl(elite.url("/qvrentry"))
        assert.equal(200, status)
        assert.same({ is_qvp = "no", fw_web_ui_prefix = "qvrelite" }, h.json(body))
        local esid = assert(h.login(elite, "admin", "admin"))
        local l = lines((h.curl(elite.url(("/qvrelite/apis/qplay.cgi?ver=v1&cmd=open&sid=%s"
          .. "&ch_sid=%s&start_time=%d&stream_id=0"):format(esid, YARD, t0)))))
        assert.same({ "v1", "0" }, { l[1], l[2] })
        -- the client's prefix discovery finds the Elite prefix, and the API answers under it
        local n = assert(require("qvrpro").connect(h.opts(elite, { prefix = "auto" })))
        assert.equal("/qvrelite", n.prefix)
        assert.equal(4, #assert(n:cameras()))
        n:close()
      end)
      elite.stop()
      assert(ok, err)
      assert.same({ is_qvp = "yes", fw_web_ui_prefix = "qvrpro" },
        h.json((h.curl(sim.url("/qvrentry")))))
    end)
  end)
end)
