--- throughput: an unpaced playback iterated with frame:write to /dev/null,
-- side by side with `curl -s -o /dev/null` fetching the same qplay `get`.
--
-- usage (under tools/with-sim with QVRSIM_ARGS=--no-pace):
--   lua5.4 tools/bench/throughput.lua [ROUNDS]
--
-- Each round opens, for each client, a qplay session with the same
-- parameters (nvr:playback{from=, to=, timecontrol=false}): the same camera
-- and time range, so the same bytes (checked: the byte counts must match).
-- curl fetches its session's `get` URL (time_total: connect to last byte);
-- qvrpro iterates pb:frames() and writes every payload to /dev/null (timed
-- from pb:frames(), which sends `play` and opens the `get`, to the end of
-- the loop).  A round runs curl then qvrpro; the ratio is the median of
-- the rounds' ratios (each pair saw the same conditions), speeds are medians.
-- CPU is each client's own (user + system): curl's from its parent shell's
-- cutime/cstime (clock ticks), qvrpro's from os.clock() around the loop.
local qvr = require "qvrpro"
local B = require "benchlib"

local ROUNDS = math.tointeger(tonumber(arg[1])) or 9
local HOUR = 3600000
local TICKS = tonumber(B.capture("getconf CLK_TCK")) or 100
local sim = B.sim()
local A = sim.stat("archive_start")
local nvr = assert(qvr.connect(sim.url))

-- Front Door has a recording gap at A+1h..A+1h10m: the ranges avoid it.
local CASES = {
  { cam = "Garage", what = "MJPEG 320x240 5 fps, ~6 kB frames", from = A + 2 * HOUR, hours = 6 },
  { cam = "Front Door", what = "H.264 1280x720 10 fps + AAC", from = A + 2 * HOUR, hours = 1 },
  { cam = "Back Yard", what = "H.264 640x360 10 fps + G.711 (160-byte frames)",
    from = A + 2 * HOUR, hours = 1 },
}

local devnull = assert(io.open("/dev/null", "wb"))

local function open(case)
  return assert(nvr:playback(case.cam, { from = case.from, to = case.from + case.hours * HOUR,
    timecontrol = false }))
end

local function run_curl(case)
  local pb = open(case)
  local url = nvr:endpoint_url("qplay.get", { session = pb.id })
  -- the shell reads its own /proc stat after curl ended: cutime + cstime
  -- (fields 16 and 17, in clock ticks) are curl's CPU time
  local script = "curl -s -o /dev/null -w '%{http_code} %{size_download} %{time_total}' "
    .. B.shell_quote(url) .. "; echo; read -r s < /proc/$$/stat; echo \"$s\""
  local out = B.capture("sh -c " .. B.shell_quote(script))
  pb:close()
  local code, bytes, secs, stat = out:match("^(%d+) (%d+) ([%d.]+)\n(.*)$")
  assert(code == "200", "curl: " .. out)
  local f = {}
  for v in stat:match("%) (.*)$"):gmatch("%S+") do f[#f + 1] = v end
  local cpu = (tonumber(f[14]) + tonumber(f[15])) / TICKS   -- fields 16, 17 of the whole line
  return tonumber(bytes), tonumber(secs), cpu
end

local function run_qvrpro(case)
  local pb <close> = open(case)
  local t0, c0 = B.wall(), B.cpu()
  local frames = 0
  for frame in pb:frames() do
    frame:write(devnull)
    frames = frames + 1
  end
  local secs, cpu = B.wall() - t0, B.cpu() - c0
  return pb.transfer.bytes, secs, frames, cpu
end

local rows, ratios = {}, {}
for _, case in ipairs(CASES) do
  local t_curl, t_q, cpu_curl, cpu_q = {}, {}, {}, {}
  local bytes, frames
  for i = 1, ROUNDS do
    local cb, cs, cc = run_curl(case)
    local qb, qs, qf, qc = run_qvrpro(case)
    assert(cb == qb, ("%s: curl moved %d bytes, qvrpro %d"):format(case.cam, cb, qb))
    assert(not bytes or bytes == qb, "the byte count changed between rounds")
    bytes, frames = qb, qf
    t_curl[i], t_q[i], cpu_curl[i], cpu_q[i] = cs, qs, cc, qc
  end
  local vc, vq = bytes / B.median(t_curl), bytes / B.median(t_q)
  local bc, bq = bytes / math.min(table.unpack(t_curl)), bytes / math.min(table.unpack(t_q))
  local paired = {}
  for i = 1, ROUNDS do paired[i] = t_curl[i] / t_q[i] end
  local ratio = B.median(paired)
  ratios[#ratios + 1] = ratio
  rows[#rows + 1] = {
    ("%s (%s), %d h"):format(case.cam, case.what, case.hours),
    B.mb(bytes), B.int(frames), ("%s (%s)"):format(B.mb(vc), B.mb(bc)),
    ("%s (%s)"):format(B.mb(vq), B.mb(bq)),
    ("%.2f (%.2f..%.2f)"):format(ratio, math.min(table.unpack(paired)),
      math.max(table.unpack(paired))),
    ("%.2f / %.2f"):format(B.median(cpu_curl), B.median(cpu_q)),
  }
end

B.say("%d rounds per case, each a curl run then a qvrpro run; MB = 10^6 bytes", ROUNDS)
B.say("MB/s: median (best round); qvrpro / curl: median of the rounds' ratios (lowest..highest);")
B.say("CPU: median")
B.say("")
B.table({ "playback", "MB", "frames", "curl MB/s", "qvrpro MB/s", "qvrpro / curl",
  "CPU s curl / qvrpro" }, rows)
B.say("")
local worst = math.huge
for _, r in ipairs(ratios) do worst = math.min(worst, r) end
B.say("lowest ratio qvrpro / curl: %.2f (target 0.90: %s)", worst, worst >= 0.9 and "met" or "NOT met")
nvr:close()
