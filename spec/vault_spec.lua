-- qvrpro.vault: the Metadata Vault through the client, against the
-- simulator: life cycle, channels, metadata sent without a sid, queries,
-- filters, retention, errors and an NVR without the REST family.
local h = require "helpers"
local qvr = require "qvrpro"
local vault = require "qvrpro.vault"

local FRONT = "00089BF9B26200089BF9B26200080000"

describe("qvrpro.vault", function()
  local sim, nvr
  local S = h.with_sim({})
  setup(function() sim, nvr = S.sim, S.nvr end)

  it("adds a vault bound to a camera, lists it, and refuses its name twice", function()
    assert.is_false((vault.check_name(nvr, "Till")))
    local id = assert(vault.add(nvr, { name = "Till", description = "shop", channels = { "Front Door" } }))
    assert.matches("^ID%x+$", id)
    assert.is_true(assert(vault.check_name(nvr, "Till")))
    local v = assert(vault.info(nvr, id))
    assert.equal("Till", v.vault_name)
    assert.equal(FRONT, v.channel_guid_list[1].guid)
    local found = false
    for _, x in ipairs(assert(vault.list(nvr))) do found = found or x.vault_id == id end
    assert.is_true(found)
    local again, err = vault.add(nvr, { name = "Till" })
    assert.is_nil(again)
    assert.equal("VAULT_EXISTS", err.name)
    assert.equal(400, err.http_status)
    assert.is_true(assert(vault.remove(nvr, id)))
    local gone, gerr = vault.info(nvr, id)
    assert.is_nil(gone)
    assert.equal("VAULT_NOT_FOUND", gerr.name)
    local ok, rerr = vault.remove(nvr, { id })
    assert.is_nil(ok)
    assert.equal("VAULT_NOT_FOUND", rerr.name)
  end)

  it("takes metadata without the sid and finds it by keyword and camera", function()
    local id = assert(vault.add(nvr, { name = "Gate", channels = { FRONT } }))
    local t = h.now_ms() - 5000
    assert.is_true(assert(vault.notify(nvr, id, { { time = t, timezone = "Europe/Berlin",
                                                    metadata = { plate = "QV-123" } } })))
    assert.is_true(assert(vault.notify(nvr, id, "free text QV-999")))
    local r = assert(vault.query(nvr, { keywords = { "QV-123" }, cameras = { "Front Door" } }))
    assert.equal(1, r.count)
    assert.equal("QV-123", r.items[1].metadata.plate)
    assert.equal(tostring(t), tostring(r.items[1].utc_time))
    r = assert(vault.query(nvr, { ids = { id }, limit = 100 }))
    assert.equal(2, r.count)
    assert.has_error(function() vault.query(nvr, { limit = 500 }) end)
    assert.is_true(assert(vault.modify(nvr, { id = id, enable = false })))
    local ok, err = vault.notify(nvr, id, "refused")
    assert.is_nil(ok)
    assert.equal("VAULT_DISABLED", err.name)
    assert.is_true(assert(vault.remove(nvr, id)))
  end)

  it("tests filter rules and keeps retention settings", function()
    local out = assert(vault.test_filter(nvr, { { type = "replace", target = "secret", result = "***" } },
      "the secret word"))
    assert.equal("the *** word", out)
    assert.has_error(function() vault.test_filter(nvr, { { type = "explode" } }, "x") end)
    local before = assert(vault.retention(nvr))
    assert.truthy(before.metadata_max_count)
    local after = assert(vault.retention(nvr, { metadata_max_count = 1234,
      metadata_ai_max_count = before.metadata_ai_max_count,
      sync_storage_retention = before.sync_storage_retention }))
    assert.equal(1234, after.metadata_max_count)
  end)

  it("says NOT_SUPPORTED on an NVR without the REST family, PERMISSION_DENIED without the right", function()
    local old = h.start_sim({ "--api", "cgi" })
    local n2
    finally(function()
      if n2 then n2:close() end
      old.stop()
    end)
    n2 = assert(qvr.connect(h.opts(old)))
    local ok, err = vault.list(n2)
    assert.is_nil(ok)
    assert.equal("NOT_SUPPORTED", err.name)
    n2:close()
    n2 = assert(qvr.connect(h.opts(sim, { user = "viewer", password = "viewer" })))
    ok, err = vault.list(n2)
    assert.is_nil(ok)
    assert.equal("PERMISSION_DENIED", err.name)
  end)
end)
