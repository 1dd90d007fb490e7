-- The frames iterators (stream:frames(), pb:frames(), csrc/lua/stream.c):
-- owned frames outlive the loop step, the collector and the stream; the
-- playback's keep-alive runs from the C iterator; frame:write's fast path
-- checks its arguments like the slow one.
local h = require "helpers"
local qvr = require "qvrpro"

describe("frames iterators", function()
  local S = h.with_sim({ "--no-pace" })
  for _, cam in ipairs({ "Front Door", "Back Yard", "Garage" }) do
    it(("owned frames stay valid after later steps, collections and close (%s)"):format(cam),
      function()
        local archive = h.archive(S.sim, assert(S.nvr:camera(cam)).guid, S.t0, S.t0 + 8000)
        local pb = h.archive_playback(S, cam, 8)
        local kept, crcs = {}, {}
        for f in pb:frames() do
          kept[#kept + 1] = f
          crcs[#crcs + 1] = h.crc32(f.data)
          -- churn: garbage between steps so that the collector runs mid-loop
          for _ = 1, 20 do local _ = { f.timestamp } end
        end
        pb:close()
        collectgarbage()
        collectgarbage()
        assert.equal(#archive, #kept)
        local path = os.tmpname()
        local out = assert(io.open(path, "wb"))
        local whole = {}
        for i, f in ipairs(kept) do
          assert.equal(archive[i].ts, f.timestamp, "timestamp of frame " .. i)
          assert.equal(archive[i].crc32, h.crc32(f.data), "payload of frame " .. i)
          assert.equal(crcs[i], h.crc32(f.data), "frame " .. i .. " changed")
          assert.equal(out, f:write(out))
          whole[i] = f.data
        end
        out:close()
        local got = h.read_file(path)
        os.remove(path)
        assert.is_true(got == table.concat(whole), "f:write wrote other bytes than f.data")
      end)
  end

  it("stream:frames() gives the frames of stream:read(), and raises on a closed stream", function()
    local pb1 <close> = h.archive_playback(S, "Back Yard", 4)
    local st1 = assert(pb1:stream())
    local by_read = {}
    for f in function() return st1:read() end do by_read[#by_read + 1] = f end
    local pb2 <close> = h.archive_playback(S, "Back Yard", 4)
    local st2 = assert(pb2:stream())
    local n = 0
    for f in st2:frames() do
      n = n + 1
      assert.equal(by_read[n].timestamp, f.timestamp)
      assert.is_true(by_read[n].data == f.data, "payload of frame " .. n)
    end
    assert.equal(#by_read, n)
    local pb3 <close> = h.archive_playback(S, "Back Yard", 4)
    local st3 = assert(pb3:stream())
    local ok, err = pcall(function()
      for _ in st3:frames() do st3:close() end
    end)
    assert.is_false(ok)
    assert.matches("closed", tostring(err), 1, true)
  end)

  it("frame:write checks its arguments on the fast path as on the first call", function()
    local pb <close> = h.archive_playback(S, "Front Door", 2)
    local frames = h.frames_of(pb)
    local f = frames[1]
    local path = os.tmpname()
    local out = assert(io.open(path, "wb"))
    assert.equal(out, f:write(out))              -- the fast path is set up
    assert.equal(out, frames[2]:write(out))
    assert.has_error(function() f:write("not a file") end)
    assert.has_error(function() f:write({}) end)
    assert.has_error(function() f.write(out, out) end)
    assert.has_error(function() f.write({}, out) end)
    out:close()
    local ok, err = pcall(f.write, f, out)
    assert.is_false(ok)
    assert.matches("closed file", tostring(err), 1, true)
    assert.equal(#frames[1].data + #frames[2].data, #h.read_file(path))
    os.remove(path)
  end)

  -- A payload at least as large as the file's stdio buffer (4 KiB for these
  -- files) skips the buffer: fflush, then one write(2) of the payload
  -- (csrc/lua/frame.c, put_bytes): bytes in order with the script's own
  -- writes, and file:seek() right, whatever the file's mode and buffering.
  it("frame:write keeps order and offset around the script's own writes and seeks", function()
    local pb <close> = h.archive_playback(S, "Front Door", 3)
    local frames = h.frames_of(pb)
    local big, small = 0, 0
    for _, f in ipairs(frames) do
      if #f >= 4096 then big = big + 1 else small = small + 1 end
    end
    assert.is_true(big >= 3 and small >= 3, ("frames of 4 KiB and more: %d, less: %d"):format(big,
      small))
    for _, how in ipairs({ "wb", "w+b", "ab", "no", "line", "full" }) do
      local path = os.tmpname()
      local out = assert(io.open(path, (how == "w+b" or how == "ab") and how or "wb"))
      if how == "no" or how == "line" or how == "full" then out:setvbuf(how) end
      local expect, pos = {}, 0
      for i, f in ipairs(frames) do
        local tag = ("<%d>"):format(i)
        if i % 3 ~= 0 then out:write(tag) expect[#expect + 1] = tag pos = pos + #tag end
        assert.equal(out, f:write(out))
        expect[#expect + 1] = f.data
        pos = pos + #f
        assert.equal(pos, out:seek(), how .. ": offset after frame " .. i)
      end
      -- back over what was written: a frame overwrites in place
      local whole = table.concat(expect)
      local f = frames[1]
      for _, g in ipairs(frames) do if #g >= 4096 then f = g break end end
      if how ~= "ab" then
        assert.equal(10, out:seek("set", 10))
        assert.equal(out, f:write(out))        -- at an offset the stream knows
        assert.equal(10 + #f, out:seek())
        out:write("x")
        assert.equal(out, f:write(out))        -- after bytes it holds
        assert.equal(11 + 2 * #f, out:seek())
        whole = whole:sub(1, 10) .. f.data .. "x" .. f.data .. whole:sub(12 + 2 * #f)
        assert.equal(#whole, out:seek("end"))
      end
      out:write("end")
      out:close()
      assert.is_true(h.read_file(path) == whole .. "end", how .. ": other bytes than written")
      os.remove(path)
    end
  end)

  it("frame:write after a read of a r+ file writes where the read stopped", function()
    local pb <close> = h.archive_playback(S, "Front Door", 2)
    local f
    for g in pb:frames { view = true } do
      if #g >= 4096 then f = g:copy() break end
    end
    assert.is_truthy(f, "a frame of 4 KiB or more")
    local path = os.tmpname()
    local before = ("0123456789"):rep(1000)
    h.write_file(path, before)
    local rw = assert(io.open(path, "r+b"))
    assert.equal("0123456789", rw:read(10))
    assert.equal(rw, f:write(rw))
    assert.equal(10 + #f, rw:seek())
    rw:close()
    local want = before:sub(1, 10) .. f.data .. before:sub(11 + #f)
    assert.is_true(h.read_file(path) == want, "r+: other bytes than written")
    -- a read-only file: the error of a write, as from file:write
    local ro = assert(io.open(path, "rb"))
    assert.equal("0", ro:read(1))            -- its buffer is set up
    local ok, err = f:write(ro)
    assert.is_nil(ok)
    assert.is_string(err)
    ro:close()
    os.remove(path)
  end)

  it("a frame's fields, methods and unknown keys", function()
    local pb <close> = h.archive_playback(S, "Back Yard", 2)
    local f = h.frames_of(pb)[1]
    assert.is_function(f.write)
    assert.is_function(f.copy)
    assert.is_number(f.timestamp)
    assert.is_nil(f.no_such_field)
    assert.is_nil(f[1])
  end)
end)

describe("playback keep-alive in the frames loop", function()
  local media = require "qvrpro.media"
  local paced, nvr, t0
  setup(function()
    paced = h.start_sim({})           -- frames at their recorded pace
    nvr = assert(qvr.connect(h.opts(paced)))
    t0 = h.archive_t0()
  end)
  teardown(function()
    nvr:close()
    paced.stop()
  end)

  -- reads frames of a paced playback for ms milliseconds; the qplay
  -- requests the server counted during it (open, play, get, live, ...)
  local function read_for(ms, opts, each)
    local before = h.stats(paced).requests.qplay or 0
    local pb = assert(nvr:playback("Back Yard", { from = t0, to = t0 + 600000 }))
    local start = qvr.core.monotonic_ms()
    for f in pb:frames(opts) do
      if each then each(pb, f) end
      if qvr.core.monotonic_ms() - start > ms then break end
    end
    pb:close()
    return (h.stats(paced).requests.qplay or 0) - before
  end

  it("sends `live` from the frames{view=true} loop too", function()
    local saved = media.keepalive_ms
    media.keepalive_ms = 100
    local sent = read_for(700, { view = true })
    media.keepalive_ms = saved
    -- open, play, get, close, and about one `live` per 100 ms of reading
    assert.is_true(sent >= 4 + 4, ("qplay requests %d"):format(sent))
    assert.is_true(sent <= 4 + 9, ("qplay requests %d"):format(sent))
  end)

  it("write_to hands what it gathered to the file before it waits for more bytes", function()
    local pb <close> = assert(nvr:playback("Back Yard", { from = t0, to = t0 + 600000 }))
    assert(pb:stream())
    local path = os.tmpname()
    local out = assert(io.open(path, "wb"))
    out:setvbuf("no")
    -- the file's size 0.7 s into a write_to of 1.5 s (frames come at their pace)
    local probe = assert(io.popen(("env -u LD_PRELOAD sh -c 'sleep 0.7; stat -c %%s %s'"):format(
      path)))
    local n, ended = pb.transfer:write_to(out, { max_ms = 1500 })
    local early = tonumber(probe:read("a"))
    probe:close()
    out:close()
    local final = #h.read_file(path)
    os.remove(path)
    assert.equal(false, ended)
    assert.is_true(n > 10, "frames: " .. tostring(n))
    assert.is_true(early > 0, "nothing in the file after 0.7 s")
    assert.is_true(early < final, ("%d of %d bytes after 0.7 s"):format(early, final))
  end)

  it("a command of the script makes `live` due later (none sent while commands come)", function()
    local saved = media.keepalive_ms
    media.keepalive_ms = 600
    local manual, last = 0, qvr.core.monotonic_ms()
    local sent = read_for(1500, nil, function(pb)
      if qvr.core.monotonic_ms() - last >= 150 then     -- well inside keepalive_ms
        assert(pb:live())
        manual, last = manual + 1, qvr.core.monotonic_ms()
      end
    end)
    media.keepalive_ms = saved
    assert.is_true(manual >= 5, "manual lives: " .. manual)
    -- open, play, get, close and the script's own; at most one more when a
    -- busy machine stalled the loop past keepalive_ms
    assert.is_true(sent >= 4 + manual, ("qplay requests %d, manual %d"):format(sent, manual))
    assert.is_true(sent <= 4 + manual + 1, ("qplay requests %d, manual %d"):format(sent, manual))
  end)
end)
