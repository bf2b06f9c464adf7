-- orders_report.lua: asks the orders read model for one customer's orders
-- and logs the answer.
--
-- Shows: chorus.request from a timer (the call waits without holding a
-- thread; the reply, or nil and an error, comes back as return values).
--
-- Out: orders.query {"customer":"c-3"} every `every`; logs the orders.result reply
--      (answered by orders_projection.lua).
-- Config: customer (default "c-3"), every (a duration such as "30s"; default 30s).

local function millis(value, default)
  if type(value) == "number" then return value end
  local n, unit = tostring(value or ""):match("^(%d+)%s*(%a*)$")
  local scale = ({ms = 1, [""] = 1, s = 1000, m = 60000})[unit]
  return (n and scale) and tonumber(n) * scale or default
end

local customer = chorus.config.customer or "c-3"

chorus.every(millis(chorus.config.every, 30000), function()
  local reply, err = chorus.request("orders.query", {customer = customer}, {timeout = 2000})
  if not reply then
    chorus.log.warn("orders.query: " .. err)
    return
  end
  local r = reply.data
  if r.orders == 0 then return end
  local parts = {}
  for status, n in pairs(r.by_status) do parts[#parts + 1] = status .. "=" .. n end
  table.sort(parts)
  chorus.log.info(("customer %s: %d orders, total %.2f (%s)"):format(
    customer, r.orders, r.total, table.concat(parts, ", ")))
end)
