-- The .qvr dump (csrc/proto/dump.c): playbacks and live streams written losslessly,
-- read back through the parser as the same frames, seeking, files cut short,
-- resuming a cut dump, and hostile input.
local h = require "helpers"
local frames_of = h.frames_of
local read_file = h.read_file
local write_file = h.write_file
local qvr = require "qvrpro"
local core = qvr.core

-- every field a script sees, the header bytes and a checksum of the payload
local function assert_same(expected, got, what)
  assert.equal(#expected, #got, what .. ": frame count")
  for i, e in ipairs(expected) do
    local f = got[i]
    for _, k in ipairs({ "timestamp", "size", "fourcc", "codec", "media", "key", "width",
                         "height", "osd", "flags", "sample_rate", "channels", "header" }) do
      assert.equal(e[k], f[k], ("%s: %s of frame %d"):format(what, k, i))
    end
    assert.equal(h.crc32(e.data), h.crc32(f.data), ("%s: payload of frame %d"):format(what, i))
  end
end

local function record_ends(path, frames)
  local meta_len = string.unpack("<I4", read_file(path), 9)
  local ends, off = {}, 12 + meta_len
  for i, f in ipairs(frames) do
    off = off + 16 + #f.header + f.size
    ends[i] = off
  end
  return ends, 12 + meta_len
end

describe("dump", function()
  local sim, nvr, yard, door, garage, t0, dir
  setup(function()
    sim = h.start_sim({ "--no-pace" })
    nvr = assert(qvr.connect(h.opts(sim)))
    yard = assert(nvr:camera("Back Yard"))
    door = assert(nvr:camera("Front Door"))
    garage = assert(nvr:camera("Garage"))
    t0 = h.archive_t0()
    dir = h.tmpdir()
  end)
  teardown(function()
    nvr:close()
    sim.stop()
    h.execute("rm -rf " .. h.shell_quote(dir))
  end)

  it("writes a playback and reads back the archive's frames, byte for byte", function()
    local path = dir .. "/door.qvr"
    local pb <close> = assert(door:playback{ from = t0, to = t0 + 5000, timecontrol = false })
    local n = assert(pb:dump(path))
    local archive = h.archive(sim, door.guid, t0, t0 + 5000)
    assert.equal(#archive, n)
    local r <close> = assert(qvr.open_dump(path))
    assert.is_true(r.complete)
    assert.equal(n, r.count)
    assert.equal(archive[1].ts, r.first_timestamp)
    assert.equal(archive[#archive].ts, r.last_timestamp)
    assert.equal("playback", r.meta.kind)
    assert.equal(door.guid, r.meta.camera.guid)
    assert.equal("Front Door", r.meta.camera.name)
    assert.equal(t0, r.meta.from)
    assert.equal("source", r.meta.data_type)
    local got = frames_of(r)
    for i, e in ipairs(archive) do
      local f = got[i]
      assert.equal(e.ts, f.timestamp)
      assert.equal(e.size, f.size)
      assert.equal(e.fourcc, f.fourcc)
      assert.equal(e.crc32, h.crc32(f.data))
      if e.media == "video" then assert.equal(e.key, f.key) end
    end
    -- the same frames as a second playback of the range, header bytes included
    local again = frames_of(assert(door:playback{ from = t0, to = t0 + 5000, timecontrol = false }))
    assert_same(again, got, "dump vs stream")
    local audio
    for _, f in ipairs(got) do if f.media == "audio" then audio = f break end end
    assert.equal(64, #audio.header)
    assert.equal(16000, audio.sample_rate)
  end)

  it("keeps the audio layout of a quirky stream", function()
    h.control(sim, "quirk=audio_layout=sizeinc")
    local path = dir .. "/sizeinc.qvr"
    local direct = frames_of(assert(yard:playback{ from = t0, to = t0 + 1000, timecontrol = false }))
    assert(assert(yard:playback{ from = t0, to = t0 + 1000, timecontrol = false }):dump(path))
    h.control(sim, "clear=1")
    assert_same(direct, frames_of(assert(qvr.open_dump(path))), "sizeinc")
  end)

  it("dumps JPEG-mode playback as JPEG records", function()
    local path = dir .. "/garage.qvr"
    local direct = frames_of(assert(garage:playback{ from = t0, to = t0 + 4000,
                                                     data_type = "jpeg", timecontrol = false }))
    local n = assert(assert(garage:playback{ from = t0, to = t0 + 4000, data_type = "jpeg",
                                             timecontrol = false }):dump(path))
    assert.equal(#direct, n)
    assert.is_true(n > 0)
    local got = frames_of(assert(qvr.open_dump(path)))
    assert_same(direct, got, "jpeg")
    assert.equal("jpeg", got[1].codec)
    assert.matches("^Garage\n%d+\n%d+\n$", got[1].header)
    local raw = read_file(path)
    local meta_len = string.unpack("<I4", raw, 9)
    assert.equal(2, raw:byte(12 + meta_len + 1))   -- record type 2
  end)

  it("seeks to the last key frame at or before a time, with and without the index", function()
    local path = dir .. "/seek.qvr"
    assert(assert(door:playback{ from = t0, to = t0 + 10000, timecontrol = false }):dump(path))
    local archive = h.archive(sim, door.guid, t0, t0 + 10000)
    local function expect(ts)
      local best = archive[1]
      for _, e in ipairs(archive) do
        if e.ts > ts then break end
        if e.media == "video" and e.key then best = e end
      end
      return best
    end
    local raw = read_file(path)
    local index_off = string.unpack("<I8", raw, #raw - 15)
    local cut = dir .. "/seek-noindex.qvr"
    write_file(cut, raw:sub(1, index_off))
    for _, p in ipairs({ path, cut }) do
      local r <close> = assert(qvr.open_dump(p))
      assert.equal(p == path, r.complete)
      for ts = t0 - 100, t0 + 10100, 333 do
        assert.is_true(assert(r:seek(ts)))
        local f = assert(r:read())
        local e = expect(ts)
        assert.equal(e.ts, f.timestamp, "seek " .. ts .. " in " .. p)
        assert.equal(e.media, f.media)
      end
    end
  end)

  it("reads a file cut anywhere up to its last complete record, then stops clearly", function()
    local path = dir .. "/cut-src.qvr"
    local frames = frames_of(assert(yard:playback{ from = t0, to = t0 + 2000, timecontrol = false }))
    assert(assert(yard:playback{ from = t0, to = t0 + 2000, timecontrol = false }):dump(path))
    local raw = read_file(path)
    local ends, start = record_ends(path, frames)
    local cut = dir .. "/cut.qvr"
    local step = os.getenv("QVR_TEST_ASAN") and 1931 or 211
    local tried = 0
    for len = 0, #raw - 1, step do
      write_file(cut, raw:sub(1, len))
      tried = tried + 1
      local r, err = qvr.open_dump(cut)
      if len < start then
        assert.is_nil(r)
        assert.is_truthy(err.name == "TRUNCATED" or err.name == "BAD_DUMP")
      else
        local complete = 0
        while complete < #frames and ends[complete + 1] <= len do complete = complete + 1 end
        local n, last_err = 0
        while true do
          local f, ferr = r:read()
          if not f then last_err = ferr break end
          n = n + 1
          assert.equal(frames[n].timestamp, f.timestamp)
          assert.equal(h.crc32(frames[n].data), h.crc32(f.data))
        end
        assert.equal(complete, n, "frames from a file cut at " .. len)
        local boundary = len == start or (complete > 0 and ends[complete] == len)
        if boundary then
          assert.is_nil(last_err)
        else
          assert.equal("TRUNCATED", last_err.name)
          assert.matches("ends inside", last_err.message)
        end
        -- the iterator raises the same error
        if not boundary then
          r:close()
          r = assert(qvr.open_dump(cut))
          local ok, ierr = pcall(function() for _ in r:frames() do end end)
          assert.is_false(ok)
          assert.equal("TRUNCATED", ierr.name)
        end
        r:close()
      end
    end
    assert.is_true(tried > 20)
  end)

  it("resumes a cut dump with append = true into the uninterrupted file", function()
    local path = dir .. "/full.qvr"
    local frames = frames_of(assert(yard:playback{ from = t0, to = t0 + 3000, timecontrol = false }))
    local w = assert(core.dump_writer(path, { camera = "yard" }))
    for _, f in ipairs(frames) do assert(w:write(f)) end
    assert.equal(#frames, w.frames)
    assert.is_true(assert(w:close()))
    local raw = read_file(path)
    local ends = record_ends(path, frames)
    local part = dir .. "/part.qvr"
    for _, k in ipairs({ 1, #frames // 3, #frames - 1 }) do
      write_file(part, raw:sub(1, ends[k] + 7))     -- killed 7 bytes into record k + 1
      local a = assert(core.dump_writer(part, nil, { append = true }))
      assert.equal(k, a.frames)
      assert.equal(frames[k].timestamp, a.last_timestamp)
      for i = k + 1, #frames do assert(a:write(frames[i])) end
      assert(a:close())
      assert.equal(raw, read_file(part), "resumed after record " .. k)
    end
    -- appending to a finished dump drops its index and continues it
    local half = dir .. "/half.qvr"
    w = assert(core.dump_writer(half, { camera = "yard" }))
    for i = 1, 10 do w:write(frames[i]) end
    w:close()
    w = assert(core.dump_writer(half, "{}", { append = true }))
    for i = 11, #frames do w:write(frames[i]) end
    w:close()
    assert.equal(raw, read_file(half))
    -- append to a missing file creates it
    local fresh = dir .. "/fresh.qvr"
    w = assert(core.dump_writer(fresh, { camera = "yard" }, { append = true }))
    for _, f in ipairs(frames) do w:write(f) end
    w:close()
    assert.equal(raw, read_file(fresh))
  end)

  it("dumps a live stream until a time", function()
    local path = dir .. "/live.qvr"
    local live <close> = assert(nvr:live("Back Yard"))
    local first = assert(live:read())
    local n = assert(live:dump(path, { until_ts = first.timestamp + 1000 }))
    local r <close> = assert(qvr.open_dump(path))
    assert.equal("live", r.meta.kind)
    assert.equal(n, r.count)
    assert.is_true(n >= 50)     -- 10 video + 50 audio frames a second
    assert.is_true(r.last_timestamp <= first.timestamp + 1000)
    assert.is_true(r.first_timestamp >= first.timestamp)
  end)

  it("fails clearly on what is not a dump, and on misuse", function()
    local p = dir .. "/bad.qvr"
    write_file(p, "RIFF\0\0\0\0WAVEfmt ")
    local r, err = qvr.open_dump(p)
    assert.is_nil(r)
    assert.equal("BAD_DUMP", err.name)
    assert.matches("bad magic", err.message)
    write_file(p, "QVRDUMP1" .. string.pack("<I4", 0x7fffffff) .. "{}")
    r, err = qvr.open_dump(p)
    assert.is_nil(r)
    assert.matches("over the limit", err.message)
    write_file(p, "QVRDUMP1" .. string.pack("<I4", 5) .. "[1,2]")
    r, err = qvr.open_dump(p)
    assert.is_nil(r)
    assert.matches("not a JSON object", err.message)
    r, err = qvr.open_dump(dir .. "/missing.qvr")
    assert.is_nil(r)
    assert.equal("IO_ERROR", err.name)
    local w, werr = core.dump_writer(dir .. "/no/such/dir/x.qvr", {})
    assert.is_nil(w)
    assert.equal("IO_ERROR", werr.name)
    assert.has_error(function() core.dump_writer(p, "[1]") end)
    assert.has_error(function() core.dump_writer(p, { [true] = 1 }) end)
    w = assert(core.dump_writer(p, { list = { 1, 2, 3 }, nested = { a = { b = "c" } } }))
    assert.has_error(function() w:write("not a frame") end)
    w:close()
    w:close()
    assert.has_error(function() w:write(nil) end)
    r = assert(qvr.open_dump(p))
    assert.same({ 1, 2, 3 }, r.meta.list)
    assert.equal("c", r.meta.nested.a.b)
    assert.is_nil(r:read())
    r:close()
    r:close()
    assert.has_error(function() r:read() end)
    assert.matches("closed", tostring(r))
  end)
end)

describe("dump meta rewritten in place (gaps)", function()
  local dir
  setup(function() dir = h.tmpdir() end)
  teardown(function() h.execute("rm -rf " .. h.shell_quote(dir)) end)

  it("keeps a growing gaps list in the meta of a plain QVRDUMP1 file", function()
    local dump = require "qvrpro.dump"
    local path = dir .. "/gaps.qvr"
    local gaps = {}
    local w, update = assert(dump.gap_writer(path, { camera = "Back Yard" }, gaps))
    assert(update())
    gaps[1] = { from = 1000, to = 1500 }
    assert(update())
    gaps[2] = { from = 2000, to = 2100 }
    assert(update())
    assert(w:close())
    local r = assert(qvr.open_dump(path))
    assert.equal("Back Yard", r.meta.camera)
    assert.same({ { from = 1000, to = 1500 }, { from = 2000, to = 2100 } }, r.meta.gaps)
    assert.is_nil(r.meta.gaps_incomplete)
    r:close()
    -- the head is the format's: magic, meta length, the meta's JSON and spaces
    local head = h.read_file(path):sub(1, 12)
    assert.equal("QVRDUMP1", head:sub(1, 8))
  end)

  it("keeps the first gaps and says so when the room runs out", function()
    local dump = require "qvrpro.dump"
    local path = dir .. "/many.qvr"
    local gaps = {}
    local w, update = assert(dump.gap_writer(path, {}, gaps))
    for i = 1, 3000 do
      gaps[i] = { from = 1796000000000 + i * 1000, to = 1796000000000 + i * 1000 + 500 }
    end
    assert(update())
    assert(w:close())
    local r = assert(qvr.open_dump(path))
    assert.is_true(r.meta.gaps_incomplete)
    assert.is_true(#r.meta.gaps > 1000 and #r.meta.gaps < 3000)
    assert.same(gaps[1], r.meta.gaps[1])
    r:close()
  end)

  it("refuses a meta that does not fit, and the writer goes on", function()
    local w = assert(qvr.core.dump_writer(dir .. "/tight.qvr", { a = 1 }))
    local ok, err = w:set_meta({ a = 1, more = "does not fit" })
    assert.is_nil(ok)
    assert.equal("BAD_ARGUMENT", err.name)
    assert(w:set_meta({ a = 2 }))
    assert(w:close())
    local r = assert(qvr.open_dump(dir .. "/tight.qvr"))
    assert.equal(2, r.meta.a)
    r:close()
  end)
end)
