--- record: records, with curl, the answers tools/bench/fakenvr.c serves: the
-- simulator's login, logout, camera list, cpu and qplay answers, and one
-- qplay `get` body per benchmark case (the wire bytes of an unpaced
-- playback), into DIR.  Writes DIR/manifest.txt last (a recording without
-- it is incomplete).
--
-- usage (under tools/with-sim with QVRSIM_ARGS=--no-pace):
--   lua5.4 tools/bench/record.lua DIR [MINUTES]
-- MINUTES: the length of each recorded playback (default 120; tools/bench/run asks for 30).
local qvr = require "qvrpro"
local B = require "benchlib"

local DIR = assert(arg[1], "usage: record.lua DIR [MINUTES]")
local MINUTES = math.tointeger(tonumber(arg[2])) or 120
local MINUTE = 60000
local sim = B.sim()
local A = sim.stat("archive_start")

-- Front Door has a recording gap at A+1h..A+1h10m: the ranges start after it.
local CASES = {
  { cam = "Garage", what = "MJPEG 320x240 5 fps, ~6 kB frames" },
  { cam = "Front Door", what = "H.264 1280x720 10 fps + AAC" },
  { cam = "Back Yard", what = "H.264 640x360 10 fps + G.711 (160-byte frames)" },
}

local function curl_to(url, file)
  local out = B.capture(("curl -s -g -o %s -w '%%{http_code}' %s"):format(
    B.shell_quote(DIR .. "/" .. file), B.shell_quote(url)))
  assert(out == "200", ("recording %s: HTTP %s"):format(file, out))
end

local function b64(s)
  return (B.capture("printf %s " .. B.shell_quote(s) .. " | base64"):gsub("%s", ""))
end

local opts = qvr.parse_url(sim.url)
local base = sim.base
os.execute("mkdir -p " .. B.shell_quote(DIR))
os.remove(DIR .. "/manifest.txt")

-- login (the password as the client sends it: base64), its sid for the rest
curl_to(("%s/cgi-bin/authLogin.cgi?user=%s&serviceKey=1&pwd=%s"):format(base, opts.user,
  b64(opts.password)), "login.xml")
local login = io.open(DIR .. "/login.xml"):read("a")
local sid = assert(login:match("<authSid><!%[CDATA%[([^%]]+)%]%]>"), "no sid in the login answer")
curl_to(base .. "/qvrentry", "entry.json")
curl_to(("%s/qvrpro/apis/camera_status.cgi?sid=%s&act=list"):format(base, sid), "list.json")
curl_to(("%s/qvrpro/apis/camera_status.cgi?sid=%s&act=cpu"):format(base, sid), "cpu.json")

local nvr = assert(qvr.connect(sim.url))
local manifest = {}
for i, case in ipairs(CASES) do
  local cam = assert(nvr:camera(case.cam))
  local from = A + 2 * 60 * MINUTE
  local to = from + MINUTES * MINUTE
  local pb = assert(nvr:playback(cam, { from = from, to = to, timecontrol = false }))
  local function qurl(cmd, extra)
    local q = { session = pb.id }
    for k, v in pairs(extra or {}) do q[k] = v end
    return nvr:endpoint_url("qplay." .. cmd, q)
  end
  if i == 1 then
    -- the answer to a qplay command (play)
    curl_to(qurl("play", { speed = 10 }), "ok.txt")
  end
  local file = "get-" .. cam.guid .. ".bin"
  curl_to(qurl("get"), file)
  if i == 1 then curl_to(qurl("get"), "get-end.bin") end   -- a get after the end
  pb:close()
  local f = assert(io.open(DIR .. "/" .. file, "rb"))
  local size = f:seek("end")
  f:close()
  manifest[#manifest + 1] = table.concat({ cam.guid, case.cam, case.what, from, to, size }, "\t")
end
-- open and close as the server answers them (a session of its own)
do
  local cam = assert(nvr:camera(CASES[1].cam))
  curl_to(nvr:endpoint_url("qplay.open", { ch_sid = cam.guid,
    start_time = A + 2 * 60 * MINUTE, end_time = A + 2 * 60 * MINUTE + MINUTE,
    recording_type = 0, stream_id = 0, data_type = 1 }), "open.txt")
  local text = io.open(DIR .. "/open.txt"):read("a")
  local id = assert(text:match("(%x%x%x%x%x%x%x%x+)%s*$"), "no session id in the open answer")
  curl_to(nvr:endpoint_url("qplay.close", { session = id }), "close.txt")
end
nvr:close()
curl_to(("%s/cgi-bin/authLogout.cgi?sid=%s&logout=1"):format(base, sid), "logout.xml")
local m = assert(io.open(DIR .. "/manifest.txt", "w"))
m:write(("minutes\t%d\n"):format(MINUTES), table.concat(manifest, "\n"), "\n")
m:close()
B.say("recorded %d playbacks of %d min into %s", #CASES, MINUTES, DIR)
