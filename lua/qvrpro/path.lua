--- qvrpro.path: the one path-pattern expander of qvrpro.
--
--   path.expand("{camera}/%Y-%m-%d/{camera}-%H%M%S.jpg", t_ms, zone,
--               { camera = cam.name, guid = cam.guid, channel = 3, job = "nightly" })
--
-- strftime fields (qvrpro.tz.format: %Y %m %d %H %M %S %j %a %b %F %T %z ...)
-- are of t_ms in `zone` (a qvrpro.tz zone or name; nil: the local zone), then
-- every {field} is replaced by its value made safe for a file name: no "/",
-- no "\", no control characters, never "." or ".." or a leading dot, never
-- empty; letters, digits, "-", "_", "." and UTF-8 text stay as they are, and
-- other characters become "_".  What the pattern itself says (its folders,
-- "..") is the caller's and is kept.  An unknown {field} is an error.
local tz = require "qvrpro.tz"

local M = {}

--- A value made safe as one path component (see above).
function M.safe(v)
  local s = tostring(v)
  if not utf8.len(s) then s = s:gsub("[\128-\255]", "_") end
  s = s:gsub("[^%w%-_.\128-\255]", "_")
  s = s:gsub("^%.", "_")
  if s == "" then s = "_" end
  return s
end

--- The names of the {fields} of a pattern, in order.
function M.fields(pattern)
  local out = {}
  for k in pattern:gmatch("{([%w_]+)}") do out[#out + 1] = k end
  return out
end

--- Checks a pattern against the fields that will be given (a set); returns
-- true, or nil, message naming the first unknown one.
function M.check(pattern, known)
  if type(pattern) ~= "string" or pattern == "" then return nil, "empty path pattern" end
  for _, k in ipairs(M.fields(pattern)) do
    if not known[k] then
      local names = {}
      for n in pairs(known) do names[#names + 1] = "{" .. n .. "}" end
      table.sort(names)
      return nil, ("unknown field {%s} in %q (known: %s)"):format(k, pattern, table.concat(names, " "))
    end
  end
  local ok, err = pcall(tz.format, pattern, 0, "UTC")
  if not ok then return nil, tostring(err):gsub("^.-:%d+: ", "") end
  return true
end

--- Expands a pattern; returns the path, or nil, message.
function M.expand(pattern, t_ms, zone, vars)
  vars = vars or {}
  local ok, s = pcall(tz.format, pattern, t_ms, zone)
  if not ok then return nil, tostring(s):gsub("^.-:%d+: ", "") end
  local missing
  s = s:gsub("{([%w_]+)}", function(k)
    local v = vars[k]
    if v == nil then missing = missing or k; return nil end
    return M.safe(v)
  end)
  if missing then return nil, ("unknown field {%s} in %q"):format(missing, pattern) end
  return s
end

--- The folder part of a path ("." when there is none).
function M.dirname(path)
  return path:match("^(.*)/[^/]*$") or "."
end

return M
