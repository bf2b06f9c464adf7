-- orders_projection.lua: a CQRS read model of orders, kept in memory,
-- snapshotted in the store, rebuilt from the store at start, and answering
-- queries by request/reply.
--
-- Shows: chorus.store.read (catching up from the stored order events),
-- chorus.store.append + chorus.store.snapshot (a checkpoint and a snapshot
-- of the model at that checkpoint), chorus.store.load_snapshot (starting
-- from it), live updates (chorus.on), and answering requests (chorus.reply).
--
-- The model: per order its customer, amount and furthest status; per
-- customer (computed when asked) the number of orders, their total and the
-- count by status. Applying an event is idempotent and a status only moves
-- forward (submitted < validated < priced | rejected), so an event seen
-- live and again while catching up changes nothing.
--
-- Needs the bus to store order events (store.persist: ["order.*"], as in
-- config/host.yaml): that is what the model is rebuilt from.
--
-- In:  order.submitted {"order_id","customer","amount",...}    (order_desk)
--      order.validated {...}   order.priced {"order_id","total",...}
--      order.rejected  {"order_id","reason"}
--      orders.query    {"customer":"c-3"}                     (a request)
-- Out: orders.result   {"customer":"c-3","orders":4,"total":812.5,
--                       "by_status":{"priced":3,"rejected":1}}  (the reply)
--      stream projection-orders: projection.checkpoint {"seq":N} + a snapshot at it
-- Config: snapshot_every (a duration such as "30s", or milliseconds; default 30s).

local STREAM = "projection-orders"
local RANK = {submitted = 1, validated = 2, priced = 3, rejected = 3}

local function millis(value, default)
  if type(value) == "number" then return value end
  local n, unit = tostring(value or ""):match("^(%d+)%s*(%a*)$")
  local scale = ({ms = 1, [""] = 1, s = 1000, m = 60000})[unit]
  return (n and scale) and tonumber(n) * scale or default
end

-- state.seq: every stored order event up to this global position is in the model.
local state = chorus.store.load_snapshot(STREAM) or {seq = 0, orders = {}}
local snapshot_seq = state.seq

local function apply(ev)
  local d = ev.data
  local status = ev.type:match("^order%.(%a+)$")
  if type(d) ~= "table" or not d.order_id or not RANK[status] then return end
  local o = state.orders[d.order_id]
  if not o then
    o = {status = status}
    state.orders[d.order_id] = o
  elseif RANK[status] > RANK[o.status] then
    o.status = status
  end
  o.customer = d.customer or o.customer
  o.amount = d.total or o.amount or d.amount
end

-- Folds up to `pages` pages of stored order events after state.seq into the
-- model; true when nothing is left. Done in steps so that no call runs long
-- (each call has the script's CPU limit) and queries are answered meanwhile.
local function catch_up(pages)
  for _ = 1, pages do
    local events, more = chorus.store.read{type = "order.*", from = state.seq + 1, limit = 500}
    for _, ev in ipairs(events) do
      apply(ev)
      state.seq = ev.seq
    end
    if not more then return true end
  end
  return false
end

local function view(customer)
  local v = {customer = customer, orders = 0, total = 0, by_status = {}}
  for _, o in pairs(state.orders) do
    if o.customer == customer then
      v.orders = v.orders + 1
      v.total = v.total + (o.amount or 0)
      v.by_status[o.status] = (v.by_status[o.status] or 0) + 1
    end
  end
  return v
end

local function rebuild()
  if not catch_up(4) then
    chorus.after(0, rebuild)
    return
  end
  local n = 0
  for _ in pairs(state.orders) do n = n + 1 end
  chorus.log.info(("read model rebuilt from the store: %d orders up to seq %d"):format(
    n, state.seq))
end
chorus.after(0, rebuild)

chorus.on("order.*", apply)

chorus.on("orders.query", function(req)
  local customer = type(req.data) == "table" and req.data.customer
  if type(customer) ~= "string" then
    chorus.reply(req, {error = "orders.query needs {\"customer\": \"...\"}"},
                 {type = "orders.result"})
    return
  end
  chorus.reply(req, view(customer), {type = "orders.result"})
end)

-- Checkpoint and snapshot: catch up from the store (so the model covers every
-- stored event up to state.seq), record the position, save the model there.
chorus.every(millis(chorus.config.snapshot_every, 30000), function()
  if not catch_up(4) or state.seq == snapshot_seq then return end
  local at, err = chorus.store.append(STREAM, "projection.checkpoint", {seq = state.seq})
  if not at then
    chorus.log.warn("checkpoint not written: " .. err)
    return
  end
  local ok, serr = chorus.store.snapshot(STREAM, at.version, state)
  if ok then
    snapshot_seq = state.seq
    chorus.log.debug(("snapshot at seq %d (version %d)"):format(state.seq, at.version))
  else
    chorus.log.warn("snapshot not saved: " .. serr)
  end
end)
