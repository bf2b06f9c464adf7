-- Tests of approval.lua for `chorus test` (docs/lua.md "Testing workflows").
test("a grant in time completes the approval", function(h)
  h:load("approval.lua", {timeout = 60000})
  h:publish("approval.requested", {request_id = "r-1", what = "deploy"})
  h:expect_published("approval.pending", {request_id = "r-1"}, 1)
  h:publish("approval.granted", {request_id = "other", by = "x"})   -- another request's grant
  assert(#h:published("approval.done") == 0, "another request's grant must not count")
  h:publish("approval.granted", {request_id = "r-1", by = "ana"})
  h:expect_published("approval.done", {request_id = "r-1", by = "ana"}, 1)
  h:expect_finished("approval", "completed", "approved")
end)

test("no grant: the approval expires at its timeout", function(h)
  h:load("approval.lua", {timeout = 600000})
  h:publish("approval.requested", {request_id = "r-2"})
  assert(h:advance(), "a timer should be pending")       -- the virtual clock jumps 10 min
  h:expect_published("approval.expired", {request_id = "r-2", reason = "timeout"}, 1)
  h:expect_finished("approval", "completed", "expired")
end)

test("a second request with an open key starts nothing", function(h)
  h:load("approval.lua")
  h:publish("approval.requested", {request_id = "r-3"})
  h:publish("approval.requested", {request_id = "r-3"})
  h:expect_published("approval.pending", {request_id = "r-3"}, 1)
end)
