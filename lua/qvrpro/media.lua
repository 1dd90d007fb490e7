--- qvrpro.media: live streams and playback sessions (section 4 of the SDK),
-- as methods of the C types.  Transfers, parsing and the loop are C
-- (csrc/lua/stream.c); this adds opening with one re-login, the qplay commands
-- and the playback iterator with its keep-alive.
local core = require "qvrpro.core"
local qtime = require "qvrpro.time"
local camera = require "qvrpro.camera"

local M = {}

local Session = core.methods("qvrpro.Session")
local Camera = core.methods("qvrpro.Camera")
local Playback = core.methods("qvrpro.Playback")

-- a playback sends `live` when its last command is this old (ms); the SDK
-- recommends about a minute
M.keepalive_ms = 60000

-- Playback state the Lua layer keeps for itself (not fields of the object):
-- options, guid, playing, reverse, play_speed, playclose_off, last_live.
local state = setmetatable({}, { __mode = "k" })

-- the playback's `get` transfer: core.playback_set_transfer, captured here
-- (a Playback has no public setter)
local set_transfer = core.playback_set_transfer

local function stream_opts(nvr, opts, extra)
  local o = {
    stall_timeout = opts.stall_timeout or nvr.stall_timeout,
    timeout = opts.timeout or nvr.timeout,
    verify = nvr.verify,
    cafile = nvr.cafile,
    proxy_env = nvr.proxy_env,
    max_size = opts.max_size,
    buffer = opts.buffer,
  }
  for k, v in pairs(extra) do o[k] = v end
  return o
end

--- Opens a transfer; when the server says the sid expired, logs in once
-- and opens again.
local function open_with_relogin(nvr, make_url, sopts)
  local st, err = core.open_stream(make_url(), sopts)
  if not st and err.name == "AUTH_FAILED" then
    local ok, lerr = nvr:login()
    if not ok then return nil, lerr end
    st, err = core.open_stream(make_url(), sopts)
  end
  return st, err
end

local function resolve(nvr, cam)
  return camera.resolve(nvr, cam)
end

-- Live reconnection (opts.reconnect): the first attempt after frames came
-- is immediate, then the waits double from reconnect_delay up to
-- reconnect_max_delay; reconnect_attempts in a row without a frame end it.
M.reconnect_delay = 0.5
M.reconnect_max_delay = 30
M.reconnect_attempts = 10

local function reconnect_policy(r)
  local p = { attempts = M.reconnect_attempts, delay = M.reconnect_delay,
              max_delay = M.reconnect_max_delay }
  if type(r) == "table" then
    for _, k in ipairs({ "attempts", "delay", "max_delay" }) do
      if r[k] ~= nil then p[k] = r[k] end
    end
  elseif r ~= true then
    error("bad reconnect (true or {attempts=, delay=, max_delay=})", 4)
  end
  return p
end

-- The renew function of a live stream with reconnect (csrc/lua/stream.c):
-- after an end, a drop, a stall or a refused attempt, waits its back-off,
-- logs in again when the sid expired, and opens the stream again.
local function live_renewer(nvr, make_url, policy)
  local failed = 0
  return function(reason, err, _, new_frames)
    if new_frames > 0 then failed = 0 end
    if failed >= policy.attempts then return false end
    if failed > 0 then
      core.sleep(math.min(policy.max_delay, policy.delay * 2 ^ (failed - 1)))
    end
    failed = failed + 1
    if reason == "refused" and err and err.name == "AUTH_FAILED" then
      nvr:login()        -- a failed login shows as the next attempt's refusal
    end
    -- a server may start a new stream with frames already sent (the last
    -- key frame's group): those are dropped as repeats
    return make_url(), true
  end
end

--- nvr:live(cam [, {stream_id=0, audio=true, stall_timeout=, reconnect=}])
--- -> Stream | nil, err
-- What opening a live stream of cam takes: make_url, the stream options and
-- the camera | nil, err.
local function live_spec(nvr, cam, opts)
  local guid, rerr, camobj = resolve(nvr, cam)
  if not guid then return nil, rerr end
  local q = { ch_sid = guid, stream_id = opts.stream_id or 0 }
  if opts.audio ~= nil then q.audio = opts.audio and 1 or 0 end
  local desc = "live " .. (camobj and camobj.name or guid)
  local function make_url() return nvr:endpoint_url("getstream", q) end
  local extra = { description = desc }
  if opts.reconnect then
    extra.renew = live_renewer(nvr, make_url, reconnect_policy(opts.reconnect))
    extra.gaps = true
  end
  return { make_url = make_url, sopts = stream_opts(nvr, opts, extra), camera = camobj or guid }
end

local function mark_live(st, spec)
  st:set("camera", spec.camera)
  st:set("kind", "live")
  return st
end

function Session:live(cam, opts)
  local spec, err = live_spec(self, cam, opts or {})
  if not spec then return nil, err end
  local st
  st, err = open_with_relogin(self, spec.make_url, spec.sopts)
  if not st then return nil, err end
  return mark_live(st, spec)
end

--- nvr:live_many(cams [, opts]) -> streams, errors: opens the live streams
-- of many cameras at once (every transfer starts, then one wait for all
-- their code lines: about one round trip for all, not one each).
-- streams[i] is the Stream of cams[i] or false, errors[i] its Error; when
-- the server says the sid expired, logs in once and opens those again.
function Session:live_many(cams, opts)
  if type(cams) ~= "table" then error("bad argument #1 to 'live_many' (table expected)", 2) end
  opts = opts or {}
  local streams, errors, specs = {}, {}, {}
  local function open(indexes)
    local list = {}
    for k, i in ipairs(indexes) do list[k] = { specs[i].make_url(), specs[i].sopts } end
    local got = core.open_streams(list)
    local again = {}
    for k, i in ipairs(indexes) do
      local r = got[k]
      local mt = getmetatable(r)
      if not (mt and mt.__name == "qvrpro.Stream") then    -- its Error
        streams[i], errors[i] = false, r
        if r.name == "AUTH_FAILED" then again[#again + 1] = i end
      else
        streams[i], errors[i] = mark_live(r, specs[i]), nil
      end
    end
    return again
  end
  local todo = {}
  for i, cam in ipairs(cams) do
    local spec, err = live_spec(self, cam, opts)
    if spec then
      specs[i] = spec
      todo[#todo + 1] = i
    else
      streams[i], errors[i] = false, err
    end
  end
  local again = open(todo)
  if #again > 0 then
    local ok, lerr = self:login()
    if ok then
      open(again)
    else
      for _, i in ipairs(again) do errors[i] = lerr end
    end
  end
  return streams, errors
end

-- ---------------------------------------------------------------------------
-- playback

local function data_type(v)
  if v == nil or v == "source" or v == 1 then return 1 end
  if v == "jpeg" or v == 0 then return 0 end
  error("bad data_type (\"source\" or \"jpeg\")", 3)
end

-- A qplay session id as servers issue it (the SDK: a 30-byte string; real
-- ones are hex); anything else means the answer was not an `open` answer.
local function valid_session_id(id)
  return type(id) == "string" and #id >= 8 and #id <= 63 and id:match("^[%w_-]+$") ~= nil
end

--- Opens a qplay session; the server's session id | nil, err.
local function open_session(nvr, guid, from, to, opts)
  local stream_id = opts.stream_id or 0
  -- (the request sends the stream as `stream` and `stream_id`, the SDK's two names)
  local lines, err = nvr:call("qplay.open", {
    ch_sid = guid, start_time = from, end_time = to,
    recording_type = opts.recording_type or 0, stream_id = stream_id,
    data_type = data_type(opts.data_type),
  })
  if not lines then return nil, err end
  local id = lines[1]
  if not valid_session_id(id) then
    return nil, core.error { name = "BAD_RESPONSE",
      message = ("qplay open answered %s, not a session id"):format(
        id and ("%q"):format(id:sub(1, 40)) or "no session id") }
  end
  return id
end

--- nvr:playback(cam, {from=, to=, recording_type=0, stream_id=0,
---   data_type="source"|"jpeg", timecontrol=true, speed=10, retries=, new_sessions=})
--- -> Playback | nil, err
function Session:playback(cam, opts)
  if type(opts) ~= "table" then error("bad argument #2 to 'playback' (table expected)", 2) end
  local from = qtime.check(opts.from, "from")
  local to = opts.to ~= nil and qtime.check(opts.to, "to") or nil
  local dt = data_type(opts.data_type)
  local guid, rerr, camobj = resolve(self, cam)
  if not guid then return nil, rerr end
  local id, err = open_session(self, guid, from, to, opts)
  if not id then return nil, err end
  local pb = core.playback(self, id, {
    camera = camobj or guid, from = from, to = to,
    data_type = dt == 1 and "source" or "jpeg",
    description = ("%s %s..%s"):format(camobj and camobj.name or guid, qtime.iso(from),
      to and qtime.iso(to) or "end"),
  })
  state[pb] = { options = opts, guid = guid, last_live = qtime.now() }
  if opts.timecontrol == false then
    local ok, terr = pb:timecontrol(false)
    if not ok then pb:close(); return nil, terr end
  end
  return pb
end

-- commands after which the script drives playback itself: the first read
-- must not send an implicit `play` that would undo them
local TAKES_CONTROL = { play = true, pause = true, ff = true, rew = true, speed = true,
                        next_frame = true, prev_frame = true }

local REVERSE = { rew = true, prev_frame = true, play = false, ff = false, next_frame = false }

-- internal: a command the continuation sends (keeps the repeat marks)
local function command(pb, cmd, params, internal)
  if pb.closed then error("attempt to use a closed qvrpro.Playback", 3) end
  local ps = state[pb]
  if TAKES_CONTROL[cmd] and ps.playing == nil then ps.playing = cmd ~= "pause" end
  -- frames go backwards: continuation must not drop them as repeated
  if REVERSE[cmd] ~= nil then ps.reverse = REVERSE[cmd] end
  if not internal and (cmd == "seek" or REVERSE[cmd]) and pb.transfer then
    pb.transfer:_forget()
  end
  local q = { session = pb.id }
  for k, v in pairs(params or {}) do q[k] = v end
  local lines, err = pb.session:call("qplay." .. cmd, q)
  if not lines then return nil, err end
  ps.last_live = qtime.now()
  return true
end

function Playback:seek(t) return command(self, "seek", { seek_time = qtime.check(t, "seek") }) end
function Playback:play(speed)
  local ps = state[self]
  ps.playing, ps.play_speed = true, speed
  return command(self, "play", { speed = speed or ps.options.speed or 10 })
end
function Playback:pause() state[self].playing = false; return command(self, "pause") end
function Playback:speed(n) return command(self, "speed", { speed = n }) end
function Playback:ff() return command(self, "ff") end
function Playback:rew() return command(self, "rew") end
function Playback:next_frame() return command(self, "next_frame") end
function Playback:prev_frame() return command(self, "prev_frame") end
function Playback:all_frame() return command(self, "all_frame") end
function Playback:skip_frame() return command(self, "skip_frame") end
function Playback:live() return command(self, "live") end
function Playback:timecontrol(on) return command(self, "timecontrol", { enable = on and 1 or 0 }) end
function Playback:playclose(on)
  state[self].playclose_off = not on
  return command(self, "playclose", { enable = on and 1 or 0 })
end

-- Continuation (docs/API.md, "Playback"): a `get` that ends before `to` is
-- followed by the next `get` on the same session; a dropped `get` is
-- retried GET_RETRIES times in a row without progress, then the playback
-- moves to a new session opened at the last delivered timestamp (at most
-- SPLICES times in a row).  The stream drops the frames it already gave.
M.get_retries = 3
M.splices = 2
-- `get`s in a row that bring only frames already delivered before failing
M.idle_gets = 20
-- the server says the session is over: being closed, or gone
local SESSION_OVER = { [0x93010203] = true, [0x93010202] = true }

local function get_url(pb)
  return pb.session:endpoint_url("qplay.get", { session = pb.id })
end

-- Puts the playback on a new session at ts, in the state the old one had.
local function splice(pb, ts)
  local ps = state[pb]
  local nvr, opts = pb.session, ps.options
  local id, err = open_session(nvr, ps.guid, ts, pb.to, opts)
  if not id then return nil, err end
  pb:_rebind(id)
  local ok
  if opts.timecontrol == false then
    ok, err = pb:timecontrol(false)
    if not ok then return nil, err end
  end
  if ps.playclose_off then
    ok, err = pb:playclose(false)
    if not ok then return nil, err end
  end
  if ps.playing ~= false then
    ok, err = command(pb, "play", { speed = ps.play_speed or opts.speed or 10 }, true)
    if not ok then return nil, err end
  end
  return true
end

-- The stream's renew function (csrc/lua/stream.c): how the playback goes on
-- after its `get` ended (reason "ended"), broke ("broken", "stalled") or a
-- new `get` was refused ("refused", err = the server's code).
local function renewer(pb)
  local retries, splices, broken, idle = 0, 0, false, 0
  return function(reason, err, frames, new_frames)
    local st = pb.transfer
    local last = st and st.last_timestamp
    if pb.to and last and last >= pb.to then return nil, "to" end
    if new_frames > 0 then retries, splices, idle = 0, 0, 0 end
    if reason == "ended" then
      if frames == 0 and not broken then return nil, "empty" end
      broken = false
      idle = new_frames == 0 and idle + 1 or 0
      if idle > M.idle_gets then
        return nil, core.error { name = "NO_PROGRESS", message = ("%d `get`s in a row "
          .. "answered only frames already delivered"):format(idle) }
      end
      return get_url(pb), not state[pb].reverse
    end
    if reason == "refused" and not (broken and SESSION_OVER[err.code]) then
      if SESSION_OVER[err.code] then return nil, "closed" end
      return false
    end
    -- the connection broke, stalled, or the session was lost after a break:
    -- the frames the server sent into the broken connection are lost to the
    -- session too, so it goes back to the last delivered frame first
    broken = true
    retries = retries + 1
    local at = st.resume_timestamp or pb.from
    local opts = state[pb].options
    if retries <= (opts.retries or M.get_retries) and reason ~= "refused" then
      -- (a seek that fails: the session is gone, a new one follows)
      if command(pb, "seek", { seek_time = at }, true) then return get_url(pb), not state[pb].reverse end
    end
    if splices >= (opts.new_sessions or M.splices) then
      pcall(pb._rebind, pb)   -- a client-side failure leaves no session open
      return false
    end
    splices, retries = splices + 1, 0
    local ok, serr = splice(pb, at)
    if not ok then
      pcall(pb._rebind, pb)
      return nil, serr
    end
    return get_url(pb), not state[pb].reverse
  end
end

--- The `get` transfer of a playback, opened on first use (after `play`).
function Playback:stream()
  local st = self.transfer
  if st then return st end
  if state[self].playing == nil then
    local ok, err = self:play()
    if not ok then return nil, err end
  end
  local nvr = self.session
  local err
  st, err = core.open_stream(get_url(self), stream_opts(nvr, state[self].options, {
    mode = self.data_type == "jpeg" and "jpeg" or "source",
    until_ts = self.to, description = "playback " .. self.description,
    renew = renewer(self),
  }))
  if not st then
    if err.name == "TIMEOUT" then pcall(self._rebind, self) end
    return nil, err
  end
  set_transfer(self, st)
  return st
end

--- How the playback ended: "to" (reached `to`), "empty" (a `get` answered
-- no frames: the recording ended), "closed" (the server closed the
-- session), or nil while it runs or after a failure.
function Playback:end_reason()
  return self.transfer and self.transfer.end_reason
end

--- Sends `live` when the last command is about a minute old.
local function keepalive(pb)
  local ps = state[pb]
  if qtime.now() - (ps.last_live or 0) >= M.keepalive_ms then
    ps.last_live = qtime.now()
    pb:live()
  end
end
M.keepalive = keepalive

--- pb:read() -> frame | nil (end) | nil, err
function Playback:read()
  local st, err = self:stream()
  if not st then return nil, err end
  keepalive(self)
  return st:read()
end

--- for frame in pb:frames([{view=true}]) do ... end: ends at `to` or at the
-- end of the recording; the playback is the loop's to-be-closed value, so
-- `break` or an error in the body closes the server session.  view: one
-- frame object refilled for every frame (no allocation, no copy), valid
-- until the next one (frame:copy() keeps one).
function Playback:frames(opts)
  local st, err = self:stream()
  if not st then error(err, 2) end
  if opts ~= nil and type(opts) ~= "table" then
    error("bad argument #1 to 'frames' (table expected)", 2)
  end
  -- The iterator is C (stream.c): one call per frame.  It calls `tick`
  -- only when `live` may be due (its own clock, checked per frame), and tick
  -- says when to look again: a command in between only makes `live` due later.
  local function tick()
    keepalive(self)
    return M.keepalive_ms - (qtime.now() - (state[self].last_live or 0))
  end
  return st:_frames(opts and opts.view, tick, self)
end

--- pb:write_to(file [, {raw=false}]) -> frames | nil, err: the bulk path.
-- Every frame's payload (raw: its header as received, then the payload)
-- written to an open file by the C core, no Lua frame built; ends like
-- pb:frames() and sends `live` the same way (between slices of the
-- transfer, the stream's write_to with max_ms).
function Playback:write_to(file, opts)
  local st, err = self:stream()
  if not st then return nil, err end
  local o = { raw = opts and opts.raw or false }
  local total = 0
  repeat
    keepalive(self)
    o.max_ms = math.max(10, math.min(1000, M.keepalive_ms // 2))
    local n, ended = st:write_to(file, o)
    if not n then return nil, ended end
    total = total + n
  until ended
  return total
end

-- camera methods
function Camera:live(opts) return self.session:live(self, opts) end
function Camera:playback(opts) return self.session:playback(self, opts) end

--- for obj, frame in qvr.each{live1, live2, pb3} do ... end: frames from
-- many streams and playbacks in one thread, as they arrive.  opts.wait =
-- false: the iterator returns nil (ending a for loop) when no frame is there
-- now instead of waiting (use it again once the loop's pollfd is readable),
-- and nil, "ended" once every stream has ended.
function M.each(list, opts)
  local streams, owner = {}, {}
  for i, obj in ipairs(list) do
    local st = obj
    if getmetatable(obj) and getmetatable(obj).__name == "qvrpro.Playback" then
      local err
      st, err = obj:stream()
      if not st then error(err, 2) end
    end
    streams[i] = st
    owner[st] = obj
  end
  local iter = core.each(streams, opts)
  local n = 0
  return function()
    local st, frame = iter()
    if not st then return nil, frame end
    n = n + 1
    local obj = owner[st]
    if obj ~= st and n % 64 == 0 then keepalive(obj) end
    return obj, frame
  end
end

--- pb:try_read() -> frame | false (nothing yet) | nil (end) | nil, err:
-- the non-blocking read (csrc/lua/stream.c); sends `live` like pb:read().
function Playback:try_read()
  local st, err = self:stream()
  if not st then return nil, err end
  keepalive(self)
  return st:try_read()
end

--- The pollable interface (cqueues: obj:pollfd(), obj:events(),
-- obj:timeout()): a playback polls as the loop its transfer runs in.
function Playback:pollfd() return (self.transfer or core.loop()):pollfd() end
function Playback:events() return (self.transfer or core.loop()):events() end
function Playback:timeout() return (self.transfer or core.loop()):timeout() end

return M
