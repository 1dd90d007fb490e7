-- The HLS live stream behind the URL a StreamingOutput liveStream POST with
-- {"protocol": "hls"} hands out (docs/REST.md "HLS server"): a live media
-- playlist (a window of 3 segments of 2 s, the media sequence moving with
-- the clock, no ENDLIST) whose segments are MPEG-TS of the camera's fixture
-- H.264 from a key frame and its audio as AAC, on one timeline from segment
-- to segment, so ffmpeg reads across them; DELETE with the token ends it.
-- Checked with curl, ffprobe and ffmpeg.
local h = require "helpers"

local q = h.shell_quote
local FRONT = "00089BF9B26200089BF9B26200080000"  -- H.264 720p 10 fps, AAC 16 kHz
local YARD = "8FBC58E2F7274AF3B6F6761E90FB0001"   -- H.264 360p 10 fps, G.711 µ-law
local LOBBY = "C0FFEE00112233445566778899AA0003"  -- H.264, disconnected

local function live_path(guid, sid)
  return "/qvrpro/qshare/StreamingOutput/channel/" .. guid .. "/stream/0/liveStream?sid=" .. sid
end

--- Publishes HLS for guid; returns the decoded answer.
local function publish(sim, sid, guid)
  local body, status = h.request(sim, "POST", live_path(guid, sid), '{"protocol": "hls"}')
  assert.equal(200, status, body)
  return h.json(body)
end

--- GET url into file; returns status, content type.
local function fetch(url, file)
  local out = h.capture(("curl -s -g --max-time 30 -o %s -w '%%{http_code} %%{content_type}' %s")
    :format(q(file), q(url)))
  local status, ctype = out:match("^(%d+) ?(.*)$")
  return tonumber(status), ctype
end

--- The playlist's tags and segments { {dur=, uri=}, ... }.
local function parse_playlist(text)
  local lines = {}
  for l in text:gmatch("[^\n]+") do lines[#lines + 1] = l end
  local pl = { first = lines[1], tags = {}, segments = {} }
  for i, l in ipairs(lines) do
    local tag, value = l:match("^#(EXT[%w-]+):?(.*)$")
    if tag == "EXTINF" then
      pl.segments[#pl.segments + 1] = { dur = tonumber(value:match("^([%d.]+),")), uri = lines[i + 1] }
    elseif tag then
      pl.tags[tag] = value
    end
  end
  return pl
end

--- The first pts (ms) of a stream's packets, and how many there are.
local function first_pts(packets, stream)
  local first, n
  for _, p in ipairs(packets) do
    if p.stream == stream then
      first = first or p.pts
      n = (n or 0) + 1
    end
  end
  return first, n
end

describe("simulator HLS live streams", function()
  local sim, sid
  local S = h.with_sim({}, { connect = false, login = "admin" })
  local tmp = os.tmpname()
  setup(function() sim, sid = S.sim, S.sid end)
  teardown(function()
    for i = 0, 3 do os.remove(tmp .. "-" .. i .. ".ts") end
    os.remove(tmp)
  end)

  it("serves a live playlist of 2 s MPEG-TS segments, H.264 + AAC, until DELETE", function()
    local j = publish(sim, sid, FRONT)
    local url = j.resourceUris
    assert.equal(("http://127.0.0.1:%d/qvrpro/hls/%s.m3u8"):format(sim.port, j.streamingToken), url)
    local text, status, ctype = h.curl(url)
    assert.equal(200, status)
    assert.equal("application/vnd.apple.mpegurl", ctype)
    local pl = parse_playlist(text)
    assert.equal("#EXTM3U", pl.first)
    assert.equal("3", pl.tags["EXT-X-VERSION"])
    assert.equal("2", pl.tags["EXT-X-TARGETDURATION"])
    assert.is_nil(pl.tags["EXT-X-ENDLIST"])
    assert.is_nil(text:find("ENDLIST", 1, true))
    local seq = tonumber(pl.tags["EXT-X-MEDIA-SEQUENCE"])
    assert.is_not_nil(seq)
    assert.equal(3, #pl.segments)
    local base = url:match("^(.*/)")
    local prev_v, prev_a
    for i, seg in ipairs(pl.segments) do
      assert.equal(2.0, seg.dur)
      assert.equal(("%s-%d.ts"):format(j.streamingToken, seq + i - 1), seg.uri)
      local file = tmp .. "-" .. i .. ".ts"
      local st, ct = fetch(base .. seg.uri, file)
      assert.equal(200, st)
      assert.equal("video/mp2t", ct)
      local streams, packets, format = h.probe(file)
      assert.equal("mpegts", format.format_name)
      h.assert_front_door_streams(streams)
      local size = tonumber(format.size)
      assert.is_true(size > 20000 and size < 200000, "segment size " .. size)
      local v0, nv = first_pts(packets, 0)
      local a0, na = first_pts(packets, 1)
      assert.equal(20, nv)         -- 2 s at 10 fps
      for _, p in ipairs(packets) do
        if p.stream == 0 then assert.is_true(p.key, "first video packet is a key frame"); break end
      end
      assert.is_true(na >= 30 and na <= 32, "audio frames " .. na) -- 64 ms each
      assert.is_true(a0 >= v0 and a0 < v0 + 64)
      if prev_v then -- one timeline: each segment starts where the last ended
        assert.equal(prev_v + 2000, v0)
        assert.is_true(a0 > prev_a and a0 - prev_a <= 2064)
      end
      prev_v, prev_a = v0, a0
    end
    -- a segment not yet recorded, a malformed name and an unknown token
    assert.equal(404, select(2, h.curl(base .. j.streamingToken .. "-" .. (seq + 1000) .. ".ts")))
    assert.equal(404, select(2, h.curl(base .. j.streamingToken .. "-x.ts")))
    assert.equal(404, select(2, h.curl(base .. ("0"):rep(32) .. ".m3u8")))
    -- the DELETE text's form without the prefix answers the same playlist
    local bare, bst = h.curl(sim.url("/hls/" .. j.streamingToken .. ".m3u8"))
    assert.equal(200, bst)
    assert.matches("^#EXTM3U\n", bare)

    -- the media sequence moves with time
    h.execute("sleep 2.5")
    local later = parse_playlist((h.curl(url)))
    assert.is_true(tonumber(later.tags["EXT-X-MEDIA-SEQUENCE"]) > seq)
    assert.equal(3, #later.segments)

    local body, st = h.request(sim, "DELETE", live_path(FRONT, sid),
      '{"token": "' .. j.streamingToken .. '"}')
    assert.equal(204, st, body)
    local gone, gst, gct = h.curl(url)
    assert.equal(404, gst)
    assert.equal("text/plain", gct)
    assert.equal("404 Not Found\n", gone)
    assert.equal(404, select(2, h.curl(base .. pl.segments[3].uri)))
  end)

  it("plays across segments with ffmpeg, without an error", function()
    local j = publish(sim, sid, FRONT)
    local err = os.tmpname()
    local out, ok = h.capture(("timeout 60 ffmpeg -nostdin -hide_banner -v verbose -t 4 -i %s "
      .. "-c copy -f framemd5 - 2>%s"):format(q(j.resourceUris), q(err)))
    local f = assert(io.open(err))
    local log = f:read("a")
    f:close()
    os.remove(err)
    assert.is_truthy(ok, log)
    local opened = {}
    for name in log:gmatch("HLS request for url '[^']*/([%x]+%-%d+%.ts)'") do opened[name] = true end
    assert.is_true(h.sorted_keys(opened):find(",", 1, true) ~= nil, "read one segment only: " .. log)
    for l in log:gmatch("[^\n]+") do
      assert.is_nil(l:lower():find("error", 1, true), l)
      assert.is_nil(l:lower():find("non%-monoton"), l)
    end
    local count = { [0] = 0, [1] = 0 }
    local last = {}
    for s, pts in out:gmatch("\n%s*(%d),%s*(%-?%d+),") do
      s, pts = tonumber(s), tonumber(pts)
      count[s] = count[s] + 1
      assert.is_true(last[s] == nil or pts > last[s], "pts goes forward")
      last[s] = pts
    end
    assert.is_true(count[0] >= 39, "video frames " .. count[0])  -- 4 s at 10 fps
    assert.is_true(count[1] >= 55, "audio frames " .. count[1])  -- 4 s of 64 ms
    local _, st = h.request(sim, "DELETE", live_path(FRONT, sid), '{"token": "' .. j.streamingToken .. '"}')
    assert.equal(204, st)
  end)

  it("carries G.711 audio as AAC without gaps, and no stream for a disconnected camera", function()
    local j = publish(sim, sid, YARD)
    local text = h.curl(j.resourceUris)
    local pl = parse_playlist(text)
    local last_audio
    for i = 2, 3 do
      local file = tmp .. "-" .. i .. ".ts"
      assert.equal(200, (fetch(j.resourceUris:match("^(.*/)") .. pl.segments[i].uri, file)))
      local streams, packets = h.probe(file)
      assert.equal("h264", streams[1].codec_name)
      assert.equal(640, streams[1].width)
      assert.equal("aac", streams[2].codec_name)
      assert.equal("8000", streams[2].sample_rate)
      local v0 = first_pts(packets, 0)
      local a0, na = first_pts(packets, 1)
      assert.is_true(a0 >= v0 and a0 < v0 + 128)
      assert.is_true(na == 15 or na == 16, "audio frames " .. na) -- 2 s of 128 ms AAC frames
      if last_audio then -- no gap: the AAC frames go on where the last segment's ended
        assert.equal(last_audio + 128, a0)
      end
      for _, p in ipairs(packets) do if p.stream == 1 then last_audio = p.pts end end
    end
    local lobby = publish(sim, sid, LOBBY)
    assert.equal(404, select(2, h.curl(lobby.resourceUris)))
  end)
end)

describe("simulator HLS of a dump-backed camera", function()
  it("has no stream (as the RTSP server), though the share is handed out", function()
    local path = os.tmpname()
    local t0 = h.archive_t0()
    local out, ok = h.capture(("%s --write-dump %s --camera %s --from %d --to %d 2>&1")
      :format(q(os.getenv("QVRSIM") or (h.root .. "/build/qvrsim")), q(path), FRONT, t0, t0 + 2000))
    assert(ok, out)
    local sim = h.start_sim({ "--dump-camera", "Front Door=" .. path })
    local sid = assert(h.login(sim, "admin", "admin"))
    local j = publish(sim, sid, FRONT)
    assert.equal("HLS", j.potocol)
    assert.equal(404, select(2, h.curl(j.resourceUris)))
    sim.stop()
    os.remove(path)
  end)
end)
