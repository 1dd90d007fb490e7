--- qvr sim: the bundled simulator, with every argument passed through.
local function find_simulator()
  local env = os.getenv("QVRSIM")
  if env and env ~= "" then return env end
  local root = os.getenv("QVR_ROOT")
  if root then return root .. "/build/qvrsim" end
  return "qvrsim"
end

local function quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

return {
  summary = "start the bundled QVR Pro simulator",
  usage = [=[
usage: qvr sim [simulator options]     (qvr sim --help lists them)
Start the bundled QVR Pro simulator ($QVRSIM, else qvrsim on the PATH).
]=],
  passthrough = true,
  run = function(argv)
    local parts = { "exec env -u LD_PRELOAD", quote(find_simulator()) }
    for _, a in ipairs(argv) do parts[#parts + 1] = quote(a) end
    local ok, _, code = os.execute(table.concat(parts, " "))
    return ok and 0 or (code or 1)
  end,
}
