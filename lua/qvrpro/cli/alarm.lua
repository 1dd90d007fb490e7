--- qvr alarm: a camera's alarm output on or off (REST camera/alarm).
local args = require "qvrpro.cli.args"
local common = require "qvrpro.cli.common"

return {
  summary = "switch a camera's alarm output on or off",
  usage = [=[
usage: qvr alarm CAMERA on|off [--json]
Switch the alarm output of CAMERA (name, guid or channel) on or off.  Only
cameras with an alarm output can (qvr capabilities lists them).
]=],
  connects = true,
  args = { min = 2, max = 2 },
  run = function(opts, argv, ctx)
    local action = argv[2]
    if action ~= "on" and action ~= "off" then
      args.usage("unknown action %q: on or off%s", action, args.suggestion(action, { "on", "off" }))
    end
    local nvr = ctx.connect()
    local cam, cerr = nvr:camera(common.camera_arg(argv[1]))
    if not cam then common.fail_with(cerr) end
    local ok, err = cam:alarm(action == "on")
    if not ok then
      common.fail_with(err, ("cannot switch the alarm output of %s %s"):format(cam.name, action))
    end
    if opts.json then ctx.out_json({ camera = cam.name, alarm = action == "on" })
    else print(("%s: alarm output %s"):format(cam.name, action)) end
    return 0
  end,
}
