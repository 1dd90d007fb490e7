-- The simulator serving `.qvr` dumps (csrc/proto/qvr_dump.h) as cameras: playback
-- returns the dump's records exactly, live loops over them re-stamped to the
-- wall clock, a broken dump is refused or cut with a warning; plus the
-- simulator's transcode_busy, ddos and --max-live switches.
local h = require "helpers"
local frames_of = h.frames_of
local slurp = h.read_file
local spit = h.write_file
local qvr = require "qvrpro"

local SIM = os.getenv("QVRSIM") or (h.root .. "/build/qvrsim")
local YARD = "Back Yard"
local DOOR_GUID = "00089BF9B26200089BF9B26200080000"

--- qvrsim --write-dump: camera's playback frames in [from, to] as a dump.
local function write_dump(path, camera, from, to, flags)
  local out, ok = h.capture(("%s --write-dump %s --camera %s --from %d --to %d %s 2>&1")
    :format(h.shell_quote(SIM), h.shell_quote(path), h.shell_quote(camera), from, to,
            flags or ""))
  assert(ok, out)
  assert.matches("^wrote ", out)
  return out
end

--- The records of a dump, parsed here (not by the code under test):
-- { type, key, ts, hdr, data, offset }, and the file's bytes.
local function read_dump(path)
  local s = slurp(path)
  assert.equal("QVRDUMP1", s:sub(1, 8))
  local pos = 13 + string.unpack("<I4", s, 9)
  local limit = #s   -- last byte (1-based) that records may use
  if #s >= pos + 15 and s:sub(-8) == "QVRTAIL1" then limit = string.unpack("<I8", s, #s - 15) end
  local recs = {}
  while pos + 15 <= limit do
    local typ, flags, hl, pl, ts = string.unpack("<BBI2I4I8", s, pos)
    if pos + 15 + hl + pl > limit then break end
    recs[#recs + 1] = { type = typ, key = flags & 1 == 1, ts = ts, offset = pos - 1,
                        hdr = s:sub(pos + 16, pos + 15 + hl),
                        data = s:sub(pos + 16 + hl, pos + 15 + hl + pl) }
    pos = pos + 16 + hl + pl
  end
  return recs, s
end

local AUDIO = { G711 = true, ["0AAC"] = true }

local function source(recs, from, to)
  local out = {}
  for _, r in ipairs(recs) do
    if r.type == 1 and r.ts >= (from or 0) and r.ts <= (to or math.maxinteger) then
      out[#out + 1] = r
    end
  end
  return out
end

local function media_of(r) return AUDIO[r.hdr:sub(1, 4)] and "audio" or "video" end

-- the frames equal the records: timestamps, raw headers, payloads, and what
-- the parser reads from them
local function assert_frames_are_records(recs, frames)
  assert.equal(#recs, #frames, "frame count")
  for i, r in ipairs(recs) do
    local f = frames[i]
    assert.equal(r.ts, f.timestamp, "timestamp of frame " .. i)
    assert.equal(r.hdr, f.header, "header of frame " .. i)
    assert.equal(#r.data, f.size, "size of frame " .. i)
    assert.is_true(r.data == f.data, "payload of frame " .. i)
    assert.equal(r.hdr:sub(1, 4), f.fourcc, "fourcc of frame " .. i)
    assert.equal(media_of(r), f.media, "media of frame " .. i)
    if f.media == "video" then assert.equal(r.key, f.key, "key flag of frame " .. i) end
  end
end

-- /sim/frames lists the records
local function assert_listing_is_records(recs, list)
  assert.equal(#recs, #list, "listed frames")
  for i, r in ipairs(recs) do
    local e = list[i]
    assert.equal(r.ts, e.ts)
    assert.equal(r.hdr:sub(1, 4), e.fourcc)
    assert.equal(media_of(r), e.media)
    assert.equal(r.key, e.key)
    assert.equal(#r.data, e.size)
    assert.equal(h.crc32(r.data), e.crc32)
  end
end

local function same_but_ts(f, r)
  return f.data == r.data and f.header:sub(1, 16) == r.hdr:sub(1, 16)
    and f.header:sub(25) == r.hdr:sub(25)
end

-- nil when the frames are the records from `start` on, looping; else why not
local function live_mismatch(src, frames, period, start)
  local offset = frames[1].timestamp - src[start].ts
  local loops = 0
  for k, f in ipairs(frames) do
    local i = (start + k - 2) % #src + 1
    if k > 1 and i == 1 then
      loops = loops + 1
      offset = offset + period
    end
    local r = src[i]
    if not same_but_ts(f, r) then return "live frame " .. k .. " is not record " .. i end
    if f.timestamp ~= string.unpack("<I8", f.header, 17) then
      return "live frame " .. k .. ": the header's timestamp is not the frame's"
    end
    if f.timestamp ~= r.ts + offset then
      return ("live frame %d: timestamp %d, want %d"):format(k, f.timestamp, r.ts + offset)
    end
  end
  return nil, loops
end

--- Live frames against the source records: every frame is the next record
-- (looping), its header the record's but for the timestamp field, which
-- holds the frame's timestamp; within a loop the recorded spacing is kept,
-- each loop is `period` later.  Returns the number of loops begun.
local function assert_live_loops(src, frames, period)
  local why = "the first live frame is no record of the dump"
  for start, r in ipairs(src) do  -- payloads may repeat: try every record that fits
    if same_but_ts(frames[1], r) then
      local loops
      why, loops = live_mismatch(src, frames, period, start)
      if not why then return loops end
    end
  end
  error(why)
end

local function read_n(live, n)
  local out = {}
  for f in live:frames() do
    out[#out + 1] = f
    if #out == n then break end
  end
  return out
end

describe("a camera served from a dump", function()
  local sim, nvr, t0, dir, yard_path, scan_path, door_path, yard_recs, door_recs
  setup(function()
    dir = h.tmpdir()
    t0 = h.archive_t0()
    yard_path, scan_path, door_path = dir .. "/yard.qvr", dir .. "/scan.qvr", dir .. "/door.qvr"
    write_dump(yard_path, YARD, t0, t0 + 10000)
    write_dump(scan_path, YARD, t0, t0 + 10000, "--no-index")
    write_dump(door_path, DOOR_GUID, t0, t0 + 5000, "--with-jpeg")
    yard_recs = read_dump(yard_path)
    door_recs = read_dump(door_path)
    sim = h.start_sim({ "--no-pace", "--dump-camera", "Dump Yard=" .. yard_path,
                        "--dump-camera", "Scan Yard=" .. scan_path,
                        "--dump-camera", "Front Door=" .. door_path })
    nvr = assert(qvr.connect(h.opts(sim)))
  end)
  teardown(function()
    nvr:close()
    sim.stop()
    h.execute("rm -rf " .. h.shell_quote(dir))
  end)

  it("is written by qvrsim --write-dump with the archive's frames and an index", function()
    local src = source(yard_recs)
    assert.equal(#yard_recs, #src)                       -- no JPEG records asked for
    local expected = h.archive(sim, "8FBC58E2F7274AF3B6F6761E90FB0001", t0, t0 + 10000)
    assert.equal(#expected, #src)
    for i, e in ipairs(expected) do
      assert.equal(e.ts, src[i].ts)
      assert.equal(e.crc32, h.crc32(src[i].data))
    end
    local s = slurp(yard_path)
    assert.equal("QVRTAIL1", s:sub(-8))
    assert.not_equal("QVRTAIL1", slurp(scan_path):sub(-8))
    local jpeg = 0
    for _, r in ipairs(door_recs) do
      if r.type == 2 then
        jpeg = jpeg + 1
        assert.matches("^Front Door\n" .. r.ts .. "\n" .. #r.data .. "\n$", r.hdr)
      end
    end
    assert.is_true(jpeg >= 4)
  end)

  it("lists the dump's records in /sim/frames", function()
    for _, name in ipairs({ "Dump Yard", "Scan Yard" }) do
      local cam = assert(nvr:camera(name))
      assert_listing_is_records(source(yard_recs), h.archive(sim, cam.guid, 0, t0 + 86400000))
      assert_listing_is_records(source(yard_recs, t0 + 2013, t0 + 6000),
                                h.archive(sim, cam.guid, t0 + 2013, t0 + 6000))
    end
  end)

  it("plays back exactly the dump's records in a range, by index and by scan", function()
    for _, name in ipairs({ "Dump Yard", "Scan Yard" }) do
      local cam = assert(nvr:camera(name))
      local from, to = t0 + 2013, t0 + 6000
      local got = frames_of(assert(cam:playback{ from = from, to = to, timecontrol = false }))
      assert_frames_are_records(source(yard_recs, from, to), got)
      for _, f in ipairs(got) do
        assert.equal(YARD, f.osd)                          -- as recorded
        if f.media == "video" then
          assert.equal("h264", f.codec)
          assert.equal(640, f.width)
          assert.equal(360, f.height)
        else
          assert.equal("g711", f.codec)
          assert.equal(8000, f.sample_rate)
        end
      end
      local all = frames_of(assert(cam:playback{ from = t0 - 1000, to = t0 + 86400000,
                                                 timecontrol = false }))
      assert_frames_are_records(source(yard_recs), all)
    end
  end)

  it("seeks to the first record at or after the time, with or without an index", function()
    local src = source(yard_recs)
    for _, name in ipairs({ "Dump Yard", "Scan Yard" }) do
      local cam = assert(nvr:camera(name))
      for _, t in ipairs({ t0 + 7050, t0 + 7100, src[#src].ts }) do
        local pb <close> = assert(cam:playback{ from = t0, to = t0 + 10000, timecontrol = false })
        assert.is_true(assert(pb:seek(t)))
        local want
        for _, r in ipairs(src) do if r.ts >= t then want = r break end end
        local f = assert(pb:read())
        assert.equal(want.ts, f.timestamp)
        assert.is_true(want.data == f.data)
      end
      local pb <close> = assert(cam:playback{ from = t0, to = t0 + 10000 })
      for _, t in ipairs({ src[1].ts - 1, src[#src].ts + 1 }) do
        local ok, err = pb:seek(t)
        assert.is_nil(ok)
        assert.equal("SEEK_NO_FILE", err.name)
      end
    end
  end)

  it("rewinds over the dump's video key frames and steps back with prev_frame", function()
    local src = source(yard_recs)
    local cam = assert(nvr:camera("Scan Yard"))
    local pb <close> = assert(cam:playback{ from = t0, to = t0 + 10000, timecontrol = false })
    assert.is_true(assert(pb:play()))
    assert.is_true(assert(pb:seek(t0 + 5050)))
    assert.is_true(assert(pb:rew()))
    local want = {}
    for i = #src, 1, -1 do
      local r = src[i]
      if r.ts < t0 + 5050 and r.key and media_of(r) == "video" then want[#want + 1] = r end
    end
    assert.is_true(#want >= 4)
    local got = frames_of(pb)
    assert.equal(#want, #got)
    for i, f in ipairs(got) do
      assert.equal(want[i].ts, f.timestamp)
      assert.is_true(want[i].data == f.data)
    end
    local pb2 <close> = assert(cam:playback{ from = t0, to = t0 + 10000, timecontrol = false })
    assert.is_true(assert(pb2:play()))
    assert.is_true(assert(pb2:seek(t0 + 5050)))
    assert.is_true(assert(pb2:prev_frame()))
    local f = assert(pb2:read())
    local before
    for _, r in ipairs(src) do
      if r.ts < t0 + 5050 and media_of(r) == "video" then before = r end
    end
    assert.equal(before.ts, f.timestamp)
  end)

  it("answers NO_FILE for a range outside the dump", function()
    local cam = assert(nvr:camera("Dump Yard"))
    local pb, err = cam:playback{ from = t0 + 20000, to = t0 + 30000 }
    assert.is_nil(pb)
    assert.equal(0x93010204, err.code)
  end)

  it("plays its JPEG records in jpeg mode, and the snapshot at key frames without", function()
    local door = assert(nvr:camera("Front Door"))
    assert.equal(DOOR_GUID, door.guid)                     -- the configured camera, replaced
    local got = frames_of(assert(door:playback{ from = t0, to = t0 + 5000, data_type = "jpeg",
                                                timecontrol = false }))
    local want = {}
    for _, r in ipairs(door_recs) do if r.type == 2 then want[#want + 1] = r end end
    assert.equal(#want, #got)
    for i, f in ipairs(got) do
      assert.equal("jpeg", f.codec)
      assert.equal(want[i].ts, f.timestamp)
      assert.is_true(want[i].data == f.data)
    end
    -- a source-only dump: the camera's snapshot at every video key frame
    local yard = assert(nvr:camera("Dump Yard"))
    got = frames_of(assert(yard:playback{ from = t0, to = t0 + 10000, data_type = "jpeg",
                                          timecontrol = false }))
    local keys = {}
    for _, r in ipairs(source(yard_recs)) do
      if r.key and media_of(r) == "video" then keys[#keys + 1] = r end
    end
    assert.equal(#keys, #got)
    for i, f in ipairs(got) do
      assert.equal(keys[i].ts, f.timestamp)
      assert.equal("\xFF\xD8\xFF", f.data:sub(1, 3))
    end
  end)

  it("shows a JPEG record of the dump as its snapshot", function()
    local sid = assert(h.login(sim, "admin", "admin"))
    local body, status, ctype = h.curl(sim.url("/qvrpro/apis/getliveimage.cgi?sid=" .. sid
      .. "&guid=" .. DOOR_GUID))
    assert.equal(200, status)
    assert.matches("^image/jpeg", ctype)
    local found = false
    for _, r in ipairs(door_recs) do found = found or (r.type == 2 and r.data == body) end
    assert.is_true(found)
  end)

  it("lists the dump camera with the dump's codec, size and frame rate", function()
    local cam = assert(nvr:camera("Dump Yard"))
    assert.equal("NVR_CAM_CONNECTED", cam.status)
    local sid = assert(h.login(sim, "admin", "admin"))
    local list = h.json((h.curl(sim.url("/qvrpro/apis/camera_status.cgi?act=list&sid=" .. sid))))
    local c
    for _, x in ipairs(list.datas) do if x.name == "Dump Yard" then c = x end end
    assert.equal("H.264", c.video_codec_setting)
    assert.equal("640x360", c.video_resolution_setting)
    assert.equal("10", c.frame_rate)
    assert.equal(32, #c.guid)
  end)

  it("loops live over the source records, re-stamped, keeping the spacing", function()
    local src = source(yard_recs)
    local period = src[#src].ts - src[1].ts + 100             -- + the video frame spacing
    local live <close> = assert(nvr:live("Dump Yard"))
    local frames = read_n(live, 2 * #src + 20)                -- unpaced: two loops and more
    assert.is_true(assert_live_loops(src, frames, period) >= 2)
  end)
end)

describe("a dump camera's paced live stream", function()
  it("sends the recorded payloads in order with current timestamps", function()
    local path = os.tmpname()
    local t0 = (qvr.time.now() - 3600000) // 1000 * 1000
    write_dump(path, "Garage", t0, t0 + 3000)
    local src = source((read_dump(path)))
    local sim = h.start_sim({ "--dump-camera", "Garage=" .. path })
    local nvr = assert(qvr.connect(h.opts(sim)))
    local start, wall = qvr.core.monotonic_ms(), qvr.time.now()
    local live = assert(nvr:live("Garage"))
    local frames = read_n(live, 8)                             -- MJPEG at 5 fps: 1.4 s
    local took = qvr.core.monotonic_ms() - start
    live:close()
    assert.is_true(took >= 1000, "paced: 8 frames at 5 fps took " .. took .. " ms")
    assert.is_true(math.abs(frames[1].timestamp - wall) <= 1000,
                   "first timestamp " .. frames[1].timestamp - wall .. " ms from now")
    assert_live_loops(src, frames, src[#src].ts - src[1].ts + 200)
    for _, f in ipairs(frames) do
      assert.equal("mjpeg", f.codec)
      assert.equal(320, f.width)
    end
    nvr:close()
    sim.stop()
    os.remove(path)
  end)
end)

describe("a broken dump", function()
  local dir, good, t0
  setup(function()
    dir = h.tmpdir()
    t0 = (qvr.time.now() - 3600000) // 1000 * 1000
    good = dir .. "/good.qvr"
    write_dump(good, YARD, t0, t0 + 2000, "--no-index")
  end)
  teardown(function() h.execute("rm -rf " .. h.shell_quote(dir)) end)

  local function start_error(path)
    local ok, err = pcall(h.start_sim, { "--dump-camera", "Broken=" .. path })
    assert.is_false(ok)
    return tostring(err)
  end

  local function log_of(sim)
    return slurp(sim.log)
  end

  it("with a bad magic, or no complete record, or missing, stops the start", function()
    local bad = dir .. "/bad.qvr"
    spit(bad, "QVRDUMP2" .. slurp(good):sub(9))
    assert.matches("bad magic", start_error(bad))
    local s = slurp(good)
    local head = 12 + string.unpack("<I4", s, 9)
    spit(bad, s:sub(1, head + 10))
    assert.matches("no complete record", start_error(bad))
    spit(bad, s:sub(1, 20))
    assert.matches("truncated head", start_error(bad))
    assert.matches("cannot read", start_error(dir .. "/none.qvr"))
  end)

  it("cut short is served up to its last complete record, with a warning", function()
    local recs, s = read_dump(good)
    local cut = dir .. "/cut.qvr"
    spit(cut, s:sub(1, #s - 100))
    local sim = h.start_sim({ "--no-pace", "--dump-camera", "Cut=" .. cut })
    assert.matches("truncated record at offset " .. recs[#recs].offset, log_of(sim))
    local nvr = assert(qvr.connect(h.opts(sim)))
    local cam = assert(nvr:camera("Cut"))
    table.remove(recs)
    assert_listing_is_records(source(recs), h.archive(sim, cam.guid, 0, t0 + 86400000))
    assert_frames_are_records(source(recs), frames_of(assert(cam:playback{
      from = t0 - 1000, to = t0 + 86400000, timecontrol = false })))
    nvr:close()
    sim.stop()
  end)

  it("named in a config is found relative to the config file", function()
    local cfg = dir .. "/sim.json"
    spit(cfg, '{"users": [{"name": "admin", "password": "admin", "admin": true}], "cameras": ['
      .. '{"name": "Rel", "guid": "0123456789ABCDEF0123456789ABCDEF", "umsid": "0000000900000009",'
      .. ' "dump": "good.qvr"}]}')
    local sim = h.start_sim({ "--config", cfg })
    local recs = read_dump(good)
    assert_listing_is_records(source(recs), h.archive(sim, "0123456789ABCDEF0123456789ABCDEF", 0,
                                                      t0 + 86400000))
    sim.stop()
  end)

  it("with an index that does not match is served by scanning, with a warning", function()
    local indexed = dir .. "/indexed.qvr"
    write_dump(indexed, YARD, t0, t0 + 2000)
    local recs, s = read_dump(indexed)
    local at = string.unpack("<I8", s, #s - 15)
    -- the first entry's offset: 1-based position at + 8 (magic) + 4 (count) + 8 (ts) + 1
    local pos = at + 21
    s = s:sub(1, pos - 1) .. string.pack("<I8", 13) .. s:sub(pos + 8)
    spit(indexed, s)
    local sim = h.start_sim({ "--no-pace", "--dump-camera", "Odd=" .. indexed })
    assert.matches("index ignored", log_of(sim))
    local nvr = assert(qvr.connect(h.opts(sim)))
    local cam = assert(nvr:camera("Odd"))
    local pb <close> = assert(cam:playback{ from = t0, to = t0 + 2000, timecontrol = false })
    assert.is_true(assert(pb:seek(t0 + 1500)))
    assert.equal(t0 + 1500, assert(pb:read()).timestamp)
    assert.equal(#source(recs), #h.archive(sim, cam.guid, 0, t0 + 86400000))
    pb:close()
    nvr:close()
    sim.stop()
  end)
end)

describe("a live stream recorded with the client", function()
  it("replays through the simulator as recorded", function()
    if not qvr.open_dump then
      pending("the client has no dump writer (qvrpro.open_dump) yet")
      return
    end
    local path = os.tmpname()
    local rec_sim = h.start_sim({})
    local nvr = assert(qvr.connect(h.opts(rec_sim)))
    local live = assert(nvr:live(YARD))
    local n = assert(live:dump(path, { until_ts = qvr.time.now() + 1500 }))
    live:close()
    nvr:close()
    rec_sim.stop()
    assert.is_true(n > 20)
    local recorded = {}
    for f in assert(qvr.open_dump(path)):frames() do recorded[#recorded + 1] = f end
    assert.equal(n, #recorded)
    local recs = read_dump(path)
    assert.equal(n, #recs)

    local sim = h.start_sim({ "--no-pace", "--dump-camera", "Replay=" .. path })
    nvr = assert(qvr.connect(h.opts(sim)))
    local cam = assert(nvr:camera("Replay"))
    local got = frames_of(assert(cam:playback{ from = recorded[1].timestamp - 1000,
                                               to = recorded[n].timestamp, timecontrol = false }))
    assert_frames_are_records(recs, got)
    for i, f in ipairs(recorded) do
      assert.equal(f.timestamp, got[i].timestamp)
      assert.equal(f.header, got[i].header)
      assert.is_true(f.data == got[i].data)
    end
    local live2 <close> = assert(nvr:live("Replay"))
    local frames = read_n(live2, n + 5)
    assert.equal(n + 5, #frames)
    -- the loop's period is the span plus the average video spacing
    local vts = {}
    for _, r in ipairs(recs) do if media_of(r) == "video" then vts[#vts + 1] = r.ts end end
    local spacing = (vts[#vts] - vts[1] + (#vts - 1) // 2) // (#vts - 1)
    local tmin, tmax = math.huge, 0
    for _, r in ipairs(recs) do
      tmin, tmax = math.min(tmin, r.ts), math.max(tmax, r.ts)
    end
    assert_live_loops(recs, frames, tmax - tmin + spacing)
    nvr:close()
    sim.stop()
    os.remove(path)
  end)
end)

describe("simulator switches", function()
  local sim, sid, config
  setup(function()
    config = h.sim_config({ { name = "admin", password = "admin" },
                            { name = "other", password = "other" } })
    sim = h.start_sim({ "--max-live", "2", "--config", config })
    sid = assert(h.login(sim, "admin", "admin"))
  end)
  teardown(function()
    sim.stop()
    os.remove(config)
  end)
  after_each(function() h.control(sim, "clear=1") end)

  it("answers transcode busy (0x96070002) for a snapshot under transcode_busy", function()
    h.control(sim, "fault=transcode_busy:getliveimage")
    local j = h.json((h.curl(sim.url("/qvrpro/apis/getliveimage.cgi?sid=" .. sid .. "&guid="
      .. DOOR_GUID))))
    assert.is_false(j.success)
    assert.equal(0x96070002 - (1 << 32), j.error_code)
    h.control(sim, "quirk=snapshot_error_4xx=503")
    local _, status = h.curl(sim.url("/qvrpro/apis/getliveimage.cgi?sid=" .. sid .. "&guid="
      .. DOOR_GUID))
    assert.equal(503, status)
  end)

  it("refuses a live stream with 0x93000001 under ddos", function()
    h.control(sim, "fault=ddos")
    local body = h.curl(sim.url("/qvrpro/streaming/getstream.cgi?sid=" .. sid .. "&ch_sid="
      .. DOOR_GUID .. "&stream_id=0"))
    assert.equal(tostring(0x93000001 - (1 << 32)) .. "\n", body)
    local nvr = assert(qvr.connect(h.opts(sim)))
    local live, err = nvr:live("Front Door")
    assert.is_nil(live)
    assert.equal(0x93000001, err.code)
    nvr:close()
  end)

  it("refuses a live stream beyond --max-live with 0x93000002, per user", function()
    local nvr = assert(qvr.connect(h.opts(sim)))
    local a = assert(nvr:live("Front Door"))
    local b = assert(nvr:live("Back Yard"))
    assert(a:read())
    assert(b:read())
    local c, err = nvr:live("Garage")
    assert.is_nil(c)
    assert.equal(0x93000002, err.code)
    local other = assert(qvr.connect(h.opts(sim, { user = "other", password = "other" })))
    local d = assert(other:live("Garage"))                -- another user has streams left
    assert(d:read())
    d:close()
    other:close()
    a:close()
    local deadline = qvr.core.monotonic_ms() + 3000
    repeat
      c = nvr:live("Garage")
      if not c then h.execute("sleep 0.1") end
    until c or qvr.core.monotonic_ms() > deadline
    assert.is_not_nil(c, "a stream again once one closed")
    c:close()
    b:close()
    nvr:close()
  end)
end)
