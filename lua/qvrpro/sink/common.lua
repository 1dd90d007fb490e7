--- qvrpro.sink.common: what the export sinks share.  A sink (an output of
-- qvrpro.export) has push(frame) -> true | nil, err; finish() -> true |
-- nil, err; abort(); current_bytes(); and the fields video_frames,
-- audio_frames, bytes, first_ts, last_ts, skipped (a set of codecs).
local core = require "qvrpro.core"

local M = {}

--- nil, a core error named `name` with a formatted message.
function M.fail(name, fmt, ...)
  return nil, core.error { name = name, message = fmt:format(...) }
end

--- The folder of a path ("." for a bare name).
function M.dirname(path)
  return path:match("^(.*)/[^/]*$") or "."
end

--- Counts a written frame into a sink's fields.
function M.counted(out, f)
  if f.media == "video" then out.video_frames = out.video_frames + 1
  else out.audio_frames = out.audio_frames + 1 end
  out.first_ts = out.first_ts or f.timestamp
  out.last_ts = f.timestamp
end

--- A sink's fresh fields.
function M.new_output(kind)
  return { kind = kind, video_frames = 0, audio_frames = 0, bytes = 0, skipped = {} }
end

return M
