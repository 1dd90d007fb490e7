--- qvr capabilities: what the NVR's cameras can do (REST camera/capability).
local common = require "qvrpro.cli.common"

-- the capability's guids: strings, or tables with a guid field
local function guids_of(entry)
  local out = {}
  for _, g in ipairs(type(entry) == "table" and entry.guids or {}) do
    out[#out + 1] = type(g) == "table" and g.guid or g
  end
  return out
end

local function entries(v)
  if type(v) ~= "table" then return {} end
  if v.name or v.guids or v.guid then return { v } end
  return v
end

return {
  summary = "show which cameras support motion, alarm inputs and outputs, PIR, PTZ",
  usage = [=[
usage: qvr capabilities [--event] [--json]
Show the NVR's camera capabilities (--event: its event capabilities): for each
capability the cameras that have it.  --json prints the NVR's answer as is.
]=],
  connects = true,
  args = { max = 0 },
  flags = { event = "flag" },
  run = function(opts, _, ctx)
    local nvr = ctx.connect()
    local caps, err = nvr:capabilities(opts.event and "event" or "camera")
    if not caps then common.fail_with(err, "no capabilities") end
    if opts.json then ctx.out_json(caps); return 0 end
    local names = {}
    for _, c in ipairs(nvr:cameras() or {}) do names[c.guid] = c.name end
    local keys = {}
    for k in pairs(caps) do keys[#keys + 1] = k end
    table.sort(keys)
    for _, k in ipairs(keys) do
      local cams = {}
      for _, e in ipairs(entries(caps[k])) do
        for _, g in ipairs(guids_of(e)) do cams[#cams + 1] = names[g] or g end
        if e.guid then cams[#cams + 1] = names[e.guid] or e.guid end
      end
      print(("%-32s %s"):format(k, #cams > 0 and table.concat(cams, ", ") or "-"))
    end
    return 0
  end,
}
