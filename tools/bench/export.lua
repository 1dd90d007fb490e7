--- export: qvrpro.export to .mkv against curl saving the same bytes, with a
-- server that is not the bottleneck (tools/bench/fakenvr.c serving recorded
-- `get` bodies with sendfile).  Per recorded playback (H.264 cameras: .mkv
-- is the goal's container; MJPEG too), round by round:
--   curl   `curl -o FILE` of the `get` of a qplay session opened like the
--          client's, then `sync FILE` (wall: both; CPU: curl's and sync's,
--          from their parent shell's cutime/cstime)
--   export tools/bench/export_client.lua: export.run(nvr, cam, {path =
--          X.mkv}) in a process of its own (wall and CPU of export.run,
--          which ends with the file synced and renamed)
--   ffmpeg `ffmpeg -i X.mkv -c copy -map 0 Y.mkv` of the export's own file
--          (the same packets demuxed and muxed again: the CPU an ffmpeg
--          -c copy of the stream costs)
-- Each run moves REPEAT times the recording (REPEAT sessions, exports or
-- ffmpeg runs in a row, REPEAT chosen to move about QVR_BENCH_TARGET_MB, 300
-- by default) so that it lasts long enough for the clocks.
-- Figures: MB/s of each, and the goal's ratios (medians of the rounds'
-- ratios: each round saw the same conditions): export wall / curl wall
-- (goal <= 1.5) and export CPU / (curl CPU + ffmpeg CPU) (goal <= 1).
--
-- usage (tools/bench/run export sets this up):
--   QVR_URL=<fakenvr> QVR_BENCH_REC=<recording dir> lua5.4 tools/bench/export.lua [ROUNDS]
local qvr = require "qvrpro"
local B = require "benchlib"

local ROUNDS = math.tointeger(tonumber(arg[1])) or 3
local REC = assert(os.getenv("QVR_BENCH_REC"), "QVR_BENCH_REC: the recording directory")
local URL = assert(os.getenv("QVR_URL"), "QVR_URL: the fake NVR")
local TICKS = tonumber(B.capture("getconf CLK_TCK")) or 100
local TARGET = (tonumber(os.getenv("QVR_BENCH_TARGET_MB")) or 300) * 1e6
local TMP = B.capture("mktemp -d /tmp/qvr-bench-export.XXXXXX"):gsub("%s+$", "")

local cases = {}
for line in io.lines(REC .. "/manifest.txt") do
  local f = {}
  for v in line:gmatch("[^\t]+") do f[#f + 1] = v end
  if f[1] ~= "minutes" then
    cases[#cases + 1] = { guid = f[1], cam = f[2], what = f[3], from = tonumber(f[4]),
      to = tonumber(f[5]), size = tonumber(f[6]) }
  end
end

local nvr = assert(qvr.connect(URL))

-- CPU seconds of the children of `sh -c script` (their cutime + cstime)
local function sh_cpu(script)
  local out = B.capture("sh -c " .. B.shell_quote(script
    .. "; read -r s < /proc/$$/stat; echo \"stat $s\""))
  local stat = assert(out:match("stat (.-)\n"), out)
  local f = {}
  for v in stat:match("%) (.*)$"):gmatch("%S+") do f[#f + 1] = v end
  return (tonumber(f[14]) + tonumber(f[15])) / TICKS, out
end

local function run_curl(case)
  local file = TMP .. "/curl.bin"
  local pbs, cmds = {}, {}
  for i = 1, case.repeats do
    local pb = assert(nvr:playback(case.cam, { from = case.from, to = case.to,
      timecontrol = false }))
    assert(pb:play())
    pbs[i] = pb
    local url = nvr:url(nvr.prefix .. "/apis/qplay.cgi", { ver = "v1", cmd = "get",
      session = pb.id }, false)
    cmds[i] = ("rm -f %s; curl -s -o %s -w 'size=%%{size_download}\\n' %s && sync %s"):format(
      B.shell_quote(file), B.shell_quote(file), B.shell_quote(url), B.shell_quote(file))
  end
  local t0 = B.wall()
  local cpu, out = sh_cpu(table.concat(cmds, "; "))
  local secs = B.wall() - t0
  for _, pb in ipairs(pbs) do pb:close() end
  local bytes = 0
  for n in out:gmatch("size=(%d+)") do bytes = bytes + tonumber(n) end
  assert(bytes == case.size * case.repeats, ("curl moved %d bytes, the recording has %d x %d")
    :format(bytes, case.size, case.repeats))
  return { secs = secs, cpu = cpu, bytes = bytes }
end

local function run_export(case)
  local path = TMP .. "/export.mkv"
  local out = B.capture(("lua5.4 %s %s %d %d %s %d"):format(
    B.shell_quote(B.dir .. "/export_client.lua"), B.shell_quote(case.cam), case.from, case.to,
    B.shell_quote(path), case.repeats))
  local r = {}
  for k, v in out:gmatch("(%a+)=([%d.]+)") do r[k] = tonumber(v) end
  assert(r.frames and r.frames > 0, "export_client: " .. out)
  r.path = path
  return r
end

local function run_ffmpeg(case, path)
  local dest = TMP .. "/ffmpeg.mkv"
  local one = ("ffmpeg -nostdin -v error -y -i %s -c copy -map 0 %s"):format(
    B.shell_quote(path), B.shell_quote(dest))
  local cmds = {}
  for i = 1, case.repeats do cmds[i] = one end
  local t0 = B.wall()
  local cpu = sh_cpu(table.concat(cmds, " && "))
  return { secs = B.wall() - t0, cpu = cpu }
end

for _, case in ipairs(cases) do case.repeats = math.max(1, math.ceil(TARGET / case.size)) end

local rows = {}
for _, case in ipairs(cases) do
  local wall_ratio, cpu_ratio, c_mbs, e_mbs, c_cpu, e_cpu, f_cpu = {}, {}, {}, {}, {}, {}, {}
  local frames
  for _ = 1, ROUNDS do
    local c = run_curl(case)
    local e = run_export(case)
    local f = run_ffmpeg(case, e.path)
    if frames and e.frames ~= frames then
      error(("%s: %d frames, an earlier round %d"):format(case.cam, e.frames, frames))
    end
    frames = e.frames
    wall_ratio[#wall_ratio + 1] = e.secs / c.secs
    cpu_ratio[#cpu_ratio + 1] = e.cpu / (c.cpu + f.cpu)
    c_mbs[#c_mbs + 1], e_mbs[#e_mbs + 1] = c.bytes / c.secs / 1e6, c.bytes / e.secs / 1e6
    c_cpu[#c_cpu + 1], e_cpu[#e_cpu + 1], f_cpu[#f_cpu + 1] = c.cpu, e.cpu, f.cpu
  end
  rows[#rows + 1] = { case.cam .. " (" .. case.what .. ")",
    B.mb(case.size) .. " x " .. case.repeats, B.int(frames),
    ("%.0f"):format(B.median(c_mbs)), ("%.0f"):format(B.median(e_mbs)),
    ("%.2f"):format(B.median(wall_ratio)),
    ("%.2f / %.2f / %.2f"):format(B.median(c_cpu), B.median(f_cpu), B.median(e_cpu)),
    ("%.2f"):format(B.median(cpu_ratio)) }
end
os.execute("rm -rf " .. B.shell_quote(TMP))
B.say("%d rounds, each run moving its recording REPEAT times (MB x REPEAT); curl: `curl -o "
  .. "file` of the `get` + `sync file`; export: export.run to .mkv (synced, renamed); ffmpeg: "
  .. "`ffmpeg -i export.mkv -c copy` (CPU seconds, user + system)", ROUNDS)
B.say("")
B.table({ "recording", "MB x REPEAT", "frames", "curl+sync MB/s", "export MB/s",
  "wall export / curl (goal <= 1.5)", "CPU s curl / ffmpeg / export",
  "CPU export / (curl + ffmpeg) (goal <= 1)" }, rows)
nvr:close()
