--- qvr ptz: one PTZ action of a camera (REST ptz/v1).
local args = require "qvrpro.cli.args"
local common = require "qvrpro.cli.common"

local DIRECTIONS = { "up", "down", "left", "right", "up_left", "up_right", "down_left", "down_right",
                     "zoom_in", "zoom_out", "focus_far", "focus_near" }
local ACTIONS = { "start_move", "stop_move" }
for _, d in ipairs(DIRECTIONS) do ACTIONS[#ACTIONS + 1] = d end

return {
  summary = "move a PTZ camera",
  usage = [=[
usage: qvr ptz CAMERA ACTION [--direction DIRECTION] [--json]
Invoke a PTZ action of CAMERA (name, guid or channel).  ACTION: up, down,
left, right, up_left, up_right, down_left, down_right, zoom_in, zoom_out,
focus_far, focus_near (one step), or start_move / stop_move with --direction
(one of the twelve) for a continuous move.
]=],
  connects = true,
  args = { min = 2, max = 2 },
  flags = { direction = { values = DIRECTIONS } },
  run = function(opts, argv, ctx)
    local action = argv[2]
    local known = false
    for _, a in ipairs(ACTIONS) do known = known or a == action end
    if not known then
      args.usage("unknown action %q%s", action, args.suggestion(action, ACTIONS))
    end
    local moving = action == "start_move" or action == "stop_move"
    if opts.direction and not moving then args.usage("--direction goes with start_move and stop_move") end
    if action == "start_move" and not opts.direction then args.usage("start_move needs --direction") end
    local nvr = ctx.connect()
    local cam, cerr = nvr:camera(common.camera_arg(argv[1]))
    if not cam then common.fail_with(cerr) end
    local ok, err = cam:ptz(action, { direction = opts.direction })
    if not ok then common.fail_with(err, ("cannot %s %s"):format(action, cam.name)) end
    if opts.json then ctx.out_json({ camera = cam.name, action = action, direction = opts.direction })
    else print(("%s: %s%s"):format(cam.name, action, opts.direction and (" " .. opts.direction) or "")) end
    return 0
  end,
}
