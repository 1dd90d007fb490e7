--- qvr version
return {
  summary = "print the qvrpro version",
  usage = "usage: qvr version\n",
  args = { max = 0 },
  run = function(opts, _, ctx)
    local v = require("qvrpro.core").version
    if opts.json then ctx.out_json({ version = v }) else print(v) end
    return 0
  end,
}
