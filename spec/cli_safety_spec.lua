-- `qvr` loses nothing and leaves nothing in a wrong state: checked writes,
-- resume of the same job only, no overwrite without --force, arguments
-- checked before anything changes on the NVR, recording switched off again
-- on Ctrl-C, file names that stay in their folder, a login back-off shared
-- by every process of the user, exit statuses 0/1/2/130, no tracebacks.
local h = require "helpers"

local ROOT = h.root
local q = h.shell_quote

describe("qvr, safely", function()
  local sim, env, dir, state
  setup(function()
    sim = h.start_sim({ "--lockout", "3", "--lockout-time", "60" })
    dir = h.tmpdir()
    state = dir .. "/state"
    env = ("QVR_CONFIG=/nonexistent QVR_STATE_DIR=%s QVR_URL=%s "):format(
      q(state), q("http://admin@127.0.0.1:" .. sim.port))
  end)
  teardown(function()
    sim.stop()
    h.execute("rm -rf " .. q(dir))
  end)

  -- output (stdout and stderr) and exit status of a qvr run
  -- (extra_env false: no QVR_PASSWORD at all)
  local function qvr(argv, extra_env, prefix)
    local out = h.capture(("%senv %s%s%s lua5.4 %s/bin/qvr %s 2>&1; echo \"rc=$?\""):format(
      prefix or "", extra_env == false and "-u QVR_PASSWORD " or "", env,
      extra_env == nil and "QVR_PASSWORD=admin " or (extra_env or ""), ROOT, argv), true)
    local body, rc = out:match("^(.*)rc=(%d+)\n$")
    return body, tonumber(rc)
  end

  local exists = require("qvrpro.files").exists

  local function no_traceback(out)
    assert.is_nil(out:find("stack traceback", 1, true), out)
    assert.is_nil(out:find("%.lua:%d+:"), out)
  end

  -- runs each case { ARGV, PATTERN, rc =, env = } and checks its exit status (c.rc, else rc,
  -- else 0), its output and that it printed no traceback
  local function check_runs(cases, rc0)
    for _, c in ipairs(cases) do
      local out, rc = qvr(c[1], c.env)
      assert.equal(c.rc or rc0 or 0, rc, c[1] .. ": " .. out)
      assert.matches(c[2], out)
      no_traceback(out)
    end
  end

  -- runs `qvr ARGV` (a shell word list: quote with '...' as the caller would
  -- inside sh -c '...') in the background as NAME, waits until ready() (100
  -- tries, pause s apart), interrupts it with SIGINT and waits for its end;
  -- returns its output, its exit status (text) and whether it got ready
  local function interrupt(name, argv, ready, pause)
    local log, pidfile, rcfile = dir .. "/" .. name .. ".log", dir .. "/" .. name .. ".pid",
      dir .. "/" .. name .. ".rc"
    h.capture(("( sh -c 'echo $$ >%s; exec env %sQVR_PASSWORD=admin lua5.4 %s/bin/qvr %s' >%s 2>&1; "
      .. "echo $? >%s ) >/dev/null 2>&1 &"):format(q(pidfile), env, ROOT, argv, q(log), q(rcfile)), true)
    local went = false
    for _ = 1, 100 do
      if ready() then went = true; break end
      require("qvrpro.core").sleep(pause)
    end
    local pid = assert(h.read_file(pidfile):match("%d+"))
    h.execute("kill -INT " .. pid)
    for _ = 1, 150 do
      if exists(rcfile) and h.read_file(rcfile):match("%d") then break end
      require("qvrpro.core").sleep(0.2)
    end
    return h.read_file(log), h.read_file(rcfile):match("%d+"), went
  end

  describe("live --dump", function()
    it("refuses a folder that does not exist, before connecting, with exit status 1", function()
      local out, rc = qvr("live Garage --frames 3 --dump " .. q(dir .. "/missing/x.qvr"))
      assert.equal(1, rc, out)
      assert.matches("folder .*missing does not exist", out)
      assert.is_false(exists(dir .. "/missing"))
      no_traceback(out)
    end)

    it("fails, keeps the .part and says so when the disk fills up", function()
      local path = dir .. "/full.qvr"
      -- a file size limit stands for a full disk: writes past it fail (EFBIG)
      local out, rc = qvr("live Garage --seconds 4 --dump " .. q(path), nil,
        "trap '' XFSZ; ulimit -f 200; ")
      assert.equal(1, rc, out)
      assert.is_false(exists(path), "an incomplete dump was renamed into place")
      assert.is_true(exists(path .. ".part"))
      assert.matches("incomplete", out)
      assert.matches("cannot write", out)
      no_traceback(out)
    end)

    it("writes a complete dump, and does not overwrite it without --force", function()
      local path = dir .. "/ok.qvr"
      local out, rc = qvr("live Garage --frames 3 --dump " .. q(path))
      assert.equal(0, rc, out)
      assert.matches("3 frames into", out)
      local before = h.read_file(path)
      out, rc = qvr("live Garage --frames 2 --dump " .. q(path))
      assert.equal(1, rc, out)
      assert.matches("exists: pass %-%-force", out)
      assert.equal(before, h.read_file(path))
      out, rc = qvr("live Garage --frames 2 --dump " .. q(path) .. " --force")
      assert.equal(0, rc, out)
      assert.matches("2 frames into", out)
    end)
  end)

  describe("export", function()
    local t0 = (os.time() - 7200) * 1000

    it("does not overwrite an existing file without --force", function()
      local path = dir .. "/exists.mkv"
      h.write_file(path, "precious")
      local cmd = ("export 'Back Yard' --from %d --to %d --out %s"):format(t0, t0 + 3000, q(path))
      local out, rc = qvr(cmd)
      assert.equal(1, rc, out)
      assert.matches("exists: pass %-%-force", out)
      assert.equal("precious", h.read_file(path))
      out, rc = qvr(cmd .. " --force")
      assert.equal(0, rc, out)
      assert.matches("codec_name=h264", (h.capture("ffprobe -v error -show_entries stream=codec_name "
        .. q(path))))
    end)

    it("resumes only the same job: another range is refused, --force starts afresh", function()
      local path = dir .. "/resume.mkv"
      -- the (index) journal an export of another range left when it was killed
      local journal = require "qvrpro.sink.journal"
      local old_from, old_to = t0 - 3600000, t0 + 3600000
      local guid = "8FBC58E2F7274AF3B6F6761E90FB0001"
      local w = assert(journal.create(path .. ".part.idx", { guid = guid, format = "mkv",
        from = old_from, to = old_to, data_type = "source", floor = old_from, zero = old_from,
        title = "Back Yard", creation_time = "2026-01-01T00:00:00Z" }, {}))
      w:close()
      local cmd = ("export 'Back Yard' --from %d --to %d --out %s --resume --exact --json"):format(t0,
        t0 + 5000, q(path))
      local out, rc = qvr(cmd)
      assert.equal(1, rc, out)
      assert.matches("RESUME_MISMATCH", out)
      assert.matches("another job", out)
      assert.is_false(exists(path))
      assert.is_true(exists(path .. ".part.idx"), "the other job's journal is kept")
      out, rc = qvr(cmd .. " --force")
      assert.equal(0, rc, out)
      local r = h.json(out:match("(%b{})%s*$"))
      assert.equal(51, r.video_frames)           -- 5 s at 10 fps, both ends: the new range
      assert.is_true(r.first_ts >= t0 and r.last_ts <= t0 + 5000)
    end)

    -- `qvr export CAMERA --from FROM --to FROM+LEN --out DIR/FILE EXTRA`
    local function export_argv(camera, from, len, file, extra)
      return ("export '%s' --from %d --to %d --out %s%s"):format(camera, from, from + len,
        q(dir .. "/" .. file), extra or "")
    end

    it("prints gaps and left-out audio in the plain summary", function()
      local gap_from = h.stats(sim).archive_start + 3600000
      check_runs({
        { export_argv("Front Door", gap_from - 5000, 610000, "gap.mkv"),
          "gap: nothing recorded from [%dT:%-]+%.%d+Z to [%dT:%-]+%.%d+Z %(0:10:0%d%)" },
        { export_argv("Back Yard", t0, 3000, "left.h264"), "left out: g711 audio" },
      })
    end)

    it("keeps G.711 audio in .mp4 as AAC, or leaves it out with --audio none, and says so", function()
      check_runs({
        { export_argv("Back Yard", t0, 4000, "yard.mp4"), "audio: g711 transcoded to AAC" },
        { export_argv("Back Yard", t0, 4000, "mute.mp4", " --audio none"),
          "left out: g711 audio %(%-%-audio none%)" },
        { export_argv("Back Yard", t0, 4000, "typo.mp4", " --audio acc"), "did you mean aac", rc = 2 },
      })
      local probe = h.capture("ffprobe -v error -show_entries stream=codec_name -of csv=p=0 "
        .. q(dir .. "/yard.mp4"))
      assert.equal("h264\naac\n", probe)
    end)

    it("says which files a .jpg export writes", function()
      local out, rc = qvr(("export Garage --from %d --to %d --out %s"):format(t0, t0 + 2000,
        q(dir .. "/shots/g.jpg")), nil, "mkdir -p " .. q(dir .. "/shots") .. "; ")
      assert.equal(0, rc, out)
      assert.matches("shots/g%-000001%.jpg %.%. .*shots/g%-0000%d%d%.jpg: %d+ images", out)
      assert.is_true(exists(dir .. "/shots/g-000001.jpg"))
    end)
  end)

  describe("record", function()
    it("checks --for before switching recording on", function()
      local out, rc = qvr("record 'Back Yard' on --for 2x")
      assert.equal(2, rc, out)
      assert.matches("%-%-for \"2x\": expected a duration", out)
      no_traceback(out)
      out = qvr("record 'Back Yard' status --json")
      assert.is_false(h.json(out).recording)
    end)

    it("switches recording off again on Ctrl-C during --for, and exits 130", function()
      -- until recording is on (generous: the machine may be slow)
      local text, rc, on = interrupt("rec", 'record "Back Yard" on --for 1m', function()
        return qvr("record 'Back Yard' status --json"):find('"recording":true', 1, true) ~= nil
      end, 0.2)
      assert.is_true(on, "recording never came on: " .. text)
      assert.equal("130", rc, text)
      assert.matches("switched off again", text)
      no_traceback(text)
      local st = qvr("record 'Back Yard' status --json")
      assert.is_false(h.json(st).recording, text)
    end)
  end)

  describe("file names", function()
    local odd
    setup(function()
      -- a simulator whose cameras are named "..", "a/b" and with a control character
      local f = assert(io.open(ROOT .. "/tools/sim/default.json"))
      local text = f:read("a")
      f:close()
      text = text:gsub('"Garage"', '".."'):gsub('"Front Door"', '"a/b"'):gsub('"Back Yard"',
        '"x\\u0001y"')
      h.write_file(dir .. "/odd.json", text)
      odd = h.start_sim({ "--config", dir .. "/odd.json" })
    end)
    teardown(function() odd.stop() end)

    it("keep every camera's snapshot inside --dir", function()
      local snaps = dir .. "/in/snaps"
      h.execute("mkdir -p " .. q(snaps))
      local out, rc = qvr("snapshot .. a/b --dir " .. q(snaps) .. " --name '{camera}.jpg' --json",
        "QVR_PASSWORD=admin QVR_URL=" .. q("http://admin@127.0.0.1:" .. odd.port) .. " ")
      assert.equal(0, rc, out)
      local files = h.capture("cd " .. q(dir .. "/in") .. " && find . -type f | sort")
      assert.equal("./snaps/_..jpg\n./snaps/a_b.jpg\n", files)
    end)

    it("are cleaned in every field of a pattern", function()
      local path = require "qvrpro.path"
      assert.equal("_.", path.safe(".."))
      assert.equal("_", path.safe(""))
      assert.equal("a_b_c", path.safe("a/b\1c"))
      assert.equal("Café", path.safe("Café"))
      local p = assert(path.expand("out/{job}/{camera}-{guid}-{channel}.mkv", 0, "UTC",
        { job = "../up", camera = "..", guid = "../../etc", channel = "1/2" }))
      assert.equal("out/_._up/_.-_._.._etc-1_2.mkv", p)
      assert.is_nil(p:find("/%.%./"))
      local _, err = path.expand("{camra}.jpg", 0, "UTC", { camera = "x" })
      assert.matches("unknown field {camra}", err)
    end)

    it("are expanded in the job's zone by the scheduler and by snapshots alike", function()
      local path = require "qvrpro.path"
      local t = 1782900000000   -- 2026-07-01T10:00:00Z
      assert.equal("12", path.expand("%H", t, "Europe/Berlin", {}))
      assert.equal("10", path.expand("%H", t, "UTC", {}))
      local snap = require "qvrpro.snapshot"
      assert.equal("cam-12.jpg", snap.file_name("{camera}-%H.jpg", { name = "cam" }, t, 1,
        "Europe/Berlin"))
      assert.equal("12", require("qvrpro.schedule").expand_path("%H", t, "Europe/Berlin", {}))
    end)
  end)

  describe("logins", function()
    it("tell a missing password, a wrong one and an address the NVR may be refusing apart, "
       .. "and back off across processes", function()
      local bad = "QVR_PASSWORD=wrong "
      local out, rc = qvr("cameras", false)
      assert.equal(1, rc, out)
      assert.matches("no password for admin@127.0.0.1", out)
      local before = h.stats(sim).logins_failed
      out, rc = qvr("cameras", bad)
      assert.equal(1, rc, out)
      assert.matches("wrong user name or password", out)
      out = qvr("cameras", bad)
      assert.matches("may be refusing logins from this address", out)
      -- a third process does not try: the NVR would lock the address out
      out, rc = qvr("cameras", bad)
      assert.equal(1, rc, out)
      assert.matches("LOGIN_BACKOFF", out)
      assert.matches("not logging in as admin@127.0.0.1:%d+ for another", out)
      assert.equal(before + 2, h.stats(sim).logins_failed)
      -- with the right password too: the wait protects the address
      out, rc = qvr("cameras")
      assert.equal(1, rc, out)
      assert.matches("LOGIN_BACKOFF", out)
      h.execute("rm -rf " .. q(state))
      out, rc = qvr("cameras")
      assert.equal(0, rc, out)
    end)
  end)

  describe("usage", function()
    it("exits 2 with the flag the user typed, did you mean, and no traceback", function()
      local cases = {
        { "export 'Back Yard' --from -1h --to -2h --out x.mkv", "%-%-from .* is after %-%-to" },
        { "export 'Back Yard' --from yesterdayish --to now --out x.mkv",
          "%-%-from \"yesterdayish\": expected a time" },
        { "export 'Back Yard' --from -1h --to now --out x.avi", "unknown format \"avi\"" },
        { "export 'Back Yard' --from -1h --to now --out x.mkvv", "did you mean %.mkv" },
        { "snapshot --every abc", "%-%-every \"abc\": expected a duration" },
        { "cameras --status connectd", "did you mean connected" },
        { "cameras --staus 1", "unknown option %-%-staus %(did you mean %-%-status%?%)" },
        { "camras", "unknown command 'camras' %(did you mean cameras%?%)" },
        { "record Garage Front", "unknown action \"Front\"" },
        { "live Front Door", "unexpected argument \"Door\"" },
        { "logs --max -3", "%-%-max \"%-3\": expected a whole number of at least 0" },
        { "logs --since 99999999999999999999999999", "out of range" },
      }
      check_runs(cases, 2)
    end)

    it("says what URL is wrong instead of a traceback", function()
      local out, rc = qvr("cameras", "QVR_PASSWORD=x QVR_URL=nvr.lan:8080 ")
      assert.equal(1, rc, out)
      assert.matches("QVR_URL: bad URL", out)
      no_traceback(out)
    end)

    it("says what happened in the user's words", function()
      local wrong = "QVR_PASSWORD=admin QVR_URL=" .. q("http://admin@127.0.0.1:" .. sim.port
        .. "/wrong") .. " "
      check_runs({
        { "logs --max 1", "HTTP 404.*%(GET /wrong/logs/logs%)", env = wrong },
        { "cameras", "qvr doctor", env = wrong },
        { "live Lobby", "camera Lobby is offline" },
        { "snapshot Lobby --dir " .. q(dir .. "/lobby"), "Lobby: camera is offline" },
        { "export 'Back Yard' --from 2020-01-01T00:00:00Z --to 2020-01-01T00:01:00Z --out "
          .. q(dir .. "/none.mkv"), "no recording of Back Yard between 2020%-01%-01 00:00:00 UTC" },
      }, 1)
    end)

    it("exits 130 on Ctrl-C in an export, keeps the .part, and prints no traceback", function()
      local path = dir .. "/long.mkv"
      local argv = 'export "Back Yard" --from -20h --to -1h --out ' .. q(path)
      local text, rc = interrupt("exp", argv, function()   -- until the export has written something
        return exists(path .. ".part") and #h.read_file(path .. ".part") > 1000000
      end, 0.1)
      assert.equal("130", rc, text)
      assert.matches("interrupted", text)
      no_traceback(text)
      assert.is_false(exists(path))
      assert.is_true(exists(path .. ".part"), "the .part is kept for --resume")
      assert.is_true(exists(path .. ".part.idx"), "the journal is kept for --resume")
    end)

    it("documents the exit statuses in qvr --help", function()
      local out, rc = qvr("--help")
      assert.equal(0, rc)
      assert.matches("0 success, 1 failure, 2 usage error, 130 interrupted", out)
      out, rc = qvr("help export")
      assert.equal(0, rc)
      assert.matches("^usage: qvr export", out)
      out, rc = qvr("help exprot")
      assert.equal(2, rc)
      assert.matches("did you mean export", out)
    end)

    it("prints errors as JSON with --json", function()
      local out, rc = qvr("record Nowhere status --json")
      assert.equal(1, rc)
      local j = h.json(out:match("({\"error\".*})"))
      assert.equal("NO_SUCH_CAMERA", j.error.name)
      assert.equal("record", j.error.command)
    end)
  end)
end)
