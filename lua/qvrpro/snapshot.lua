--- qvrpro.snapshot: snapshots of many cameras on an interval.
--
--   snap.capture(nvr, { cameras = {"Front Door", 2} | "all", dir = "snaps",
--                       name = "{camera}/%Y-%m-%d/{camera}-%H%M%S.jpg",
--                       every = 60, count = 10 | duration = 3600,
--                       on_file = function(path, cam, round) end,
--                       on_error = function(cam, err, round) end,
--                       index = true, zone = "Europe/Berlin" })
--
-- Each file is written atomically (a temporary name, fsync, rename).  A
-- camera that fails is reported (on_error, and in the result) and tried
-- again next round; it never stops the others.  File names are expanded by
-- qvrpro.path (strftime fields in `zone`, default the local zone; camera
-- names and the other fields made safe: a camera named ".." stays in dir).  With `index` (default on)
-- every round rewrites dir/index.html, a contact sheet of the latest images.
local core = require "qvrpro.core"
local qtime = require "qvrpro.time"
local qpath = require "qvrpro.path"

local M = {}

M.DEFAULT_NAME = "{camera}/%Y-%m-%d/{camera}-%H%M%S.jpg"

--- The file name of a snapshot: strftime fields of the round's time in
-- `zone` (nil: the local zone), {camera}, {guid}, {channel}, {round}, {ms},
-- every value made safe for a file name (qvrpro.path).  Raises on an
-- unknown field.
function M.file_name(pattern, cam, t_ms, round, zone)
  local p, err = qpath.expand(pattern, t_ms, zone, { camera = cam.name or cam.guid, guid = cam.guid,
    channel = cam.channel_index, round = ("%06d"):format(round or 0), ms = ("%03d"):format(t_ms % 1000) })
  if not p then error(err, 2) end
  return p
end

local function dirname(path)
  return path:match("^(.*)/[^/]*$")
end

local function pick_cameras(nvr, wanted)
  local all, err = nvr:cameras()
  if not all then return nil, err end
  if wanted == nil or wanted == "all" then
    local list = {}
    for _, c in ipairs(all) do if c.connected then list[#list + 1] = c end end
    return list
  end
  local list = {}
  for _, key in ipairs(wanted) do
    local cam, cerr = nvr:camera(key)
    if not cam then return nil, cerr end
    list[#list + 1] = cam
  end
  return list
end

local function html_escape(s)
  return (tostring(s):gsub("[&<>\"]", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;",
    ['"'] = "&quot;" }))
end

local function write_index(dir, shots, t_ms)
  local rows = {}
  for _, s in ipairs(shots) do
    local rel = s.path:sub(#dir + 2)
    rows[#rows + 1] = s.path
      and ('<figure><img src="%s" width="320"><figcaption>%s</figcaption></figure>')
        :format(html_escape(rel), html_escape(s.camera))
  end
  local page = ("<!doctype html><meta charset=utf-8><title>qvrpro snapshots %s</title>\n"
    .. "<h1>%s</h1>\n%s\n"):format(qtime.iso(t_ms), qtime.iso(t_ms), table.concat(rows, "\n"))
  return core.write_atomic(dir .. "/index.html", page)
end

local function one_round(nvr, cams, opts, round, result)
  local t = qtime.now()
  local shots = {}
  for _, cam in ipairs(cams) do
    local file = opts.dir .. "/" .. M.file_name(opts.name, cam, t, round, opts.zone)
    local ok, err = core.mkdir_p(dirname(file) or opts.dir)
    if ok then ok, err = nvr:snapshot(cam, { path = file, stream_id = opts.stream_id }) end
    if ok then
      result.files[#result.files + 1] = file
      shots[#shots + 1] = { path = file, camera = cam.name }
      if opts.on_file then opts.on_file(file, cam, round) end
    else
      result.failures[#result.failures + 1] = { camera = cam.name, error = err, round = round }
      if opts.on_error then opts.on_error(cam, err, round) end
    end
  end
  if opts.index ~= false and #shots > 0 then write_index(opts.dir, shots, t) end
  return t
end

--- Captures rounds of snapshots; returns { rounds=, files={...}, failures={...} }
-- or nil, err when the camera list cannot be had at all.
function M.capture(nvr, opts)
  opts = opts or {}
  local o = {}
  for k, v in pairs(opts) do o[k] = v end
  o.dir = (o.dir or "snapshots"):gsub("/+$", "")
  o.name = o.name or M.DEFAULT_NAME
  local every = o.every or 60
  local count = o.count or (o.duration and math.max(1, math.floor(o.duration / every) + 1)) or 1
  local sleep = o.sleep or core.sleep
  local ok, err = core.mkdir_p(o.dir)
  if not ok then return nil, err end
  local cams, cerr = pick_cameras(nvr, o.cameras)
  if not cams then return nil, cerr end
  local result = { rounds = 0, files = {}, failures = {} }
  local start = qtime.now()
  for round = 1, count do
    one_round(nvr, cams, o, round, result)
    result.rounds = round
    if round < count then
      local wait = (start + round * every * 1000 - qtime.now()) / 1000
      if wait > 0 then sleep(wait) end
    end
  end
  return result
end

return M
