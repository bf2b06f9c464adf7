-- event_logger.lua: a line per event at debug level, a summary per type at
-- info level.
--
-- Shows: a `**` subscription (every event), state kept across calls, and a
-- periodic timer (chorus.every). Run the host with `log.level: debug` to see
-- every event; the summary appears at the default level.
--
-- In:  every event.
-- Out: log lines only: "debug ... order.submitted from order_desk 0190... corr=..."
--      and every `summary_every`: "42 events in the last 30 s: order.submitted=10, ..."
-- Config: summary_every (a duration such as "30s", or milliseconds; default 30s).

local function millis(value, default)
  if type(value) == "number" then return value end
  local n, unit = tostring(value or ""):match("^(%d+)%s*(%a*)$")
  local scale = ({ms = 1, [""] = 1, s = 1000, m = 60000})[unit]
  return (n and scale) and tonumber(n) * scale or default
end

local every = millis(chorus.config.summary_every, 30000)
local counts, total = {}, 0

chorus.on("**", function(ev)
  counts[ev.type] = (counts[ev.type] or 0) + 1
  total = total + 1
  chorus.log.debug(ev.type, "from", ev.source, ev.id,
                   ev.correlation_id and ("corr=" .. ev.correlation_id) or "")
end)

chorus.every(every, function()
  if total == 0 then return end
  local types = {}
  for t in pairs(counts) do types[#types + 1] = t end
  table.sort(types, function(a, b)
    return counts[a] > counts[b] or (counts[a] == counts[b] and a < b)
  end)
  local parts = {}
  for i, t in ipairs(types) do
    if i > 8 then
      parts[#parts + 1] = ("... %d more types"):format(#types - 8)
      break
    end
    parts[#parts + 1] = t .. "=" .. counts[t]
  end
  chorus.log.info(("%d events in the last %g s: %s"):format(total, every / 1000,
                                                          table.concat(parts, ", ")))
  counts, total = {}, 0
end)
