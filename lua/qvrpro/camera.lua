--- qvrpro.camera: camera records as scripts see them.  Normalises the mix
-- of strings and numbers servers send into the types API.md gives, and
-- resolves the four ways a script names a camera (Camera, guid, name,
-- channel index): camera.get backs nvr:camera, camera.resolve backs
-- qvrpro.resolve, with a per-session cache of the camera list.
local core = require "qvrpro.core"
local qtime = require "qvrpro.time"

local M = {}

local CAMERA_CACHE_MS = 30000

-- per-session camera cache, weak so a dropped session is collected
local cache = setmetatable({}, { __mode = "k" })

-- fields that are numbers whatever the server sends ("80", "-1", 20, ...)
local INTEGER = {
  channel_index = true, port = true, data_retention_enabled = true, keep_data_minimum = true,
  rec_state_err_code = true, bit_rate = true, normal_rec_size = true, alarm_rec_size = true,
  normal_rec_days = true, alarm_rec_days = true, total_channel_num = true,
}
local NUMBER = { frame_rate = true, frame_rate_setting = true }

local function to_number(v, integer)
  local n = tonumber(v)
  if n == nil then return v end
  if integer then return math.tointeger(n) or n end
  return math.tointeger(n) or n
end

--- A plain table of normalised fields from one `datas` entry.
function M.normalise(raw)
  local f = {}
  for k, v in pairs(raw) do
    if INTEGER[k] or NUMBER[k] then
      f[k] = to_number(v, INTEGER[k])
    elseif k == "stream_state" or k == "virtual_cams" then
      f[k] = type(v) == "table" and v or {}
    else
      f[k] = v
    end
  end
  f.connected = f.status == "NVR_CAM_CONNECTED"
  return f
end

--- A Camera userdata bound to session.
function M.new(session, raw)
  return core.camera(session, M.normalise(raw))
end

--- Whether v names a camera by guid (32 hex digits).
local function looks_like_guid(v)
  return type(v) == "string" and #v == 32 and v:match("^%x+$") ~= nil
end

--- Finds `key` (name, guid or channel index) in a list of Camera objects.
function M.find(list, key)
  if math.type(key) == "integer" then
    for _, c in ipairs(list) do if c.channel_index == key then return c end end
    return nil
  end
  local lower = key:lower()
  for _, c in ipairs(list) do
    if c.name == key or (c.guid and c.guid:lower() == lower) then return c end
  end
  for _, c in ipairs(list) do
    if c.name and c.name:lower() == lower then return c end
  end
  return nil
end

M.looks_like_guid = looks_like_guid

--- Checks a camera argument's type (raises on a wrong type).
function M.check_key(key, argn)
  local t = type(key)
  if M.is_camera(key) then return key end
  if t == "string" and key ~= "" then return key end
  if math.type(key) == "integer" and key >= 0 then return key end
  error(("bad argument #%d (camera expected: a Camera, guid, name or channel index; got %s)")
    :format(argn or 1, t == "number" and tostring(key) or t), 3)
end

--- Whether v is a Camera userdata.
function M.is_camera(v)
  local mt = type(v) == "userdata" and getmetatable(v)
  return mt and mt.__name == "qvrpro.Camera" or false
end

--- Keeps a session's full camera list (nvr:cameras() without a filter).
function M.remember(nvr, list)
  cache[nvr] = { at = qtime.now(), list = list }
end

local function camera_list(nvr, fresh)
  local c = cache[nvr]
  if not fresh and c and qtime.now() - c.at < CAMERA_CACHE_MS then return c.list end
  return nvr:cameras()
end

--- nvr:camera(key) -> Camera, by name, guid or channel index; nil, err when absent
function M.get(nvr, key)
  key = M.check_key(key, 1)
  if M.is_camera(key) then return key end
  local list, err = camera_list(nvr)
  if not list then return nil, err end
  local found = M.find(list, key)
  if not found then
    list, err = camera_list(nvr, true)
    if not list then return nil, err end
    found = M.find(list, key)
  end
  if found then return found end
  return nil, core.error { name = "NO_SUCH_CAMERA",
    message = ("no camera %s on this NVR"):format(math.type(key) and ("at channel " .. key)
      or ("named %q"):format(key)) }
end

--- The guid, channel index and Camera of any camera argument, or nil, err.
function M.resolve(nvr, key)
  key = M.check_key(key, 1)
  if M.is_camera(key) then return key.guid, key.channel_index, key end
  if looks_like_guid(key) then
    local cam = M.find(camera_list(nvr) or {}, key)
    return key, cam and cam.channel_index, cam
  end
  local cam, err = nvr:camera(key)
  if not cam then return nil, err end
  return cam.guid, cam.channel_index, cam
end

return M
