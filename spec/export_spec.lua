-- qvrpro.export against the simulator's deterministic archive, every file
-- checked with ffprobe: streams and codecs, packet counts equal to the frames
-- received, times matching the requested range within one frame, gaps,
-- partial ranges, MP4 leaving G.711 out, progress, and kill -9 then resume.
local h = require "helpers"
local support = require "export_support"
local probe = h.probe
local qvr = require "qvrpro"
local export = require "qvrpro.export"

local FRAME_MS = 100     -- the video frame interval of the simulator's H.264 cameras

local function q(s) return h.shell_quote(s) end
local packet_list, file_size = support.packet_list, support.file_size

--- ffprobe -count_packets per stream
local function count_packets(path)
  local out = h.capture("ffprobe -v error -count_packets -show_entries stream=nb_read_packets "
    .. "-of csv=p=0 " .. q(path) .. " 2>/dev/null")
  local n = 0
  for line in out:gmatch("%d+") do n = n + tonumber(line) end
  return n
end

local function decodes(path)
  local out, ok = h.capture("ffmpeg -v error -i " .. q(path) .. " -f null - 2>&1")
  return ok, out
end

local exists = require("qvrpro.files").exists

describe("export", function()
  local S = support.with_export_sim({ "--no-pace" })
  local sim, nvr, door, yard, garage, t0, dir, archive_start
  setup(function()
    sim, nvr, t0, dir, archive_start = S.sim, S.nvr, S.t0, S.dir, S.archive_start
    door = assert(nvr:camera("Front Door"))
    yard = assert(nvr:camera("Back Yard"))
    garage = assert(nvr:camera("Garage"))
  end)

  -- the checks every container export gets
  local function check_container(r, path, from, to, archive, codecs)
    local streams, packets, format = probe(path)
    assert.equal(#codecs, #streams)
    for i, c in ipairs(codecs) do assert.equal(c, streams[i].codec_name) end
    assert.equal(r.frames, #packets)
    assert.equal(r.frames, count_packets(path))
    -- every packet is an archive frame at its time (relative to the first)
    local by_stream = {}
    for _, p in ipairs(packets) do
      by_stream[p.stream] = by_stream[p.stream] or {}
      table.insert(by_stream[p.stream], p)
    end
    local want = { video = {}, audio = {} }
    for _, e in ipairs(archive) do table.insert(want[e.media], e) end
    for s, list in pairs(by_stream) do
      local media = streams[s + 1].codec_type
      assert.equal(#want[media], #list, media .. " packets")
      for i, p in ipairs(list) do
        assert.equal(want[media][i].ts - r.first_ts, p.pts, media .. " packet " .. i)
        if media == "video" then assert.equal(want[media][i].key, p.key) end
      end
    end
    -- the range, to within one frame
    assert.is_true(r.first_ts >= from and r.first_ts - from < FRAME_MS)
    assert.is_true(r.last_ts <= to and to - r.last_ts < FRAME_MS)
    assert.is_true(math.abs(tonumber(format.duration) * 1000 - (to - from)) <= FRAME_MS,
      "duration " .. format.duration)
    assert.is_true(r.bytes > 0)
    assert.equal(r.bytes, file_size(path))
    assert.is_false(exists(path .. ".part"))
    assert.is_false(exists(path .. ".part.qvr"))
  end

  it("exports H.264 + AAC to .mkv, frame for frame", function()
    local from, to = t0, t0 + 20000
    local path = dir .. "/door.mkv"
    local r = assert(export.run(nvr, door, { from = from, to = to, path = path }))
    local archive = h.archive(sim, door.guid, from, to)
    assert.equal(#archive, r.frames)
    assert.equal(path, r.path)
    assert.equal(200, r.video_frames)
    assert.equal(#archive - 200, r.audio_frames)
    assert.same({}, r.gaps)
    assert.is_false(r.partial)
    assert.same({}, r.skipped)
    check_container(r, path, from, to, archive, { "h264", "aac" })
    local _, packets = probe(path)
    local first_key
    for _, p in ipairs(packets) do if p.stream == 0 and p.key then first_key = p break end end
    assert.equal(1000 - 37 - (r.first_ts - from), first_key.pts)   -- key frames on whole seconds
    assert.is_true((decodes(path)))
  end)

  it("exports G.711 to .mkv as it is, and leaves it out of .mp4 with audio = \"none\"", function()
    local from, to = t0, t0 + 10000
    local archive = h.archive(sim, yard.guid, from, to)
    local mkv = assert(export.run(nvr, yard, { from = from, to = to, path = dir .. "/yard.mkv" }))
    check_container(mkv, dir .. "/yard.mkv", from, to, archive, { "h264", "pcm_mulaw" })
    local mp4 = assert(export.run(nvr, "Back Yard", { from = from, to = to, audio = "none",
                                                      path = dir .. "/yard.mp4" }))
    assert.same({ "g711" }, mp4.skipped)
    assert.equal(0, mp4.audio_frames)
    local video = {}
    for _, e in ipairs(archive) do if e.media == "video" then video[#video + 1] = e end end
    check_container(mp4, dir .. "/yard.mp4", from, to, video, { "h264" })
  end)

  it("keeps G.711 audio in .mp4 by transcoding it to AAC, over the whole range", function()
    local from, to = t0, t0 + 10000
    local path = dir .. "/yard-aac.mp4"
    local r = assert(export.run(nvr, yard, { from = from, to = to, path = path }))
    assert.same({}, r.skipped)
    assert.equal("g711", r.transcoded)
    assert.is_true(r.audio_frames > 0)
    local streams, packets = probe(path)
    assert.equal(2, #streams)
    assert.equal("h264", streams[1].codec_name)
    assert.equal("aac", streams[2].codec_name)
    assert.equal(8000, tonumber(streams[2].sample_rate))
    local first, last, n = nil, nil, 0
    for _, p in ipairs(packets) do
      if p.stream == 1 then
        n = n + 1
        first = first or p.pts
        last = p.pts
      end
    end
    -- 10 s of 8 kHz audio in AAC frames of 1024 samples (128 ms): about 78
    assert.is_true(n >= 75 and n <= 82, "AAC packets: " .. n)
    assert.is_true(first <= 200 and last >= 9700, ("audio from %d to %d ms"):format(first, last))
    local ok, out = decodes(path)
    assert.is_true(ok, out)
    assert.equal("", out)
    -- copy into MP4 cannot hold G.711: said, not silently dropped
    local bad, err = export.run(nvr, yard, { from = from, to = to, path = dir .. "/yard-copy.mp4",
                                             audio = "copy" })
    assert.is_nil(bad)
    assert.equal("UNSUPPORTED_CODEC", err.name)
  end)

  it("exports H.264 + AAC to fragmented .mp4", function()
    local from, to = t0 + 5000, t0 + 15000
    local path = dir .. "/door.mp4"
    local r = assert(export.run(nvr, door, { from = from, to = to, path = path }))
    check_container(r, path, from, to, h.archive(sim, door.guid, from, to), { "h264", "aac" })
    local f = assert(io.open(path, "rb"))
    assert.matches("moof", f:read("a"))
    f:close()
    assert.is_true((decodes(path)))
  end)

  it("keeps a gap in the recording as a gap in the file (Front Door)", function()
    local gap_from, gap_to = archive_start + 3600000, archive_start + 4200000
    local from, to = gap_from - 5000 + 37, gap_to + 5000
    local path = dir .. "/gap.mkv"
    local r = assert(export.run(nvr, door, { from = from, to = to, path = path }))
    local archive = h.archive(sim, door.guid, from, to)
    assert.equal(#archive, r.frames)
    assert.equal(1, #r.gaps)
    assert.equal(gap_from - FRAME_MS, r.gaps[1].from)
    assert.equal(gap_to, r.gaps[1].to)
    assert.is_false(r.partial)
    check_container(r, path, from, to, archive, { "h264", "aac" })
    local _, packets = probe(path)
    local before, after
    for _, p in ipairs(packets) do
      if p.stream == 0 then
        if p.pts + r.first_ts < gap_from then before = p.pts elseif not after then after = p.pts end
      end
    end
    assert.equal(gap_to - gap_from + FRAME_MS, after - before)
  end)

  it("says partial when the recording ends before `to`", function()
    local from = qvr.time.now() - 5000
    local to = from + 60000
    local path = dir .. "/partial.mkv"
    local r = assert(export.run(nvr, yard, { from = from, to = to, path = path }))
    assert.is_true(r.partial)
    assert.is_true(r.last_ts < to - 50000)
    assert.is_true(r.frames > 50)
    assert.equal(r.frames, count_packets(path))
  end)

  it("fails with NO_FRAMES or the server's error for a range without recording", function()
    local gap_from = archive_start + 3600000
    local r, err = export.run(nvr, door, { from = gap_from + 1000, to = gap_from + 2000,
                                           path = dir .. "/none.mkv" })
    assert.is_nil(r)
    assert.is_truthy(err.name == "NO_FRAMES" or err.name == "SEEK_NO_FILE", tostring(err))
    assert.is_false(exists(dir .. "/none.mkv"))
  end)

  it("exports raw .h264, a .jpg series and a .qvr dump", function()
    local from, to = t0, t0 + 5000
    local r = assert(export.run(nvr, door, { from = from, to = to, path = dir .. "/door.h264" }))
    assert.same({ "aac" }, r.skipped)
    assert.equal(50, r.video_frames)
    assert.equal(50, count_packets(dir .. "/door.h264"))
    local video = 0
    for _, e in ipairs(h.archive(sim, door.guid, from, to)) do
      if e.media == "video" then video = video + e.size end
    end
    assert.equal(video, file_size(dir .. "/door.h264"))

    r = assert(export.run(nvr, garage, { from = from, to = to, path = dir .. "/g/garage.jpg" }))
    assert.equal(dir .. "/g/garage.jpg", r.path)
    local keys = 0
    for _, e in ipairs(h.archive(sim, garage.guid, from, to, false)) do
      if e.key then keys = keys + 1 end
    end
    assert.equal(keys, r.frames)
    for i = 1, keys do
      local p = ("%s/g/garage-%06d.jpg"):format(dir, i)
      local f = assert(io.open(p, "rb"))
      assert.equal("\xFF\xD8\xFF", f:read(3))
      f:close()
    end
    assert.is_false(exists(("%s/g/garage-%06d.jpg"):format(dir, keys + 1)))
    assert.is_false(exists(dir .. "/g/garage.jpg.part"))

    r = assert(export.run(nvr, door, { from = from, to = to, path = dir .. "/door.qvr" }))
    local archive = h.archive(sim, door.guid, from, to)
    assert.equal(#archive, r.frames)
    assert.equal(r.bytes, file_size(dir .. "/door.qvr"))
    local d <close> = assert(qvr.open_dump(dir .. "/door.qvr"))
    assert.equal(#archive, d.count)
    assert.equal("export", d.meta.kind)
    local i = 0
    for f in d:frames() do
      i = i + 1
      assert.equal(archive[i].ts, f.timestamp)
      assert.equal(archive[i].crc32, h.crc32(f.data))
    end
    assert.equal(#archive, i)
  end)

  it("refuses what it cannot write, clearly", function()
    local r, err = export.run(nvr, garage, { from = t0, to = t0 + 3000, path = dir .. "/g.mp4" })
    assert.is_nil(r)
    assert.equal("UNSUPPORTED_CODEC", err.name)
    assert.matches("mjpeg", err.message)
    assert.has_error(function() export.run(nvr, door, { from = t0, to = t0 + 1, path = "x.avi" }) end)
    assert.has_error(function() export.run(nvr, door, { from = t0, to = t0 - 1, path = "x.mkv" }) end)
    assert.has_error(function() export.run(nvr, door, { from = t0, path = 5 }) end)
    r, err = export.run(nvr, "No Such Camera", { from = t0, to = t0 + 1000, path = dir .. "/n.mkv" })
    assert.is_nil(r)
    assert.equal("NO_SUCH_CAMERA", err.name)
  end)

  it("reports progress at most 4 times a second, by recorded time", function()
    local calls = {}
    -- slow the transfer down to about 2 s: 40 frames a `get`, each after 25 ms
    -- (the export's bulk path reads no frame through Lua)
    h.control(sim, "fault=get_frames=40&fault=get_wait=25")
    local ok, r = pcall(export.run, nvr, door, { from = t0, to = t0 + 60000,
      path = dir .. "/progress.mkv",
      progress = function(p) calls[#calls + 1] = { at = qvr.core.monotonic_ms(), p = p } end })
    h.control(sim, "clear=1")
    assert(ok, r)
    assert(r)
    local took = calls[#calls].at - calls[1].at
    assert.is_true(#calls >= 4, "calls " .. #calls)
    assert.is_true(#calls <= took / 250 + 2, ("%d calls in %d ms"):format(#calls, took))
    local last = -1
    for i, c in ipairs(calls) do
      assert.is_true(c.p.fraction >= last and c.p.fraction <= 1)
      last = c.p.fraction
      if i < #calls and i > 1 then
        assert.is_true(c.p.rate > 0 and c.p.bytes > 0 and c.p.eta >= 0)
        assert.is_true(c.at - calls[i - 1].at >= 240)
      end
    end
    assert.equal(1, calls[#calls].p.fraction)
    assert.equal(r.frames, calls[#calls].p.frames)
  end)

  it("keeps the .part of a failed export and resumes it to the uninterrupted file", function()
    local from, to = t0, t0 + 60000
    local full = assert(export.run(nvr, door, { from = from, to = to, path = dir .. "/full.mkv" }))
    -- the transfer stalls after 400 kB: TIMEOUT after a second
    local quick <close> = assert(qvr.connect(h.opts(sim, { stall_timeout = 1 })))
    h.control(sim, "fault=stall_after=400000:qplay")
    local path = dir .. "/failed.mkv"
    local r, err = export.run(quick, "Front Door", { from = from, to = to, path = path,
                                                     retries = 0 })
    assert.is_nil(r)
    assert.equal("TIMEOUT", err.name)
    assert.is_false(exists(path))
    assert.is_true(exists(path .. ".part"))
    assert.is_true(exists(path .. ".part.idx"))     -- .mkv: the index journal
    -- retries carry a broken transfer through within one run
    r = assert(export.run(quick, "Front Door", { from = from, to = to,
                                                 path = dir .. "/retried.mkv", retries = 10 }))
    assert.equal(full.frames, r.frames)
    assert.same(packet_list(dir .. "/full.mkv"), packet_list(dir .. "/retried.mkv"))
    h.control(sim, "clear=1")
    r = assert(export.run(nvr, door, { from = from, to = to, path = path, resume = true }))
    assert.is_true(r.resumed)
    assert.equal(full.frames, r.frames)
    assert.same(packet_list(dir .. "/full.mkv"), packet_list(path))
    assert.is_false(exists(path .. ".part.idx"))
  end)

  -- kill -9 a child half way, resume in this process, compare
  local function killed_then_resumed(ext)
    local from, to = t0, t0 + 180000
    local path = dir .. "/killed." .. ext
    local full_path = dir .. "/whole." .. ext
    local full = assert(export.run(nvr, door, { from = from, to = to, path = full_path }))
    local script = dir .. "/child-" .. ext .. ".lua"
    local f = assert(io.open(script, "w"))
    f:write(([[
      local qvr = require "qvrpro"
      local core = qvr.core
      local Playback = core.methods("qvrpro.Playback")
      local read, n = Playback.read, 0
      Playback.read = function(self)
        n = n + 1
        if n %% 4 == 0 then core.sleep(0.002) end
        return read(self)
      end
      local nvr = assert(qvr.connect{ host = "127.0.0.1", port = %d, user = "admin",
                                      password = "admin" })
      assert(require("qvrpro.export").run(nvr, "Front Door", { from = %d, to = %d, path = %q }))
      print("finished")
    ]]):format(sim.port, from, to, path))
    f:close()
    local pidfile = dir .. "/child-" .. ext .. ".pid"
    -- the child reads slowly: 40 frames a `get`, each after 10 ms
    h.control(sim, "fault=get_frames=40&fault=get_wait=10")
    local pid = support.spawn_child(script, dir .. "/child.log", pidfile)
    -- .qvr: the .part is the journal; .mp4: a .qvr journal of every frame;
    -- .mkv: the .part is cut back to its index journal's last sync point
    local journal = (ext == "qvr" or ext == "mkv") and path .. ".part" or path .. ".part.qvr"
    local total = full.bytes
    support.kill_when(sim, dir .. "/child.log", pid, path,
      function() return (file_size(journal) or 0) >= total // 3 end)
    local size = file_size(journal)
    assert.is_true(size >= total // 3 and size < total, "journal " .. size .. " of " .. total)
    local r = assert(export.run(nvr, door, { from = from, to = to, path = path, resume = true }))
    assert.is_true(r.resumed)
    assert.equal(full.frames, r.frames)
    assert.equal(full.first_ts, r.first_ts)
    assert.equal(full.last_ts, r.last_ts)
    return full_path, path
  end

  for _, ext in ipairs({ "mkv", "mp4" }) do
    it("resumes a " .. ext .. " export killed with kill -9 into the uninterrupted file", function()
      local full_path, path = killed_then_resumed(ext)
      assert.same(packet_list(full_path), packet_list(path))
      assert.is_true((decodes(path)))
    end)
  end

  it("resumes a .qvr export killed with kill -9, record for record", function()
    local full_path, path = killed_then_resumed("qvr")
    h.assert_same_dumps(full_path, path, true)
  end)
end)
