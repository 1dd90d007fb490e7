-- The transfer loop (csrc/net/loop.c, csrc/lua/stream.c): many live streams
-- at once over curl_multi_socket_action + epoll, and the pollable interface
-- (loop:pollfd/events/timeout/step, try_read) inside cqueues and luv loops.
local h = require "helpers"
local qvr = require "qvrpro"

-- the simulator's frame grids (tools/README.md): video k x 1000/fps ms,
-- audio k x 64 ms (AAC) or k x 20 ms (G.711)
local AUDIO_MS = { aac = 64, g711 = 20 }

--- A checker of one stream's frames: every timestamp on its medium's grid,
-- exactly one interval after the previous one (no loss, no repeat, in order).
local function order_checker(cam)
  local c = { n = 0, last = {}, problems = {} }
  local video_ms = 1000 // cam.frame_rate
  function c.add(f)
    local step = f.media == "video" and video_ms or AUDIO_MS[f.codec]
    c.n = c.n + 1
    if not step then
      c.problems[#c.problems + 1] = "unexpected " .. f.media .. " " .. f.codec
      return
    end
    local prev = c.last[f.media]
    if prev and f.timestamp ~= prev + step then
      c.problems[#c.problems + 1] = ("%s %d after %d"):format(f.media, f.timestamp, prev)
    end
    c.last[f.media] = f.timestamp
  end
  return c
end

local function live_cams(nvr)
  local cams = {}
  for _, cam in ipairs(assert(nvr:cameras { status = 1 })) do
    if (cam.frame_rate or 0) > 0 then cams[#cams + 1] = cam end
  end
  assert(#cams > 0, "no connected camera")
  return cams
end

--- n live streams of cams in turn, the first of cams[1 + (shift or 0)], each
-- with an order checker: streams, check (by stream).
local function open_live(nvr, cams, n, shift)
  local streams, check = {}, {}
  for i = 1, n do
    local cam = cams[(i - 1 + (shift or 0)) % #cams + 1]
    streams[i] = assert(nvr:live(cam))
    check[streams[i]] = order_checker(cam)
  end
  return streams, check
end

local function assert_same_frames(expected, got)
  assert.equal(#expected, #got, "frame count")
  for i, e in ipairs(expected) do
    assert.equal(e.ts, got[i].timestamp, "timestamp of frame " .. i)
    assert.equal(e.media, got[i].media, "media of frame " .. i)
    assert.equal(e.crc32, h.crc32(got[i].data), "payload of frame " .. i)
  end
end

describe("the transfer loop", function()
  local S = h.with_sim({})

  it("runs 200 live streams at once and loses no frame of any", function()
    local cams = live_cams(S.nvr)
    local streams, check = open_live(S.nvr, cams, 200)
    local loop = qvr.loop()
    assert.equal(200, (loop:transfers()))
    local deadline = qvr.core.monotonic_ms() + 3000
    local n = 0
    for st, f in qvr.each(streams) do
      check[st].add(f)
      n = n + 1
      if n % 64 == 0 and qvr.core.monotonic_ms() > deadline then break end
    end
    for i, st in ipairs(streams) do
      local c = check[st]
      assert.is_true(c.n > 0, "stream " .. i .. " delivered nothing")
      assert.same({}, c.problems, "stream " .. i)
      st:close()
    end
    assert.equal(0, (loop:transfers()))
  end)

  it("opens many live streams at once with nvr:live_many, errors in place", function()
    local cams = live_cams(S.nvr)
    local list = {}
    for i = 1, 60 do list[i] = cams[(i - 1) % #cams + 1] end
    list[31] = "no such camera"
    local streams, errors = S.nvr:live_many(list)
    assert.equal(60, #streams)
    assert.is_false(streams[31])
    assert.equal("NO_SUCH_CAMERA", errors[31].name)
    local open, check = {}, {}
    for i, st in ipairs(streams) do
      if i ~= 31 then
        assert.equal("qvrpro.Stream", getmetatable(st).__name, "stream " .. i)
        assert.is_nil(errors[i])
        assert.equal("live", st.kind)
        assert.equal(list[i], st.camera)
        open[#open + 1] = st
        check[st] = order_checker(list[i])
      end
    end
    local n = 0
    for st, f in qvr.each(open) do
      check[st].add(f)
      n = n + 1
      if n >= 1500 then break end
    end
    for i, st in ipairs(open) do
      assert.same({}, check[st].problems, "stream " .. i)
      st:close()
    end
  end)

  it("nvr:live_many logs in once when the sid expired, and reports refusals", function()
    local sim = h.start_sim({})
    local nvr = assert(qvr.connect(h.opts(sim)))
    local cams = live_cams(nvr)
    h.control(sim, "expire_sids=1")
    local streams, errors = nvr:live_many({ cams[1], cams[2 % #cams + 1], cams[1] })
    for i = 1, 3 do
      assert.is_truthy(streams[i], "stream " .. i .. ": " .. tostring(errors[i]))
      assert.is_truthy(streams[i]:read())
      streams[i]:close()
    end
    -- a refusal by the server (a camera that is not connected) is its entry's error
    streams, errors = nvr:live_many({ "Lobby", cams[1] })     -- Lobby: not connected
    assert.is_false(streams[1])
    assert.equal("STREAM_NOT_READY", errors[1].name)
    assert.is_truthy(streams[2])
    streams[2]:close()
    nvr:close()
    sim.stop()
  end)

  it("a second qvr.each after a first one was left takes over without a loss", function()
    local cams = live_cams(S.nvr)
    local streams, check = open_live(S.nvr, cams, 6)
    local n = 0
    for st, f in qvr.each(streams) do
      check[st].add(f)
      n = n + 1
      if n >= 60 then break end
    end
    for i = 4, 6 do streams[i]:close() end
    collectgarbage()               -- the first iterator goes; its streams stay
    local kept = { streams[1], streams[2], streams[3] }
    local before = {}
    for _, st in ipairs(kept) do before[st] = check[st].n end
    n = 0
    for st, f in qvr.each(kept) do
      assert.is_false(st.closed)
      check[st].add(f)
      n = n + 1
      if n >= 90 then break end
    end
    for i, st in ipairs(kept) do
      assert.is_true(check[st].n > before[st], "stream " .. i .. " moved on")
      assert.same({}, check[st].problems, "stream " .. i)
      st:close()
    end
  end)

  it("goes on with the other streams when one is closed mid-loop", function()
    local cams = live_cams(S.nvr)
    local streams, check = open_live(S.nvr, cams, 5)
    local victim = streams[3]
    local after_close, n = 0, 0
    for st, f in qvr.each(streams) do
      n = n + 1
      if victim.closed then
        assert.is_true(st ~= victim, "a frame of the closed stream after close")
        after_close = after_close + 1
        if after_close >= 40 then break end
      end
      check[st].add(f)
      if st == victim and check[st].n == 3 then victim:close() end
    end
    assert.is_true(victim.closed)
    assert.equal(3, check[victim].n)
    for i, st in ipairs(streams) do
      assert.same({}, check[st].problems, "stream " .. i)
      st:close()
    end
  end)

  it("step() and try_read() never wait: false while nothing is there", function()
    local st = assert(S.nvr:live("Garage"))        -- 5 fps: a frame every 200 ms
    local loop = qvr.loop()
    assert.equal("r", loop:events())
    assert.equal("number", math.type(loop:pollfd()) and "number")
    assert.equal(loop:pollfd(), st:pollfd())
    local got, falses = 0, 0
    while got < 6 do
      local f, err = st:try_read()
      assert.is_nil(err)
      assert.is_not_nil(f, "the live stream ended")
      if f == false then
        falses = falses + 1
        assert.is_number(loop:step())
        local t = loop:timeout()
        assert.is_true(t == nil or t >= 0)
        qvr.core.sleep(0.02)
      else
        got = got + 1
        assert.equal("mjpeg", f.codec)
      end
    end
    -- at 5 fps, reads that never wait find nothing most of the time
    assert.is_true(falses > got, falses .. " empty reads for " .. got .. " frames")
    st:close()
    assert.error_matches(function() st:try_read() end, "closed")
  end)

  it("qvr.each(list, {wait=false}) returns nil when no frame is there now", function()
    local st = assert(S.nvr:live("Garage"))
    local iter = qvr.each({ st }, { wait = false })
    local frames, empties = 0, 0
    while frames < 4 do
      local s, f = iter()
      if s == nil then
        assert.is_nil(f, "the stream ended")
        empties = empties + 1
        qvr.core.sleep(0.02)
      else
        assert.equal(st, s)
        assert.equal("mjpeg", f.codec)
        frames = frames + 1
      end
    end
    assert.is_true(empties > 0)
    st:close()
    assert.same({ nil, "ended" }, { iter() })
  end)
end)

describe("the loop inside other event loops", function()
  local S = h.with_sim({})

  it("runs live streams and a playback inside a cqueues controller", function()
    local cqueues = require "cqueues"
    local cams = live_cams(S.nvr)
    local yard = assert(S.nvr:camera("Back Yard"))
    local t0 = (qvr.time.now() - 3600000) // 1000 * 1000
    local pb = assert(yard:playback { from = t0, to = t0 + 2000, timecontrol = false })
    local objs, check = open_live(S.nvr, cams, 3, 1)
    local got_pb = {}
    local cq = cqueues.new()
    local ticks, done_at = 0, qvr.core.monotonic_ms() + 2500
    for _, st in ipairs(objs) do
      cq:wrap(function()
        while qvr.core.monotonic_ms() < done_at do
          local f, err = st:try_read()
          assert(f ~= nil, err or "ended")
          if f then check[st].add(f) else cqueues.poll(st, 0.5) end
        end
      end)
    end
    local pb_ended = false
    cq:wrap(function()
      while true do
        local f, err = pb:try_read()
        if f then got_pb[#got_pb + 1] = f
        elseif f == false then cqueues.poll(pb)
        else assert(not err, err) pb_ended = true break end
      end
    end)
    cq:wrap(function()    -- the program's own work shares the controller
      while qvr.core.monotonic_ms() < done_at do ticks = ticks + 1 cqueues.sleep(0.1) end
    end)
    while not cq:empty() do assert(cq:step()) end
    assert.is_true(pb_ended)
    assert_same_frames(h.archive(S.sim, yard.guid, t0, t0 + 2000), got_pb)
    assert.is_true(ticks >= 10, "ticks " .. ticks)
    for i, st in ipairs(objs) do
      assert.is_true(check[st].n > 5, "stream " .. i)
      assert.same({}, check[st].problems, "stream " .. i)
      st:close()
    end
    pb:close()
  end)

  it("runs live streams inside a luv loop (a poll handle and a timer)", function()
    local uv = require "luv"
    local cams = live_cams(S.nvr)
    local streams, check = open_live(S.nvr, cams, 4, 1)
    local loop = qvr.loop()
    local iter = qvr.each(streams, { wait = false })
    local poll = uv.new_poll(loop:pollfd())
    local timer = uv.new_timer()
    local stop_at, wakes = qvr.core.monotonic_ms() + 2000, 0
    local function run()
      wakes = wakes + 1
      loop:step()
      for st, f in iter do
        assert(check[st], tostring(st) .. " " .. tostring(f))
        check[st].add(f)
      end
      if qvr.core.monotonic_ms() >= stop_at then
        poll:stop()
        timer:stop()
        return
      end
      local t = loop:timeout()
      timer:start(t and math.ceil(t * 1000) or 1000, 0, run)
    end
    poll:start("r", function(err) assert(not err, err) run() end)
    run()
    uv.run()
    poll:close()
    timer:close()
    uv.run()
    assert.is_true(wakes > 5)
    for i, st in ipairs(streams) do
      assert.is_true(check[st].n > 5, "stream " .. i)
      assert.same({}, check[st].problems, "stream " .. i)
      st:close()
    end
  end)
end)

describe("the loop at the descriptor limit", function()
  local S = h.with_sim({}, { connect = false })

  it("reports TOO_MANY_FILES with its hint for each stream live_many cannot open", function()
    local url = ("http://admin:admin@127.0.0.1:%d"):format(S.sim.port)
    local script = [[
      local qvr = require "qvrpro"
      local nvr = assert(qvr.connect(os.getenv("QVR_URL")))
      local list = {}
      for i = 1, 100 do list[i] = "Garage" end
      local streams, errors = nvr:live_many(list)
      local ok, names, hint = 0, {}, ""
      for i = 1, 100 do
        if streams[i] then ok = ok + 1 else
          names[errors[i].name] = (names[errors[i].name] or 0) + 1
          hint = errors[i].message
        end
      end
      local n = 0
      for st in qvr.each((function() local t = {} for i = 1, 100 do
        if streams[i] then t[#t + 1] = streams[i] end end return t end)()) do
        n = n + 1
        if n >= 20 then break end
      end
      for i = 1, 100 do if streams[i] then streams[i]:close() end end
      io.write(ok, "|", names.TOO_MANY_FILES or 0, "|", hint, "|", n, "\n")
      io.write("cpu after:", tostring(nvr:cpu() ~= nil), "\n")
      nvr:close()]]
    local out, ok = h.capture(("ulimit -n 40; QVR_URL=%s lua5.4 -e %s 2>&1"):format(url,
      ("'%s'"):format(script:gsub("'", "'\\''"))), true)
    assert(ok, "child failed: " .. out)
    local opened, too_many, hint, frames = out:match("^(%d+)|(%d+)|([^|]*)|(%d+)")
    assert(opened, out)
    assert.is_true(tonumber(opened) > 5 and tonumber(opened) < 40, out)
    assert.equal(100, tonumber(opened) + tonumber(too_many), out)
    assert.matches("limit of 40 descriptors", hint, 1, true)
    assert.matches("ulimit -n", hint, 1, true)
    assert.equal("20", frames)                      -- the opened ones run
    assert.matches("cpu after:true", out, 1, true)  -- closing gives the descriptors back
  end)
end)
