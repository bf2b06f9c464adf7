-- high_value.lua: a filter function, and a handler that uses it from YAML.
--
-- Shows: a Lua function named as a filter in YAML. high_value(event) is true
-- when data.amount is above the threshold. config/host.yaml subscribes
-- log_high_value to order.submitted with `filter: high_value`; a plugin's
-- YAML can name it too (ScriptHost::filter). A filter runs on the
-- publisher's thread in a copy of this script (docs/lua.md "Filters"), so
-- it may use the config and top-level values, not state handlers change.
--
-- In:  order.submitted {"order_id":"o-17","customer":"c-3","amount":1250.0,...}  (order_desk)
-- Out: a log line per high-value order.
-- Config: threshold (default 1000).

local threshold = chorus.config.threshold or 1000

function high_value(ev)
  local data = ev.data
  local amount = type(data) == "table" and data.amount
  return type(amount) == "number" and amount > threshold
end

function log_high_value(ev)
  local d = ev.data
  chorus.log.info(("high-value order %s from %s: %.2f (over %.2f)"):format(
    tostring(d.order_id), tostring(d.customer), d.amount, threshold))
end
