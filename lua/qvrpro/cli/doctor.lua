--- qvr doctor: what stands between this machine and the NVR, step by step,
-- each with a verdict and a hint.
local args = require "qvrpro.cli.args"
local common = require "qvrpro.cli.common"

local SKEW_OK_MS, SKEW_WARN_MS = 5000, 60000

local HINTS = {
  REFUSED = "nothing listens there: is the NVR up, and is this its port (QVR Pro: 8080, HTTPS 443)?",
  DNS = "the host name does not resolve: check QVR_URL or use the NVR's IP address",
  TIMEOUT = "no answer in time: a firewall, a wrong address, or a very busy NVR (--timeout)",
  TLS = "the certificate is not trusted: --cafile FILE (the NVR's certificate or CA), or "
    .. "--insecure to skip the check",
  HTTP_ERROR = "the server answers, but not as QVR Pro: check the port and the URL's path (prefix)",
}

local function check(list, name, verdict, text, hint)
  list[#list + 1] = { check = name, verdict = verdict, text = text, hint = hint }
  return verdict ~= "fail"
end

local function probe(o, list)
  local core = require "qvrpro.core"
  local session = core.session(o)
  local t = core.now_ms()
  local entry, err = session:call("qvrentry", nil, { retry = false })
  local ms = core.now_ms() - t
  session:close()
  local where = ("%s:%d"):format(o.host, o.port)
  if not entry then
    local name = type(err) == "table" and err.name or "ERROR"
    if name == "TLS" then
      check(list, "reachable", "ok", where .. " answers (TLS handshake)")
      return check(list, "tls", "fail", tostring(err), HINTS.TLS)
    end
    if name == "HTTP_ERROR" then
      check(list, "reachable", "ok", where .. " answers")
      return check(list, "api", "fail", ("%s: %s"):format(err.path or "qvrentry", tostring(err)),
        HINTS.HTTP_ERROR)
    end
    return check(list, "reachable", "fail", ("%s: %s"):format(where, tostring(err)),
      HINTS[name] or "check the address and that the NVR is up")
  end
  check(list, "reachable", "ok", ("%s answers (%d ms)"):format(where, ms))
  if o.scheme == "https" then
    check(list, "tls", "ok", o.verify == false and "HTTPS, certificate NOT checked (--insecure)"
      or ("HTTPS, certificate trusted%s"):format(o.cafile and (" (" .. o.cafile .. ")") or ""),
      o.verify == false and "trust it with --cafile instead of --insecure" or nil)
  else
    check(list, "tls", "warn", "plain HTTP: the password crosses the network only base64-encoded",
      "use https://...:443 if the NVR offers it")
  end
  local family = entry.is_qvp == "no" and "QVR Elite/Surveillance" or "QVR Pro"
  local prefix = type(entry.fw_web_ui_prefix) == "string" and entry.fw_web_ui_prefix ~= ""
    and ("/" .. entry.fw_web_ui_prefix:gsub("^/+", "")) or core.default_prefix
  local want = o.prefix or core.default_prefix
  if o.prefix ~= "auto" and prefix ~= want then
    return check(list, "api", "fail", ("%s says its API is under %s, QVR_URL uses %s"):format(family,
      prefix, want), ("add %s to the URL (http://host:port%s) or use the prefix \"auto\"")
      :format(prefix, prefix))
  end
  return check(list, "api", "ok", ("%s, API under %s"):format(family, prefix))
end

-- the REST family (QVR Pro API 1.x) and the newest version it answers
local function rest_version(nvr, list)
  local last
  for _, v in ipairs({ "1.3.1", "1.2.0", "1.1.0" }) do
    -- read as a CGI answer: 0xB1000000 is then API_VERSION_UNSUPPORTED, not NOT_SUPPORTED
    local a, err = nvr:call("camera.list", { ver = v }, { kind = "json" })
    if a then
      return check(list, "rest", "ok", ("REST API %s answers (besides the 2017 CGIs)"):format(v))
    end
    last = err
    if type(err) ~= "table" or err.name ~= "API_VERSION_UNSUPPORTED" then break end
  end
  if type(last) == "table" and (last.http_status == 404 or last.http_status == 405) then
    return check(list, "rest", "ok", "no REST family (an older NVR): the 2017 CGIs only")
  end
  return check(list, "rest", "warn", ("the REST family did not answer: %s"):format(tostring(last)),
    "scripts that need REST calls (clips, PTZ, stream URLs) will fail on this NVR")
end

local function after_login(nvr, list, t_login)
  rest_version(nvr, list)
  local cams, err = nvr:cameras()
  if not cams then
    check(list, "cameras", "fail", tostring(err), "the account may lack Surveillance permissions")
  else
    local offline = {}
    for _, c in ipairs(cams) do if not c.connected then offline[#offline + 1] = c.name end end
    check(list, "cameras", #cams == 0 and "warn" or (#offline > 0 and "warn" or "ok"),
      ("%d camera(s), %d connected%s"):format(#cams, #cams - #offline,
        #offline > 0 and (" (offline: " .. table.concat(offline, ", ") .. ")") or ""),
      #offline > 0 and "the NVR has no connection to the offline cameras" or
        (#cams == 0 and "no cameras are set up on this NVR" or nil))
  end
  -- the NVR's clock: the time of its newest log entry, our login
  local page = nvr:logs{ max_results = 1, sort_field = "time", dir = "DESC" }
  local e = page and page.items and page.items[1]
  local zone = e and e.timezone
  if zone then
    check(list, "zone", "ok", ("the NVR's time zone is %s%s"):format(zone, require("qvrpro.tz").get(zone)
      and "" or " (unknown on this host: exports use the local zone)"))
  else
    check(list, "zone", "warn", "the NVR does not say its time zone",
      "exports read times of day in this host's zone (--zone to choose)")
  end
  local nvr_ms = e and tonumber(e.UTC_time)
  if not nvr_ms or math.abs(nvr_ms - t_login) > 86400000 then
    check(list, "clock", "warn", "could not read the NVR's clock (no recent log entry)", nil)
  else
    local skew = nvr_ms - t_login
    local verdict = math.abs(skew) <= SKEW_OK_MS and "ok" or
      (math.abs(skew) <= SKEW_WARN_MS and "warn" or "fail")
    check(list, "clock", verdict, math.abs(skew) < 1000 and "the NVR's and this host's clocks agree "
      .. "within a second" or ("the NVR's clock is %s %s this host's"):format(
      common.hms(math.abs(skew)), skew >= 0 and "ahead of" or "behind"),
      verdict ~= "ok" and "set NTP on both: times of day in exports and schedules shift by that much"
        or nil)
  end
end

return {
  summary = "check the connection to the NVR step by step",
  usage = [=[
usage: qvr doctor [--json]
Check, each with a verdict (ok, warn, fail, skip) and a hint: the connection
settings, that the NVR answers, TLS and its certificate, the API family and
prefix, the login, the REST API version, the cameras, the NVR's time zone, and
the clock skew between NVR and host.
Exit status 1 when a check fails.
]=],
  connects = true,
  args = { max = 0 },
  run = function(opts, _, ctx)
    local list = {}
    local o = common.connect_options(opts)
    check(list, "config", (o.password == nil) and "fail" or "ok",
      ("%s://%s@%s:%d%s, password %s"):format(o.scheme or "http", o.user or "admin", o.host,
        o.port or 0, o.prefix or "", o.password == nil and "missing" or "set"),
      o.password == nil and "set QVR_PASSWORD or password in the config file" or nil)
    local go = o.password ~= nil and probe(o, list)
    if go then
      local core = require "qvrpro.core"
      local t = core.now_ms()
      local nvr, err = require("qvrpro.logins").connect(o)
      if not nvr then
        check(list, "login", "fail", tostring(err), type(err) == "table" and err.name == "LOGIN_BACKOFF"
          and "wait, or fix the password first" or "check QVR_USER and QVR_PASSWORD")
      else
        check(list, "login", "ok", ("logged in as %s"):format(o.user or "admin"))
        local ok, perr = pcall(after_login, nvr, list, t)
        nvr:close()
        if not ok then check(list, "cameras", "fail", tostring(perr)) end
      end
    end
    for _, name in ipairs({ "reachable", "tls", "api", "login", "rest", "cameras", "zone", "clock" }) do
      local seen = false
      for _, c in ipairs(list) do seen = seen or c.check == name end
      if not seen then check(list, name, "skip", "not checked: an earlier step failed") end
    end
    local failed = 0
    for _, c in ipairs(list) do if c.verdict == "fail" then failed = failed + 1 end end
    if opts.json then
      ctx.out_json({ checks = list, ok = failed == 0 })
    else
      for _, c in ipairs(list) do
        print(("%-5s %-10s %s"):format(c.verdict, c.check, c.text))
        if c.hint then print(("%-16s hint: %s"):format("", c.hint)) end
      end
    end
    if failed > 0 then args.die(("%d check(s) failed"):format(failed)) end
    return 0
  end,
}
