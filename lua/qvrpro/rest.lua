--- qvrpro.rest: the REST family of QVR Pro API 1.x (docs/REST.md) as
-- session methods, and the choice between it and the 2017 CGIs.
--
-- A session remembers which family the NVR answered (nvr.api, probed once at
-- connect by listing the cameras, which fills the camera cache).  A call
-- both families offer (cameras, snapshot, record, clip) tries that family
-- first: the CGIs on an NVR that has them (they carry more: recording days,
-- snapshot stream and origin), REST on one without; calls only REST has go
-- to REST.  A call falls back to the other family when the first says it
-- lacks it (404/405 page, 0xB1000000 "API version not supported"), and the
-- missing call is remembered per session, so it is not asked again.
-- api = "rest" | "cgi" at connect forces one family (no fallback).
--
-- Answers are judged in C (csrc/proto/rest.c), requests are built in C from
-- the endpoint table (csrc/proto/request.c: paths, methods, the `ver` sent,
-- 1.2.0 where a parameter needs it); the JSON bodies are made here.
local core = require "qvrpro.core"
local camera = require "qvrpro.camera"
local qtime = require "qvrpro.time"
local json = require "qvrpro.json"
local files = require "qvrpro.files"

local M = {}

local Session = core.methods("qvrpro.Session")
local Camera = core.methods("qvrpro.Camera")

--- recordingfile slices: one minute, aligned to UTC minutes (QNAP's advice;
-- a server returns only the first recording file of a longer range).
M.slice_ms = 60000
--- a piece that ends more than this before its slice leaves a gap in r.gaps
M.gap_ms = 500

local PTZ_ACTIONS = {
  up = true, down = true, left = true, right = true, up_left = true, up_right = true,
  down_left = true, down_right = true, zoom_in = true, zoom_out = true, focus_far = true,
  focus_near = true, start_move = true, stop_move = true,
}
local PTZ_DIRECTIONS = {
  up = true, down = true, left = true, right = true, up_left = true, up_right = true,
  down_left = true, down_right = true, zoom_in = true, zoom_out = true, focus_far = true,
  focus_near = true,
}
local PROTOCOLS = { rtsp = true, hls = true, rtmp = true }

-- per session: { mode = "auto"|"rest"|"cgi", missing = { [key.."/"..family] = its error },
-- tokens = { [guid/stream/protocol] = streamingToken } }; weak keys
local state = setmetatable({}, { __mode = "k" })

local function st(nvr)
  local s = state[nvr]
  if not s then
    s = { mode = "auto", missing = {}, tokens = {} }
    state[nvr] = s
  end
  return s
end

local function fail(name, message, extra)
  local e = { name = name, message = message }
  for k, v in pairs(extra or {}) do e[k] = v end
  return nil, core.error(e)
end

local function resolve(nvr, cam)
  return camera.resolve(nvr, cam)
end

-- Whether an error says this family lacks the call.
local function lacks(family, err)
  if type(err) ~= "table" then return false end
  if err.name == "NOT_SUPPORTED" then return true end
  -- a CGI missing on this NVR: a 404/405 page, not a coded error body
  return family == "cgi" and err.code == nil and (err.http_status == 404 or err.http_status == 405)
end
M.lacks = lacks

--- Sets the session's family mode ("auto" | "rest" | "cgi").
function M.setup(nvr, mode)
  mode = mode or "auto"
  if mode ~= "auto" and mode ~= "rest" and mode ~= "cgi" then
    error(("bad api %q (\"auto\", \"rest\" or \"cgi\")"):format(tostring(mode)), 3)
  end
  st(nvr).mode = mode
  if mode ~= "auto" then nvr:_set_api(mode) end
end

--- The REST camera list's raw answer (camera.list).
function M.camera_list(nvr)
  return nvr:call("camera.list")
end

local function no_family(key, family, mode)
  return fail("NOT_SUPPORTED", ("%s needs the %s family (api = %q)"):format(key,
    family == "rest" and "CGI" or "REST", mode))
end

--- Runs a call in the session's family, falling back to the other.
-- fns = { rest = function() ... end, cgi = function() ... end } (either may
-- be absent); prefer: a family to try first whatever nvr.api says.
function M.dispatch(nvr, key, fns, prefer)
  local s = st(nvr)
  if s.mode ~= "auto" then
    local fn = fns[s.mode]
    if not fn then return no_family(key, s.mode, s.mode) end
    return fn()
  end
  local first = prefer or nvr.api or "cgi"
  local order = first == "cgi" and { "cgi", "rest" } or { "rest", "cgi" }
  local lacking            -- the first family's "lacks it" error, as it said it
  for _, family in ipairs(order) do
    local fn = fns[family]
    local known = s.missing[key .. "/" .. family]
    if fn and not known then
      local r = table.pack(fn())
      if r[1] ~= nil or not lacks(family, r[2]) then
        local answered = r[1] ~= nil or type(r[2]) == "table" and (r[2].code or r[2].http_status)
        if not nvr.api and answered then nvr:_set_api(family) end
        return table.unpack(r, 1, r.n)
      end
      s.missing[key .. "/" .. family] = r[2]
      known = r[2]
    end
    lacking = lacking or known
  end
  if not lacking then
    return fail("NOT_SUPPORTED", ("this NVR answered neither family for %s"):format(key))
  end
  return nil, lacking
end

-- ---------------------------------------------------------------------------
-- cameras, snapshot, record: the REST halves (init.lua holds the CGI ones
-- and the choice)

--- The raw camera records of camera.list, filtered like camera_status.list
-- filters them (brand/model: the UMSID's halves; status 1 connected, 2 not;
-- name: a case-insensitive part).
function M.cameras(nvr, filter)
  local answer, err = M.camera_list(nvr)
  if not answer then return nil, err end
  return M.filter_datas(answer, filter)
end

function M.filter_datas(answer, filter)
  local out = {}
  local datas = answer.datas or answer.data or {}
  for _, raw in ipairs(datas) do
    local umsid = tostring(raw.umsid or "")
    local ok = true
    if filter.brand and umsid:sub(1, 8):lower() ~= tostring(filter.brand):lower() then ok = false end
    if filter.model and umsid:sub(9, 16):lower() ~= tostring(filter.model):lower() then ok = false end
    local status = tonumber(filter.status)
    if status == 1 and raw.status ~= "NVR_CAM_CONNECTED" then ok = false end
    if status == 2 and raw.status == "NVR_CAM_CONNECTED" then ok = false end
    if filter.name and not tostring(raw.name or ""):lower():find(tostring(filter.name):lower(), 1, true) then
      ok = false
    end
    if ok then out[#out + 1] = raw end
  end
  return out
end

--- Whether camera.list says the camera records (its stream's rec_state
-- when the answer lists streams).
function M.recording(nvr, guid, stream_id)
  local answer, err = nvr:call("camera.list", { guid = guid })
  if not answer then return nil, err end
  local raw = (answer.datas or answer.data or {})[1]
  if not raw then return fail("NO_SUCH_CAMERA", "camera.list did not list it") end
  local rec = raw.rec_state
  local s = type(raw.stream_state) == "table" and raw.stream_state[(stream_id or 0) + 1]
  if type(s) == "table" and s.rec_state then rec = s.rec_state end
  return rec == "RECORDING" or rec == "RECORDING_WITH_SPARE"
end

--- JPEG of camera.snapshot (at: its image_ts, UTC ms).
function M.snapshot(nvr, guid, at)
  return nvr:call("camera.snapshot", { guid = guid, image_ts = at })
end

--- camera.mrec.start | camera.mrec.stop
function M.record(nvr, guid, on)
  local answer, err = nvr:call(on and "camera.mrec.start" or "camera.mrec.stop", { guid = guid })
  if not answer then return nil, err end
  return true
end

-- ---------------------------------------------------------------------------
-- calls only the REST family has

local function guid_of(nvr, cam)
  local guid, ch, c = resolve(nvr, cam)
  if not guid then return nil, ch end
  return guid, ch, c
end

--- nvr:capabilities([kind]) -> table: camera.capability, kind "camera"
-- (default) or "event"
function Session:capabilities(kind)
  kind = kind or "camera"
  if kind ~= "camera" and kind ~= "event" then
    error(("bad argument #1 to 'capabilities' (\"camera\" or \"event\" expected, got %q)")
      :format(tostring(kind)), 2)
  end
  return M.dispatch(self, "capabilities", { rest = function()
    return self:call(kind == "event" and "camera.event_capability" or "camera.capability")
  end })
end

--- nvr:alarm(cam, on) -> true: alarm output on or off
function Session:alarm(cam, on)
  if on == nil then error("bad argument #2 to 'alarm' (boolean expected)", 2) end
  local guid, err = guid_of(self, cam)
  if not guid then return nil, err end
  return M.dispatch(self, "alarm", { rest = function()
    local answer, aerr = self:call(on and "camera.alarm.start" or "camera.alarm.stop",
      { guid = guid })
    if not answer then return nil, aerr end
    return true
  end })
end

--- nvr:ptz(cam, action [, {direction=}]) -> true
function Session:ptz(cam, action, opts)
  opts = opts or {}
  if not PTZ_ACTIONS[action] then
    error(("bad argument #2 to 'ptz' (unknown action %q)"):format(tostring(action)), 2)
  end
  local dir = opts.direction
  if dir ~= nil then
    if action ~= "start_move" and action ~= "stop_move" then
      error("bad argument #3 to 'ptz' (direction goes only with start_move and stop_move)", 2)
    end
    if not PTZ_DIRECTIONS[dir] then
      error(("bad argument #3 to 'ptz' (unknown direction %q)"):format(tostring(dir)), 2)
    end
  elseif action == "start_move" then
    error("bad argument #3 to 'ptz' (start_move needs a direction)", 2)
  end
  local guid, err = guid_of(self, cam)
  if not guid then return nil, err end
  return M.dispatch(self, "ptz", { rest = function()
    local answer, aerr = self:call("ptz.invoke", { guid = guid, action = action, direction = dir })
    if not answer then return nil, aerr end
    return true
  end })
end

--- nvr:channels() -> array of {channel_index, name, guid, brand, model}, answer
function Session:channels()
  return M.dispatch(self, "channels", { rest = function()
    local answer, err = self:call("qshare.channels")
    if not answer then return nil, err end
    if type(answer.channels) ~= "table" then
      return fail("BAD_RESPONSE", "the channel list has no channels array")
    end
    return answer.channels, answer
  end })
end

--- nvr:streams(cam) -> array of {stream, status, videoCodec, resolution, ...}, answer
function Session:streams(cam)
  local guid, err = guid_of(self, cam)
  if not guid then return nil, err end
  return M.dispatch(self, "streams", { rest = function()
    local answer, aerr = self:call("qshare.streams", { guid = guid })
    if not answer then return nil, aerr end
    return answer.streams or {}, answer
  end })
end

local function stream_args(opts, fname)
  opts = opts or {}
  local protocol = opts.protocol or "rtsp"
  if not PROTOCOLS[protocol] then
    error(("bad argument #2 to '%s' (protocol \"rtsp\", \"hls\" or \"rtmp\", got %q)")
      :format(fname, tostring(protocol)), 3)
  end
  local stream = opts.stream or 0
  if math.type(stream) ~= "integer" or stream < 0 then
    error(("bad argument #2 to '%s' (stream: an integer >= 0)"):format(fname), 3)
  end
  return protocol, stream
end

--- nvr:stream_url(cam [, {stream=0, protocol="rtsp"}]) -> url, info
function Session:stream_url(cam, opts)
  local protocol, stream = stream_args(opts, "stream_url")
  local guid, err = guid_of(self, cam)
  if not guid then return nil, err end
  return M.dispatch(self, "stream_url", { rest = function()
    local answer, aerr = self:call("qshare.live_stream", { guid = guid, stream = stream },
      { body = json.encode({ protocol = protocol }) })
    if not answer then return nil, aerr end
    local uri = answer.resourceUris
    if type(uri) == "table" then uri = uri[1] end
    if type(uri) ~= "string" or not uri:match("^%a[%w+.-]*://") then
      return fail("BAD_RESPONSE", "the live stream answer holds no resourceUris URL")
    end
    local token = answer.streamingToken
    if token then st(self).tokens[("%s/%d/%s"):format(guid, stream, protocol)] = token end
    return uri, {
      url = uri, protocol = protocol, stream = stream, guid = guid, token = token,
      channel_index = tonumber(answer.channelIndex or answer.channel_index),
      server_protocol = answer.potocol or answer.protocol,
    }
  end })
end

--- nvr:close_stream_url(cam [, {stream=0, protocol="rtsp", token=}]) -> true
function Session:close_stream_url(cam, opts)
  local protocol, stream = stream_args(opts, "close_stream_url")
  local guid, err = guid_of(self, cam)
  if not guid then return nil, err end
  local key = ("%s/%d/%s"):format(guid, stream, protocol)
  local token = opts and opts.token or st(self).tokens[key]
  if protocol ~= "rtsp" and not token then
    return fail("BAD_PARAMETER", ("no %s stream of this session to close (pass token=)"):format(protocol))
  end
  return M.dispatch(self, "close_stream_url", { rest = function()
    local answer, aerr
    if protocol == "rtsp" then
      answer, aerr = self:call("qshare.live_stream.delete", { guid = guid, stream = "rtsp" })
    else
      answer, aerr = self:call("qshare.live_stream.delete", { guid = guid, stream = stream },
        { body = json.encode({ token = token }) })
    end
    if not answer then return nil, aerr end
    st(self).tokens[key] = nil
    return true
  end })
end

-- ---------------------------------------------------------------------------
-- camera search, test and support: plain tables

--- nvr:search_cameras() -> array of {umsid, address, vender, model, mac_addr, port}, answer
function Session:search_cameras()
  return M.dispatch(self, "search_cameras", { rest = function()
    local answer, err = self:call("camera.search")
    if not answer then return nil, err end
    return answer.data or {}, answer
  end })
end

--- nvr:test_camera{umsid=, address=, port=, username=, password=, rtsp_port=,
-- http_video_url=, channel=} -> true | nil, err (CAMERA_TEST_FAILED, CONNECTION_FAILED, ...)
-- (the fields' wire names and defaults: camera.test in csrc/proto/request.c)
function Session:test_camera(spec)
  if type(spec) ~= "table" then error("bad argument #1 to 'test_camera' (table expected)", 2) end
  local ok, msg = pcall(core.request, "camera.test", spec)
  if not ok then error(("bad argument #1 to 'test_camera' (%s)"):format(msg), 2) end
  return M.dispatch(self, "test_camera", { rest = function()
    local answer, err = self:call("camera.test", spec)
    if not answer then return nil, err end
    return true
  end })
end

--- nvr:camera_support() -> array of {text=brand, value=, models={{text=, value=umsid}}}, answer
function Session:camera_support()
  return M.dispatch(self, "camera_support", { rest = function()
    local answer, err = self:call("camera.support")
    if not answer then return nil, err end
    return answer.brands or {}, answer
  end })
end

-- ---------------------------------------------------------------------------
-- clips

local function remove_all(list)
  for _, p in ipairs(list) do os.remove(p.path) end
end

local function write_bytes(p, bytes)
  local f, err = io.open(p, "wb")
  if not f then return nil, err end
  local ok, werr = f:write(bytes)
  local cok, cerr = f:close()
  if not ok or not cok then return nil, werr or cerr end
  return true
end

-- an error body meaning "no recording there" rather than a broken request
local function no_footage(err)
  return err.name == "NO_DATA" or err.hex == "0xB1000004"
end

--- Fetches recordingfile slices of [from, to) into temporary files; returns
-- the pieces ({path, at}) and the gaps, or nil, err.
local function fetch_pieces(nvr, guid, stream, from, to, progress)
  local mux = require "qvrpro.mux"
  local pieces, gaps, bytes = {}, {}, 0
  local cursor = from
  while cursor < to do
    local slice_end = math.min((cursor // M.slice_ms + 1) * M.slice_ms, to)
    local body, err = nvr:call("camera.recordingfile", { guid = guid, stream = stream,
      start_time = cursor, end_time = slice_end }, { max = 512 * 1024 * 1024 })
    if not body then
      if #pieces == 0 and lacks("rest", err) then return nil, err end
      if not no_footage(err) then remove_all(pieces); return nil, err end
      gaps[#gaps + 1] = { from = cursor, to = slice_end }
      cursor = slice_end
    else
      local tmp = os.tmpname()
      local ok, werr = write_bytes(tmp, body)
      if not ok then os.remove(tmp); remove_all(pieces); return fail("IO_ERROR", tostring(werr)) end
      bytes = bytes + #body
      local s, e = mux.span(tmp)
      if not s then os.remove(tmp); remove_all(pieces); return nil, e end
      local d = e - s
      -- a piece starts at the key frame at or before the slice start, and
      -- ends at the slice end or, when its recording file or the recording
      -- ends early, earlier.  The MP4 carries no absolute time: a piece
      -- longer than asked is placed by its end, any other at its start; the
      -- rest of a slice a piece did not cover is reported as a gap (asking
      -- again from inside it could hand out what was already fetched)
      local at = math.min(cursor, slice_end - d)
      pieces[#pieces + 1] = { path = tmp, at = at }
      if at + d < slice_end - M.gap_ms then gaps[#gaps + 1] = { from = at + d, to = slice_end } end
      cursor = slice_end
    end
    if progress then progress({ fraction = (cursor - from) / (to - from), bytes = bytes }) end
  end
  return pieces, gaps, bytes
end

local function clip_rest(nvr, guid, opts)
  local mux = require "qvrpro.mux"
  local pieces, gaps = fetch_pieces(nvr, guid, opts.stream, opts.from, opts.to, opts.progress)
  if not pieces then return nil, gaps end
  if #pieces == 0 then
    return fail("NO_DATA", ("no recording between %s and %s"):format(qtime.iso(opts.from),
      qtime.iso(opts.to)))
  end
  local part = opts.path .. ".part"
  local r, err = mux.join { pieces = pieces, path = part, format = "mp4", to = opts.to }
  remove_all(pieces)
  if not r then os.remove(part); return nil, err end
  local ok, rerr = os.rename(part, opts.path)
  if not ok then os.remove(part); return fail("IO_ERROR", tostring(rerr)) end
  local size = files.size(opts.path) or 0
  return { path = opts.path, from = r.from, to = r.to, pieces = #pieces, packets = r.packets,
           bytes = size, gaps = gaps, partial = #gaps > 0, api = "rest" }
end

local function clip_cgi(nvr, cam, opts)
  local export = require "qvrpro.export"
  -- export keeps [from, to] (both inclusive, like the NVR's playback); a clip is [from, to)
  local r, err = export.run(nvr, cam, { from = opts.from, to = opts.to - 1, path = opts.path,
                                        format = "mp4", progress = opts.progress })
  if not r then return nil, err end
  local gaps = {}
  for i, g in ipairs(r.gaps or {}) do gaps[i] = { from = g.from or g[1], to = g.to or g[2] } end
  return { path = r.path, from = r.first_ts, to = r.last_ts, pieces = 0, packets = r.frames,
           bytes = r.bytes, gaps = gaps, partial = r.partial or false, api = "cgi" }
end

--- nvr:clip(cam, {from=, to=, path="clip.mp4", stream=0, progress=}) -> result
function Session:clip(cam, opts)
  if type(opts) ~= "table" then error("bad argument #2 to 'clip' (table expected)", 2) end
  if type(opts.path) ~= "string" or opts.path == "" then
    error("bad argument #2 to 'clip' (path expected)", 2)
  end
  local from = qtime.check(opts.from, "from")
  local to = qtime.check(opts.to, "to")
  if to <= from then error("bad argument #2 to 'clip' (to must be after from)", 2) end
  local stream = opts.stream or 0
  if math.type(stream) ~= "integer" or stream < 0 or stream > 3 then
    error("bad argument #2 to 'clip' (stream: 0 to 3)", 2)
  end
  local guid, err = guid_of(self, cam)
  if not guid then return nil, err end
  local o = { from = from, to = to, path = opts.path, stream = stream, progress = opts.progress }
  return M.dispatch(self, "clip", {
    rest = function() return clip_rest(self, guid, o) end,
    cgi = function() return clip_cgi(self, guid, o) end,
  }, "rest")
end

-- ---------------------------------------------------------------------------
-- camera methods

function Camera:alarm(on) return self.session:alarm(self, on) end
function Camera:ptz(action, opts) return self.session:ptz(self, action, opts) end
function Camera:streams() return self.session:streams(self) end
function Camera:stream_url(opts) return self.session:stream_url(self, opts) end
function Camera:close_stream_url(opts) return self.session:close_stream_url(self, opts) end
function Camera:clip(opts) return self.session:clip(self, opts) end

M.normalise = camera.normalise

return M
