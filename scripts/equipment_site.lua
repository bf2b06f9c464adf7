-- equipment_site.lua: a simulated site for the commissioning saga
-- (commissioning.lua), so that `make run` shows the saga at work: every
-- `every` a new piece of equipment asks to be commissioned, and the
-- simulated equipment answers the saga's commands. Every `fail_every`-th
-- one fails its test, and the saga compensates (deconfigures it).
--
-- Shows: a script playing the devices a workflow talks to; answering an
-- event with another caused by it; a counter kept across timer calls.
--
-- Out: equipment.commission {"equipment_id":"pump-1","profile":"standard"} every `every`
-- In:  equipment.configure   -> equipment.configured {"equipment_id":...,"profile":...}
--      equipment.test        -> equipment.tested {"equipment_id":...,"ok":true|false,"reason":...}
--      equipment.deconfigure, equipment.activated: logged
-- Config: every (a duration such as "20s"; default 20s), fail_every (default 3; 0: never).

local function millis(value, default)
  if type(value) == "number" then return value end
  local n, unit = tostring(value or ""):match("^(%d+)%s*(%a*)$")
  local scale = ({ms = 1, [""] = 1, s = 1000, m = 60000})[unit]
  return (n and scale) and tonumber(n) * scale or default
end

local kinds = {"pump", "valve", "compressor", "chiller"}
local fail_every = tonumber(chorus.config.fail_every) or 3
local count = 0

chorus.every(millis(chorus.config.every, 20000), function()
  count = count + 1
  local id = ("%s-%d"):format(kinds[(count - 1) % #kinds + 1], count)
  chorus.log.info(("site: %s asks to be commissioned"):format(id))
  chorus.publish("equipment.commission", {equipment_id = id, profile = "standard"})
end)

chorus.on("equipment.configure", function(ev)
  chorus.publish("equipment.configured",
                 {equipment_id = ev.data.equipment_id, profile = ev.data.profile})
end)

chorus.on("equipment.test", function(ev)
  local id = ev.data.equipment_id
  local n = tonumber(id:match("%-(%d+)$")) or 0
  if fail_every > 0 and n % fail_every == 0 then
    chorus.publish("equipment.tested", {equipment_id = id, ok = false,
                                        reason = "vibration 14 mm/s over the 7 mm/s limit"})
  else
    chorus.publish("equipment.tested", {equipment_id = id, ok = true})
  end
end)

chorus.on("equipment.deconfigure", function(ev)
  chorus.log.info(("site: %s deconfigured (commissioning rolled back)"):format(
    ev.data.equipment_id))
end)

chorus.on("equipment.activated", function(ev)
  chorus.log.info(("site: %s is active"):format(ev.data.equipment_id))
end)
