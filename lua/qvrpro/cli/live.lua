--- qvr live
local args = require "qvrpro.cli.args"
local common = require "qvrpro.cli.common"

--- Checks that a dump can be written at path before anything starts.
local function check_dump_path(path, force)
  if not path:match("%.qvr$") then args.usage("--dump %s: the file name must end in .qvr", path) end
  local dir = require("qvrpro.path").dirname(path)
  local f = io.open(dir .. "/.", "rb")
  if not f then args.die(("cannot write %s: the folder %s does not exist"):format(path, dir)) end
  f:close()
  if common.exists(path) and not force then
    args.die(("%s exists: pass --force to overwrite it"):format(path))
  end
end

return {
  summary = "watch a live stream (or record it to a .qvr dump)",
  usage = [=[
usage: qvr live CAMERA [--seconds N] [--frames N] [--stream-id N]
                [--dump FILE.qvr [--force]] [--reconnect | --no-reconnect] [--json]
Watch CAMERA's live stream: one line per frame (or a JSON object per frame with
--json), for N seconds or N frames (default 5 seconds).  --dump records the
frames losslessly into a .qvr file: written as FILE.qvr.part and renamed only
when every frame is on disk; a failed write stops with exit status 1 and
keeps the .part.  An existing FILE.qvr is kept unless --force.  --reconnect
(the default with --dump) reopens the stream after a drop, a stall or a
server-side end, with back-off; each gap is recorded (in the dump's meta: gaps).
]=],
  connects = true,
  args = { min = 1, max = 1 },
  flags = { seconds = { kind = "number", min = 0.001 }, frames = { kind = "int", min = 1 },
            stream_id = { kind = "int", min = 0 }, dump = "value", force = "flag",
            reconnect = "flag", no_reconnect = "flag" },
  run = function(opts, argv, ctx)
    local core = require "qvrpro.core"
    if opts.force and not opts.dump then args.usage("--force goes with --dump") end
    if opts.reconnect and opts.no_reconnect then args.usage("--reconnect or --no-reconnect, not both") end
    if opts.dump then check_dump_path(opts.dump, opts.force) end
    local reconnect = opts.reconnect or (opts.dump ~= nil and not opts.no_reconnect)
    local nvr = ctx.connect()
    local live, lerr = nvr:live(common.camera_arg(argv[1]), { stream_id = opts.stream_id,
                                                               reconnect = reconnect or nil })
    if not live then
      common.camera_failure(nvr, common.camera_arg(argv[1]), lerr, ("cannot watch %s"):format(argv[1]))
    end
    ctx.defer(function() live:close() end)
    local deadline = core.now_ms() + math.floor(1000 * (opts.seconds or 5))
    local writer, part, werr, gaps_to_meta
    if opts.dump then
      part = opts.dump .. ".part"
      local meta = { camera = argv[1], source = "live" }
      if reconnect then
        writer, werr = require("qvrpro.dump").gap_writer(part, meta, live.gaps)
        gaps_to_meta = writer and werr
      else
        writer, werr = core.dump_writer(part, meta)
      end
      if not writer then common.fail_with(werr, "cannot write " .. part) end
    end
    local n = 0
    local ok, ferr = pcall(function()
      for f in live:frames() do
        if gaps_to_meta then
          local gok, e = gaps_to_meta()
          if not gok then return common.fail_with(e, "cannot write " .. part) end
        end
        if writer then
          local wok, e = writer:write(f)
          if not wok then return common.fail_with(e, "cannot write " .. part) end
        end
        n = n + 1
        if opts.json then
          ctx.out_json({ timestamp = f.timestamp, media = f.media, codec = f.codec, fourcc = f.fourcc,
                         key = f.key, width = f.width, height = f.height, size = f.size })
        elseif not writer then
          print(tostring(f))
        end
        if (opts.frames and n >= opts.frames) or core.now_ms() >= deadline then break end
      end
    end)
    if writer then
      local cok, cerr = writer:close()
      if ok and not cok then ok, ferr = false, cerr end
      if ok then
        local rok, rerr = os.rename(part, opts.dump)
        if not rok then ok, ferr = false, rerr end
      end
      if ok then
        io.stderr:write(("%d frames into %s%s\n"):format(n, opts.dump,
          live.gaps and #live.gaps > 0 and (" (%d gaps)"):format(#live.gaps) or ""))
      else
        io.stderr:write(("qvr: the dump is incomplete: %d frames received, kept as %s\n"):format(n, part))
      end
    end
    if not ok then
      if args.is_failure(ferr) or (type(ferr) == "string" and ferr:find("interrupted!$")) then
        error(ferr, 0)
      end
      common.fail_with(ferr, writer and ("cannot write " .. part) or nil)
    end
    return 0
  end,
}
