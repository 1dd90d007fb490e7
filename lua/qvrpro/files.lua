--- qvrpro.files: a small file read whole, its size, whether it exists
-- (internal: the modules that read such files, and the specs, share them).
local M = {}

-- use(f) on the file opened for reading, closed after; nil when it cannot
-- be opened (missing)
local function with_file(path, use)
  local f = io.open(path, "rb")
  if not f then return nil end
  local v = use(f)
  f:close()
  return v
end

--- The bytes of a file, or nil when it cannot be opened (missing).
function M.read(path)
  return with_file(path, function(f) return f:read("a") end)
end

--- The size of a file in bytes, or nil when it cannot be opened (missing).
function M.size(path)
  return with_file(path, function(f) return f:seek("end") end)
end

--- Whether a file exists (can be opened for reading).
function M.exists(path)
  return with_file(path, function() return true end) or false
end

return M
