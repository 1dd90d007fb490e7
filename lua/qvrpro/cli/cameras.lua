--- qvr cameras
local common = require "qvrpro.cli.common"

return {
  summary = "list cameras",
  usage = [=[
usage: qvr cameras [--status connected|disconnected] [--name TEXT] [--rec-days] [--json]
List the NVR's cameras (--status: connected or disconnected, also 1 or 2;
--name: a part of the name).
]=],
  connects = true,
  args = { max = 0 },
  flags = {
    status = { values = { "connected", "disconnected", "1", "2" },
               map = { connected = 1, disconnected = 2, ["1"] = 1, ["2"] = 2 } },
    name = "value", rec_days = "flag",
  },
  run = function(opts, _, ctx)
    local nvr = ctx.connect()
    local cams, err = nvr:cameras{ status = opts.status, name = opts.name, rec_days = opts.rec_days }
    if not cams then common.fail_with(err, "cannot list the cameras") end
    if opts.json then ctx.out_json(cams); return 0 end
    for _, c in ipairs(cams) do
      print(("%3d  %-20s %-9s %-14s %-7s %s  %s"):format(c.channel_index, c.name,
        c.connected and "online" or "offline", c.rec_state or "", c.video_codec_setting or "",
        c.video_resolution_setting or "", c.guid))
    end
    return 0
  end,
}
