--- qvrpro.vault: the Metadata Vault of QVR Pro API 1.x (the vault.*
-- endpoints of csrc/proto/request.c, docs/REST.md "Metadata Vault"): vaults that collect text metadata from
-- other systems (a door controller, a till) bound to cameras, and queries
-- over what they received.
--
--   local vault = require "qvrpro.vault"
--   local id = assert(vault.add(nvr, { name = "Till 1", channels = { "Front Door" } }))
--   vault.notify(nvr, id, { { metadata = { item = "coffee", amount = 3 } } })
--   local r = assert(vault.query(nvr, { ids = { id }, from = "-1h" }))
--
-- Every answer comes in the NVR's ReturnStatus envelope; a non-zero
-- statusCode is an error named from the 0xC4 table (VAULT_NOT_FOUND,
-- VAULT_EXISTS, VAULT_DISABLED, MISSING_FIELD, ...), judged in
-- csrc/proto/rest.c.
local core = require "qvrpro.core"
local json = require "qvrpro.json"
local qtime = require "qvrpro.time"
local camera = require "qvrpro.camera"

local M = {}

local function fail(name, message) return nil, core.error { name = name, message = message } end

-- One call of a vault endpoint (its path and method: csrc/proto/request.c);
-- returns extra (or {}), the ReturnStatus, or nil, err.
local function call(nvr, endpoint, query, body)
  local answer, err = nvr:call(endpoint, query, { body = body and json.encode(body) })
  if not answer then return nil, err end
  local rs = type(answer) == "table" and answer.ReturnStatus
  if type(rs) ~= "table" then return fail("BAD_RESPONSE", "the answer has no ReturnStatus") end
  return rs.extra or {}, rs
end

local function check_string(v, what, fname)
  if type(v) ~= "string" or v == "" then
    error(("bad argument to '%s' (%s: a non-empty string expected)"):format(fname, what), 3)
  end
  return v
end

local function guids(nvr, list)
  local out = {}
  for i, c in ipairs(list) do
    local guid, err = camera.resolve(nvr, c)
    if not guid then return nil, err end
    out[i] = guid
  end
  return out
end

--- vault.check_name(nvr, name [, original]) -> true when the name is taken
function M.check_name(nvr, name, original)
  check_string(name, "name", "check_name")
  local extra, err = call(nvr, "vault.check_name",
    { vault_name = name, original_name = original })
  if not extra then return nil, err end
  return tonumber(extra.repeated) == 1
end

--- vault.add(nvr, {name=, description=, enable=true, channels=}) -> vault_id, extra
function M.add(nvr, spec)
  if type(spec) ~= "table" then error("bad argument #2 to 'add' (table expected)", 2) end
  check_string(spec.name, "name", "add")
  local extra, err = call(nvr, "vault.add", nil, { vault = {
    type = "GENERIC", vault_name = spec.name, description = spec.description or "",
    enable = spec.enable ~= false } })
  if not extra then return nil, err end
  if type(extra.vault_id) ~= "string" then return fail("BAD_RESPONSE", "addVault answered no vault_id") end
  if spec.channels then
    local ok, merr = M.modify(nvr, { id = extra.vault_id, channels = spec.channels })
    if not ok then return nil, merr end
  end
  return extra.vault_id, extra
end

--- vault.remove(nvr, ids) -> true, or nil, err (NOT_FOUND lists the ids it did not know)
function M.remove(nvr, ids)
  if type(ids) == "string" then ids = { ids } end
  if type(ids) ~= "table" or #ids == 0 then error("bad argument #2 to 'remove' (vault ids expected)", 2) end
  local extra, err = call(nvr, "vault.remove", nil, { vault = { vault_id_list = ids } })
  if not extra then return nil, err end
  local missing = extra.fail_list or {}
  if #missing > 0 then
    return fail("VAULT_NOT_FOUND", "no such vault: " .. table.concat(missing, ", "))
  end
  return true
end

--- vault.modify(nvr, {id=, name=, description=, enable=, channels={cam...}}) -> true
function M.modify(nvr, spec)
  if type(spec) ~= "table" then error("bad argument #2 to 'modify' (table expected)", 2) end
  check_string(spec.id, "id", "modify")
  local v = { vault_id = spec.id, vault_name = spec.name, description = spec.description,
              enable = spec.enable }
  if spec.channels then
    local list, err = guids(nvr, spec.channels)
    if not list then return nil, err end
    v.channel_guid_list = {}
    for i, g in ipairs(list) do v.channel_guid_list[i] = { guid = g } end
  end
  local extra, err = call(nvr, "vault.modify", nil, { vault = v })
  if not extra then return nil, err end
  return true
end

--- vault.list(nvr) -> array of vaults ({vault_id, vault_name, enable, channel_guid_list, ...})
function M.list(nvr)
  local extra, err = call(nvr, "vault.list")
  if not extra then return nil, err end
  return extra.vault_list or {}
end

--- vault.info(nvr, id) -> the vault's table
function M.info(nvr, id)
  check_string(id, "id", "info")
  local extra, err = call(nvr, "vault.info", { vault_id = id })
  if not extra then return nil, err end
  local v = (extra.vault_list or {})[1]
  if not v then return fail("VAULT_NOT_FOUND", "no such vault: " .. id) end
  return v
end

local RULE_TYPES = { hide = 0, newline = 1, replace = 2 }

local function rules_of(rules)
  local out = {}
  for i, r in ipairs(rules or {}) do
    local t = RULE_TYPES[r.type] or r.type
    if math.type(t) ~= "integer" then
      error(("bad rule #%d (type \"hide\", \"newline\" or \"replace\")"):format(i), 3)
    end
    out[i] = { name = r.name or ("rule" .. i), type = t, target = r.target or "", result = r.result or "" }
  end
  return out
end

--- vault.set_filter(nvr, id, rules) -> true; rules: {{type="hide"|"newline"|"replace", target=, result=}}
function M.set_filter(nvr, id, rules)
  check_string(id, "id", "set_filter")
  local extra, err = call(nvr, "vault.filter.modify", nil,
    { filter = { vault_id = id, rule_list = rules_of(rules) } })
  if not extra then return nil, err end
  return true
end

--- vault.test_filter(nvr, rules, text) -> the text as the rules leave it
function M.test_filter(nvr, rules, text)
  check_string(text, "text", "test_filter")
  local extra, err = call(nvr, "vault.filter.test", nil,
    { filter = { rule_list = rules_of(rules), metadata = text } })
  if not extra then return nil, err end
  return extra.filter
end

--- vault.notify(nvr, id, events | text) -> true.  events: {{time=, timezone=, metadata=table|string}};
-- sent without the sid, as the NVR's event path takes it.
function M.notify(nvr, id, events)
  check_string(id, "id", "notify")
  local body
  if type(events) == "string" then
    body = events
  elseif type(events) == "table" and #events > 0 then
    local list = {}
    for i, e in ipairs(events) do
      list[i] = { utc_time = tostring(e.time and qtime.check(e.time, "time") or qtime.now()),
                  timezone = e.timezone or "UTC", metadata = e.metadata or {} }
    end
    body = json.encode({ eventObjects = list })
  else
    error("bad argument #3 to 'notify' (events array or text expected)", 2)
  end
  local answer, err = nvr:call("vault.notify", { vault_id = id },
    { body = body, content_type = type(events) == "string" and "text/plain" or "application/json" })
  if not answer then return nil, err end
  return true
end

--- vault.query(nvr, {name=, ids=, from=, to=, cameras=, keywords=, start=0, limit=20, timeout=})
-- -> { count = n, items = {...} }
function M.query(nvr, q)
  q = q or {}
  local m = { vault_name = q.name, vault_id_list = q.ids, keyword_list = q.keywords }
  if q.from then m.start_time_stamp = tostring(qtime.check(q.from, "from")) end
  if q.to then m.end_time_stamp = tostring(qtime.check(q.to, "to")) end
  if q.cameras then
    local list, err = guids(nvr, q.cameras)
    if not list then return nil, err end
    m.channel_guid_list = list
  end
  local limit = q.limit or 20
  if math.type(limit) ~= "integer" or limit < 1 or limit > 100 then
    error("bad argument #2 to 'query' (limit: 1 to 100)", 2)
  end
  local extra, err = call(nvr, "vault.query",
    { start = q.start, limit = limit, timeout = q.timeout }, { metadata = m })
  if not extra then return nil, err end
  return { count = tonumber(extra.count) or #(extra.metadata_list or {}), items = extra.metadata_list or {} }
end

--- vault.retention(nvr [, settings]) -> settings (metadata_max_count, metadata_ai_max_count,
-- sync_storage_retention); with settings, sets them first
function M.retention(nvr, settings)
  if settings ~= nil then
    local extra, err = call(nvr, "vault.retention.set", nil,
      { metadata_configure = settings })
    if not extra then return nil, err end
  end
  local extra, rs = call(nvr, "vault.retention")
  if not extra then return nil, rs end
  return rs.metadata_configure or (rs.extra or {}).metadata_configure or {}
end

return M
