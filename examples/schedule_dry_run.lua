-- Dry run: the next 5 run times of every job of a schedule config (default:
-- examples/schedule.conf.lua next to this script), in each job's zone.
--   lua5.4 examples/schedule_dry_run.lua [config.lua] [count]
local schedule = require "qvrpro.schedule"

local here = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
local path = arg[1] or (here .. "/schedule.conf.lua")
local config = schedule.load(path)
io.write(schedule.format_plan(schedule.plan(config, tonumber(arg[2]) or 5)))
