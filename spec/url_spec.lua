local qvr = require "qvrpro"

describe("qvr.parse_url", function()
  it("reads user, password, host, port", function()
    local o = qvr.parse_url("http://admin:secret@192.168.1.10:8080")
    assert.same({ scheme = "http", user = "admin", password = "secret", host = "192.168.1.10",
                  port = 8080 }, o)
  end)

  it("defaults the port by scheme and reads a prefix", function()
    assert.equal(443, qvr.parse_url("https://a:b@nvr.local").port)
    assert.equal(8080, qvr.parse_url("http://a:b@nvr.local").port)
    assert.equal("/qvrelite", qvr.parse_url("http://a:b@nvr.local:80/qvrelite/").prefix)
  end)

  it("percent-decodes credentials and splits at the last @", function()
    local o = qvr.parse_url("http://us%3Aer:p%40ss%3Aw%25rd%20x@10.0.0.5:8080")
    assert.equal("us:er", o.user)
    assert.equal("p@ss:w%rd x", o.password)
    o = qvr.parse_url("http://admin:p@ss@10.0.0.5")
    assert.equal("p@ss", o.password)
    assert.equal("10.0.0.5", o.host)
  end)

  it("reads IPv6 literals", function()
    local o = qvr.parse_url("http://a:b@[::1]:8081")
    assert.equal("::1", o.host)
    assert.equal(8081, o.port)
  end)

  it("raises on a string that is not a URL", function()
    assert.has_error(function() qvr.parse_url("nvr.local") end)
  end)
end)
