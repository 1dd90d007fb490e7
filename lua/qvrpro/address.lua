--- qvrpro.address: an NVR's address written as a URL, read into connect
-- options.  `qvr.parse_url` is this module's `parse`; `qvrpro.config` and
-- the CLI read URLs with it without loading the whole library.
local M = {}

local function unescape(s)
  return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

--- Reads "scheme://user:password@host:port/prefix" into connect options.
-- Credentials may be percent-encoded; a raw '@' in the password works too
-- (the host starts after the last '@').  Raises on a URL without a scheme
-- or a host (at the level of the caller's caller, as qvr.connect shows it).
function M.parse(url)
  local scheme, tail = url:match("^(%a[%w+.-]*)://(.*)$")
  if not scheme then error("bad URL (expected http://user:password@host:port)", 3) end
  scheme = scheme:lower()
  local authority, path = tail:match("^([^/]*)(/?.*)$")
  local at = authority:find("@[^@]*$")
  local opts = { scheme = scheme }
  local hostport = authority
  if at then
    local cred = authority:sub(1, at - 1)
    hostport = authority:sub(at + 1)
    local user, password = cred:match("^([^:]*):(.*)$")
    opts.user = unescape(user or cred)
    opts.password = password and unescape(password) or nil
  end
  local host, port = hostport:match("^%[(.-)%]:?(%d*)$")
  if not host then host, port = hostport:match("^([^:]*):?(%d*)$") end
  if not host or host == "" then error("bad URL: no host", 3) end
  opts.host = host
  opts.port = tonumber(port) or (scheme == "https" and 443 or 8080)
  if path ~= "" and path ~= "/" then opts.prefix = path:gsub("/$", "") end
  return opts
end

return M
