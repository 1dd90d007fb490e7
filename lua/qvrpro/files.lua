--- qvrpro.files: a small file read whole, its size, whether it exists
-- (internal: the modules that read such files, and the specs, share them).
local M = {}

--- The bytes of a file, or nil when it cannot be opened (missing).
function M.read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

--- The size of a file in bytes, or nil when it cannot be opened (missing).
function M.size(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local n = f:seek("end")
  f:close()
  return n
end

--- Whether a file exists (can be opened for reading).
function M.exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

return M
