--- qvrpro.media: live streams and playback sessions (section 4 of the SDK),
-- as methods of the C types.  Transfers, parsing and the loop are C
-- (csrc/lua/stream.c); this adds opening with one re-login, the qplay commands
-- and the playback iterator with its keep-alive.
local core = require "qvrpro.core"
local qtime = require "qvrpro.time"

local M = {}

local Session = core.methods("qvrpro.Session")
local Camera = core.methods("qvrpro.Camera")
local Playback = core.methods("qvrpro.Playback")

-- a playback sends `live` when its last command is this old (ms); the SDK
-- recommends about a minute
M.keepalive_ms = 60000

local function qplay_path(nvr) return nvr.prefix .. "/apis/qplay.cgi" end

local function stream_opts(nvr, opts, extra)
  local o = {
    stall_timeout = opts.stall_timeout or nvr.stall_timeout,
    timeout = opts.timeout or nvr.timeout,
    verify = nvr.verify,
    cafile = nvr.cafile,
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
  return require("qvrpro").resolve(nvr, cam)
end

--- nvr:live(cam [, {stream_id=0, audio=true, stall_timeout=}]) -> Stream | nil, err
function Session:live(cam, opts)
  opts = opts or {}
  local guid, _, camobj = resolve(self, cam)
  if not guid then return nil, camobj end
  local q = { ch_sid = guid, stream_id = opts.stream_id or 0 }
  if opts.audio ~= nil then q.audio = opts.audio and 1 or 0 end
  local desc = "live " .. (camobj and camobj.name or guid)
  local path = self.prefix .. "/streaming/getstream.cgi"
  local st, err = open_with_relogin(self, function() return self:url(path, q) end,
    stream_opts(self, opts, { description = desc }))
  if not st then return nil, err end
  st:set("camera", camobj or guid)
  st:set("kind", "live")
  return st
end

-- ---------------------------------------------------------------------------
-- playback

local function data_type(v)
  if v == nil or v == "source" or v == 1 then return 1 end
  if v == "jpeg" or v == 0 then return 0 end
  error("bad data_type (\"source\" or \"jpeg\")", 3)
end

--- nvr:playback(cam, {from=, to=, recording_type=0, stream_id=0,
---   data_type="source"|"jpeg", timecontrol=true, speed=10}) -> Playback | nil, err
function Session:playback(cam, opts)
  if type(opts) ~= "table" then error("bad argument #2 to 'playback' (table expected)", 2) end
  local from = qtime.check(opts.from, "from")
  local to = opts.to ~= nil and qtime.check(opts.to, "to") or nil
  local guid, _, camobj = resolve(self, cam)
  if not guid then return nil, camobj end
  local stream_id = opts.stream_id or 0
  local dt = data_type(opts.data_type)
  local lines, err = self:request("lines", qplay_path(self), {
    ver = "v1", cmd = "open", ch_sid = guid, query_type = 0, start_time = from, end_time = to,
    recording_type = opts.recording_type or 0, stream = stream_id, stream_id = stream_id,
    data_type = dt,
  })
  if not lines then return nil, err end
  local id = lines[1]
  if not id or id == "" then
    return nil, core.error { name = "BAD_RESPONSE", message = "qplay open answered no session id" }
  end
  local pb = core.playback(self, id, {
    camera = camobj or guid, from = from, to = to, data_type = dt == 1 and "source" or "jpeg",
    description = ("%s %s..%s"):format(camobj and camobj.name or guid, qtime.iso(from),
      to and qtime.iso(to) or "end"),
    options = opts, last_live = qtime.now(),
  })
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

local function command(pb, cmd, params)
  if pb.closed then error("attempt to use a closed qvrpro.Playback", 3) end
  if TAKES_CONTROL[cmd] and pb.playing == nil then pb:set("playing", cmd ~= "pause") end
  local q = { ver = "v1", cmd = cmd, session = pb.id }
  for k, v in pairs(params or {}) do q[k] = v end
  local nvr = pb.session
  local lines, err = nvr:request("lines", qplay_path(nvr), q, { sid = false })
  if not lines then return nil, err end
  pb:set("last_live", qtime.now())
  return true
end

function Playback:seek(t) return command(self, "seek", { seek_time = qtime.check(t, "seek") }) end
function Playback:play(speed)
  self:set("playing", true)
  return command(self, "play", { speed = speed or self.options.speed or 10 })
end
function Playback:pause() self:set("playing", false); return command(self, "pause") end
function Playback:speed(n) return command(self, "speed", { speed = n }) end
function Playback:ff() return command(self, "ff") end
function Playback:rew() return command(self, "rew") end
function Playback:next_frame() return command(self, "next_frame") end
function Playback:prev_frame() return command(self, "prev_frame") end
function Playback:all_frame() return command(self, "all_frame") end
function Playback:skip_frame() return command(self, "skip_frame") end
function Playback:live() return command(self, "live") end
function Playback:timecontrol(on) return command(self, "timecontrol", { enable = on and 1 or 0 }) end
function Playback:playclose(on) return command(self, "playclose", { enable = on and 1 or 0 }) end

--- The `get` transfer of a playback, opened on first use (after `play`).
function Playback:stream()
  local st = self.transfer
  if st then return st end
  if self.playing == nil then
    local ok, err = self:play()
    if not ok then return nil, err end
  end
  local nvr = self.session
  local q = { ver = "v1", cmd = "get", session = self.id }
  local err
  st, err = core.open_stream(nvr:url(qplay_path(nvr), q, false), stream_opts(nvr, self.options, {
    mode = self.data_type == "jpeg" and "jpeg" or "source",
    until_ts = self.to, description = "playback " .. self.description,
  }))
  if not st then return nil, err end
  self:set("transfer", st)
  return st
end

--- Sends `live` when the last command is about a minute old.
local function keepalive(pb)
  if qtime.now() - (pb.last_live or 0) >= M.keepalive_ms then
    pb:set("last_live", qtime.now())
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

--- for frame in pb:frames() do ... end: ends at `to` or at the end of the
-- recording; the playback is the loop's to-be-closed value, so `break` or
-- an error in the body closes the server session.
function Playback:frames()
  local st, err = self:stream()
  if not st then error(err, 2) end
  return function()
    keepalive(self)
    local f, ferr = st:read()
    if f == nil and ferr then error(ferr, 2) end
    return f
  end, nil, nil, self
end

-- camera methods
function Camera:live(opts) return self.session:live(self, opts) end
function Camera:playback(opts) return self.session:playback(self, opts) end

--- for obj, frame in qvr.each{live1, live2, pb3} do ... end: frames from
-- many streams and playbacks in one thread, as they arrive.
function M.each(list)
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
  local iter = core.each(streams)
  local n = 0
  return function()
    local st, frame = iter()
    if not st then return nil end
    n = n + 1
    local obj = owner[st]
    if obj ~= st and n % 64 == 0 then keepalive(obj) end
    return obj, frame
  end
end

return M
