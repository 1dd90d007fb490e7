--- qvrpro.config: where connect options come from, with one precedence for
-- `qvr`, the scheduler and `qvr.connect()` with no argument.
--
--   local opts = assert(config.connect_options(explicit [, { config = path }]))
--
-- Three levels, the first that gives a value wins:
--   1. explicit: what the caller passed (command-line flags, a schedule
--      config's `nvr`, the argument of qvr.connect), a URL or a table;
--   2. the environment: QVR_URL, then QVR_USER and QVR_PASSWORD;
--   3. the config file: `config` (--config; it must exist), else
--      $QVR_CONFIG, else ~/.config/qvrpro/config.lua (only when present), a
--      Lua file returning { url = ..., user = ..., password = ..., verify =
--      ..., cafile = ..., timeout = ... }.
-- The NVR's address (scheme, host, port, prefix) is taken whole from the
-- first level that names a host; the other options (user, password, verify,
-- cafile, timeout, ...) field by field.  Within a level, QVR_USER and
-- QVR_PASSWORD (or the table's user and password) win over the URL's.
local address = require "qvrpro.address"

local M = {}

local ADDRESS = { scheme = true, host = true, port = true, prefix = true }

local function parse_url(url, what)
  local ok, o = pcall(address.parse, url)
  if not ok then
    return nil, ("%s: %s (expected http://user@host:port)"):format(what,
      tostring(o):gsub("^.-:%d+: ", ""):gsub(" %(expected.*%)$", ""))
  end
  return o
end

--- The default config file path ($QVR_CONFIG, else ~/.config/qvrpro/config.lua).
function M.default_path()
  local p = os.getenv("QVR_CONFIG")
  if p and p ~= "" then return p, false end
  local home = os.getenv("HOME")
  return home and (home .. "/.config/qvrpro/config.lua"), false
end

--- Reads a config file; returns its table ({} when an implicit one is
-- absent), or nil, message.
function M.load(path)
  local explicit = path ~= nil
  if not path then path, explicit = M.default_path() end
  if not path then return {} end
  local f = io.open(path)
  if not f then
    if explicit then return nil, "cannot read config file " .. path end
    return {}
  end
  local text = f:read("a")
  f:close()
  local chunk, err = load(text, "@" .. path, "t", {})
  if not chunk then return nil, "config file " .. tostring(err) end
  local ok, cfg = pcall(chunk)
  if not ok then return nil, "config file " .. tostring(cfg) end
  if type(cfg) ~= "table" then return nil, path .. " must return a table" end
  return cfg
end

-- a level as { address = {...} | nil, fields = {...} }
local function level_of(spec, what)
  if spec == nil then return { fields = {} } end
  local url_opts, err
  if type(spec) == "string" then
    url_opts, err = parse_url(spec, what)
    if not url_opts then return nil, err end
    spec = {}
  elseif type(spec) == "table" then
    if spec.url then
      url_opts, err = parse_url(spec.url, what)
      if not url_opts then return nil, err end
    end
  else
    return nil, what .. " must be a URL or a table of connect options"
  end
  local lv = { fields = {} }
  local src = url_opts or {}
  if spec.host then src = spec end
  if src.host then
    lv.address = {}
    for k in pairs(ADDRESS) do lv.address[k] = src[k] end
    if spec.host == nil then
      for k in pairs(ADDRESS) do if spec[k] ~= nil then lv.address[k] = spec[k] end end
    end
  end
  for k, v in pairs(url_opts or {}) do if not ADDRESS[k] then lv.fields[k] = v end end
  for k, v in pairs(spec) do if k ~= "url" and not ADDRESS[k] then lv.fields[k] = v end end
  return lv
end

local function env_level()
  local url = os.getenv("QVR_URL")
  local lv, err = level_of(url ~= "" and url or nil, "QVR_URL")
  if not lv then return nil, err end
  local user, password = os.getenv("QVR_USER"), os.getenv("QVR_PASSWORD")
  if user and user ~= "" then lv.fields.user = user end
  if password and password ~= "" then lv.fields.password = password end   -- empty: not set
  return lv
end

--- Connect options by the precedence above; returns opts, or nil, message.
-- opts.config: the config file path (explicit; else the default, if present).
function M.connect_options(explicit, opts)
  opts = opts or {}
  local levels = {}
  local lv, err = level_of(explicit, "nvr")
  if not lv then return nil, err end
  levels[1] = lv
  lv, err = env_level()
  if not lv then return nil, err end
  levels[2] = lv
  local cfg
  cfg, err = M.load(opts.config)
  if not cfg then return nil, err end
  lv, err = level_of(cfg, "config file url")
  if not lv then return nil, err end
  levels[3] = lv
  local out = {}
  for _, l in ipairs(levels) do
    if l.address then
      for k, v in pairs(l.address) do out[k] = v end
      break
    end
  end
  if not out.host then
    return nil, "no NVR given: set QVR_URL (e.g. http://admin@192.168.1.10:8080) or a config file"
  end
  for _, l in ipairs(levels) do
    for k, v in pairs(l.fields) do if out[k] == nil then out[k] = v end end
  end
  return out
end

return M
