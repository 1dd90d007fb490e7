-- The simulator's Metadata Vault ({prefix}/qvrip/...) over plain HTTP with
-- curl, as docs/REST.md "Metadata Vault" describes it: the ReturnStatus
-- envelope, vault life cycle, metadata sent without a sid, queries, filters,
-- retention, errors and methods.
local h = require "helpers"

local FRONT = "00089BF9B26200089BF9B26200080000"
local ROOT = "/QVRIP//home/httpd/cgi-bin/qvrpro/apis/"

describe("simulator Metadata Vault", function()
  local sim, sid
  local S = h.with_sim({}, { connect = false, login = "admin" })
  setup(function() sim, sid = S.sim, S.sid end)

  --- method, path below /qvrpro/qvrip/, body; returns ReturnStatus (or nil), status, ctype, body.
  local function call(method, path, body)
    local args = "-X " .. method
    if body then args = args .. " --data-binary " .. h.shell_quote(body) end
    local out, status, ctype = h.curl(sim.url("/qvrpro/qvrip/" .. path), { args = args })
    local ok, j = pcall(h.json, out)
    return ok and type(j) == "table" and j.ReturnStatus or nil, status, ctype, out
  end

  local function add(name, enable)
    local rs, status = call("POST", "Vault/addVault?sid=" .. sid, ('{"vault": {"type": "GENERIC", '
      .. '"vault_name": %q, "description": "test", "enable": %s}}'):format(name, tostring(enable ~= false)))
    assert.equal(200, status)
    assert.equal(0, rs.statusCode)
    return rs.extra.vault_id, rs
  end

  it("creates a vault with an event path, refuses a repeated name", function()
    local rs, status, ctype = call("GET", "Vault/checkVaultName?sid=" .. sid .. "&vault_name=Gate")
    assert.equal(200, status)
    assert.equal("application/json", ctype)
    assert.equal(ROOT .. "Vault", rs.requestURL)
    assert.equal("OK", rs.statusString)
    assert.equal(0, rs.extra.repeated)
    local id, added = add("Gate")
    assert.matches("^ID%x+$", id)
    assert.equal(34, #id)
    assert.equal(sim.port, added.extra.event_path.port)
    assert.same({ "127.0.0.1" }, added.extra.event_path.local_ip_list)
    assert.equal(1, call("GET", "Vault/checkVaultName?sid=" .. sid .. "&vault_name=Gate").extra.repeated)
    assert.equal(0, call("GET", "Vault/checkVaultName?sid=" .. sid
      .. "&vault_name=Gate&original_name=Gate").extra.repeated)
    local err, st = call("POST", "Vault/addVault?sid=" .. sid,
      '{"vault": {"type": "GENERIC", "vault_name": "Gate"}}')
    assert.equal(400, st)
    assert.equal(-1006567424, err.statusCode)
    assert.is_nil(err.extra)
    call("POST", "Vault/removeVault?sid=" .. sid, '{"vault": {"vault_id_list": ["' .. id .. '"]}}')
  end)

  it("binds channels, stores metadata sent without a sid and finds it again", function()
    local id = add("Parking")
    local rs = call("PUT", "Vault/modifyVault?sid=" .. sid, '{"vault": {"vault_id": "' .. id
      .. '", "channel_guid_list": [{"guid": "' .. FRONT .. '"}]}}')
    assert.equal(id, rs.extra.vault_id)
    local info = call("GET", "Vault/getVaultInfo/" .. id .. "?sid=" .. sid).extra.vault_list[1]
    assert.equal("Front Door", info.channel_guid_list[1].channel_name)
    assert.equal(0, info.channel_guid_list[1].channel_index)
    assert.equal("GENERIC", info.type)
    assert.equal("", info.status.last_recv_time_str)
    for _, kind in ipairs({ "Generic", "GENERIC" }) do
      local r2, status = call("POST", "Event/recvNotify/" .. kind .. "/" .. id,
        '{"eventObjects": [{"utc_time": "1503901492000", "timezone": "28800", '
        .. '"metadata": {"driver": "Simon ' .. kind .. '"}}]}')
      assert.equal(200, status)
      assert.equal(ROOT .. "Event/recvNotify/Generic/" .. id, r2.requestURL)
      assert.is_nil(r2.extra)
    end
    call("POST", "Event/recvNotify/Generic/" .. id, "plate ABC-123 at the gate")
    local q = call("POST", "Metadata/Query?sid=" .. sid .. "&limit=100",
      '{"metadata": {"keyword_list": ["Simon"], "channel_guid_list": ["' .. FRONT .. '"]}}')
    assert.equal(ROOT .. "Metadata", q.requestURL)
    assert.equal(2, q.extra.count)
    local m = q.extra.metadata_list[1]
    assert.equal("1503901492000", m.utc_time)
    assert.equal("28800", m.timezone)
    assert.equal("2017-08-28T06:24:52.000Z", m.date)
    assert.equal("Simon Generic", m.metadata.driver)
    assert.equal("Parking", m.vault_name)
    q = call("POST", "Metadata/Query?sid=" .. sid, '{"metadata": {"keyword_list": ["ABC-123"]}}')
    assert.equal(1, q.extra.count)
    assert.equal("--", q.extra.metadata_list[1].timezone)
    q = call("POST", "Metadata/Query?sid=" .. sid, '{"metadata": {"vault_id_list": ["' .. id
      .. '"], "end_time_stamp": "1503901492000"}}')
    assert.equal(2, q.extra.count)
    q = call("POST", "Metadata/Query?sid=" .. sid .. "&start=1&limit=1",
      '{"metadata": {"vault_name": ["park"]}}')
    assert.equal(1, q.extra.count)
    assert.equal("Simon GENERIC", q.extra.metadata_list[1].metadata.driver)
    info = call("GET", "Vault/getVaultInfo/" .. id .. "?sid=" .. sid).extra.vault_list[1]
    assert.matches("^%d+$", info.status.last_recv_time_str)
  end)

  it("refuses metadata for a disabled or unknown vault, keeps what is stored", function()
    local id = add("Door", false)
    local rs, status = call("POST", "Event/recvNotify/Generic/" .. id, '{"eventObjects": []}')
    assert.equal(400, status)
    assert.equal(-1006631934, rs.statusCode)
    rs, status = call("POST", "Event/recvNotify/Generic/IDNOSUCH", "x")
    assert.equal(400, status)
    assert.equal(-1006567423, rs.statusCode)
    rs = call("POST", "Vault/removeVault?sid=" .. sid,
      '{"vault": {"vault_id_list": ["' .. id .. '", "IDX"]}}')
    assert.same({ "IDX" }, rs.extra.fail_list)
    rs, status = call("GET", "Vault/getVaultInfo/" .. id .. "?sid=" .. sid)
    assert.equal(400, status)
    assert.equal(-1006567423, rs.statusCode)
    local big = string.rep("x", 70 * 1024)
    local path = os.tmpname()
    h.write_file(path, big)
    local id2 = add("Big")
    local out, st = h.curl(sim.url("/qvrpro/qvrip/Event/recvNotify/Generic/" .. id2),
      { args = "-X POST --data-binary @" .. h.shell_quote(path) })
    os.remove(path)
    assert.equal(413, st)
    assert.equal(-1006305278, h.json(out).ReturnStatus.statusCode)
  end)

  it("lists vaults, applies filters, reads and sets retention", function()
    local id = add("Listed")
    local list = call("GET", "Vault/getVaultList?sid=" .. sid .. "&type=GENERIC").extra.vault_list
    local found
    for _, v in ipairs(list) do if v.vault_id == id then found = v end end
    assert.truthy(found)
    assert.equal("test", found.description)
    local rules = '[{"name": "r", "type": 2, "target": "Simon", "result": "Jordan"}, '
      .. '{"name": "h", "type": 0, "target": "secret"}]'
    local rs = call("POST", "Filter/testFilter?sid=" .. sid, '{"filter": {"rule_list": ' .. rules
      .. ', "metadata": "Simon keeps a secret"}}')
    assert.equal("Jordan keeps a ", rs.extra.filter)
    assert.equal(ROOT .. "Filter", rs.requestURL)
    rs = call("POST", "Filter/modifyFilter?sid=" .. sid, '{"filter": {"vault_id": "' .. id
      .. '", "rule_list": ' .. rules .. '}}')
    assert.equal(0, rs.statusCode)
    local info = call("GET", "Vault/getVaultInfo/" .. id .. "?sid=" .. sid).extra.vault_list[1]
    assert.equal("Jordan", info.filter[1].result)
    rs = call("GET", "Metadata/configure_retention?sid=" .. sid)
    assert.equal(300000, rs.metadata_configure.metadata_max_count)
    rs = call("POST", "Metadata/configure_retention?sid=" .. sid,
      '{"metadata_configure": {"metadata_max_count": 400000, "sync_storage_retention": false}}')
    assert.equal(400000, rs.metadata_configure.metadata_max_count)
    assert.is_false(rs.metadata_configure.sync_storage_retention)
    assert.equal(500000, rs.metadata_configure.metadata_ai_max_count)
  end)

  it("answers auth, permission, body and method errors", function()
    local rs, status = call("GET", "Vault/getVaultList?sid=bad")
    assert.equal(401, status)
    assert.equal(-1006632955, rs.statusCode)
    assert.equal("Authentication failed", rs.statusString)
    local viewer = assert(h.login(sim, "viewer", "viewer"))
    rs, status = call("GET", "Vault/getVaultList?sid=" .. viewer)
    assert.equal(401, status)
    assert.equal(-1006632950, rs.statusCode)
    rs, status = call("POST", "Vault/addVault?sid=" .. sid)
    assert.equal(400, status)
    assert.equal(-1006632958, rs.statusCode)
    rs = call("POST", "Vault/addVault?sid=" .. sid, "{not json")
    assert.equal(-1006632704, rs.statusCode)
    rs = call("POST", "Vault/addVault?sid=" .. sid, '{"vault": {"type": "ACCESS", "vault_name": "x"}}')
    assert.equal(-1006632956, rs.statusCode)
    rs = call("PUT", "Vault/modifyVault?sid=" .. sid, '{"vault": {"vault_id": "IDNONE"}}')
    assert.equal(-1006567423, rs.statusCode)
    rs = call("POST", "Metadata/Query?sid=" .. sid .. "&limit=101", '{"metadata": {}}')
    assert.equal(-1006632956, rs.statusCode)
    local id = add("Chan")
    rs = call("PUT", "Vault/modifyVault?sid=" .. sid, '{"vault": {"vault_id": "' .. id
      .. '", "channel_guid_list": [{"guid": "FFFF"}]}}')
    assert.equal(-1006632946, rs.statusCode)
    for _, c in ipairs({ { "GET", "Vault/addVault" }, { "POST", "Vault/getVaultList" },
                         { "GET", "Vault/modifyVault" }, { "GET", "Event/recvNotify/Generic/" .. id },
                         { "DELETE", "Metadata/configure_retention" } }) do
      local _, st = call(c[1], c[2] .. "?sid=" .. sid)
      assert.equal(405, st, c[1] .. " " .. c[2])
    end
    assert.equal(404, select(2, call("GET", "Filter/recvTestData?sid=" .. sid)))
  end)

  it("is absent on an old NVR (--api cgi)", function()
    local old = h.start_sim({ "--api", "cgi" })
    local s = assert(h.login(old, "admin", "admin"))
    local _, status = h.curl(old.url("/qvrpro/qvrip/Vault/getVaultList?sid=" .. s))
    old.stop()
    assert.equal(404, status)
  end)
end)
