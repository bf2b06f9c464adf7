-- order_saga.lua: an order saga across the example agents. For each
-- `order.submitted` (order_desk): reserve the items (`inventory.reserved`,
-- compensated by `inventory.released`), price them with a request by
-- capability `statistics` (the calculator agents, through discovery, with
-- failover), and confirm (`order.confirmed`) when the total is within
-- `limit` (config). An order above the limit, or one the calculator refuses
-- (no items), fails its step and the reservation is released.

local limit = chorus.config.limit or 1000

chorus.workflow{
  name = "order_saga",
  on = "order.submitted",
  key = function(e) return e.data.order_id end,
  run = function(ctx, e)
    local o = e.data
    ctx:step{name = "reserve",
      action = function()
        ctx:publish("inventory.reserved", {order_id = o.order_id, items = o.items})
        return true
      end,
      compensate = function()
        ctx:publish("inventory.released", {order_id = o.order_id})
      end}

    local total = ctx:step{name = "price", retry = {attempts = 3, backoff = 200},
      action = function()
        local values = {}
        for i, item in ipairs(o.items or {}) do values[i] = (item.qty or 0) * (item.price or 0) end
        local r, err = ctx:request_capability("statistics", {op = "sum", values = values},
                                              {type = "calc.request", timeout = 2000})
        if not r then error("pricing failed: " .. tostring(err), 0) end
        if type(r.data) ~= "table" or type(r.data.result) ~= "number" then
          error("pricing refused: " .. chorus.json.encode(r.data), 0)
        end
        return r.data.result
      end}

    ctx:step{name = "confirm", action = function()
      if total > limit then
        error(string.format("order %s: total %.2f is above the limit %.2f",
                            o.order_id, total, limit), 0)
      end
      ctx:publish("order.confirmed", {order_id = o.order_id, total = total})
      return true
    end}
    return {order_id = o.order_id, total = total}
  end,
}
