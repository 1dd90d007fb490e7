--- qvrpro.cli.args: the one place that knows how `qvr` reads its arguments.
--
-- A command declares its flags as { name = kind } where kind is "flag", a
-- value kind ("value", "int", "number", "duration", "time", "list",
-- "file") or a table { kind = ..., values = {...}, min = ..., max = ... }.
-- parse() turns argv into opts (keys with "_" for "-") and positionals; every
-- value is checked here, against the flag the user typed, and a bad one is a
-- usage error (exit 2) naming that flag, with "did you mean" for a mistyped
-- flag or value.  Nothing is replaced by a default behind the user's back.
local qtime = require "qvrpro.time"
local localtime = require "qvrpro.localtime"

local M = {}

-- ---------------------------------------------------------------------------
-- errors the dispatcher turns into exit statuses

local UsageError = { __name = "qvr.UsageError" }
UsageError.__index = UsageError
function UsageError.__tostring(e) return e.message end

local Failure = { __name = "qvr.Failure" }
Failure.__index = Failure
function Failure.__tostring(e) return e.message end

--- Raises a usage error (exit 2): the user typed something `qvr` cannot take.
function M.usage(fmt, ...)
  error(setmetatable({ message = select("#", ...) > 0 and fmt:format(...) or fmt }, UsageError), 0)
end

--- Raises a failure (exit 1) with a message in the user's words; err is the
-- library's error object, if any (kept for --json).
function M.die(message, err)
  error(setmetatable({ message = message, err = err }, Failure), 0)
end

--- A failure object without raising it.
function M.failure_of(message, err)
  return setmetatable({ message = message, err = err }, Failure)
end

function M.is_usage(e) return getmetatable(e) == UsageError end
function M.is_failure(e) return getmetatable(e) == Failure end

-- ---------------------------------------------------------------------------
-- "did you mean"

local function distance(a, b)
  local prev, cur = {}, {}
  for j = 0, #b do prev[j] = j end
  for i = 1, #a do
    cur[0] = i
    for j = 1, #b do
      local cost = a:sub(i, i) == b:sub(j, j) and 0 or 1
      cur[j] = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
    end
    prev, cur = cur, prev
  end
  return prev[#b]
end

--- The candidate closest to word (within a third of its length, at least 2
-- edits), or one that starts with it; nil when nothing is close.
function M.closest(word, candidates)
  local best, best_d
  for _, c in ipairs(candidates) do
    local d = distance(word:lower(), c:lower())
    if c:sub(1, #word) == word and #word >= 2 then d = math.min(d, 1) end
    if not best_d or d < best_d or (d == best_d and c < best) then best, best_d = c, d end
  end
  if best and best_d <= math.max(2, #word // 3) then return best end
  return nil
end

local function suggestion(word, candidates, prefix)
  local c = M.closest(word, candidates)
  return c and (" (did you mean %s%s?)"):format(prefix or "", c) or ""
end
M.suggestion = suggestion

-- ---------------------------------------------------------------------------
-- values

local function flag_name(key) return "--" .. key:gsub("_", "-") end

--- Converters: value text -> value, or nil, what was expected.
local convert = {}

function convert.value(v) return v end
convert.file = convert.value

function convert.int(v, spec)
  local n = math.tointeger(tonumber(v))
  if not n or not v:match("^%s*[+-]?%d+%s*$") then return nil, "a whole number" end
  if spec.min and n < spec.min then return nil, ("a whole number of at least %d"):format(spec.min) end
  if spec.max and n > spec.max then return nil, ("a whole number of at most %d"):format(spec.max) end
  return n
end

function convert.number(v, spec)
  local n = v:match("^%s*[+-]?%d+%.?%d*%s*$") and tonumber(v)
  if not n then return nil, "a number" end
  if spec.min and n < spec.min then return nil, ("a number of at least %s"):format(spec.min) end
  return n
end

function convert.duration(v, spec)
  local ms = qtime.duration_ms(v)
  if not ms then return nil, "a duration such as 90s, 5m or 1h30m" end
  if (spec.min or 1) > ms then return nil, "a positive duration such as 90s, 5m or 1h30m" end
  return ms
end

function convert.time(v, _, ctx)
  local t, err = localtime.parse(v, ctx and ctx.now, ctx and ctx.zone)
  if not t then
    return nil, "a time: 2026-11-24T08:00:00+01:00, 08:00, yesterday 22:00, -1h30m, now, "
      .. "or ms since 1970", err
  end
  return t
end

function convert.list(v)
  local t = {}
  for part in v:gmatch("[^,%s]+") do t[#t + 1] = math.tointeger(tonumber(part)) or part end
  if #t == 0 then return nil, "a comma-separated list" end
  return t
end

function convert.enum(v, spec)
  for _, ok in ipairs(spec.values) do
    if v == ok then return spec.map and spec.map[v] or v end
  end
  local choices = table.concat(spec.values, ", ")
  local c = M.closest(v, spec.values)
  return nil, ("one of %s%s"):format(choices, c and (" (did you mean %s?)"):format(c) or "")
end

local function norm(spec)
  if type(spec) == "string" then return { kind = spec } end
  if spec.values and not spec.kind then spec.kind = "enum" end
  return spec
end

--- Checks one value of a flag; raises a usage error naming the flag.
function M.value(key, spec, v, ctx)
  spec = norm(spec)
  local conv = convert[spec.kind] or convert.value
  local out, expected, detail = conv(v, spec, ctx)
  if out == nil then
    M.usage("%s %s: expected %s%s", flag_name(key), ("%q"):format(v), expected,
      detail and (" (" .. tostring(detail) .. ")") or "")
  end
  return out
end

-- ---------------------------------------------------------------------------
-- argv

--- Splits argv into opts and positionals by flags ({ key = kind }); -h is
-- --help, "--" ends the flags.  Values are converted by M.value; unknown
-- flags and missing values are usage errors.  ctx: { now=, zone= } for
-- times.  Returns opts, args, raw (the values as typed).
function M.parse(argv, flags, ctx)
  local opts, args, i = {}, {}, 1
  local names = {}
  for k in pairs(flags) do names[#names + 1] = flag_name(k) end
  table.sort(names)
  local raw = {}
  while i <= #argv do
    local a = argv[i]
    if a == "--" then
      table.move(argv, i + 1, #argv, #args + 1, args)
      break
    end
    local k, v = a:match("^%-%-([%w%-]+)=(.*)$")
    if not k then k = a:match("^%-%-([%w%-]+)$") end
    if a == "-h" then k = "help" end
    if k then
      local key = k:gsub("%-", "_")
      local spec = flags[key]
      if not spec then
        M.usage("unknown option --%s%s", k, suggestion("--" .. k, names))
      end
      spec = norm(spec)
      if spec.kind == "flag" then
        if v then M.usage("option --%s takes no value", k) end
        opts[key] = true
      else
        if not v then
          i = i + 1
          v = argv[i]
          if v == nil then M.usage("option --%s needs a value", k) end
        end
        if raw[key] ~= nil and not spec.repeatable then
          M.usage("option --%s given twice", k)
        end
        raw[key] = v
        if spec.repeatable then
          opts[key] = opts[key] or {}
          table.insert(opts[key], v)
        else
          opts[key] = v
        end
      end
    elseif a:match("^%-.") and not a:match("^%-%d") and not tonumber(a) then
      M.usage("unknown option %s%s", a, suggestion(a, names))
    else
      args[#args + 1] = a
    end
    i = i + 1
  end
  -- convert after the whole line is read, so --help wins over a bad value
  if not opts.help then
    for key, v in pairs(raw) do
      local spec = norm(flags[key])
      if spec.repeatable then
        for j, one in ipairs(opts[key]) do opts[key][j] = M.value(key, spec, one, ctx) end
      else
        opts[key] = M.value(key, spec, v, ctx)
      end
    end
  end
  return opts, args, raw
end

--- Flags every command takes.
M.COMMON = { help = "flag", json = "flag", debug = "flag" }

--- Flags of commands that talk to the NVR.
M.CONNECT = { config = "file", timeout = { kind = "number", min = 0.001 }, insecure = "flag",
              cafile = "file" }

--- The union of flag tables (later ones win).
function M.flags(...)
  local out = {}
  for i = 1, select("#", ...) do
    for k, v in pairs(select(i, ...) or {}) do out[k] = v end
  end
  return out
end

return M
