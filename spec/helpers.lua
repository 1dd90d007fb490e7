--- spec helpers: start the simulator on free ports for a describe block,
-- talk to it with curl for simulator tests, and small assertions.
local M = {}

local ROOT = os.getenv("QVR_ROOT") or "."
local SIM = os.getenv("QVRSIM") or (ROOT .. "/build/qvrsim")

M.root = ROOT

--- QVR_TEST_GC=1 (tools/test's gc suites, `busted --helper=spec/helpers.lua`):
-- collect as aggressively as luv's CI does, a new cycle as soon as one ends
-- and big steps, so a binding value that is not anchored is freed at once.
if os.getenv("QVR_TEST_GC") then
  collectgarbage("setpause", 0)
  collectgarbage("setstepmul", 1000)
end

local function shell_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end
M.shell_quote = shell_quote

--- Prefix for commands run from specs: the sanitizer run preloads libasan
-- into Lua, and tools such as curl hang when they inherit it.
M.NOPRELOAD = "env -u LD_PRELOAD"

--- os.execute without the sanitizer preload.
function M.execute(cmd)
  return os.execute(M.NOPRELOAD .. " sh -c " .. shell_quote(cmd))
end

--- io.popen(cmd):read("a") without the sanitizer preload (with keep_preload:
-- with it, for Lua children that load the sanitized core); returns output, ok.
function M.capture(cmd, keep_preload)
  local f = assert(io.popen((keep_preload and "" or M.NOPRELOAD) .. " sh -c " .. shell_quote(cmd), "r"))
  local out = f:read("a")
  return out, f:close()
end


--- Extra simulator arguments from $QVR_TEST_SIM_ARGS (split on spaces), so a
-- whole spec run can go against, say, `--fault get_frames=7`.
function M.extra_sim_args()
  local extra = {}
  for a in (os.getenv("QVR_TEST_SIM_ARGS") or ""):gmatch("%S+") do extra[#extra + 1] = a end
  return extra
end

--- Starts `qvrsim --port 0 --logs-port 0 --rtsp-port 0 ARGS... $QVR_TEST_SIM_ARGS`;
-- returns a sim object with port, logs_port, rtsp_port, pid, url(path), base, stop().
function M.start_sim(args)
  args = args or {}
  local quoted = {}
  for i, a in ipairs(args) do quoted[i] = shell_quote(a) end
  for _, a in ipairs(M.extra_sim_args()) do quoted[#quoted + 1] = shell_quote(a) end
  local log = os.tmpname()
  local cmd = ("echo $$; exec env -u LD_PRELOAD %s --port 0 --logs-port 0 --rtsp-port 0 %s 2>>%s")
    :format(shell_quote(SIM), table.concat(quoted, " "), shell_quote(log))
  local f = assert(io.popen("sh -c " .. shell_quote(cmd), "r"))
  local pid = f:read("l")
  local line = f:read("l")
  if not line then
    f:close()
    local lf = io.open(log); local msg = lf and lf:read("a") or ""; if lf then lf:close() end
    error("simulator did not start: " .. msg)
  end
  local port, logs_port = line:match("^listening port=(%d+) logs_port=(%d+)")
  assert(port, "unexpected simulator banner: " .. line)
  local sim = { pid = tonumber(pid), port = tonumber(port), logs_port = tonumber(logs_port),
                rtsp_port = tonumber(line:match(" rtsp_port=(%d+)")),
                log = log, handle = f }
  -- a spec that fails before its sim.stop() must not leave the simulator
  -- running: closing the pipe at exit would wait for it forever.  The reaper
  -- is marked for finalization after the pipe, so Lua finalizes it first.
  local reaper = setmetatable({}, { __gc = function()
    if sim.handle then os.execute("kill " .. sim.pid .. " 2>/dev/null") end
  end })
  sim.reaper = reaper
  sim.base = "http://127.0.0.1:" .. sim.port
  function sim.url(path) return sim.base .. path end
  function sim.stop()
    if sim.handle then
      M.execute("kill " .. sim.pid .. " 2>/dev/null")
      sim.handle:close()
      sim.handle = nil
      os.remove(log)
    end
  end
  return sim
end

--- In a describe block: starts the simulator (with ARGS) and connects to it
-- as admin in setup, closes both in teardown.  Returns a table that holds
-- `sim` and `nvr` once setup has run (`connect = false` in opts: no nvr;
-- `login = USER` (password the same): a sid logged in with curl, in `sid`;
-- `clear = true`: the simulator's faults cleared after each test; the rest
-- of opts goes to qvr.connect):
--   local S = h.with_sim({ "--no-pace" })
--   it("...", function() S.nvr:cameras() end)
-- A setup registered after it sees them (`setup(function() sim = S.sim end)`).
function M.with_sim(args, opts)
  local busted = require "busted"
  local env = {}
  busted.setup(function()
    env.sim = M.start_sim(args)
    env.t0 = M.archive_t0()
    if opts and opts.login then
      env.sid = assert(M.login(env.sim, opts.login, opts.login))
    end
    if not (opts and opts.connect == false) then
      local extra = {}
      for k, v in pairs(opts or {}) do
        if k ~= "connect" and k ~= "login" and k ~= "clear" then extra[k] = v end
      end
      env.nvr = assert(require("qvrpro").connect(M.opts(env.sim, extra)))
    end
  end)
  busted.teardown(function()
    if env.nvr then env.nvr:close() end
    if env.sim then env.sim.stop() end
  end)
  if opts and opts.clear then
    busted.after_each(function() M.control(env.sim, "clear=1") end)
  end
  return env
end

--- A start in the simulator's archive two hours back, 37 ms past a whole
-- second: off the frame grid.
function M.archive_t0()
  return (require("qvrpro").time.now() - 2 * 3600000) // 1000 * 1000 + 37
end

--- A playback (timecontrol off) of secs seconds of cam's archive from S.t0,
-- S as M.with_sim gives it.
function M.archive_playback(S, cam, secs)
  return assert(S.nvr:playback(cam, { from = S.t0, to = S.t0 + secs * 1000, timecontrol = false }))
end

--- GET with curl; returns body, http_status, content_type.
function M.curl(url, extra)
  local cmd = ("%s curl -s -g --max-time %d %s -w '\\n%%{http_code} %%{content_type}' %s")
    :format(M.NOPRELOAD, extra and extra.max_time or 10, extra and extra.args or "", shell_quote(url))
  local f = assert(io.popen(cmd, "r"))
  local out = f:read("a")
  f:close()
  local body, status, ctype = out:match("^(.*)\n(%d+) ?([^\n]*)$")
  return body, tonumber(status), ctype
end

--- A request with curl: METHOD, a path below the simulator's base, an optional
-- JSON body (sent as application/json); returns body, http_status, content_type.
function M.request(sim, method, path, body)
  local args = "-X " .. method
  if body then
    args = args .. " -H 'Content-Type: application/json' --data " .. shell_quote(body)
  end
  return M.curl(sim.url(path), { args = args, max_time = 30 })
end

--- The keys of a table, sorted and joined with commas (an answer's shape).
function M.sorted_keys(t)
  local k = {}
  for name in pairs(t) do k[#k + 1] = name end
  table.sort(k)
  return table.concat(k, ",")
end

--- Logs in with curl; returns the sid.
function M.login(sim, user, password)
  local b64 = M.base64(password or "admin")
  local body = M.curl(sim.url("/cgi-bin/authLogin.cgi?user=" .. (user or "admin")
    .. "&serviceKey=1&pwd=" .. M.urlencode(b64)))
  return body and body:match("<authSid><!%[CDATA%[(%w+)%]%]></authSid>"), body
end

function M.urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return ("%%%02X"):format(c:byte()) end))
end

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
function M.base64(s)
  return ((s:gsub(".", function(c)
    local b, r = c:byte(), ""
    for i = 8, 1, -1 do r = r .. (b % 2 ^ i - b % 2 ^ (i - 1) > 0 and "1" or "0") end
    return r
  end) .. "0000"):gsub("%d%d%d?%d?%d?%d?", function(x)
    if #x < 6 then return "" end
    local c = 0
    for i = 1, 6 do c = c + (x:sub(i, i) == "1" and 2 ^ (6 - i) or 0) end
    return B64:sub(c + 1, c + 1)
  end) .. ({ "", "==", "=" })[#s % 3 + 1])
end

--- A JSON decode good enough for the simulator's answers (via the core's cJSON
-- would be circular for tests of the core, so use a tiny Lua decoder).
function M.json(s)
  local pos = 1
  local function ws() pos = s:find("[^ \t\r\n]", pos) or #s + 1 end
  local value
  local function str()
    local out, i = {}, pos + 1
    while true do
      local c = s:sub(i, i)
      if c == '"' then pos = i + 1; return table.concat(out) end
      if c == "\\" then
        local n = s:sub(i + 1, i + 1)
        if n == "u" then
          out[#out + 1] = utf8.char(tonumber(s:sub(i + 2, i + 5), 16)); i = i + 6
        else
          out[#out + 1] = ({ n = "\n", t = "\t", r = "\r", b = "\b", f = "\f" })[n] or n; i = i + 2
        end
      elseif c == "" then error("unterminated string")
      else out[#out + 1] = c; i = i + 1 end
    end
  end
  function value()
    ws()
    local c = s:sub(pos, pos)
    if c == "{" then
      local t = {}; pos = pos + 1; ws()
      if s:sub(pos, pos) == "}" then pos = pos + 1; return t end
      repeat
        ws(); local k = str(); ws(); assert(s:sub(pos, pos) == ":", "colon expected"); pos = pos + 1
        t[k] = value(); ws()
        local d = s:sub(pos, pos); pos = pos + 1
      until d ~= ","
      return t
    elseif c == "[" then
      local t = {}; pos = pos + 1; ws()
      if s:sub(pos, pos) == "]" then pos = pos + 1; return t end
      repeat t[#t + 1] = value(); ws(); local d = s:sub(pos, pos); pos = pos + 1 until d ~= ","
      return t
    elseif c == '"' then return str()
    elseif s:sub(pos, pos + 3) == "true" then pos = pos + 4; return true
    elseif s:sub(pos, pos + 4) == "false" then pos = pos + 5; return false
    elseif s:sub(pos, pos + 3) == "null" then pos = pos + 4; return nil
    else
      local num = s:match("^-?%d+%.?%d*[eE]?[-+]?%d*", pos)
      assert(num and #num > 0, "bad json at " .. pos)
      pos = pos + #num
      return math.tointeger(tonumber(num)) or tonumber(num)
    end
  end
  return value()
end

--- Changes the simulator's switches at run time (/sim/control).
function M.control(sim, query)
  local body, status = M.curl(sim.url("/sim/control?" .. query))
  assert(status == 200, "sim control failed: " .. tostring(body))
  return body
end

--- The simulator's counters (/sim/stats).
function M.stats(sim)
  return M.json((M.curl(sim.url("/sim/stats"))))
end

--- Writes a simulator config: the default cameras with the given users.
function M.sim_config(users)
  local f = assert(io.open(ROOT .. "/tools/sim/default.json"))
  local text = f:read("a")
  f:close()
  local cams = text:match('"cameras"%s*:%s*(%b[])')
  local parts = {}
  for i, u in ipairs(users) do
    parts[i] = ('{"name": %q, "password": %q, "admin": true, "surveillance": %s}')
      :format(u.name, u.password, u.surveillance == false and "false" or "true")
  end
  local path = os.tmpname()
  f = assert(io.open(path, "w"))
  f:write('{"users": [', table.concat(parts, ", "), '], "cameras": ', cams, "}\n")
  f:close()
  return path
end

--- Connect options for a running simulator.
function M.opts(sim, extra)
  local o = { host = "127.0.0.1", port = sim.port, user = "admin", password = "admin",
              timeout = 5 }
  for k, v in pairs(extra or {}) do o[k] = v end
  return o
end

local CRC_TABLE = {}
for i = 0, 255 do
  local c = i
  for _ = 1, 8 do c = (c & 1 ~= 0) and (0xEDB88320 ~ (c >> 1)) or (c >> 1) end
  CRC_TABLE[i] = c
end

--- CRC-32 (IEEE) of a string, as zlib computes it.
function M.crc32(s)
  local c = 0xFFFFFFFF
  local byte = string.byte
  for i = 1, #s do c = CRC_TABLE[(c ~ byte(s, i)) & 0xFF] ~ (c >> 8) end
  return c ~ 0xFFFFFFFF
end

--- The frames the simulator's archive holds for a camera in [from, to].
function M.archive(sim, guid, from, to, audio)
  return M.json((M.curl(sim.url(("/sim/frames?guid=%s&from=%d&to=%d&audio=%d")
    :format(guid, from, to, audio == false and 0 or 1)))))
end

--- Every frame of a stream, playback or dump reader, in an array.
function M.frames_of(iterable)
  local out = {}
  for f in iterable:frames() do out[#out + 1] = f end
  return out
end

--- A new empty folder (remove it with M.execute("rm -rf " .. dir)).
function M.tmpdir()
  local dir = os.tmpname()
  os.remove(dir)
  assert(M.execute("mkdir -p " .. shell_quote(dir)))
  return dir
end

--- The bytes of a file.
function M.read_file(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

--- The bytes of a file, or nil when it cannot be opened (missing).
M.read_file_or_nil = require("qvrpro.files").read

--- Asserts that ffprobe's streams (h.probe) are Front Door's: H.264 1280x720,
-- then AAC at 16 kHz.
function M.assert_front_door_streams(streams)
  local check = require "luassert"
  check.equal(2, #streams)
  check.equal("h264", streams[1].codec_name)
  check.equal(1280, streams[1].width)
  check.equal(720, streams[1].height)
  check.equal("aac", streams[2].codec_name)
  check.equal("16000", streams[2].sample_rate)
end

--- Asserts that two .qvr dumps hold the same frames, in order: the count,
-- each frame's timestamp and payload, and with headers its header too.
function M.assert_same_dumps(path_a, path_b, headers)
  local qvr, check = require "qvrpro", require "luassert"
  local a <close> = check(qvr.open_dump(path_a))
  local b <close> = check(qvr.open_dump(path_b))
  check.equal(a.count, b.count)
  while true do
    local fa, fb = a:read(), b:read()
    if not fa then check.is_nil(fb) break end
    check.equal(fa.timestamp, fb.timestamp)
    if headers then check.equal(fa.header, fb.header) end
    check.equal(M.crc32(fa.data), M.crc32(fb.data))
  end
end

--- A log function (as qvrpro.schedule takes it) that appends its lines,
-- "level [job] msg", to the list into.
function M.logger(into)
  return function(level, msg, job) into[#into + 1] = ("%s [%s] %s"):format(level, job or "", msg) end
end

--- The first of lines that matches pattern, or nil.
function M.find_line(lines, pattern)
  for _, l in ipairs(lines) do if l:find(pattern) then return l end end
  return nil
end

--- Writes bytes to a file.
function M.write_file(path, s)
  local f = assert(io.open(path, "wb"))
  f:write(s)
  f:close()
end

--- ffprobe of a file: streams, packets { {stream=, pts=ms, size=, key=}, ... }, format.
function M.probe(path, quiet)
  local out, ok = M.capture("ffprobe -v error -of json -show_streams -show_format "
    .. "-show_entries packet=stream_index,pts_time,size,flags " .. shell_quote(path)
    .. (quiet and " 2>/dev/null" or ""))
  assert(ok, "ffprobe failed on " .. path .. ": " .. tostring(out))
  local j = M.json(out)
  local packets = {}
  for i, p in ipairs(j.packets or {}) do
    packets[i] = { stream = p.stream_index, pts = math.floor(tonumber(p.pts_time) * 1000 + 0.5),
                   size = tonumber(p.size), key = p.flags:sub(1, 1) == "K" }
  end
  return j.streams, packets, j.format
end

--- Milliseconds since 1970 (whole seconds resolution is enough for tests).
function M.now_ms()
  return os.time() * 1000
end

--- ms of a date text read by GNU date in a zone ("2026-03-29 03:30",
-- "2026-10-25 02:30 +0200", "2026-01-01T00:07:00Z").
function M.date_ms(zone, text)
  local out = M.capture(("TZ=%s date -d %s +%%s"):format(shell_quote(zone), shell_quote(text)))
  local s = tonumber(out)
  assert(s, ("date could not read %q in %s"):format(text, zone))
  return s * 1000
end

--- The zone-local text of ms, by GNU date.
function M.date_text(zone, ms)
  local cmd = ("TZ=%s date -d @%d '+%%F %%H:%%M %%z'"):format(shell_quote(zone), ms // 1000)
  return (M.capture(cmd):gsub("\n$", ""))
end

return M
