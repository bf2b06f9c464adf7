-- commissioning.lua: the equipment commissioning saga. For each
-- `equipment.commission` {equipment_id, profile}: validate -> configure ->
-- test -> activate. Configure and test talk to the equipment by events
-- (`equipment.configure` answered by `equipment.configured`,
-- `equipment.test` by `equipment.tested` {ok, reason}); when the test fails,
-- the completed steps are compensated in reverse order (configure ->
-- `equipment.deconfigure`) and the instance ends `compensated`. Durable: a
-- host killed in the middle continues where it was, and nothing is sent to
-- the equipment twice (docs/lua.md "Sagas").

local step_timeout = chorus.config.step_timeout or 30000

-- Sends `command` and waits for `reply` about the same equipment.
local function ask(ctx, command, reply, id, data)
  ctx:publish(command, data)
  local ev, why = ctx:await(reply, {
    match = function(r) return r.data.equipment_id == id end,
    timeout = step_timeout,
  })
  if not ev then error(command .. ": no " .. reply .. " (" .. tostring(why) .. ")", 0) end
  return ev
end

chorus.workflow{
  name = "commissioning",
  on = "equipment.commission",
  key = function(e) return e.data.equipment_id end,
  run = function(ctx, e)
    local id = e.data.equipment_id
    ctx:set_status({equipment_id = id, phase = "validate"})
    ctx:step{name = "validate", action = function()
      if type(id) ~= "string" or id == "" then error("equipment_id is missing", 0) end
      return id
    end}

    ctx:set_status({equipment_id = id, phase = "configure"})
    ctx:step{name = "configure", retry = {attempts = 2, backoff = 1000},
      action = function()
        local r = ask(ctx, "equipment.configure", "equipment.configured", id,
                      {equipment_id = id, profile = e.data.profile or "default"})
        return r.data
      end,
      compensate = function()
        ctx:publish("equipment.deconfigure", {equipment_id = id})
      end}

    ctx:set_status({equipment_id = id, phase = "test"})
    ctx:step{name = "test", action = function()
      local r = ask(ctx, "equipment.test", "equipment.tested", id, {equipment_id = id})
      if not r.data.ok then
        local why = tostring(r.data.reason or "no reason")
        error("equipment " .. id .. " failed its test: " .. why, 0)
      end
      return r.data
    end}

    ctx:set_status({equipment_id = id, phase = "activate"})
    ctx:step{name = "activate",
      action = function()
        ctx:publish("equipment.activated", {equipment_id = id})
        return true
      end,
      compensate = function()
        ctx:publish("equipment.deactivated", {equipment_id = id})
      end}
    ctx:set_status({equipment_id = id, phase = "active"})
    return "active"
  end,
}
