--- qvr record
local args = require "qvrpro.cli.args"
local common = require "qvrpro.cli.common"

local ACTIONS = { "on", "off", "status" }

--- Sleeps ms in short slices, so Ctrl-C is seen at once.
local function wait(ms)
  local core = require "qvrpro.core"
  local deadline = core.now_ms() + ms
  while true do
    local left = deadline - core.now_ms()
    if left <= 0 then return end
    core.sleep(math.min(left, 200) / 1000)
  end
end

return {
  summary = "switch manual recording on or off, or show it",
  usage = [=[
usage: qvr record CAMERA on|off|status [--for DURATION] [--json]
Switch manual recording of CAMERA (name, guid or channel) on or off, or show
whether it records.  With on --for DURATION (30s, 5m, 1h30m) it records for
that long and then switches off; Ctrl-C or an error while waiting switches
recording off too.
]=],
  connects = true,
  args = { min = 1, max = 2 },
  flags = { ["for"] = "duration" },
  run = function(opts, argv, ctx)
    local cam, action = argv[1], argv[2] or "status"
    local known = false
    for _, a in ipairs(ACTIONS) do known = known or a == action end
    if not known then
      args.usage("unknown action %q: on, off or status%s", action, args.suggestion(action, ACTIONS))
    end
    if opts["for"] and action ~= "on" then args.usage("--for goes with on, not %s", action) end
    local nvr = ctx.connect()
    local target, terr = nvr:camera(common.camera_arg(cam))
    if not target then common.fail_with(terr) end
    if action ~= "status" then
      local ok, rerr = target:record(action == "on")
      if not ok then
        common.fail_with(rerr, ("cannot switch recording of %s %s"):format(target.name, action))
      end
      if opts["for"] then
        local wok, werr = pcall(wait, opts["for"])
        ok, rerr = target:record(false)
        if not wok then
          io.stderr:write(ok and ("qvr: recording of %s switched off again\n"):format(target.name)
            or ("qvr: recording of %s could NOT be switched off: %s\n"):format(target.name, tostring(rerr)))
          error(werr, 0)
        end
        if not ok then common.fail_with(rerr, ("cannot switch recording of %s off"):format(target.name)) end
      end
    end
    local on, serr = target:recording(0)
    if on == nil then common.fail_with(serr) end
    if opts.json then ctx.out_json({ camera = target.name, recording = on })
    else print(("%s: %s"):format(target.name, on and "recording" or "not recording")) end
    return 0
  end,
}
