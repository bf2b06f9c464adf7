-- approval.lua: a durable workflow that waits for a human. For each
-- `approval.requested` {request_id, what} it publishes `approval.pending`,
-- then waits (durably: across restarts) for `approval.granted` with the same
-- request_id, at most `timeout` (config, default 10 min); it ends with
-- `approval.done` or `approval.expired`. Try it while the host runs:
--   chorus publish approval.requested --data '{"request_id":"r-1","what":"deploy"}'
--   chorus publish approval.granted --data '{"request_id":"r-1","by":"ana"}'
-- docs/workflows.md has this workflow's history, record by record.

local timeout = chorus.config.timeout or 600000

chorus.workflow{
  name = "approval",
  on = "approval.requested",
  key = function(e) return e.data.request_id end, -- one open approval per request
  run = function(ctx, e)
    local id = e.data.request_id
    ctx:set_status({request_id = id, waiting_for = "approval.granted"})
    ctx:publish("approval.pending", {request_id = id, what = e.data.what})
    local granted, why = ctx:await("approval.granted", {
      match = function(g) return g.data.request_id == id end,
      timeout = timeout,
    })
    if not granted then
      ctx:publish("approval.expired", {request_id = id, reason = why})
      return "expired"
    end
    ctx:publish("approval.done", {request_id = id, by = granted.data.by})
    return "approved"
  end,
}
