--- qvrpro.sink.h264: the raw Annex B H.264 sink of qvrpro.export (audio
-- left out, in skipped).
local core = require "qvrpro.core"
local common = require "qvrpro.sink.common"

local M = {}

local fail, counted, new_output = common.fail, common.counted, common.new_output

local Raw = {}
Raw.__index = Raw

--- A sink writing `part` (created with the first frame, or continued by
-- Raw:cut).
function M.open(part)
  local o = new_output("h264")
  o.part = part
  return setmetatable(o, Raw)
end

--- Continues the .part of an earlier run cut back to `size` bytes (its
-- index journal's last sync point).  true | nil, err
function Raw:cut(size)
  local ok, err = core.truncate(self.part, size)
  if not ok then return nil, err end
  local f, oerr = io.open(self.part, "ab")
  if not f then return fail("IO_ERROR", "%s", oerr) end
  self.file = f
  return true
end

--- What the file holds once flushed: its size (a sync point).
function Raw:commit()
  if not self.file then return 0 end
  local ok, err = self.file:flush()
  if not ok then return fail("IO_ERROR", "%s: %s", self.part, tostring(err)) end
  return self.file:seek("end")
end

function Raw:push(f)
  if f.media ~= "video" then
    self.skipped[f.codec] = true
    return true
  end
  if f.codec ~= "h264" then
    return fail("UNSUPPORTED_CODEC", "a raw .h264 export takes H.264 video, this camera sends %s: "
      .. "export it to .mkv", f.codec)
  end
  if not self.file then
    local file, oerr = io.open(self.part, "wb")
    if not file then return fail("IO_ERROR", "%s", oerr) end
    self.file = file
  end
  local ok, err = f:write(self.file)
  if not ok then return fail("IO_ERROR", "%s: %s", self.part, tostring(err)) end
  self.bytes = self.bytes + f.size
  counted(self, f)
  return true
end

function Raw:finish()
  if self.video_frames == 0 then return fail("NO_FRAMES", "no H.264 video frames to write") end
  local ok, err = self.file:close()
  if not ok then return fail("IO_ERROR", "%s: %s", self.part, tostring(err)) end
  return core.fsync(self.part)
end

function Raw:current_bytes() return self.bytes end
function Raw:abort() if io.type(self.file) == "file" then self.file:close() end end

return M
