-- qvrpro.snapshot: rounds of snapshots of many cameras into a folder.
local h = require "helpers"
local snap = require "qvrpro.snapshot"

local function is_jpeg(path)
  local f = io.open(path, "rb")
  if not f then return false end
  local head = f:read(3)
  f:close()
  return head == "\xFF\xD8\xFF"
end

describe("snapshot.capture", function()
  local sim, nvr, dir
  local S = h.with_sim({})
  setup(function() sim, nvr = S.sim, S.nvr end)
  before_each(function()
    dir = os.tmpname()
    os.remove(dir)
  end)
  after_each(function()
    h.control(sim, "clear=1")
    h.execute("rm -rf " .. h.shell_quote(dir))
  end)

  it("writes every connected camera each round, named by camera, date and time", function()
    local slept = {}
    local r = assert(snap.capture(nvr, { dir = dir, every = 2, count = 2,
                                         sleep = function(s) slept[#slept + 1] = s end }))
    assert.equal(2, r.rounds)
    assert.equal(6, #r.files)          -- 3 connected cameras x 2 rounds
    assert.equal(0, #r.failures)
    assert.equal(1, #slept)
    assert.is_true(slept[1] > 1 and slept[1] <= 2)
    for _, path in ipairs(r.files) do
      assert.is_true(is_jpeg(path), path)
      assert.matches("/Front_Door/%d%d%d%d%-%d%d%-%d%d/Front_Door%-%d%d%d%d%d%d%.jpg$", r.files[1])
    end
    local f = assert(io.open(dir .. "/index.html"))
    local page = f:read("a")
    f:close()
    assert.matches('<img src="Garage/', page)
  end)

  it("uses the name pattern's fields", function()
    local r = assert(snap.capture(nvr, { cameras = { "Garage", 0 }, dir = dir,
                                         name = "{channel}-{round}-%Y.jpg", count = 1 }))
    assert.equal(2, #r.files)
    assert.equal(dir .. "/2-000001-" .. os.date("%Y") .. ".jpg", r.files[1])
    assert.equal(dir .. "/0-000001-" .. os.date("%Y") .. ".jpg", r.files[2])
  end)

  it("reports a failing camera and keeps capturing the others", function()
    local errors = {}
    local r = assert(snap.capture(nvr, { cameras = { "Front Door", "Lobby", "Garage" }, dir = dir,
      count = 2, every = 0, on_error = function(cam, err) errors[#errors + 1] = cam.name .. err.name end }))
    assert.equal(4, #r.files)
    assert.equal(2, #r.failures)
    assert.equal("Lobby", r.failures[1].camera)
    assert.equal("qvrpro.Error", getmetatable(r.failures[1].error).__name)
    assert.same({ "LobbyTIMEOUT", "LobbyTIMEOUT" }, errors)
  end)

  it("never leaves a partial file when the server fails mid-answer", function()
    h.control(sim, "fault=drop_after=100:getliveimage")
    local r = assert(snap.capture(nvr, { cameras = { "Front Door" }, dir = dir, count = 1 }))
    assert.equal(0, #r.files)
    assert.equal(1, #r.failures)
    local listing = h.capture("find " .. h.shell_quote(dir) .. " -type f")
    assert.equal("", listing)
  end)

  it("refuses an unknown camera up front", function()
    local r, err = snap.capture(nvr, { cameras = { "Nowhere" }, dir = dir })
    assert.is_nil(r)
    assert.equal("NO_SUCH_CAMERA", err.name)
  end)
end)
