-- The bulk path (stream:write_to, pb:write_to: frames written to a file in C,
-- no Lua frame built) and the descriptor limit (TOO_MANY_FILES, the soft
-- RLIMIT_NOFILE raised at load).
local h = require "helpers"

local function tmpfile()
  local path = os.tmpname()
  return path, assert(io.open(path, "w+b"))
end

-- pb:write_to(a fresh file, opts) -> n, err, the file's bytes
local function write_to_bytes(pb, opts)
  local path, f = tmpfile()
  local n, err = pb:write_to(f, opts)
  f:close()
  local got = h.read_file(path)
  os.remove(path)
  return n, err, got
end

-- the bytes of a playback read frame by frame: payloads, or header + payload
local function one_by_one(pb, raw)
  local parts, n = {}, 0
  for f in pb:frames() do
    n = n + 1
    parts[n] = raw and (f.header .. f.data) or f.data
  end
  return table.concat(parts), n
end

describe("write_to", function()
  local S = h.with_sim({ "--no-pace" })
  for _, case in ipairs({
    { cam = "Front Door", what = "H.264 + AAC" },
    { cam = "Back Yard", what = "H.264 + G.711" },
    { cam = "Garage", what = "MJPEG" },
  }) do
    for _, raw in ipairs({ false, true }) do
      it(("pb:write_to writes byte for byte what frames read one by one give (%s, %s)"):format(
        case.what, raw and "raw" or "payloads"), function()
        local pb1 <close> = h.archive_playback(S, case.cam, 20)
        local expected, frames = one_by_one(pb1, raw)
        assert.is_true(frames > 50, "frames: " .. frames)
        local pb2 <close> = h.archive_playback(S, case.cam, 20)
        local n, err, got = write_to_bytes(pb2, { raw = raw })
        assert.is_nil(err)
        assert.equal(frames, n)
        assert.equal(pb1.transfer.frames_read, pb2.transfer.frames_read)
        assert.equal(#expected, #got)
        assert.is_true(expected == got, "the bytes differ")
        assert.equal(pb1:end_reason(), pb2:end_reason())
      end)
    end
  end

  it("stream:write_to stops after max_frames and goes on where it stopped", function()
    local pb1 <close> = h.archive_playback(S, "Front Door", 10)
    local expected, frames = one_by_one(pb1, true)
    local path, f = tmpfile()
    local pb2 <close> = h.archive_playback(S, "Front Door", 10)
    local st = assert(pb2:stream())
    local n1, ended1 = st:write_to(f, { raw = true, max_frames = 7 })
    assert.equal(7, n1)
    assert.is_false(ended1)
    assert.equal(7, st.frames_read)
    local one = assert(st:read())           -- frames and write_to mix
    f:write(one.header, one.data)
    local n2, ended2 = st:write_to(f, { raw = true })
    f:close()
    local got = h.read_file(path)
    os.remove(path)
    assert.is_true(ended2)
    assert.equal(frames, n1 + 1 + n2)
    assert.is_true(expected == got, "the bytes differ")
  end)

  -- renewed `get`s: the frames after a drop come again on the next `get`
  -- (dedupe) or a new session; write_to writes what the frames loop reads
  for _, case in ipairs({
    { what = "drops mid-frame, retried on the session", retries = nil },
    { what = "drops mid-frame, a new session at the last frame", retries = 0 },
  }) do
    it("pb:write_to over `get`s that " .. case.what .. ": byte for byte as frames give",
       function()
      local media = require "qvrpro.media"
      local saved = media.get_retries
      if case.retries then media.get_retries = case.retries end
      local ok, err = pcall(function()
        h.control(S.sim, "clear=faults&fault=drop_after=60000:qplay")
        local pb1 <close> = h.archive_playback(S, "Back Yard", 20)
        local expected, frames = one_by_one(pb1, true)
        local pb2 <close> = h.archive_playback(S, "Back Yard", 20)
        local n, werr, got = write_to_bytes(pb2, { raw = true })
        assert.is_nil(werr)
        assert.equal(frames, n)
        assert.is_true(pb2.transfer.transfers >= 3, "a get per 60000 bytes")
        assert.equal(#expected, #got)
        assert.is_true(expected == got, "the bytes differ")
      end)
      media.get_retries = saved
      h.control(S.sim, "clear=faults")
      assert(ok, err)
    end)
  end

  it("pb:write_to of a JPEG-mode playback writes what frames give", function()
    local function jpeg_pb()
      return assert(S.nvr:playback("Back Yard", { from = S.t0, to = S.t0 + 8000,
                                                  data_type = "jpeg" }))
    end
    local pb1 <close> = jpeg_pb()
    local expected, frames = one_by_one(pb1, false)
    assert.is_true(frames > 5, "frames: " .. frames)
    local pb2 <close> = jpeg_pb()
    local n, werr, got = write_to_bytes(pb2)
    assert(n, werr)
    assert.equal(frames, n)
    assert.is_true(expected == got, "the bytes differ")
  end)

  it("leaves the file's position where its bytes end (f:seek, later writes)", function()
    local pb1 <close> = h.archive_playback(S, "Front Door", 10)
    local expected = one_by_one(pb1, false)
    local path, f = tmpfile()
    f:write("head")                      -- in the file's stdio buffer
    local pb2 <close> = h.archive_playback(S, "Front Door", 10)
    local st = assert(pb2:stream())
    local n1 = assert(st:write_to(f, { max_frames = 40 }))
    assert.equal(40, n1)
    local pos = f:seek("cur")
    assert.is_true(pos > 4 + 40 * 20, "position " .. tostring(pos))
    assert(st:write_to(f))
    assert.equal(4 + #expected, f:seek("cur"))
    f:write("tail")
    assert(f:seek("set", pos))             -- a seek back, then the rest read
    local rest = f:read("a")
    f:close()
    local got = h.read_file(path)
    os.remove(path)
    assert.equal("head" .. expected .. "tail", got)
    assert.equal(got:sub(pos + 1), rest)
  end)

  it("reports a write error and a closed file", function()
    local pb <close> = h.archive_playback(S, "Garage", 5)
    local st = assert(pb:stream())
    local ro = assert(io.open("/dev/null", "rb"))    -- not open for writing
    ro:setvbuf("no")
    local n, err = st:write_to(ro)
    assert.is_nil(n)
    assert.is_string(err)
    ro:close()
    assert.has_error(function() st:write_to(ro) end, "attempt to use a closed file")
  end)
end)

describe("descriptor limit", function()
  local S = h.with_sim({}, { connect = false })

  local function child(limit, script)
    local url = ("http://admin:admin@127.0.0.1:%d"):format(S.sim.port)
    local out, ok = h.capture(("ulimit %s; QVR_URL=%s lua5.4 -e %s 2>&1"):format(limit, url,
      ("'%s'"):format(script:gsub("'", "'\\''"))), true)
    assert(ok, "child failed: " .. out)
    return out
  end

  it("raises the soft RLIMIT_NOFILE to the hard limit when the module loads", function()
    local out = child("-Sn 64", [[
      local soft, hard = require("qvrpro").core.fd_limit()
      io.write(soft, " ", hard, "\n")]])
    local soft, hard = out:match("^(%-?%d+) (%-?%d+)")
    assert(soft, out)
    assert.is_true(tonumber(soft) > 64, out)
    assert.is_true(tonumber(soft) == tonumber(hard) or tonumber(soft) == 1 << 20, out)
  end)

  it("fails a stream with TOO_MANY_FILES and a hint when descriptors run out", function()
    local out = child("-n 40", [[
      local qvr = require "qvrpro"
      local nvr = assert(qvr.connect(os.getenv("QVR_URL")))
      local list, err = {}, nil
      for _ = 1, 100 do
        local st, e = nvr:live("Garage")
        if not st then err = e break end
        list[#list + 1] = st
      end
      io.write(#list, "|", err and err.name or "none", "|", err and err.message or "", "\n")
      for _, st in ipairs(list) do st:close() end
      io.write("cpu after:", tostring(nvr:cpu() ~= nil), "\n")
      nvr:close()]])
    local n, name, msg = out:match("^(%d+)|([%w_]+)|([^\n]*)")
    assert(n, out)
    assert.equal("TOO_MANY_FILES", name)
    assert.is_true(tonumber(n) > 5 and tonumber(n) < 40, out)
    assert.matches("limit of 40 descriptors", msg, 1, true)
    assert.matches("ulimit -n", msg, 1, true)
    assert.matches("cpu after:true", out, 1, true)   -- closing streams gives them back
  end)
end)

describe("frame views", function()
  local S = h.with_sim({ "--no-pace" })
  it("pb:frames{view=true} gives the same frames as owned frames, in one object", function()
    local pb1 <close> = h.archive_playback(S, "Front Door", 10)
    local owned = h.frames_of(pb1)
    local pb2 <close> = h.archive_playback(S, "Front Door", 10)
    local n, first = 0, nil
    for f in pb2:frames { view = true } do
      n = n + 1
      first = first or f
      assert.equal(first, f)                      -- the same object, refilled
      local o = owned[n]
      assert.equal(o.timestamp, f.timestamp)
      assert.equal(o.media, f.media)
      assert.equal(o.size, f.size)
      assert.equal(#o, #f)
      assert.equal(o.key, f.key)
      assert.is_true(o.data == f.data, "payload of frame " .. n)
      assert.is_true(o.header == f.header, "header of frame " .. n)
    end
    assert.equal(#owned, n)
  end)

  it("a view expires when its stream moves on; frame:copy() keeps one", function()
    local pb <close> = h.archive_playback(S, "Back Yard", 5)
    local st = assert(pb:stream())
    local it = st:frames { view = true }
    local v = it()
    local ts, data = v.timestamp, v.data
    local kept = v:copy()
    local next_view = it()
    assert.equal(v, next_view)
    assert.is_true(next_view.timestamp > ts)
    assert.equal(ts, kept.timestamp)
    assert.is_true(kept.data == data)
    local owned = assert(st:read())                 -- the view expires ...
    assert.has_error(function() return v.data end)
    assert.has_error(function() v:write(io.stdout) end)
    local ok, err = pcall(function() return v.header end)
    assert.is_false(ok)
    assert.matches("view", tostring(err), 1, true)
    assert.is_true(owned.timestamp >= next_view.timestamp)
    assert.equal(ts, kept.timestamp)               -- ... a copy does not
    st:close()
    assert.is_true(kept.data == data)
  end)
end)
