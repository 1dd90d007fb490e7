--- qvrpro: automation toolkit for QNAP QVR Pro NVRs.
-- The Lua face of the C core `qvrpro.core`: sessions, requests, answers and
-- objects are C; conveniences (URL form, time parsing, camera lookup,
-- paging iterators) live here and are added to the C types as methods.
local core = require "qvrpro.core"
local address = require "qvrpro.address"
local camera = require "qvrpro.camera"
local qtime = require "qvrpro.time"
local rest = require "qvrpro.rest"

local M = {
  version = core.version,
  core = core,
  time = qtime,
}

local Session = core.methods("qvrpro.Session")
local Camera = core.methods("qvrpro.Camera")

-- Lists print usefully in the REPL: one line per element.
local List = { __name = "qvrpro.List" }
function List.__tostring(t)
  local lines = {}
  for i, v in ipairs(t) do lines[i] = tostring(v) end
  return table.concat(lines, "\n")
end

local LogPage = { __name = "qvrpro.LogPage" }
function LogPage.__tostring(page)
  local lines = { ("qvrpro logs: %d of %d entries"):format(#page.items, page.total) }
  for _, e in ipairs(page.items) do
    lines[#lines + 1] = ("%s  %s  %s  %s"):format(e.time or qtime.iso(e.UTC_time or 0),
      e.level, e.user or "", e.content or "")
  end
  return table.concat(lines, "\n")
end

--- Makes a qvrpro.Error from a table {name=, code=, message=, http_status=}.
M.error = core.error

--- The error-table entry for a server code in any form servers print it
-- (integer, "-1325400063", "2969567233", "0xB1000001"), or nil.
function M.code_info(code)
  return core.code_info(code)
end

--- Reads "scheme://user:password@host:port/prefix" into connect options
-- (qvrpro.address).
M.parse_url = address.parse

local function discover_prefix(nvr)
  local entry, err = nvr:call("qvrentry")
  if not entry then return nil, err end
  local p = entry.fw_web_ui_prefix
  if type(p) ~= "string" or p == "" then return core.default_prefix end
  return "/" .. p:gsub("^/+", "")
end

--- Connects and logs in.  `qvr.connect{host=, port=, ...}` (see API.md),
-- `qvr.connect("http://user:password@host:8080" [, {more options}])`, or
-- `qvr.connect()`: QVR_URL, QVR_USER, QVR_PASSWORD, else the config file
-- (qvrpro.config, as the `qvr` command reads them).
-- Returns the session, or nil, err.
function M.connect(opts, more)
  if opts == nil then
    local o, err = require("qvrpro.config").connect_options(more)
    if not o then return nil, core.error { name = "NO_NVR", message = err } end
    opts = o
  elseif type(opts) == "string" then
    local o = M.parse_url(opts)
    for k, v in pairs(more or {}) do o[k] = v end
    opts = o
  elseif type(opts) ~= "table" then
    error("bad argument #1 to 'connect' (table or URL expected)", 2)
  end
  local auto = opts.prefix == "auto"
  local api = opts.api or "auto"
  if api ~= "auto" and api ~= "rest" and api ~= "cgi" then
    error(("bad api %q (\"auto\", \"rest\" or \"cgi\")"):format(tostring(api)), 2)
  end
  local copy = {}
  for k, v in pairs(opts) do copy[k] = v end
  copy.api = nil
  if auto then copy.prefix = core.default_prefix end
  local nvr = core.session(copy)
  if auto then
    local prefix, err = discover_prefix(nvr)
    if not prefix then nvr:close(); return nil, err end
    nvr:close()
    copy.prefix = prefix
    nvr = core.session(copy)
  end
  local ok, err = nvr:login()
  if not ok then nvr:close(); return nil, err end
  rest.setup(nvr, api)
  if api == "auto" then nvr:cameras() end   -- the probe: which family lists the cameras
  return nvr
end

-- ---------------------------------------------------------------------------
-- cameras

-- Requests name an endpoint of the table in csrc/proto/request.c (its path,
-- fixed parameters and answer kind live there) and pass the caller's values.

local function cameras_cgi(nvr, filter)
  local q = {}
  for _, k in ipairs({ "brand", "model", "status", "name" }) do
    if filter[k] ~= nil then q[k] = filter[k] end
  end
  if filter.rec_days then q.rec_days = 1 end
  local answer, err = nvr:call("camera_status.list", q)
  if not answer then return nil, err end
  return answer.datas or {}
end

local function camera_objects(nvr, datas)
  local list = setmetatable({}, List)
  for i, raw in ipairs(datas) do list[i] = camera.new(nvr, raw) end
  return list
end

--- nvr:cameras{brand=, model=, status=1|2, name=, rec_days=true} -> {Camera...}
-- (camera.list or camera_status.list; rec_days asks the CGI first, which
-- alone reports recording days)
function Session:cameras(filter)
  filter = filter or {}
  if type(filter) ~= "table" then error("bad argument #1 to 'cameras' (table expected)", 2) end
  local datas, err = rest.dispatch(self, "cameras", {
    rest = function() return rest.cameras(self, filter) end,
    cgi = function() return cameras_cgi(self, filter) end,
  }, filter.rec_days and "cgi" or nil)
  if not datas then return nil, err end
  local list = camera_objects(self, datas)
  if next(filter) == nil then camera.remember(self, list) end
  return list
end

--- nvr:camera(key) -> Camera, by name, guid or channel index; nil, err when absent
Session.camera = camera.get

--- The guid, channel index and Camera of any camera argument, or nil, err.
M.resolve = camera.resolve
local resolve = M.resolve

--- nvr:cpu() -> percent
function Session:cpu()
  local answer, err = self:call("camera_status.cpu")
  if not answer then return nil, err end
  return tonumber(answer.data)
end

--- nvr:recording(cam [, stream_id]) -> boolean (camera_status.rec_status,
-- or camera.list's rec_state)
function Session:recording(cam, stream_id)
  local guid, err = resolve(self, cam)
  if not guid then return nil, err end
  return rest.dispatch(self, "recording", {
    rest = function() return rest.recording(self, guid, stream_id) end,
    cgi = function()
      local answer, aerr = self:call("camera_status.rec_status",
        { guid = guid, stream_id = stream_id or 0 })
      if not answer then return nil, aerr end
      return tonumber(answer.rec_status) == 1
    end,
  })
end

--- nvr:record(cam, on) -> true: manual recording on or off (camera.mrec.*,
-- or mrec.*)
function Session:record(cam, on)
  local guid, ch = resolve(self, cam)
  if not guid then return nil, ch end      -- the lookup's error
  return rest.dispatch(self, "record", {
    rest = function() return rest.record(self, guid, on) end,
    cgi = function()
      if not ch then
        return nil, core.error { name = "NO_SUCH_CAMERA",
          message = ("camera %s has no channel index on this NVR"):format(guid) }
      end
      local answer, aerr = self:call(on and "mrec.start" or "mrec.stop", { ch = ch })
      if not answer then return nil, aerr end
      return true
    end,
  })
end

local write_atomically = core.write_atomic

-- The recorded picture at t from a playback (an NVR without image_ts): an
-- MJPEG camera's own frame, else the first image of a JPEG playback (the
-- NVR's JPEG of the key frame at or after t).
local function jpeg_of_playback(nvr, guid, t, cam)
  local mjpeg = cam and tostring(cam.video_codec_setting or ""):upper():find("JPEG") ~= nil
  local pb, err = nvr:playback(guid, { from = t, to = t + 10000,
                                       data_type = mjpeg and "source" or "jpeg" })
  if not pb then return nil, err end
  local ok, data = pcall(function()
    for frame in pb:frames() do
      if frame.codec == "jpeg" or frame.codec == "mjpeg" then return frame.data end
    end
  end)
  pb:close()
  if not ok then
    if type(data) == "table" then return nil, data end
    return nil, core.error { name = "STREAM_ERROR", message = tostring(data) }
  end
  if not data then
    return nil, core.error { name = "NO_DATA", message = ("no recorded image at %s"):format(qtime.iso(t)) }
  end
  return data
end

--- nvr:snapshot(cam [, {origin=, stream_id=, at=, path=}]) -> JPEG bytes | path
-- at: the recorded image at that time (REST image_ts, else a JPEG playback)
function Session:snapshot(cam, opts)
  opts = opts or {}
  local at = opts.at ~= nil and qtime.check(opts.at, "at") or nil
  local guid, err, camobj = resolve(self, cam)
  if not guid then return nil, err end
  local jpeg, jerr
  if at then
    jpeg, jerr = rest.dispatch(self, "snapshot_at", {
      rest = function() return rest.snapshot(self, guid, at) end,
      cgi = function() return jpeg_of_playback(self, guid, at, camobj) end,
    }, "rest")
  else
    jpeg, jerr = rest.dispatch(self, "snapshot", {
      rest = function() return rest.snapshot(self, guid) end,
      cgi = function()
        local q = { guid = guid }
        if opts.origin then q.origin = 1 end
        if opts.stream_id then q.stream_id = opts.stream_id end
        return self:call("getliveimage", q)
      end,
    }, (opts.origin or opts.stream_id) and "cgi" or nil)
  end
  if not jpeg then return nil, jerr end
  if opts.path then return write_atomically(opts.path, jpeg) end
  return jpeg
end

-- ---------------------------------------------------------------------------
-- logs

local LOG_KEYS = { "log_type", "user", "source_ip", "source_name", "start", "sort_field", "dir" }
local LOG_LISTS = { "level", "channel_id", "global_channel_id" }

local function log_query(q)
  local out = {}
  for _, k in ipairs(LOG_KEYS) do out[k] = q[k] end
  for _, k in ipairs(LOG_LISTS) do
    local v = q[k]
    if type(v) == "table" then v = table.concat(v, ",") end
    out[k] = v
  end
  if q.start_time then out.start_time = qtime.check(q.start_time, "start_time") end
  if q.end_time then out.end_time = qtime.check(q.end_time, "end_time") end
  out.max_results = q.max_results or q.max_result
  if out.dir then out.dir = tostring(out.dir):upper() end
  return out
end

--- nvr:logs{level=, channel_id=, start_time=, end_time=, start=, max_results=, ...}
-- -> { items = {...}, total = N, count = n }
function Session:logs(q)
  q = q or {}
  local answer, err = self:call("logs", log_query(q))   -- on the logs port
  if not answer then return nil, err end
  local items = answer.items or answer.item or {}
  return setmetatable({
    items = items,
    total = tonumber(answer.totalItems) or #items,
    count = tonumber(answer.responseItems) or #items,
  }, LogPage)
end

--- for entry in nvr:each_log{...} do ... end: every matching entry, page by
-- page (max_results per page, default 100), without holding them all.
function Session:each_log(q)
  q = q or {}
  local query = {}
  for k, v in pairs(q) do query[k] = v end
  -- fix relative times once, so pages do not drift
  if query.start_time then query.start_time = qtime.check(query.start_time, "start_time") end
  if query.end_time then query.end_time = qtime.check(query.end_time, "end_time") end
  query.max_results = query.max_results or 100
  query.start = query.start or 0
  local page, i, done = nil, 0, false
  return function()
    while true do
      if page and i < #page.items then
        i = i + 1
        return page.items[i]
      end
      if done then return nil end
      local err
      page, err = self:logs(query)
      if not page then error(err, 2) end
      i = 0
      query.start = query.start + #page.items
      done = #page.items < query.max_results or query.start >= page.total
      if #page.items == 0 then return nil end
    end
  end
end

-- ---------------------------------------------------------------------------
-- camera methods: the session's calls with the camera filled in

function Camera:snapshot(opts) return self.session:snapshot(self, opts) end
function Camera:record(on) return self.session:record(self, on) end
function Camera:recording(stream_id) return self.session:recording(self, stream_id) end

local media = require "qvrpro.media"
M.each = media.each
--- qvr.loop() -> the transfer loop of this Lua state (pollable: pollfd,
-- events, timeout, step; docs/API.md "Loop")
M.loop = core.loop
M.open_dump = require("qvrpro.dump").open

return M
