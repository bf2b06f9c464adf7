-- order_stats.lua: statistics on the orders, computed by whichever agent
-- offers the `statistics` capability (the calculator instances).
--
-- Shows: chorus.registry.request from a timer: the registry picks a healthy
-- instance (round robin), sends it the request (directed at that instance)
-- and fails over to another one if it errs or times out; the reply (or nil
-- and an error) comes back as return values.
--
-- In:  order.submitted (collects the amounts)
-- Out: every `every`, calc.request {"op":"mean","values":[...]} by capability
--      "statistics"; logs the mean and which instance answered.
-- Config: every (a duration such as "20s"; default 20s), max (amounts kept; default 50).

local function millis(value, default)
  if type(value) == "number" then return value end
  local n, unit = tostring(value or ""):match("^(%d+)%s*(%a*)$")
  local scale = ({ms = 1, [""] = 1, s = 1000, m = 60000})[unit]
  return (n and scale) and tonumber(n) * scale or default
end

local max = tonumber(chorus.config.max) or 50
local amounts = {}

chorus.on("order.submitted", function(ev)
  local amount = ev.data.amount
  if type(amount) ~= "number" then return end
  amounts[#amounts + 1] = amount
  if #amounts > max then table.remove(amounts, 1) end
end)

chorus.every(millis(chorus.config.every, 20000), function()
  if #amounts == 0 then return end
  local n = #amounts
  local reply, err = chorus.registry.request("statistics", "calc.request",
                                             {op = "mean", values = amounts}, {timeout = 2000})
  if not reply then
    chorus.log.warn("mean order amount: " .. err)
    return
  end
  if reply.type ~= "calc.result" then
    chorus.log.warn("mean order amount: " .. tostring(reply.data.error))
    return
  end
  chorus.log.info(string.format("mean order amount over the last %d orders: %.2f (from %s)", n,
                                reply.data.result, reply.data.instance))
end)
