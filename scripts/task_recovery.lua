-- task_recovery.lua: retry failed tasks, then raise an alert.
--
-- Shows: a handler (chorus.on) that publishes with the event it handles as
-- the cause (same correlation id, causation = the failure), a YAML config
-- block (chorus.config), and logging.
--
-- In:  task.failed  {"task_id":"t-9","attempt":1,"error":"timeout"}   (task_worker)
-- Out: task.retry   {"task_id":"t-9","attempt":2}                      (task_worker re-runs it)
--      system.alert {"reason":"task t-12 failed 3 times","task_id":"t-12"}
--                   after max_attempts failures, priority high
-- Config: max_attempts (default 3).

local max_attempts = chorus.config.max_attempts or 3

chorus.on("task.failed", function(ev)
  local task = ev.data.task_id
  local attempt = ev.data.attempt or 1
  if attempt < max_attempts then
    chorus.publish("task.retry", {task_id = task, attempt = attempt + 1})
    chorus.log.info(("task %s failed (%s): retry %d of %d"):format(
      task, tostring(ev.data.error), attempt + 1, max_attempts))
    return
  end
  local reason = ("task %s failed %d times"):format(task, attempt)
  chorus.publish("system.alert", {reason = reason, task_id = task}, {priority = "high"})
  chorus.log.warn(reason .. ": giving up, alert raised")
end)
