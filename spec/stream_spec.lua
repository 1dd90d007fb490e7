-- Frames (SDK section 4): live streams and playback sessions against the
-- simulator's deterministic archive, under quirks and faults.
local h = require "helpers"
local frames_of = h.frames_of
local qvr = require "qvrpro"

-- compares frames with the archive listing: count, timestamps, key flags,
-- fourcc, sizes and a checksum of every payload
local function assert_same_frames(expected, got)
  assert.equal(#expected, #got, "frame count")
  for i, e in ipairs(expected) do
    local f = got[i]
    assert.equal(e.ts, f.timestamp, "timestamp of frame " .. i)
    assert.equal(e.fourcc, f.fourcc, "fourcc of frame " .. i)
    assert.equal(e.size, f.size, "size of frame " .. i)
    assert.equal(e.media, f.media, "media of frame " .. i)
    if e.media == "video" then assert.equal(e.key, f.key, "key flag of frame " .. i) end
    assert.equal(e.crc32, h.crc32(f.data), "payload of frame " .. i)
  end
end

-- an unpaced simulator and a connection to it for the describe block it is
-- called in, Back Yard looked up, the faults cleared after each test: S
-- (S.sim, S.nvr, S.t0, S.yard once its setup has run)
local function playback_sim()
  local S = h.with_sim({ "--no-pace" }, { clear = true })
  setup(function() S.yard = assert(S.nvr:camera("Back Yard")) end)
  return S
end

describe("playback", function()
  local S = playback_sim()
  local sim, nvr, yard, door, t0
  setup(function()
    sim, nvr, yard, t0 = S.sim, S.nvr, S.yard, S.t0
    door = assert(nvr:camera("Front Door"))
  end)

  it("returns exactly the archive's frames of a time range", function()
    local pb <close> = assert(yard:playback{ from = t0, to = t0 + 3000 })
    local got = frames_of(pb)
    local expected = h.archive(sim, yard.guid, t0, t0 + 3000)
    assert.is_true(#expected > 150)
    assert_same_frames(expected, got)
    local video
    for _, f in ipairs(got) do if f.media == "video" then video = f break end end
    assert.equal("h264", video.codec)
    assert.equal(640, video.width)
    assert.equal(360, video.height)
  end)

  it("returns H.264 with AAC audio for another camera", function()
    local got = frames_of(assert(door:playback{ from = t0, to = t0 + 2000, timecontrol = false }))
    assert_same_frames(h.archive(sim, door.guid, t0, t0 + 2000), got)
    local codecs = {}
    for _, f in ipairs(got) do codecs[f.codec] = true end
    assert.is_true(codecs.h264 and codecs.aac)
  end)

  for _, quirk in ipairs({ "fault=chunks=random", "quirk=audio_layout=ext0",
                           "quirk=audio_layout=sizeinc", "quirk=qplay_version_line",
                           "quirk=qplay_version_line=1" }) do
    it("returns the same frames with " .. quirk, function()
      h.control(sim, quirk)
      local got = frames_of(assert(yard:playback{ from = t0, to = t0 + 1500 }))
      assert_same_frames(h.archive(sim, yard.guid, t0, t0 + 1500), got)
    end)
  end

  it("returns JPEG records of the key frames in jpeg mode", function()
    local got = frames_of(assert(yard:playback{ from = t0, to = t0 + 5000, data_type = "jpeg" }))
    local keys = {}
    for _, e in ipairs(h.archive(sim, yard.guid, t0, t0 + 5000, false)) do
      if e.key then keys[#keys + 1] = e end
    end
    assert.equal(#keys, #got)
    for i, f in ipairs(got) do
      assert.equal("jpeg", f.codec)
      assert.equal(keys[i].ts, f.timestamp)
      assert.equal("\xFF\xD8\xFF", f.data:sub(1, 3))
    end
  end)

  it("answers every control command", function()
    local pb <close> = assert(yard:playback{ from = t0, to = t0 + 60000 })
    assert.is_true(assert(pb:seek(t0 + 10000)))
    assert.is_true(assert(pb:play(20)))
    for _, cmd in ipairs({ "pause", "ff", "rew", "next_frame", "prev_frame", "all_frame",
                           "skip_frame", "live" }) do
      assert.is_true(assert(pb[cmd](pb)), cmd)
    end
    assert.is_true(assert(pb:speed(10)))
    assert.is_true(assert(pb:timecontrol(false)))
    assert.is_true(assert(pb:playclose(true)))
    local ok, err = pb:seek(qvr.time.now() + 86400000)
    assert.is_nil(ok)
    assert.equal("SEEK_NO_FILE", err.name)
  end)

  it("keeps a rewind asked for before the first read (no implicit play undoes it)", function()
    local pb <close> = assert(nvr:playback("Garage", { from = t0, to = t0 + 60000 }))
    assert(pb:seek(t0 + 30000))
    assert(pb:rew())
    local a, b = assert(pb:read()), assert(pb:read())
    assert.is_true(a.timestamp <= t0 + 30000)
    assert.is_true(b.timestamp < a.timestamp, "frames go backwards")
  end)

  it("ends at the end of the recording when `to` is later", function()
    local from = qvr.time.now() - 3000
    local got = frames_of(assert(yard:playback{ from = from, to = from + 3600000,
                                               timecontrol = false }))
    assert.is_true(#got > 0)
    assert.is_true(got[#got].timestamp <= qvr.time.now())
  end)

  it("continues over `get`s that drop mid-frame: every frame of the range, once, one session",
     function()
    local expected = h.archive(sim, yard.guid, t0, t0 + 20000)
    local before = h.stats(sim).qplay_opened_total
    h.control(sim, "fault=drop_after=60000:qplay")
    local pb <close> = assert(yard:playback{ from = t0, to = t0 + 20000, timecontrol = false })
    local got = frames_of(pb)
    assert_same_frames(expected, got)
    assert.is_true(pb.transfer.transfers >= 3, "a get per 60000 bytes")
    assert.truthy(pb:end_reason())
    assert.equal(before + 1, h.stats(sim).qplay_opened_total)
  end)

  it("moves to a new session at the last delivered frame when retries are spent", function()
    local media = require "qvrpro.media"
    local saved = media.get_retries
    media.get_retries = 0
    local expected = h.archive(sim, yard.guid, t0, t0 + 20000)
    local before = h.stats(sim).qplay_opened_total
    h.control(sim, "fault=drop_after=60000:qplay")
    local pb <close> = assert(yard:playback{ from = t0, to = t0 + 20000, timecontrol = false })
    local ok, got = pcall(frames_of, pb)
    media.get_retries = saved
    assert(ok, got)
    assert_same_frames(expected, got)
    local opened = h.stats(sim).qplay_opened_total - before
    assert.is_true(opened >= 3, "a session per drop, " .. opened)
    assert.is_true(h.stats(sim).qplay_open <= 1, "the old sessions were closed")
  end)

  it("hands out every complete frame before a drop it may not retry, then the error", function()
    local media = require "qvrpro.media"
    local saved_r, saved_s = media.get_retries, media.splices
    media.get_retries, media.splices = 0, 0
    local expected = h.archive(sim, yard.guid, t0, t0 + 20000)
    -- the wire bytes: "v1\n0\n", then per frame a 56-byte header (+8 for audio) and the payload
    local limit, used, whole = 60000, 5, 0
    for _, e in ipairs(expected) do
      used = used + 56 + (e.media == "audio" and 8 or 0) + e.size
      if used > limit then break end
      whole = whole + 1
    end
    h.control(sim, "fault=drop_after=" .. limit .. ":qplay")
    local pb <close> = assert(yard:playback{ from = t0, to = t0 + 20000, timecontrol = false })
    local got = {}
    local ok, err = pcall(function() for f in pb:frames() do got[#got + 1] = f end end)
    media.get_retries, media.splices = saved_r, saved_s
    assert.is_false(ok)
    assert.equal("CONNECTION_LOST", err.name)
    assert.is_true(#got > 0)
    -- batching modes (QVR_TEST_SIM_ARGS) end gets earlier: a prefix, exact
    if #h.extra_sim_args() == 0 then assert.equal(whole, #got) end
    assert.equal(got[#got].timestamp, err.last_timestamp)
    for i = 1, #got do assert.equal(expected[i].ts, got[i].timestamp) end
    assert.equal(0, h.stats(sim).qplay_open, "the failed playback's session was closed")
  end)

  it("sends `live` while frames are read, once the last command is keepalive_ms old", function()
    local media = require "qvrpro.media"
    local saved = media.keepalive_ms
    local paced = h.start_sim({})         -- frames at their recorded pace
    local n2 = assert(qvr.connect(h.opts(paced)))
    media.keepalive_ms = 100
    local pb = assert(n2:playback("Back Yard", { from = t0, to = t0 + 600000 }))
    local start, n = qvr.core.monotonic_ms(), 0
    for _ in pb:frames() do
      n = n + 1
      if qvr.core.monotonic_ms() - start > 700 then break end
    end
    media.keepalive_ms = saved
    -- open, play, get, and about one `live` per 100 ms of reading
    local sent = h.stats(paced).requests.qplay
    n2:close()
    paced.stop()
    assert.is_true(sent >= 3 + 4, ("qplay requests %d over %d frames"):format(sent, n))
    assert.is_true(sent <= 3 + 9, ("qplay requests %d over %d frames"):format(sent, n))
  end)

  it("fails with SESSION_FULL when the server has no session left", function()
    local open = {}
    for i = 1, 4 do open[i] = assert(yard:playback{ from = t0, to = t0 + 1000 }) end
    local pb, err = yard:playback{ from = t0, to = t0 + 1000 }
    assert.is_nil(pb)
    assert.equal("SESSION_FULL", err.name)
    assert.equal(0x93010007, err.code)
    for _, p in ipairs(open) do p:close() end
    assert.equal(0, h.stats(sim).qplay_open)
  end)

  it("closes abandoned sessions: break, error, dropped reference", function()
    local n = os.getenv("QVR_TEST_ASAN") and 200 or 1000
    for i = 1, n do
      local kind = i % 3
      if kind == 0 then
        for _ in assert(yard:playback{ from = t0, to = t0 + 60000 }):frames() do -- luacheck: ignore 512
          break
        end
      elseif kind == 1 then
        local ok = pcall(function()
          for _ in assert(yard:playback{ from = t0, to = t0 + 60000 }):frames() do
            error("script failure")
          end
        end)
        assert.is_false(ok)
      else
        local pb = assert(yard:playback{ from = t0, to = t0 + 60000 })
        assert(pb:read())
        pb = nil   -- luacheck: ignore
        collectgarbage()
      end
    end
    collectgarbage()
    collectgarbage()
    -- the collector sends nothing itself: the session's next call sends the
    -- closes that collected playbacks queued
    local queued = h.stats(sim).qplay_open
    assert(yard.session:cpu())
    local stats = h.stats(sim)
    assert.is_true(queued <= 1, "closes queued by the collector wait for one call at most")
    assert.equal(0, stats.qplay_open)            -- nothing left open on the server
    assert.equal(0, stats.qplay_expired_total)   -- and nothing left to expire: all closed
    assert.is_true(stats.qplay_closed_total >= n)
  end)
end)

describe("playback continuation", function()
  local S = playback_sim()
  local sim, nvr, yard, t0
  setup(function() sim, nvr, yard, t0 = S.sim, S.nvr, S.yard, S.t0 end)

  for _, fault in ipairs({ "get_frames=25", "get_cut=20000", "get_wait=150" }) do
    it("returns exactly the range's frames when every `get` answers part of it (" .. fault .. ")",
       function()
      h.control(sim, "fault=" .. fault)
      local opened = h.stats(sim).qplay_opened_total
      local pb <close> = assert(yard:playback{ from = t0, to = t0 + 6000, timecontrol = false })
      local got = frames_of(pb)
      local expected = h.archive(sim, yard.guid, t0, t0 + 6000)
      assert_same_frames(expected, got)
      if not fault:match("wait") then
        assert.is_true(pb.transfer.transfers >= 3, "gets: " .. pb.transfer.transfers)
      end
      assert.equal(opened + 1, h.stats(sim).qplay_opened_total, "one qplay session")
    end)
  end

  it("read(), frames() and qvr.each agree over batched `get`s", function()
    h.control(sim, "fault=get_frames=10")
    local expected = h.archive(sim, yard.guid, t0, t0 + 3000)
    local a <close> = assert(yard:playback{ from = t0, to = t0 + 3000, timecontrol = false })
    local by_read = {}
    while true do
      local f = a:read()
      if not f then break end
      by_read[#by_read + 1] = f
    end
    assert_same_frames(expected, by_read)
    local b <close> = assert(yard:playback{ from = t0, to = t0 + 3000, timecontrol = false })
    local c <close> = assert(yard:playback{ from = t0 + 1000, to = t0 + 3000,
                                            timecontrol = false })
    local got = { [b] = {}, [c] = {} }
    for obj, f in qvr.each{ b, c } do table.insert(got[obj], f) end
    assert_same_frames(expected, got[b])
    assert_same_frames(h.archive(sim, yard.guid, t0 + 1000, t0 + 3000), got[c])
  end)

  it("closes its server session when a `get` that stalls cannot be retried (TIMEOUT)", function()
    local quick <close> = assert(qvr.connect(h.opts(sim, { stall_timeout = 1 })))
    h.control(sim, "fault=stall_after=30000:qplay")
    local pb <close> = assert(quick:playback("Back Yard", { from = t0, to = t0 + 20000,
      timecontrol = false, retries = 0, new_sessions = 0 }))
    local got = {}
    local ok, err = pcall(function() for f in pb:frames() do got[#got + 1] = f end end)
    assert.is_false(ok)
    assert.equal("TIMEOUT", err.name)
    assert.is_true(#got > 0)
    assert.equal(0, h.stats(sim).qplay_open, "no session left open on the server")
  end)

  it("goes on after a `get` that stalls: seek back, get again, every frame once", function()
    local quick <close> = assert(qvr.connect(h.opts(sim, { stall_timeout = 1 })))
    h.control(sim, "fault=stall_after=150000:qplay")
    local pb <close> = assert(quick:playback("Back Yard", { from = t0, to = t0 + 8000,
      timecontrol = false }))
    assert_same_frames(h.archive(sim, yard.guid, t0, t0 + 8000), frames_of(pb))
    assert.is_true(pb.transfer.transfers >= 2)
  end)

  it("opens a new session when the one a dropped `get` was on is gone: exact across the splice",
     function()
    h.control(sim, "clear=faults&fault=get_cut=200000")   -- the first get breaks mid-frame
    local opened = h.stats(sim).qplay_opened_total
    local pb <close> = assert(yard:playback{ from = t0, to = t0 + 20000, timecontrol = false })
    local got = { assert(pb:read()) }
    local first_id = pb.id
    qvr.core.sleep(0.5)             -- the cut get is over on the server's side
    local body = h.curl(sim.url("/qvrpro/apis/qplay.cgi?ver=v1&cmd=close&session=" .. first_id))
    assert.matches("\n0\n", "\n" .. body)
    h.control(sim, "clear=faults")
    while true do
      local f, err = pb:read()
      assert.is_nil(err)
      if not f then break end
      got[#got + 1] = f
    end
    assert_same_frames(h.archive(sim, yard.guid, t0, t0 + 20000), got)
    assert.is_not.equal(first_id, pb.id, "a new qplay session")
    assert.equal(opened + 2, h.stats(sim).qplay_opened_total)
  end)

  it("keeps JPEG mode exact over batched `get`s", function()
    local plain = frames_of(assert(yard:playback{ from = t0, to = t0 + 8000,
                                                  data_type = "jpeg" }))
    h.control(sim, "fault=get_frames=3")
    local pb <close> = assert(yard:playback{ from = t0, to = t0 + 8000, data_type = "jpeg" })
    local got = frames_of(pb)
    assert.equal(#plain, #got)
    assert.is_true(#got >= 6)
    for i, f in ipairs(got) do
      assert.equal(plain[i].timestamp, f.timestamp)
      assert.equal(plain[i].data, f.data)
    end
    assert.is_true(pb.transfer.transfers >= 2)
  end)

  it("keeps time control on exact over batched `get`s", function()
    local paced = h.start_sim({ "--fault", "get_frames=7" })
    local n2 = assert(qvr.connect(h.opts(paced)))
    local cam = assert(n2:camera("Back Yard"))
    local pb = assert(cam:playback{ from = t0, to = t0 + 1500 })   -- timecontrol on
    local ok, got = pcall(frames_of, pb)
    local transfers = pb.transfer and pb.transfer.transfers
    local expected = h.archive(paced, cam.guid, t0, t0 + 1500)
    pb:close()
    n2:close()
    paced.stop()
    assert(ok, got)
    assert_same_frames(expected, got)
    assert.is_true(transfers >= 3)
  end)

  it("ends with an empty `get` where the recording stops, even after a wait", function()
    h.control(sim, "fault=get_wait=300")
    -- Front Door has no recording for ten minutes an hour after the archive starts
    local gap_from = h.stats(sim).archive_start + 3600000
    local door = assert(nvr:camera("Front Door"))
    local pb <close> = assert(door:playback{ from = gap_from - 2000, to = gap_from + 60000,
                                             timecontrol = false })
    assert(pb:playclose(false))      -- the session stays: the end is an empty `get`
    local got = frames_of(pb)
    assert_same_frames(h.archive(sim, door.guid, gap_from - 2000, gap_from + 60000), got)
    assert.equal("empty", pb:end_reason())
  end)

  it("ends when the server closes the session at the end of the recording", function()
    local from = qvr.time.now() - 2000
    local pb <close> = assert(yard:playback{ from = from, to = from + 3600000,
                                             timecontrol = false })
    local got = frames_of(pb)
    assert.is_true(#got > 10)
    assert.truthy(({ closed = true, empty = true })[pb:end_reason()], pb:end_reason())
  end)
end)

describe("live", function()
  local sim, nvr
  setup(function()
    sim = h.start_sim({})
    nvr = assert(qvr.connect(h.opts(sim, { stall_timeout = 2 })))
  end)
  teardown(function()
    nvr:close()
    sim.stop()
  end)
  after_each(function() h.control(sim, "clear=1") end)

  it("delivers frames paced in real time, in order, with the camera's codec", function()
    local live <close> = assert(nvr:live("Front Door"))
    local start, video, last = qvr.core.monotonic_ms(), {}, nil
    for f in live:frames() do
      if last then assert.is_true(f.timestamp >= last) end
      last = f.timestamp
      if f.media == "video" then video[#video + 1] = f end
      if #video == 15 then break end
    end
    local took = qvr.core.monotonic_ms() - start
    assert.is_true(took >= 1000, "15 frames at 10 fps took " .. took .. " ms")
    for _, f in ipairs(video) do
      assert.equal("h264", f.codec)
      assert.equal(1280, f.width)
      assert.equal(720, f.height)
      assert.equal("Front Door", f.osd)
    end
    assert.is_true(live.closed)
  end)

  it("reads with :read() and refuses a closed stream", function()
    local live = assert(nvr:live(2))
    local f = assert(live:read())
    assert.equal("mjpeg", f.codec)
    assert.matches("^qvrpro.Stream live Garage", tostring(live))
    live:close()
    live:close()
    assert.has_error(function() live:read() end)
  end)

  it("writes payloads with frame:write without building strings", function()
    local path = os.tmpname()
    local out = assert(io.open(path, "wb"))
    local live <close> = assert(nvr:live("Back Yard"))
    local bytes = 0
    for f in live:frames() do
      assert.equal(out, f:write(out))
      bytes = bytes + f.size
      if bytes > 20000 then break end
    end
    out:close()
    local fh = assert(io.open(path, "rb"))
    assert.equal(bytes, #fh:read("a"))
    fh:close()
    os.remove(path)
  end)

  it("refuses a disconnected camera with the server's code", function()
    local live, err = nvr:live("Lobby")
    assert.is_nil(live)
    assert.equal("STREAM_NOT_READY", err.name)
  end)

  it("tolerates a leading line before the code line", function()
    h.control(sim, "quirk=getstream_leading_line")
    local live <close> = assert(nvr:live("Back Yard"))
    assert(live:read())
  end)

  it("logs in again when the sid expired before opening", function()
    local n = assert(qvr.connect(h.opts(sim)))
    h.control(sim, "expire_sids=1")
    local live <close> = assert(n:live("Back Yard"))
    assert(live:read())
    assert.equal(2, n.logins)
    n:close()
  end)

  local function first_error(live)
    local ok, err = pcall(function() for _ in live:frames() do end end)
    assert.is_false(ok)
    return err
  end

  it("raises CONNECTION_LOST with the last frame's timestamp when the connection drops", function()
    h.control(sim, "fault=drop_after=30000:getstream")
    local live = assert(nvr:live("Front Door"))
    local err = first_error(live)
    assert.equal("CONNECTION_LOST", err.name)
    assert.equal("integer", math.type(err.last_timestamp))
    assert.is_true(err.frames > 0)
  end)

  it("fails with TIMEOUT when the stream stalls", function()
    h.control(sim, "fault=stall_after=5000:getstream")
    local live = assert(nvr:live("Back Yard"))
    local start = qvr.core.monotonic_ms()
    local err = first_error(live)
    assert.equal("TIMEOUT", err.name)
    local took = qvr.core.monotonic_ms() - start
    assert.is_true(took >= 1500 and took < 6000, "took " .. took)
  end)

  it("fails with HTTP_ERROR on HTTP 500", function()
    h.control(sim, "fault=http500")
    local live, err = nvr:live("Back Yard")
    assert.is_nil(live)
    assert.equal("HTTP_ERROR", err.name)
    assert.equal(500, err.http_status)
  end)

  it("fails on garbage instead of a frame", function()
    h.control(sim, "fault=garbage")
    local err = first_error(assert(nvr:live("Back Yard")))
    assert.equal("BAD_FOURCC", err.name)
  end)

  it("fails on a 4 GiB size field without allocating it", function()
    h.control(sim, "fault=bigsize")
    local err = first_error(assert(nvr:live("Back Yard")))
    assert.equal("FRAME_TOO_BIG", err.name)
  end)
end)

describe("backpressure", function()
  it("pauses the transfer when the script reads slower than the server sends", function()
    local sim = h.start_sim({ "--no-pace" })
    local nvr = assert(qvr.connect(h.opts(sim)))
    local cap = 256 * 1024
    local live <close> = assert(nvr:live("Front Door", { buffer = cap }))
    local max_buffered, bytes_at = 0, {}
    for i = 1, 40 do
      local f = assert(live:read())
      assert.truthy(f)
      max_buffered = math.max(max_buffered, live.buffered)
      bytes_at[i] = live.bytes
      qvr.core.sleep(0.02)          -- a slow consumer of an unpaced stream
    end
    -- bounded by the cap plus one transfer chunk (and one frame)
    assert.is_true(max_buffered <= cap + 512 * 1024, "buffered " .. max_buffered)
    -- the transfer only moves as fast as frames are read
    assert.is_true(bytes_at[40] < 8 * 1024 * 1024, "received " .. bytes_at[40])
    live:close()
    nvr:close()
    sim.stop()
  end)
end)

describe("qvr.each", function()
  it("delivers every frame of 8 live streams and 2 playbacks once, in order", function()
    local sim = h.start_sim({})
    local nvr = assert(qvr.connect(h.opts(sim)))
    local cams = { "Front Door", "Back Yard", "Garage" }
    local streams = {}
    for i = 1, 8 do streams[i] = assert(nvr:live(cams[(i - 1) % 3 + 1])) end
    local t0 = (qvr.time.now() - 3600000) // 1000 * 1000
    local yard = assert(nvr:camera("Back Yard"))
    streams[9] = assert(yard:playback{ from = t0, to = t0 + 2000, timecontrol = false })
    streams[10] = assert(yard:playback{ from = t0 + 5000, to = t0 + 6000, timecontrol = false })
    local got, last = {}, {}
    local deadline = qvr.core.monotonic_ms() + 3000
    for s, f in qvr.each(streams) do
      got[s] = got[s] or {}
      table.insert(got[s], f)
      if last[s] then assert.is_true(f.timestamp >= last[s]) end
      last[s] = f.timestamp
      if qvr.core.monotonic_ms() > deadline then break end
    end
    for i = 1, 8 do
      assert.is_true(#(got[streams[i]] or {}) > 10, "live stream " .. i)
    end
    assert_same_frames(h.archive(sim, yard.guid, t0, t0 + 2000), got[streams[9]])
    assert_same_frames(h.archive(sim, yard.guid, t0 + 5000, t0 + 6000), got[streams[10]])
    for _, s in ipairs(streams) do s:close() end
    nvr:close()
    sim.stop()
  end)
end)
