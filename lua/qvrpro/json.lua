--- qvrpro.json: a small JSON encoder for the `qvr --json` output (camera
-- fields, log entries, results).  Sequences become arrays, other tables
-- objects with sorted keys; userdata with a `fields` method (Camera) and
-- Error tables encode as their fields.
local M = {}

local ESC = { ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f", ["\n"] = "\\n",
              ["\r"] = "\\r", ["\t"] = "\\t" }

local function string_(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return ESC[c] or ("\\u%04x"):format(c:byte())
  end) .. '"'
end

local encode

local function is_array(t)
  local n = #t
  if n == 0 then return next(t) == nil end
  local count = 0
  for _ in pairs(t) do count = count + 1 end
  return count == n
end

local function table_(t, depth)
  if depth > 32 then error("JSON: nesting too deep", 0) end
  local out = {}
  if is_array(t) and #t > 0 then
    for i = 1, #t do out[i] = encode(t[i], depth + 1) end
    return "[" .. table.concat(out, ",") .. "]"
  end
  if next(t) == nil then return "[]" end
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = tostring(k) end
  table.sort(keys)
  for i, k in ipairs(keys) do
    local v = t[k]
    if v == nil then v = t[tonumber(k)] end
    out[i] = string_(k) .. ":" .. encode(v, depth + 1)
  end
  return "{" .. table.concat(out, ",") .. "}"
end

function encode(v, depth)
  local t = type(v)
  if t == "nil" then return "null" end
  if t == "boolean" then return tostring(v) end
  if t == "number" then
    if v ~= v or v == math.huge or v == -math.huge then return "null" end
    return math.type(v) == "integer" and tostring(v) or ("%.17g"):format(v)
  end
  if t == "string" then return string_(v) end
  if t == "table" then
    local mt = getmetatable(v)
    if mt and mt.__name == "qvrpro.Error" then
      return table_({ name = v.name, code = v.code, hex = v.hex, message = v.message,
                      http_status = v.http_status }, depth)
    end
    return table_(v, depth)
  end
  if t == "userdata" and v.fields then return table_(v:fields(), depth) end
  return string_(tostring(v))
end

--- JSON text of a Lua value.
function M.encode(v)
  return encode(v, 0)
end

return M
