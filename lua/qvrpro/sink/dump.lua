--- qvrpro.sink.dump: the .qvr sink of qvrpro.export: the export's journal
-- (a qvrpro.dump writer, set as the sink's `journal`) is the output.
local common = require "qvrpro.sink.common"

local M = {}

local counted, new_output = common.counted, common.new_output

local Dump = {}
Dump.__index = Dump
function Dump:push(f) counted(self, f); return true end
function Dump.finish() return true end
function Dump:current_bytes() return self.journal and self.journal.bytes or 0 end
function Dump.abort() end

--- A sink whose file is the journal.
function M.open()
  return setmetatable(new_output("qvr"), Dump)
end

return M
