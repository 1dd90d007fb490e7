--- parser: MB/s of the C frame parser (csrc/proto/parser.c) over an in-memory
-- recorded stream, against memcpy of the same bytes in the same chunks.
--
-- usage (under tools/with-sim with QVRSIM_ARGS=--no-pace):
--   lua5.4 tools/bench/parser.lua [ROUNDS]
--
-- Records two qplay `get` bodies from the simulator with curl (the wire
-- bytes, "0\n" and frames), then runs build/bench/parser_bench
-- (tools/bench/parser_bench.c, linked with csrc/proto/parser.c) on each, with
-- 16 KiB chunks (libcurl's default write size) and 256 KiB chunks (the
-- buffer csrc/lua/stream.c asks libcurl for).
local qvr = require "qvrpro"
local B = require "benchlib"

local ROUNDS = math.tointeger(tonumber(arg[1])) or 5
local MINUTE = 60000
local sim = B.sim()
local A = sim.stat("archive_start")
local nvr = assert(qvr.connect(sim.url))
local bench = B.build .. "/parser_bench"

local STREAMS = {
  { cam = "Front Door", what = "H.264 720p + AAC", minutes = 20 },
  { cam = "Garage", what = "MJPEG 320x240", minutes = 60 },
}
local CHUNKS = { 16384, 262144 }

local function record(s, path)
  local from = A + 120 * MINUTE
  local pb = assert(nvr:playback(s.cam, { from = from, to = from + s.minutes * MINUTE,
    timecontrol = false }))
  local url = nvr:endpoint_url("qplay.get", { session = pb.id })
  local code = B.capture(("curl -s -o %s -w '%%{http_code}' %s"):format(B.shell_quote(path),
    B.shell_quote(url)))
  pb:close()
  assert(code == "200", "recording failed: HTTP " .. code)
end

local rows = {}
for _, s in ipairs(STREAMS) do
  local path = os.tmpname()
  record(s, path)
  for _, chunk in ipairs(CHUNKS) do
    local out = B.capture(("%s %s %d %d"):format(B.shell_quote(bench), B.shell_quote(path), chunk,
      ROUNDS))
    local r = {}
    for k, v in out:gmatch("([%w_]+)=([%d.]+)") do r[k] = tonumber(v) end
    assert(r.parser_Bps, "parser_bench: " .. out)
    rows[#rows + 1] = {
      ("%s (%s), %d min"):format(s.cam, s.what, s.minutes), B.mb(r.bytes), B.int(r.frames),
      ("%d KiB"):format(chunk // 1024), B.int(r.parser_Bps / 1e6), B.int(r.memcpy_Bps / 1e6),
      ("%.2f"):format(r.parser_Bps / r.memcpy_Bps), ("%.0f"):format(r.ns_per_frame),
    }
  end
  os.remove(path)
end
nvr:close()

B.say("%d rounds (alternating parser, memcpy; each >= 1 s), medians; MB = 10^6 bytes", ROUNDS)
B.say("")
B.table({ "recorded stream", "MB", "frames", "chunk", "parser MB/s", "memcpy MB/s",
  "parser / memcpy", "parser ns/frame" }, rows)
