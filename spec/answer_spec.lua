-- Answers as the binding marshals them (core.read_answer runs the same code
-- as a request): values or nil, Error for every kind, and a 70-level JSON
-- answer that returns an error instead of raising and leaks nothing.
local core = require "qvrpro.core"

local function nested(depth)
  return ('{"a":'):rep(depth) .. "1" .. ("}"):rep(depth)
end

-- resident set size in kB (Linux)
local function rss_kb()
  local f = io.open("/proc/self/status")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return tonumber(s:match("VmRSS:%s*(%d+)"))
end

describe("answers", function()
  it("converts JSON documents: integers, nulls left out, arrays", function()
    local t = assert(core.read_answer("json", '{"success":true,"n":3,"x":1.5,"z":null,"l":[1,"a",true]}'))
    assert.same({ success = true, n = 3, x = 1.5, l = { 1, "a", true } }, t)
    assert.equal("integer", math.type(t.n))
  end)

  it("gives nil and a named Error for server codes", function()
    local t, err = core.read_answer("json", '{"success":false,"error_code":-1325400063}')
    assert.is_nil(t)
    assert.equal("AUTH_FAILED", err.name)
    assert.equal("0xB1000001", err.hex)
    t, err = core.read_answer("json", "<html>oops</html>", 500, "text/html")
    assert.is_nil(t)
    assert.equal("HTTP_ERROR", err.name)
    assert.equal(500, err.http_status)
  end)

  it("reads qplay text lines after the version and code lines", function()
    assert.same({ "session-42", "" }, core.read_answer("lines", "1.1.0\n0\nsession-42\r\n\n"))
    local t, err = core.read_answer("lines", "1.1.0\n-1828651001\n")
    assert.is_nil(t)
    assert.equal("SESSION_FULL", err.name)
  end)

  it("hands out images and raw bodies", function()
    local jpeg = "\xFF\xD8\xFF\xE0rest"
    assert.same({ jpeg, "image/jpeg" }, { core.read_answer("image", jpeg, 200, "image/jpeg") })
    local t, err = core.read_answer("image", "GIF89a", 200, "image/gif")
    assert.is_nil(t)
    assert.equal("BAD_IMAGE", err.name)
    assert.same({ "x", 404, "text/plain" }, { core.read_answer("raw", "x", 404, "text/plain") })
  end)

  it("reads 64 levels of JSON", function()
    local t = assert(core.read_answer("json", nested(64)))
    for _ = 1, 63 do t = t.a end
    assert.equal(1, t.a)
  end)

  it("returns an error for a 70-level JSON answer (no raise), in every kind that reads JSON", function()
    for _, kind in ipairs({ "json", "logs", "image" }) do
      local ok, t, err = pcall(core.read_answer, kind, nested(70), 200, "application/json")
      assert.is_true(ok, tostring(t))
      assert.is_nil(t)
      assert.equal("BAD_RESPONSE", err.name)
      assert.matches("nested deeper than 64 levels", err.message)
    end
  end)

  it("leaks nothing over 3000 deep answers (resident size stays flat)", function()
    local body = nested(70) .. (" "):rep(8192)
    for _ = 1, 300 do core.read_answer("json", body) end  -- warm up the allocator
    collectgarbage()
    local before = rss_kb()
    -- not Linux, or under ASan / valgrind (their own leak checks cover this
    -- and their allocators keep freed memory): nothing to measure
    if not before or os.getenv("QVR_TEST_ASAN") or os.getenv("QVR_TEST_VALGRIND") then return end
    for _ = 1, 3000 do core.read_answer("json", body) end
    collectgarbage()
    local grown = rss_kb() - before
    -- the raise used to leave the parsed tree (70 cJSON nodes) and, on a
    -- request, the 8 kB body behind each time: 15 to 40 MB here; allow 4 MB
    assert.is_true(grown < 4096, ("resident size grew by %d kB"):format(grown))
  end)
end)
