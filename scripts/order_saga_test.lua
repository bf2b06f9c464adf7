-- Tests of order_saga.lua for `chorus test`: the calculator is a responder.
local function calculator(req)
  if #req.values == 0 then return {error = "no values"} end
  local sum = 0
  for _, v in ipairs(req.values) do sum = sum + v end
  return {op = req.op, result = sum, instance = "fake"}
end

test("an order within the limit is confirmed", function(h)
  h:load("order_saga.lua", {limit = 1000})
  h:respond("calc.request", calculator)
  h:publish("order.submitted", {order_id = "o-1", items = {{sku = "A1", qty = 2, price = 9.5}}})
  h:expect_published("inventory.reserved", {order_id = "o-1"}, 1)
  h:expect_published("order.confirmed", {order_id = "o-1", total = 19}, 1)
  h:expect_finished("order_saga", "completed", {order_id = "o-1", total = 19})
end)

test("an order above the limit releases its reservation", function(h)
  h:load("order_saga.lua", {limit = 1000})
  h:respond("calc.request", calculator)
  h:publish("order.submitted", {order_id = "o-2", items = {{sku = "B2", qty = 3, price = 500}}})
  h:expect_published("inventory.released", {order_id = "o-2"}, 1)
  h:expect_finished("order_saga", "compensated")
end)
