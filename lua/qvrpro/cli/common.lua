--- qvrpro.cli.common: what every `qvr` command shares: connecting from the
-- flags, the environment and the config file (qvrpro.config), output, and
-- turning the library's errors into messages in the user's words.
local args = require "qvrpro.cli.args"

local M = {}

--- The connect options of a command's flags (--config --timeout --insecure
-- --cafile --debug) by qvrpro.config's precedence.
function M.connect_options(opts)
  local explicit = {}
  if opts.timeout then explicit.timeout = opts.timeout end
  if opts.insecure then explicit.verify = false end
  if opts.cafile then explicit.cafile = opts.cafile end
  if opts.debug then explicit.debug = true end
  local o, err = require("qvrpro.config").connect_options(explicit, { config = opts.config })
  if not o then args.die(err) end
  return o
end

--- A session, or a failure (exit 1) that says what to do.
function M.connect(opts)
  local o = M.connect_options(opts)
  if o.password == nil then
    args.die(("no password for %s@%s: set QVR_PASSWORD or password in the config file "
      .. "(passwords are never taken from the command line)"):format(o.user or "admin", o.host))
  end
  local nvr, err = require("qvrpro.logins").connect(o)
  if not nvr then M.fail_with(err, ("cannot connect to %s:%d"):format(o.host, o.port or 0)) end
  return nvr
end

--- Raises a failure for a library error, prefixed by what was being done;
-- an HTTP error names the URL path it came from.
function M.fail_with(err, doing)
  local text = type(err) == "table" and tostring(err) or tostring(err or "failed")
  if type(err) == "table" and err.path and (err.name == "HTTP_ERROR" or err.http_status ~= 200) then
    text = text .. (" (GET %s)"):format(err.path)
  end
  if type(err) == "table" and (err.name == "NOT_SUPPORTED" or err.http_status == 404) then
    text = text .. " (is the URL's path, the API prefix, right? `qvr doctor` checks)"
  end
  args.die(doing and (doing .. ": " .. text) or text, err)
end

--- A camera's error in the user's words: "camera X is offline" when the
-- NVR says a stream is not ready and the camera is disconnected.
function M.camera_failure(nvr, key, err, doing)
  if type(err) == "table" and (err.name == "STREAM_NOT_READY" or err.name == "CAMERA_OFFLINE") then
    local cam = nvr:camera(key)
    if cam and not cam.connected then
      args.die(("%s: camera %s is offline (%s: the NVR has no connection to it)"):format(doing,
        cam.name, err.name), err)
    end
  end
  M.fail_with(err, doing)
end

--- The NVR's time zone (the `timezone` its log entries carry, e.g.
-- "Asia/Taipei"), or nil when it does not say or the zone is unknown here.
function M.nvr_zone(nvr)
  local ok, page = pcall(nvr.logs, nvr, { max_results = 1, sort_field = "time", dir = "DESC" })
  local e = ok and page and page.items and page.items[1]
  local name = e and e.timezone
  if type(name) ~= "string" or name == "" then return nil end
  return (require("qvrpro.tz").get(name))
end

--- One JSON value on a line of stdout.
function M.out_json(v)
  io.stdout:write(require("qvrpro.json").encode(v), "\n")
end

--- A camera argument: channel index when it is a whole number, else the text.
function M.camera_arg(s)
  return math.tointeger(tonumber(s)) or s
end

--- A human duration of ms: "1:02:03" (h:mm:ss).
M.hms = require("qvrpro.time").hms

--- Whether a file exists.
M.exists = require("qvrpro.files").exists

return M
