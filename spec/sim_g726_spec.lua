-- G.726 audio end to end: the simulator's `--extra-camera g726` camera (Side
-- Gate: H.264 360p, G.726 32 kbit/s 8 kHz made from the G.711 fixture by
-- ffmpeg's g726 encoder) is listed like the others, plays back and streams live G.726 frames
-- with the codec fields of the SDK's audio header (fourcc G726, sampling rate,
-- bits, channels; docs/PROTOCOL.md), and `.mp4` exports (export.run and
-- `qvr export --audio aac`) turn it into an AAC track as long as the video,
-- checked with ffprobe and ffmpeg.
local h = require "helpers"
local qvr = require "qvrpro"
local export = require "qvrpro.export"

local q = h.shell_quote
local GUID = "6726A0D10C0A4B1E9F2E3D4C5B6A0004"

--- The streams of a file by codec_type, each with its duration in ms.
local function tracks(path)
  local streams, packets, format = h.probe(path)
  local by = {}
  for _, s in ipairs(streams) do by[s.codec_type] = s end
  return by, packets, format
end

--- ffmpeg's volumedetect of a file's audio: mean volume (dB; silence is -91),
-- number of samples decoded, and ffmpeg's output.
local function volume(path, input_args)
  local out = h.capture(("ffmpeg -nostats -hide_banner %s -i %s -map 0:a -af volumedetect "
    .. "-f null - 2>&1"):format(input_args or "", q(path)))
  return tonumber(out:match("mean_volume: (%-?[%d.]+) dB")), tonumber(out:match("n_samples: (%d+)")),
    out
end

--- The mean volume of the G.711 fixture the G.726 one was made from.
local function source_volume()
  return assert((volume(h.root .. "/tools/media/g711_8k.ulaw", "-f mulaw -ar 8000 -ac 1")))
end

describe("simulator G.726 camera", function()
  local S = h.with_sim({ "--no-pace", "--extra-camera", "g726" })
  local dir, t0
  setup(function()
    dir = h.tmpdir()
    t0 = (qvr.time.now() - 2 * 3600000) // 1000 * 1000
  end)
  teardown(function() h.execute("rm -rf " .. q(dir)) end)

  it("is listed after the default cameras, in the SDK list and the REST list", function()
    local cams = assert(S.nvr:cameras())
    assert.equal(5, #cams)
    local gate = assert(S.nvr:camera("Side Gate"))
    assert.equal(GUID, gate.guid)
    assert.equal(4, gate.channel_index)
    local sid = assert(h.login(S.sim))
    local body = h.curl(S.sim.url("/qvrpro/camera/list?ver=1.1.0&sid=" .. sid))
    local list = h.json(body)
    assert.equal(5, list.total_channel_num)
    assert.equal("Side Gate", list.datas[5].name)
    assert.equal(GUID, list.datas[5].guid)
  end)

  it("keeps the default four cameras without the switch, and refuses an unknown one", function()
    local sim = h.start_sim({})
    local sid = assert(h.login(sim))
    local list = h.json((h.curl(sim.url("/qvrpro/camera/list?ver=1.1.0&sid=" .. sid))))
    sim.stop()
    assert.equal(4, list.total_channel_num)
    local out, ok = h.capture(q(os.getenv("QVRSIM") or (h.root .. "/build/qvrsim"))
      .. " --port 0 --extra-camera g729 2>&1; echo rc=$?")
    assert.truthy(ok)
    assert.matches("%-%-extra%-camera wants g726, got 'g729'", out)
    assert.matches("rc=2\n$", out)
  end)

  it("plays back G.726 frames: fourcc, codec, 8 kHz, 4 bits, mono, 80 bytes in 20 ms", function()
    local from, to = t0, t0 + 2000
    local archive = h.archive(S.sim, GUID, from, to)
    local pb = assert(S.nvr:playback("Side Gate", { from = from, to = to, timecontrol = false,
                                                    data_type = "source" }))
    local frames = h.frames_of(pb)
    pb:close()
    assert.equal(#archive, #frames)
    local audio, payload = {}, {}
    for i, f in ipairs(frames) do
      assert.equal(archive[i].ts, f.timestamp)
      assert.equal(archive[i].crc32, h.crc32(f.data))
      if f.media == "audio" then
        audio[#audio + 1] = f
        payload[#payload + 1] = f.data
      else
        assert.equal("h264", f.codec)
      end
    end
    assert.is_true(#audio >= 100, "audio frames: " .. #audio)   -- 2 s of 20 ms frames
    for i, f in ipairs(audio) do
      assert.equal("G726", f.fourcc)
      assert.equal("g726", f.codec)
      assert.equal(8000, f.sample_rate)
      assert.equal(4, f.bits)
      assert.equal(1, f.channels)
      assert.equal(80, f.size)
      assert.equal(0, f.width)
      if i > 1 then assert.equal(20, f.timestamp - audio[i - 1].timestamp) end
    end
    -- the payloads are real G.726: ffmpeg decodes them (4-bit codes) to the G.711 beeps,
    -- 160 samples a frame
    local raw = dir .. "/gate.g726"
    h.write_file(raw, table.concat(payload))
    local db, samples, out = volume(raw, "-f g726 -sample_rate 8000 -code_size 4")
    assert.is_true(db ~= nil and math.abs(db - source_volume()) <= 1, out)
    assert.equal(160 * #audio, samples)
  end)

  it("sends the same G.726 frames live, 20 ms apart, with audio on", function()
    local st <close> = assert(S.nvr:live("Side Gate", { audio = true }))
    local audio = {}
    for _ = 1, 200 do
      local f = assert(st:read())
      if f.media == "audio" then audio[#audio + 1] = f end
      if #audio == 10 then break end
    end
    assert.equal(10, #audio)
    for i, f in ipairs(audio) do
      assert.same({ "G726", "g726", 8000, 4, 1, 80 },
        { f.fourcc, f.codec, f.sample_rate, f.bits, f.channels, f.size })
      if i > 1 then assert.equal(20, f.timestamp - audio[i - 1].timestamp) end
    end
  end)

  it("exports to .mp4 with an AAC track as long as the video (export.run)", function()
    local from, to = t0, t0 + 10000
    local path = dir .. "/gate.mp4"
    local r = assert(export.run(S.nvr, "Side Gate", { from = from, to = to, path = path }))
    assert.equal("g726", r.transcoded)
    assert.same({}, r.skipped)
    assert.is_true(r.audio_frames >= 500, "audio frames: " .. r.audio_frames)
    local by, packets = tracks(path)
    assert.equal("h264", by.video.codec_name)
    assert.equal("aac", by.audio.codec_name)
    assert.equal(8000, tonumber(by.audio.sample_rate))
    assert.equal(1, tonumber(by.audio.channels))
    local first, last = {}, {}
    for _, p in ipairs(packets) do
      first[p.stream] = first[p.stream] or p.pts
      last[p.stream] = p.pts
    end
    local vdur = tonumber(by.video.duration) * 1000
    local adur = tonumber(by.audio.duration) * 1000
    -- the video runs one frame (100 ms) past its last timestamp; AAC ends within 60 ms
    assert.is_true(math.abs(adur - vdur) <= 160, ("audio %d ms, video %d ms"):format(adur, vdur))
    assert.is_true(math.abs(vdur - (to - from)) <= 200, "video " .. vdur)
    assert.is_true(first[1] <= 200 and last[1] >= 9700,
      ("audio packets from %d to %d ms"):format(first[1], last[1]))
    local out, ok = h.capture("ffmpeg -v error -i " .. q(path) .. " -f null - 2>&1")
    assert.truthy(ok)
    assert.equal("", out)
    -- as many samples as the track lasts (G.726 decoded with the right code size), at the
    -- G.711 source's loudness: 10 s in AAC frames of 1024 samples (128 ms), about 78
    local db, samples, vout = volume(path)
    assert.is_true(db ~= nil and math.abs(db - source_volume()) <= 1.5, vout)
    assert.is_true(math.abs(samples - adur * 8) <= 2048, ("%d samples in %d ms"):format(samples, adur))
    local n = 0
    for _, p in ipairs(packets) do if p.stream == 1 then n = n + 1 end end
    assert.is_true(n >= 75 and n <= 82, "AAC packets: " .. n)
    -- copy into MP4 cannot hold G.726: said, not silently dropped
    local bad, err = export.run(S.nvr, "Side Gate", { from = from, to = to, audio = "copy",
                                                      path = dir .. "/gate-copy.mp4" })
    assert.is_nil(bad)
    assert.equal("UNSUPPORTED_CODEC", err.name)
    -- .mkv keeps it as it came
    local mkv = assert(export.run(S.nvr, "Side Gate", { from = from, to = to,
                                                        path = dir .. "/gate.mkv" }))
    assert.is_nil(mkv.transcoded)
    local mby = tracks(dir .. "/gate.mkv")
    assert.equal("adpcm_g726", mby.audio.codec_name)
  end)

  it("exports to .mp4 with `qvr export --audio aac`", function()
    local path = dir .. "/cli.mp4"
    local cmd = ("env QVR_CONFIG=/nonexistent QVR_STATE_DIR=%s QVR_PASSWORD=admin QVR_URL=%s "
      .. "lua5.4 %s/bin/qvr export 'Side Gate' --from %d --to %d --exact --audio aac --out %s 2>&1; "
      .. "echo rc=$?"):format(q(dir .. "/state"), q("http://admin@127.0.0.1:" .. S.sim.port),
      h.root, t0, t0 + 5000, q(path))
    local out = h.capture(cmd, true)
    assert.matches("rc=0\n$", out)
    assert.matches("audio: g726 transcoded to AAC", out)
    local by = tracks(path)
    assert.equal("aac", by.audio.codec_name)
    local vdur = tonumber(by.video.duration) * 1000
    local adur = tonumber(by.audio.duration) * 1000
    assert.is_true(math.abs(adur - vdur) <= 160, ("audio %d ms, video %d ms"):format(adur, vdur))
    assert.is_true(vdur >= 4800, "video " .. vdur)
  end)
end)
