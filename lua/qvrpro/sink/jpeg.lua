--- qvrpro.sink.jpeg: the sink of qvrpro.export that writes a numbered
-- series of JPEG images, staged in a folder path .. ".part".
local core = require "qvrpro.core"
local common = require "qvrpro.sink.common"

local M = {}

local fail, counted, new_output = common.fail, common.counted, common.new_output
local dirname = common.dirname

local Series = {}
Series.__index = Series

--- A sink writing path's numbered series ("a/b.jpg": a/b-000001.jpg, ...).
function M.open(path)
  local o = new_output("jpg")
  local dir, base = dirname(path), path:match("([^/]*)%.[^./]*$") or path
  o.staging, o.dir, o.base, o.n = path .. ".part", dir, base, 0
  local ok, err = core.mkdir_p(o.staging)
  if not ok then return nil, err end
  return setmetatable(o, Series)
end

function Series:name(i) return ("%s-%06d.jpg"):format(self.base, i) end

function Series:push(f)
  if f.codec ~= "jpeg" and f.codec ~= "mjpeg" then
    self.skipped[f.codec] = true
    return true
  end
  local path = self.staging .. "/" .. self:name(self.n + 1)
  local file, err = io.open(path, "wb")
  if not file then return fail("IO_ERROR", "%s", err) end
  local ok, werr = f:write(file)
  local cok, cerr = file:close()
  if not ok or not cok then return fail("IO_ERROR", "%s: %s", path, tostring(werr or cerr)) end
  self.n = self.n + 1
  self.bytes = self.bytes + f.size
  counted(self, f)
  return true
end

function Series:finish()
  if self.n == 0 then return fail("NO_FRAMES", "no JPEG images to write") end
  for i = 1, self.n do
    local from = self.staging .. "/" .. self:name(i)
    local ok, err = core.fsync(from)
    if not ok then return nil, err end
    local rok, rerr = os.rename(from, self.dir .. "/" .. self:name(i))
    if not rok then return fail("IO_ERROR", "%s", rerr) end
  end
  -- files of an earlier, longer attempt, then the folder
  local i = self.n + 1
  while os.remove(self.staging .. "/" .. self:name(i)) do i = i + 1 end
  os.remove(self.staging)
  return true
end

--- Continues the series of an earlier run from its index journal's last
-- sync point: `n` images (later ones are written again).  true | nil, err
function Series:cut(n)
  local last = n > 0 and io.open(self.staging .. "/" .. self:name(n), "rb")
  if n > 0 and not last then
    return fail("RESUME_FAILED", "%s lacks image %d, which its journal counts", self.staging, n)
  end
  if last then last:close() end
  self.n = n
  return true
end

--- What the series holds: its number of images (a sync point).
function Series:commit() return self.n end

function Series:current_bytes() return self.bytes end
function Series.abort() end

return M
