-- budget_guard.lua: pause operations when the budget runs out, resume them
-- after a cool-down.
--
-- Shows: acting on one value of an event (level), a one-shot timer
-- (chorus.after) that keeps the event it was started for and publishes with
-- it as the cause, and a duration read from the YAML config block.
--
-- In:  budget.alert       {"level":"warning"|"critical","spent":81.5,"limit":100.0}  (task_worker)
-- Out: operations.paused  {"reason":"budget","spent":100.5}        priority critical
--      operations.resumed {"reason":"cool-down over","after_ms":30000}
--                         `after` later (task_worker stops and restarts creating tasks)
-- Config: after (a duration such as "30s", "500ms", "2m", or milliseconds; default 30s).

local function millis(value, default)
  if type(value) == "number" then return value end
  if type(value) ~= "string" then return default end
  local n, unit = value:match("^(%d+%.?%d*)%s*(%a*)$")
  local scale = ({ms = 1, [""] = 1, s = 1000, m = 60000, h = 3600000})[unit]
  if not n or not scale then
    chorus.log.warn(("config: after = %q is not a duration; using %d ms"):format(value, default))
    return default
  end
  return tonumber(n) * scale
end

local after = millis(chorus.config.after, 30000)
local paused = false

chorus.on("budget.alert", function(ev)
  local d = ev.data
  if d.level ~= "critical" then
    chorus.log.info(("budget %s: spent %.1f of %.1f"):format(tostring(d.level), d.spent or 0,
                                                             d.limit or 0))
    return
  end
  if paused then return end
  paused = true
  chorus.publish("operations.paused", {reason = "budget", spent = d.spent}, {priority = "critical"})
  chorus.log.warn(("budget exhausted (spent %.1f of %.1f): operations paused for %d ms"):format(
    d.spent or 0, d.limit or 0, after))
  chorus.after(after, function()
    paused = false
    chorus.publish("operations.resumed", {reason = "cool-down over", after_ms = after},
                   {cause = ev})
    chorus.log.info("cool-down over: operations resumed")
  end)
end)
