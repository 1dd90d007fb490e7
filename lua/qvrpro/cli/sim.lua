--- qvr sim: the bundled simulator, with every argument passed through.
-- $QVRSIM (a qvrsim executable) wins; else the simulator the rock installed
-- (the qvrpro.simulator module and the media beside the rock); else, in a
-- source checkout, $QVR_ROOT/build/qvrsim (make sim).

local function quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

local function exec(path, argv)
  local parts = { "exec env -u LD_PRELOAD", quote(path) }
  for _, a in ipairs(argv) do parts[#parts + 1] = quote(a) end
  local ok, _, code = os.execute(table.concat(parts, " "))
  return ok and 0 or (code or 1)
end

--- The media folder the rock installed (copy_directories), or nil.
local function installed_media(module_path)
  local tree = module_path:match("^(.*)/lib/lua/[%d.]+/qvrpro/simulator%.so$")
  if not tree then return nil end
  local f = io.popen("ls -d " .. quote(tree) .. "/lib/luarocks/rocks-*/qvrpro/*/tools/media 2>/dev/null")
  local dir = f and f:read("l")
  if f then f:close() end
  return dir
end

return {
  summary = "start the bundled QVR Pro simulator",
  usage = [=[
usage: qvr sim [simulator options]     (qvr sim --help lists them)
Start the bundled QVR Pro simulator: $QVRSIM if set, else the one the rock
installed, else build/qvrsim of a source checkout ($QVR_ROOT).
]=],
  passthrough = true,
  run = function(argv)
    local env = os.getenv("QVRSIM")
    if env and env ~= "" then return exec(env, argv) end
    local so = package.searchpath("qvrpro.simulator", package.cpath)
    if so then
      local sim = require "qvrpro.simulator"
      io.stdout:setvbuf("line")
      return sim.main(argv, installed_media(so))
    end
    local root = os.getenv("QVR_ROOT")
    if root then return exec(root .. "/build/qvrsim", argv) end
    io.stderr:write("qvr sim: the simulator is not installed (luarocks make installs it; "
      .. "in a source checkout: make sim, then set QVRSIM=build/qvrsim)\n")
    return 1
  end,
}
