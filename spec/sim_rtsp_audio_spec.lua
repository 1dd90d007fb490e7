-- The cameras' audio where a real NVR carries it on the REST side
-- (docs/REST.md "RTSP server", "camera/recordingfile"): the simulator's RTSP
-- stream has an audio track beside the video (AAC as MPEG4-GENERIC, G.711
-- µ-law as PCMU, G.726 as G726-32) on the same clock, so ffprobe lists both
-- and an ffmpeg recording of a few seconds has two tracks of the same length;
-- recordingfile MP4s carry the audio too (AAC copied, G.711 and G.726 as
-- AAC), and the client's clip (recordingfile pieces joined by mux.join)
-- keeps it.  Checked with ffprobe and ffmpeg.
local h = require "helpers"

local q = h.shell_quote
local FRONT = "00089BF9B26200089BF9B26200080000"  -- H.264 720p, AAC 16 kHz
local YARD = "8FBC58E2F7274AF3B6F6761E90FB0001"   -- H.264 360p, G.711 µ-law 8 kHz
local GARAGE = "4A1E0C7D9B3F4E21A5C6D7E8F9000002" -- MJPEG, no audio
local GATE = "6726A0D10C0A4B1E9F2E3D4C5B6A0004"   -- H.264 360p, G.726 8 kHz (--extra-camera)
local MEDIA = h.root .. "/tools/media/"

--- ffprobe of a URL or file: its streams.
local function probe_streams(target)
  local out, ok = h.capture("timeout 60 ffprobe -v error -rtsp_transport tcp -of json "
    .. "-show_streams " .. q(target) .. " 2>&1")
  assert(ok, out)
  return h.json(out).streams
end

--- The streams of a file by codec_type.
local function by_type(streams)
  local by = {}
  for _, s in ipairs(streams) do by[s.codec_type] = s end
  return by
end

--- A stream's duration in seconds: its own, or Matroska's DURATION tag.
local function duration(s)
  if tonumber(s.duration) then return tonumber(s.duration) end
  local hh, mm, ss = ((s.tags or {}).DURATION or ""):match("^(%d+):(%d+):([%d.]+)$")
  assert(hh, "no duration for stream " .. tostring(s.index))
  return tonumber(hh) * 3600 + tonumber(mm) * 60 + tonumber(ss)
end

--- An MP4's streams by type (and its packets, as h.probe gives them) once
-- it is checked to hold two streams, the audio AAC at rate (a string, Hz)
-- and the video secs seconds long (within 0.1 s); then the video's and the
-- audio's durations.  t, packets, v, a
local function probe_aac(path, rate, secs)
  local streams, packets = h.probe(path)
  local t = by_type(streams)
  assert.equal(2, #streams)
  assert.equal("aac", t.audio.codec_name)
  assert.equal(rate, t.audio.sample_rate)
  local v, a = duration(t.video), duration(t.audio)
  assert.is_true(math.abs(v - secs) <= 0.1, "video " .. v)
  return t, packets, v, a
end

--- ffmpeg's mean volume (dB; silence is -91) of a file's audio.
local function mean_volume(path, input_args)
  local out = h.capture(("ffmpeg -nostats -hide_banner %s -i %s -map 0:a -af volumedetect "
    .. "-f null - 2>&1"):format(input_args or "", q(path)))
  return assert(tonumber(out:match("mean_volume: (%-?[%d.]+) dB")), out)
end

--- The bytes of a fixture file, twice (a loop of it holds any run of the stream).
local function looped(name)
  local s = h.read_file(MEDIA .. name)
  return s .. s
end

--- Each byte's two 4-bit codes swapped: G.726-32 as RFC 3551 packs it from
-- the fixture's big-endian ("left-justified") packing.
local function nibble_swap(s)
  return (s:gsub(".", function(c)
    local b = c:byte()
    return string.char(((b & 15) << 4) | (b >> 4))
  end))
end

describe("simulator audio in the RTSP stream", function()
  local S = h.with_sim({ "--extra-camera", "g726" }, { connect = false })
  local dir
  setup(function() dir = h.tmpdir() end)
  teardown(function() h.execute("rm -rf " .. q(dir)) end)

  local function url(ch) return ("rtsp://127.0.0.1:%d/channel%d"):format(S.sim.rtsp_port, ch) end

  --- ffmpeg -t SECONDS of the RTSP URL into path with the given output args.
  local function record(ch, seconds, path, args)
    local out, ok = h.capture(("timeout 90 ffmpeg -nostdin -v error -rtsp_transport tcp -i %s "
      .. "-t %d %s -y %s 2>&1"):format(q(url(ch)), seconds, args, q(path)))
    assert(ok, out)
    return path
  end

  it("lists the audio of each camera beside its video, by codec and sample rate", function()
    local want = {
      { ch = 1, video = "h264", audio = "aac", rate = "16000" },
      { ch = 2, video = "h264", audio = "pcm_mulaw", rate = "8000" },
      { ch = 3, video = "mjpeg" },
      { ch = 5, video = "h264", audio = "adpcm_g726le", rate = "8000" },
    }
    for _, w in ipairs(want) do
      local streams = probe_streams(url(w.ch))
      assert.equal(w.audio and 2 or 1, #streams, "channel" .. w.ch)
      assert.equal("video", streams[1].codec_type)
      assert.equal(w.video, streams[1].codec_name)
      if w.audio then
        assert.equal("audio", streams[2].codec_type)
        assert.equal(w.audio, streams[2].codec_name, "channel" .. w.ch)
        assert.equal(w.rate, streams[2].sample_rate)
        assert.equal(1, streams[2].channels)
      end
    end
  end)

  it("records both tracks with durations that agree (ffmpeg -t 5 -c copy)", function()
    for _, ch in ipairs({ 1, 2 }) do
      local path = record(ch, 5, dir .. "/rec" .. ch .. ".mkv", "-c copy")
      local streams = h.probe(path)
      local t = by_type(streams)
      assert.truthy(t.video and t.audio, "channel" .. ch .. " has two tracks")
      local v, a = duration(t.video), duration(t.audio)
      assert.is_true(math.abs(v - a) <= 0.2, ("channel%d: video %.3f s, audio %.3f s"):format(ch, v, a))
      assert.is_true(v > 4 and v < 6, "video " .. v)
      -- both decode without errors
      local out, ok = h.capture("ffmpeg -nostdin -v error -i " .. q(path) .. " -f null - 2>&1")
      assert(ok and out == "", out)
    end
    -- G.726-32 (adpcm_g726le to FFmpeg) goes into no container as it is: transcoded, it is
    -- the sound of the source, as long as the video
    local path = record(5, 5, dir .. "/rec5.mkv", "-c:v copy -c:a aac")
    local t = by_type((h.probe(path)))
    local v, a = duration(t.video), duration(t.audio)
    assert.is_true(math.abs(v - a) <= 0.2, ("channel5: video %.3f s, audio %.3f s"):format(v, a))
    local want = mean_volume(MEDIA .. "g726_8k.g726", "-f g726 -code_size 4 -sample_rate 8000")
    assert.is_true(math.abs(mean_volume(path) - want) <= 1.5)
  end)

  it("carries the camera's G.711 and G.726 frames as they came", function()
    local mulaw = h.read_file(record(2, 2, dir .. "/a.ulaw", "-map 0:a -c copy -f mulaw"))
    assert.is_true(#mulaw >= 8000, "bytes: " .. #mulaw)
    assert.truthy(looped("g711_8k.ulaw"):find(mulaw:sub(161, 8000), 1, true))
    local g726 = h.read_file(record(5, 2, dir .. "/a.g726", "-map 0:a -c copy -f data"))
    assert.is_true(#g726 >= 4000, "bytes: " .. #g726)
    assert.truthy(nibble_swap(looped("g726_8k.g726")):find(g726:sub(81, 4000), 1, true))
    -- and the AAC camera's sound is the fixture's, not silence
    local aac = record(1, 3, dir .. "/a.mka", "-map 0:a -c copy")
    local want = mean_volume(MEDIA .. "aac_16k.adts")
    assert.is_true(math.abs(mean_volume(aac) - want) <= 3)
  end)
end)

describe("simulator audio in recordingfile MP4s", function()
  local S = h.with_sim({ "--extra-camera", "g726" }, { connect = false, login = "admin" })
  local dir
  setup(function() dir = h.tmpdir() end)
  teardown(function() h.execute("rm -rf " .. q(dir)) end)

  local function minute(back) return (h.now_ms() // 60000 - back) * 60000 end

  local function fetch(guid, from, to)
    local path = dir .. "/" .. guid .. ".mp4"
    local _, status, ctype = h.curl(S.sim.url(("/qvrpro/camera/recordingfile/%s/1?sid=%s"
      .. "&ver=1.2.0&start_time=%d&end_time=%d"):format(guid, S.sid, from, to)),
      { args = "-o " .. q(path), max_time = 60 })
    assert.equal(200, status)
    assert.equal("video/mp4", ctype)
    return path
  end

  it("copies an AAC camera's frames, on the video's clock, as long as the video", function()
    local from = minute(10) + 20000
    local path = fetch(FRONT, from, from + 10000)
    local t, packets, v, a = probe_aac(path, "16000", 10)
    assert.is_true(a <= v and v - a <= 0.2, ("video %.3f s, audio %.3f s"):format(v, a))
    -- every audio frame of the range whose end is inside it, in order, without its ADTS header
    local want = {}
    for _, f in ipairs(h.archive(S.sim, FRONT, from, from + 10000)) do
      if f.media == "audio" and f.ts + 64 <= from + 10000 then want[#want + 1] = f end
    end
    local got = {}
    for _, p in ipairs(packets) do if p.stream == t.audio.index then got[#got + 1] = p end end
    assert.equal(#want, #got)
    for i, f in ipairs(want) do
      assert.equal(f.size - 7, got[i].size)
      assert.equal(f.ts - from, got[i].pts)
    end
  end)

  it("turns G.711 and G.726 into AAC of the same sound, as long as the video", function()
    local from = minute(10) + 5000
    local sources = {
      [YARD] = { "g711_8k.ulaw", "-f mulaw -ar 8000 -ac 1" },
      [GATE] = { "g726_8k.g726", "-f g726 -code_size 4 -sample_rate 8000" },
    }
    for guid, src in pairs(sources) do
      local path = fetch(guid, from, from + 20000)
      local t, packets, v, a = probe_aac(path, "8000", 20)
      assert.is_true(a <= v and v - a <= 0.2, ("video %.3f s, audio %.3f s"):format(v, a))
      local first
      for _, p in ipairs(packets) do
        if p.stream == t.audio.index then first = first or p.pts end
      end
      assert.equal(0, first)
      local want = mean_volume(MEDIA .. src[1], src[2])
      assert.is_true(math.abs(mean_volume(path) - want) <= 1.5, guid)
      local out, ok = h.capture("ffmpeg -nostdin -v error -i " .. q(path) .. " -f null - 2>&1")
      assert(ok and out == "", out)
      -- the same range gives the same bytes (a deterministic archive)
      local bytes = h.read_file(path)
      assert.equal(bytes, h.read_file(fetch(guid, from, from + 20000)))
    end
  end)

  it("has no audio track for a camera without audio", function()
    local from = minute(10)
    local streams = h.probe(fetch(GARAGE, from, from + 5000))
    assert.equal(1, #streams)
    assert.equal("mjpeg", streams[1].codec_name)
  end)
end)

describe("a clip joined from recordingfile pieces", function()
  local S = h.with_sim({}, {})
  local dir
  setup(function() dir = h.tmpdir() end)
  teardown(function() h.execute("rm -rf " .. q(dir)) end)

  it("keeps the audio of every piece, as long as the video", function()
    local from = (h.now_ms() // 60000 - 5) * 60000 + 30000
    for _, cam in ipairs({ { "Front Door", "16000" }, { "Back Yard", "8000" } }) do
      local path = dir .. "/clip.mp4"
      local r = assert(S.nvr:clip(cam[1], { from = from, to = from + 100000, path = path }))
      assert.equal(3, r.pieces)
      local t, packets, v, a = probe_aac(path, cam[2], 100)
      assert.is_true(math.abs(v - a) <= 0.2, ("%s: video %.3f s, audio %.3f s"):format(cam[1], v, a))
      -- audio from every piece: nearly 100 s of AAC frames (1024 samples each)
      local n = 0
      for _, p in ipairs(packets) do if p.stream == t.audio.index then n = n + 1 end end
      local full = 100 * tonumber(cam[2]) // 1024
      assert.is_true(n >= full - 3 and n <= full, cam[1] .. ": " .. n .. " audio packets")
      os.remove(path)
    end
  end)
end)
