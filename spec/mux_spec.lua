-- qvrpro.mux (csrc/media/mux.c over libavformat): frames of the simulator's archive
-- into Matroska and MP4, checked packet by packet with ffprobe.
local h = require "helpers"
local frames_of = h.frames_of
local probe = h.probe
local qvr = require "qvrpro"
local mux = require "qvrpro.mux"

local function decodes(path)
  local out, ok = h.capture("ffmpeg -v error -i " .. h.shell_quote(path) .. " -f null - 2>&1")
  return ok and out == "", out
end

local function first(frames, pred)
  for _, f in ipairs(frames) do if pred(f) then return f end end
end

local function write_all(m, frames, v, a, skip)
  local n = 0
  for _, f in ipairs(frames) do
    local s = f.media == "video" and v or a
    if s and not (skip and skip(f)) then
      assert(m:write(s, f))
      n = n + 1
    end
  end
  return n
end

-- the streams of a camera's frames added to m: video index, audio index
local function add_streams(m, frames, opts)
  opts = opts or {}
  local key = first(frames, function(f) return f.media == "video" and f.key end)
  local audio = first(frames, function(f) return f.media == "audio" end)
  local v = assert(m:add_stream{ codec = key.codec, width = key.width, height = key.height,
                                 extradata = key.codec == "h264" and mux.h264_extradata(key) or nil })
  local a
  if audio and not opts.no_audio then
    local asc = audio.codec == "aac" and mux.aac_config(audio) or nil
    a = assert(m:add_stream{ codec = audio.codec, fourcc = opts.fourcc or audio.fourcc,
                             sample_rate = audio.sample_rate, channels = audio.channels,
                             extradata = asc })
  end
  return v, a
end

describe("mux", function()
  local S = h.with_sim({ "--no-pace" })
  local t0, dir
  setup(function()
    t0 = (qvr.time.now() - 2 * 3600000) // 1000 * 1000
    dir = h.tmpdir()
  end)
  teardown(function() h.execute("rm -rf " .. h.shell_quote(dir)) end)

  for _, fmt in ipairs({ "matroska", "mp4" }) do
    it("writes H.264 and AAC into " .. fmt .. " packet for packet", function()
      local frames = frames_of(assert(S.nvr:playback("Front Door", { from = t0, to = t0 + 5000,
                                                                 timecontrol = false })))
      local path = dir .. "/door." .. fmt
      local m = assert(mux.muxer(path, { format = fmt, fragmented = true,
                                         metadata = { title = "Front Door" } }))
      local v, a = add_streams(m, frames)
      assert.equal(1, v)
      assert.equal(2, a)
      local n = write_all(m, frames, v, a)
      assert.is_true(assert(m:close()))
      assert.equal(n, m.packets)
      assert.is_true(m.bytes > 0)
      local streams, packets, format = probe(path)
      h.assert_front_door_streams(streams)
      assert.equal(1, streams[2].channels)
      assert.equal("Front Door", format.tags.title)
      assert.equal(#frames, #packets)
      -- per stream, in order: the frames' times from the first frame, sizes, key flags
      local by = { {}, {} }
      for _, p in ipairs(packets) do table.insert(by[p.stream + 1], p) end
      local seen = { 0, 0 }
      for _, f in ipairs(frames) do
        local s = f.media == "video" and 1 or 2
        seen[s] = seen[s] + 1
        local p = by[s][seen[s]]
        assert.equal(f.timestamp - frames[1].timestamp, p.pts)
        if s == 1 then
          assert.equal(f.key, p.key)
        else
          assert.equal(f.size - 7, p.size)   -- ADTS header stripped
        end
      end
      assert.is_true(decodes(path))
    end)
  end

  it("makes MP4 fragmented, so a cut file still plays", function()
    local frames = frames_of(assert(S.nvr:playback("Front Door", { from = t0, to = t0 + 4000,
                                                               timecontrol = false })))
    local path = dir .. "/frag.mp4"
    local m = assert(mux.muxer(path, { format = "mp4", fragmented = true }))
    local v, a = add_streams(m, frames)
    write_all(m, frames, v, a)
    assert(m:close())
    local f = assert(io.open(path, "rb"))
    local bytes = f:read("a")
    f:close()
    local moofs = select(2, bytes:gsub("moof", "moof"))
    assert.is_true(moofs >= 3, "fragments: " .. moofs)
    -- killed after some fragments: the complete fragments before the cut
    -- still read.  Cut at the start of the last complete fragment but one
    -- (a box's 4-byte size comes before its "moof" type); where a kill lands
    -- inside a fragment, ffprobe's verdict on the partial tail varies.
    local starts = {}
    for pos in bytes:gmatch("()moof") do starts[#starts + 1] = pos - 4 end
    local cut = dir .. "/frag-cut.mp4"
    f = assert(io.open(cut, "wb"))
    f:write(bytes:sub(1, starts[#starts - 1] - 1))
    f:close()
    local _, packets = probe(cut, true)
    assert.is_true(#packets > 0 and #packets < #frames, "packets " .. #packets)
    local _, whole = probe(path, true)
    for i, p in ipairs(packets) do       -- the cut file's packets are the whole file's first ones
      assert.same(whole[i], p)
    end
  end)

  it("keeps a gap in the recording as a gap in time", function()
    local frames = frames_of(assert(S.nvr:playback("Back Yard", { from = t0, to = t0 + 6000,
                                                              timecontrol = false })))
    local path = dir .. "/gap.mkv"
    local m = assert(mux.muxer(path, { format = "matroska", zero = t0 }))
    local v, a = add_streams(m, frames)
    local function in_gap(f) return f.timestamp >= t0 + 2000 and f.timestamp < t0 + 4000 end
    local n = write_all(m, frames, v, a, in_gap)
    assert(m:close())
    local streams, packets = probe(path)
    assert.equal("pcm_mulaw", streams[2].codec_name)
    assert.equal(n, #packets)
    local before, after
    for _, p in ipairs(packets) do
      if p.stream == 0 and p.pts < 2000 then before = p.pts end
      if p.stream == 0 and p.pts >= 2000 and not after then after = p.pts end
    end
    assert.equal(1900, before)
    assert.equal(4000, after)
    assert.is_true(decodes(path))
  end)

  it("maps the A711 fourcc to A-law", function()
    local frames = frames_of(assert(S.nvr:playback("Back Yard", { from = t0, to = t0 + 1000,
                                                              timecontrol = false })))
    local path = dir .. "/alaw.mkv"
    local m = assert(mux.muxer(path, { format = "matroska" }))
    local v, a = add_streams(m, frames, { fourcc = "A711" })
    write_all(m, frames, v, a)
    assert(m:close())
    local streams = probe(path)
    assert.equal("pcm_alaw", streams[2].codec_name)
  end)

  it("fails clearly", function()
    local frames = frames_of(assert(S.nvr:playback("Garage", { from = t0, to = t0 + 1000,
                                                           timecontrol = false })))
    local m, err = mux.muxer(dir .. "/x.nope", { format = "no-such-format" })
    assert.is_nil(m)
    assert.equal("MUX_ERROR", err.name)
    m, err = mux.muxer(dir .. "/missing/dir/x.mkv", { format = "matroska" })
    assert.is_nil(m)
    assert.matches("x.mkv", err.message)
    m = assert(mux.muxer(dir .. "/garage.mkv", { format = "matroska" }))
    assert.has_error(function() m:add_stream{ codec = "theora" } end)
    local v = assert(m:add_stream{ codec = "mjpeg", width = 320, height = 240 })
    assert.has_error(function() m:write(2, frames[1]) end)
    assert.has_error(function() m:write(v, "not a frame") end)
    assert(m:write(v, frames[1]))
    local s, serr = m:add_stream{ codec = "g711", sample_rate = 8000 }
    assert.is_nil(s)
    assert.matches("before the first frame", serr.message)
    -- the muxer stays failed, and says so
    local ok, werr = m:write(v, frames[2])
    assert.is_nil(ok)
    assert.equal("MUX_ERROR", werr.name)
    m:close()
    m:close()
    assert.is_true(m.closed)
    assert.has_error(function() m:write(v, frames[2]) end)
    assert.matches("closed", tostring(m))
    assert.is_nil(mux.h264_extradata("no start codes here"))
    assert.is_nil(mux.aac_config(frames[1]))
  end)
end)
