-- Resume of .mkv exports from their index journal (lua/qvrpro/sink/journal.lua,
-- csrc/media/mux.c sync points): kill -9 at any moment, resume, and the file
-- holds exactly the packets of an uninterrupted export (ffprobe); the journal
-- is small beside the footage; a torn journal resumes from its last whole
-- line; a journal that does not match its .part is refused with a clear
-- error and nothing is touched.
local h = require "helpers"
local support = require "export_support"
local qvr = require "qvrpro"
local export = require "qvrpro.export"
local journal = require "qvrpro.sink.journal"

local packet_list, file_size = support.packet_list, support.file_size

-- the result fields an uninterrupted export and a resumed one share
local function same_result(full, r)
  for _, k in ipairs { "frames", "video_frames", "audio_frames", "first_ts", "last_ts",
                       "partial", "format" } do
    assert.equal(full[k], r[k], k)
  end
  assert.same(full.gaps, r.gaps)
  assert.same(full.skipped, r.skipped)
end

describe("export resume from the index journal", function()
  -- every killed child leaves its qplay session open until it expires
  local S = support.with_export_sim({ "--no-pace", "--max-qplay", "64" })
  local sim, nvr, t0, dir, archive_start
  setup(function() sim, nvr, t0, dir, archive_start = S.sim, S.nvr, S.t0, S.dir, S.archive_start end)

  -- a child process exporting (slowly: `per` (40) frames a `get`, each after 20 ms)
  local function start_child(cam, from, to, path, resume, per)
    local script = dir .. "/child.lua"
    local f = assert(io.open(script, "w"))
    f:write(([[
      local qvr = require "qvrpro"
      local nvr = assert(qvr.connect{ host = "127.0.0.1", port = %d, user = "admin",
                                      password = "admin" })
      assert(require("qvrpro.export").run(nvr, %q, { from = %d, to = %d, path = %q,
                                                      resume = %s }))
      print("finished")
    ]]):format(sim.port, cam, from, to, path, tostring(resume)))
    f:close()
    h.control(sim, ("fault=get_frames=%d&fault=get_wait=20"):format(per or 40))
    local pidfile = dir .. "/child.pid"
    return support.spawn_child(script, dir .. "/child.log", pidfile)
  end

  -- kills the child once reached() is true (export_support.kill_when)
  local function kill_when(pid, path, reached)
    support.kill_when(sim, dir .. "/child.log", pid, path, reached)
  end

  -- kills the child once its .part holds `at` bytes
  local function kill_at(pid, path, at)
    kill_when(pid, path, function() return (file_size(path .. ".part") or 0) >= at end)
  end

  local cases = {
    { cam = "Front Door", what = "H.264 + AAC" },
    { cam = "Back Yard", what = "H.264 + G.711 (small audio frames)" },
    { cam = "Garage", what = "MJPEG", per = 4 },      -- 900 frames: fewer a `get`
  }
  for _, c in ipairs(cases) do
    it("resumes a .mkv of " .. c.what .. " killed twice with kill -9, to the uninterrupted file",
      function()
        local from, to = t0, t0 + 180000
        local name = c.cam:gsub(" ", "_")
        local full_path, path = dir .. "/full-" .. name .. ".mkv", dir .. "/killed-" .. name .. ".mkv"
        local full = assert(export.run(nvr, c.cam, { from = from, to = to, path = full_path }))
        kill_at(start_child(c.cam, from, to, path, false, c.per), path, full.bytes // 4)
        local jsize, psize = file_size(path .. ".part.idx"), file_size(path .. ".part")
        assert.is_truthy(jsize, "no index journal")
        -- the journal holds offsets, not frames: small beside the footage
        assert.is_true(jsize * 20 < psize, ("journal %d bytes, .part %d"):format(jsize, psize))
        kill_at(start_child(c.cam, from, to, path, true, c.per), path, full.bytes * 2 // 3)
        local r = assert(export.run(nvr, c.cam, { from = from, to = to, path = path,
                                                  resume = true }))
        assert.is_true(r.resumed)
        same_result(full, r)
        assert.same(packet_list(full_path), packet_list(path))
        assert.is_nil(file_size(path .. ".part.idx"))
        assert.is_nil(file_size(path .. ".part"))
      end)
  end

  -- Every sync point the muxer reports, not only the one a kill happens to
  -- leave: the .part cut there (with half the next cluster after it, as a
  -- kill mid-cluster leaves it), the journal written and read back, the sink
  -- reopened from it and given the whole frame sequence again: the file
  -- must hold exactly the packets of the uninterrupted one.
  local container = require "qvrpro.sink.container"
  local function every_sync_point(cam, from, to, name, reorder)
    local pb = assert(nvr:playback(cam, { from = from, to = to, timecontrol = false }))
    local frames = {}
    for f in pb:frames() do frames[#frames + 1] = f end
    pb:close()
    if reorder then reorder(frames) end
    local function sink(part)
      local c = container.open(part, "mkv", cam, true)
      c.from, c.to, c.floor = from, to, from
      return c
    end
    local full_part = dir .. "/" .. name .. "-all.mkv"
    local c = sink(full_part)
    local points, seen = {}, nil
    for _, f in ipairs(frames) do
      assert(c:push(f))
      local s = c.loop and c.loop:sync()
      if s and s.seq ~= seen then
        seen = s.seq
        local jpath = ("%s/%s-%d.idx"):format(dir, name, #points + 1)
        local w = assert(journal.create(jpath, { zero = c.zero, title = c.metadata.title,
          creation_time = c.metadata.creation_time, floor = from }, c.specs))
        assert(w:sync(s, c:refresh()))
        w:close()
        points[#points + 1] = { jpath = jpath, bytes = h.read_file(full_part):sub(1, s.offset) }
      end
    end
    assert(c:finish())
    local want, whole = packet_list(full_part), h.read_file(full_part)
    assert.is_true(#points >= 5, "sync points: " .. #points)
    for i, p in ipairs(points) do
      local part = ("%s/%s-%d.mkv"):format(dir, name, i)
      local f = assert(io.open(part, "wb"))
      -- then the start of the next cluster, cut short as a kill leaves it
      f:write(p.bytes, whole:sub(#p.bytes + 1, #p.bytes + 3000))
      f:close()
      local j = assert(journal.load(p.jpath))
      local r = sink(part)
      assert(r:reopen(j))
      r.loop:arm_skip()
      for _, fr in ipairs(frames) do assert(r:push(fr)) end
      assert(r:finish())
      assert.same(want, packet_list(part), ("resumed at sync point %d (byte %d)"):format(i, #p.bytes))
      assert.equal(c.video_frames, r.video_frames)
      assert.equal(c.audio_frames, r.audio_frames)
    end
  end

  it("resumes to the same packets from every sync point: H.264 + AAC across a gap", function()
    local gap_from, gap_to = archive_start + 3600000, archive_start + 4200000
    every_sync_point("Front Door", gap_from - 20000, gap_to + 20000, "door")
  end)

  it("resumes to the same packets from every sync point where a cluster of one held-back "
    .. "audio frame ends with the first video frame after a gap", function()
    -- after the gap: video, audio, then video at once (another interleaving
    -- a camera may send): the muxer, keeping the last audio frame before the
    -- gap back for the next cluster, writes it in a cluster of its own
    -- within the same packet (its blocks' 16-bit times cannot reach across
    -- the gap), a point that is no sync point (csrc/media/mux.c, note_sync)
    local gap_from, gap_to = archive_start + 3600000, archive_start + 4200000
    every_sync_point("Front Door", gap_from - 20000, gap_to + 20000, "door2", function(frames)
      local v1, a1, v2
      for i, f in ipairs(frames) do
        if f.timestamp >= gap_to then
          if f.media == "video" then
            if not v1 then v1 = i elseif not v2 then v2 = i end
          elseif not a1 then
            a1 = i
          end
        end
      end
      assert(v1 and a1 and v2, "no video, audio and video after the gap")
      local three = { frames[v1], frames[a1], frames[v2] }
      local at = math.min(v1, a1)
      local gone = { v1, a1, v2 }
      table.sort(gone, function(x, y) return x > y end)
      for _, i in ipairs(gone) do table.remove(frames, i) end
      for k = 3, 1, -1 do table.insert(frames, at, three[k]) end
    end)
  end)

  it("resumes to the same packets from every sync point: H.264 + G.711 (small audio frames)",
    function()
      every_sync_point("Back Yard", t0, t0 + 40000, "yard")
    end)

  it("moves a .mkv export's frames in C: Lua reads only the first seconds", function()
    local Playback = qvr.core.methods("qvrpro.Playback")
    local read, n = Playback.read, 0
    Playback.read = function(self)
      n = n + 1
      return read(self)
    end
    local ok, r = pcall(export.run, nvr, "Front Door", { from = t0, to = t0 + 180000,
      path = dir .. "/bulk.mkv" })
    Playback.read = read
    assert(ok, r)
    assert(r)
    -- the container waits about 2 s of recorded time for its streams; then
    -- the export loop takes the frames straight from the stream
    assert.is_true(r.frames > 3000, "frames " .. r.frames)
    assert.is_true(n < r.frames // 20, ("%d of %d frames read through Lua"):format(n, r.frames))
  end)

  -- kills the child once its index journal records a sync point at `at`
  -- (.h264: bytes, .jpg: images) or later
  local function kill_at_sync(pid, path, at)
    kill_when(pid, path, function()
      local j = journal.load(path .. ".part.idx")
      return j and j.sync and j.sync.offset >= at
    end)
  end

  it("resumes a raw .h264 killed with kill -9 by cutting it back, to the uninterrupted file",
    function()
      local from, to = t0, t0 + 180000
      local full_path, path = dir .. "/full.h264", dir .. "/killed.h264"
      local full = assert(export.run(nvr, "Front Door", { from = from, to = to,
                                                          path = full_path }))
      kill_at_sync(start_child("Front Door", from, to, path, false), path, full.bytes // 3)
      -- the journal holds offsets and state, no frame
      assert.is_true(file_size(path .. ".part.idx") * 20 < file_size(path .. ".part"))
      assert.is_nil(file_size(path .. ".part.qvr"), "no copy of the frames")
      local r = assert(export.run(nvr, "Front Door", { from = from, to = to, path = path,
                                                       resume = true }))
      assert.is_true(r.resumed)
      same_result(full, r)
      assert.equal(full.bytes, r.bytes)
      assert.is_true(h.read_file(full_path) == h.read_file(path), "the same bytes")
      assert.is_nil(file_size(path .. ".part.idx"))
    end)

  it("refuses a .h264 journal that counts more bytes than its .part; force starts afresh",
    function()
      local from, to = t0, t0 + 120000
      local full_path, path = dir .. "/full2.h264", dir .. "/lying.h264"
      local full = assert(export.run(nvr, "Front Door", { from = from, to = to,
                                                          path = full_path }))
      kill_at_sync(start_child("Front Door", from, to, path, false), path, full.bytes // 3)
      local jpath, part = path .. ".part.idx", path .. ".part"
      local j = assert(journal.load(jpath))
      j.sync.offset = file_size(part) + 1000
      journal.create(jpath, j.head, j.streams, j.sync, j.gaps):close()
      local before = h.read_file(part)
      local r, err = export.run(nvr, "Front Door", { from = from, to = to, path = path,
                                                     resume = true })
      assert.is_nil(r)
      assert.equal("RESUME_FAILED", err.name)
      assert.matches("cannot cut .* it holds", err.message)
      assert.is_true(before == h.read_file(part), "the .part is not touched")
      r = assert(export.run(nvr, "Front Door", { from = from, to = to, path = path,
                                                 resume = true, force = true }))
      assert.is_false(r.resumed)
      same_result(full, r)
      assert.is_true(h.read_file(full_path) == h.read_file(path), "the same bytes")
    end)

  it("resumes a .jpg series killed with kill -9 from the images its journal counts", function()
    local from, to = t0, t0 + 180000
    local full_path, path = dir .. "/full/door.jpg", dir .. "/killed/door.jpg"
    local full = assert(export.run(nvr, "Front Door", { from = from, to = to, path = full_path }))
    assert.is_true(full.frames >= 6, "images " .. full.frames)
    kill_at_sync(start_child("Front Door", from, to, path, false, 2), path, full.frames // 3)
    local r = assert(export.run(nvr, "Front Door", { from = from, to = to, path = path,
                                                     resume = true }))
    assert.is_true(r.resumed)
    same_result(full, r)
    for i = 1, full.frames do
      local name = ("/door-%06d.jpg"):format(i)
      assert.is_true(h.read_file(dir .. "/full" .. name) == h.read_file(dir .. "/killed" .. name),
        name)
    end
    assert.is_nil(file_size(dir .. ("/killed/door-%06d.jpg"):format(full.frames + 1)))
  end)

  it("keeps the gaps found before the kill (Front Door's hole in the recording)", function()
    local gap_from, gap_to = archive_start + 3600000, archive_start + 4200000
    local from, to = gap_from - 60000 + 37, gap_to + 60000
    local full_path, path = dir .. "/gap-full.mkv", dir .. "/gap-killed.mkv"
    local full = assert(export.run(nvr, "Front Door", { from = from, to = to, path = full_path }))
    assert.equal(1, #full.gaps)
    kill_at(start_child("Front Door", from, to, path, false), path, full.bytes * 3 // 4)
    local r = assert(export.run(nvr, "Front Door", { from = from, to = to, path = path,
                                                     resume = true }))
    assert.is_true(r.resumed)
    same_result(full, r)
    assert.same(packet_list(full_path), packet_list(path))
  end)

  -- a killed export's .part and journal, and the uninterrupted file
  local function killed(name)
    local from, to = t0, t0 + 120000
    local full_path, path = dir .. "/" .. name .. "-full.mkv", dir .. "/" .. name .. ".mkv"
    local full = assert(export.run(nvr, "Front Door", { from = from, to = to, path = full_path }))
    kill_at(start_child("Front Door", from, to, path, false), path, full.bytes // 2)
    return { from = from, to = to, path = path, full = full, full_path = full_path }
  end

  -- the killed export k run again with resume: its result | nil, err
  local function resume_killed(k)
    return export.run(nvr, "Front Door", { from = k.from, to = k.to, path = k.path, resume = true })
  end

  -- the file of the killed export k ends as the uninterrupted one (result r)
  local function same_as_full(k, r)
    same_result(k.full, r)
    assert.same(packet_list(k.full_path), packet_list(k.path))
  end

  it("resumes from the last whole line of a journal torn by the kill", function()
    local k = killed("torn")
    local jpath = k.path .. ".part.idx"
    local text = h.read_file(jpath)
    local j = assert(journal.load(jpath))
    assert.is_truthy(j.sync)
    -- the last line cut in the middle, as a kill during its write leaves it
    local last = text:match("([^\n]*\n)$")
    local f = assert(io.open(jpath, "wb"))
    f:write(text, last:sub(1, #last // 2))
    f:close()
    local r = assert(resume_killed(k))
    assert.is_true(r.resumed)
    same_as_full(k, r)
  end)

  it("refuses a journal that does not match its .part, clearly, and touches nothing", function()
    local k = killed("lying")
    local jpath, part = k.path .. ".part.idx", k.path .. ".part"
    local good_journal, good_part = h.read_file(jpath), h.read_file(part)
    local j = assert(journal.load(jpath))
    local function lie(change, pattern)
      local sync = {}
      for key, v in pairs(j.sync) do sync[key] = v end
      change(sync)
      journal.create(jpath, j.head, j.streams, sync, j.gaps):close()
      local lied = h.read_file(jpath)
      local r, err = resume_killed(k)
      assert.is_nil(r)
      assert.equal("RESUME_FAILED", err.name)
      assert.matches(pattern, err.message)
      assert.equal(lied, h.read_file(jpath), "the journal is kept")
      assert.is_true(good_part == h.read_file(part), "the .part is not touched")
    end
    lie(function(s) s.offset = #good_part + 4096 end, "fewer than")
    lie(function(s) s.offset = s.offset - 7 end, "no cluster at byte")
    lie(function(s) s.header_len = s.header_len + 1 end, "another export")
    -- no .part at all: refused, and no empty one made
    os.rename(part, part .. ".away")
    journal.create(jpath, j.head, j.streams, j.sync, j.gaps):close()
    local r0, err0 = resume_killed(k)
    assert.is_nil(r0)
    assert.equal("RESUME_FAILED", err0.name)
    assert.matches("is missing", err0.message)
    assert.is_nil(file_size(part))
    os.rename(part .. ".away", part)
    -- a line in the middle that does not read
    local f = assert(io.open(jpath, "wb"))
    f:write((good_journal:gsub("\nstream ", "\nstream \1bad=", 1)))
    f:close()
    local r, err = resume_killed(k)
    assert.is_nil(r)
    assert.equal("RESUME_FAILED", err.name)
    assert.matches("line 2 is corrupt", err.message)
    assert.is_true(good_part == h.read_file(part), "the .part is not touched")
    -- the true journal back: the export continues to the uninterrupted file
    f = assert(io.open(jpath, "wb"))
    f:write(good_journal)
    f:close()
    r = assert(resume_killed(k))
    assert.is_true(r.resumed)
    same_as_full(k, r)
  end)

  it("starts afresh from a journal killed before its first sync point", function()
    local k = killed("early")
    local jpath = k.path .. ".part.idx"
    local j = assert(journal.load(jpath))
    journal.create(jpath, j.head, j.streams):close()     -- head and streams only
    local r = assert(resume_killed(k))
    assert.is_false(r.resumed)
    same_as_full(k, r)
  end)
end)
