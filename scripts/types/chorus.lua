---@meta chorus
-- Lua language-server annotations of the `chorus` module (docs/lua.md is the
-- reference). Editors that use lua-language-server pick this file up through
-- .luarc.json at the repository's root; it is never loaded by the host.

---An event: read-only fields of the envelope; `data` is decoded on first access.
---@class ChorusEvent
---@field id string UUIDv7, 36 characters
---@field type string dotted event type, e.g. "task.failed"
---@field source string the agent, script or client that published it
---@field target string? a directed event's recipient
---@field time number milliseconds since the Unix epoch (UTC), with a fraction
---@field priority "critical"|"high"|"normal"|"low"
---@field correlation_id string? the operation this event belongs to
---@field causation_id string? the id of the event that caused it
---@field stream string? the entity stream (event sourcing), e.g. "order-42"
---@field content_type string "application/json" unless said otherwise
---@field data any the payload: a table (JSON), or the raw string for other content types; nil when empty
---@field raw string the payload's bytes
---@field metadata table<string, string>
---@field is_reply boolean true for a reply to a request
---@field seq number? global position (events read from the store)
---@field version number? version in its stream (events read from the store)

---@class ChorusEventOptions
---@field target string? a directed event for one subscriber
---@field priority "critical"|"high"|"normal"|"low"|nil default "normal"
---@field correlation_id string? default: the handled event's (or its id)
---@field causation_id string? default: the handled event's id
---@field stream string?
---@field metadata table<string, string>?
---@field content_type string? default "application/json" (tables) or "text/plain; charset=utf-8" (strings)
---@field cause ChorusEvent|false|nil the event this one is caused by; default: the one being handled; false: none

---@class ChorusPublishOptions: ChorusEventOptions
---@field wait boolean? wait until the bus took the event (and stored it, for persisted types): returns id, or nil and an error

---@class ChorusRequestOptions: ChorusEventOptions
---@field timeout number? milliseconds; default scripts.request_timeout (5000)

---@class ChorusReplyOptions
---@field type string? default: the request's type .. ".reply"
---@field priority "critical"|"high"|"normal"|"low"|nil
---@field metadata table<string, string>?
---@field content_type string?

---@class ChorusOnOptions
---@field filter (fun(ev: ChorusEvent): boolean)? runs in this script before the handler
---@field priority "critical"|"high"|"normal"|"low"|nil only events at least this urgent
---@field queue string? a queue group: the group's members share the events
---@field durable string? a durable subscription: a consumer group in the store (one pattern)

---@class ChorusStoreQuery
---@field stream string? one stream (versions)
---@field type string? a type or pattern, e.g. "order.*" (global positions)
---@field correlation string? one operation's timeline
---@field from number? where to start (version or seq); default the first (or the last, backward)
---@field limit number? 1..10000, default 100
---@field backward boolean?

---@class ChorusAppendOptions: ChorusEventOptions
---@field expected_version number|"any"|"no_stream"|"exists"|nil

---@class ChorusAppended
---@field seq number global position
---@field version number version in the stream

---@class ChorusRegistryRequestOptions: ChorusEventOptions
---@field timeout number? ms per attempt
---@field attempts number? in all (1 to 100)
---@field strategy string?
---@field tags string[]?

---@class ChorusServiceRecord
---@field id string
---@field name string
---@field agent string the agent id (a request's target)
---@field type string "agent", "script", ...
---@field version string
---@field address string? host:port, for services outside the host
---@field capabilities string[]
---@field tags string[]
---@field status string
---@field weight number
---@field metadata table<string, string>

---@class chorus
chorus = {}

---The script's name (its events' source).
---@type string
chorus.name = ""

---The script's `config:` block from YAML, as a table.
---@type table<string, any>
chorus.config = {}

---Subscribes `fn` to events matching the pattern(s). Only while the script loads.
---`*` matches one segment, `**` one or more trailing segments.
---@param patterns string|string[]
---@param fn fun(ev: ChorusEvent)
---@param opts ChorusOnOptions?
function chorus.on(patterns, fn, opts) end

---Publishes an event (source = this script); returns its id. With opts.wait, waits
---for the bus and returns id, or nil and an error.
---@param type string
---@param data table|string|number|boolean|nil
---@param opts ChorusPublishOptions?
---@return string? id
---@return string? error
function chorus.publish(type, data, opts) end

---Sends a request and waits for its reply (the coroutine yields; no thread waits).
---@param type string
---@param data table|string|number|boolean|nil
---@param opts ChorusRequestOptions?
---@return ChorusEvent? reply
---@return string? error "timeout: ...", "no_responders: ..."
function chorus.request(type, data, opts) end

---Answers a request (target = its source, causation = its id).
---@param request ChorusEvent
---@param data table|string|number|boolean|nil
---@param opts ChorusReplyOptions?
---@return string? id
---@return string? error
function chorus.reply(request, data, opts) end

---Calls fn once after `ms` milliseconds; returns the timer's id.
---@param ms number
---@param fn fun()
---@return number timer
function chorus.after(ms, fn) end

---Calls fn every `ms` milliseconds; returns the timer's id.
---@param ms number
---@param fn fun()
---@return number timer
function chorus.every(ms, fn) end

---Cancels a timer; true when it was pending.
---@param timer number
---@return boolean
function chorus.cancel(timer) end

---Waits `ms` milliseconds (the coroutine yields). Not while the script loads.
---@param ms number
function chorus.sleep(ms) end

---Milliseconds since the Unix epoch (UTC), with a fraction.
---@return number
function chorus.now() end

---A new UUIDv7.
---@return string
function chorus.uuid() end

chorus.log = {}
---@param ... any
function chorus.log.debug(...) end
---@param ... any
function chorus.log.info(...) end
---@param ... any
function chorus.log.warn(...) end
---@param ... any
function chorus.log.error(...) end

chorus.json = {}
---JSON null (a light userdata).
chorus.json.null = nil
---@param value any
---@return string
function chorus.json.encode(value) end
---@param text string
---@return any
function chorus.json.decode(text) end
---Marks (or makes) a table that encodes as a JSON array, also when empty.
---@param t table?
---@return table
function chorus.json.array(t) end

chorus.store = {}
---Appends an event to a stream of the store (not published on the bus); waits for the commit.
---@param stream string
---@param type string
---@param data table|string|number|boolean|nil
---@param opts ChorusAppendOptions?
---@return ChorusAppended? appended
---@return string? error "conflict: ..." when expected_version does not hold
function chorus.store.append(stream, type, data, opts) end

---Reads stored events (one page); `next` is where to continue, nil at the end.
---@param query ChorusStoreQuery
---@return ChorusEvent[] events
---@return number? next
function chorus.store.read(query) end

---Saves `state` (as JSON) as the snapshot of `stream` at `version`; waits for the commit.
---@param stream string
---@param version number
---@param state any
---@return boolean? ok
---@return string? error
function chorus.store.snapshot(stream, version, state) end

---The latest snapshot of `stream` (at or before `at_or_before`): state and version, or nil.
---@param stream string
---@param at_or_before number?
---@return any state
---@return number? version
function chorus.store.load_snapshot(stream, at_or_before) end

---Capability discovery: the host's service registry (docs/lua.md "Discovery").
chorus.registry = {}
---@param query {capability: string?, type: string?, tags: string[]?, healthy_only: boolean?}
---@return ChorusServiceRecord[]
function chorus.registry.discover(query) end
---@param capability string
---Picks one healthy instance (not held as a connection).
---@param opts {strategy: string?, tags: string[]?}?
---@return ChorusServiceRecord? record
---@return string? error
function chorus.registry.select(capability, opts) end
---Sends a request to an instance serving `capability`, failing over to another on error.
---@param capability string
---@param type string
---@param data any
---@param opts ChorusRegistryRequestOptions?
---@return ChorusEvent? reply
---@return string? error
function chorus.registry.request(capability, type, data, opts) end
---Registers this script as the service "script:<name>" while it is loaded
---(call it at the top level). Requests directed at it run its chorus.on handlers.
---@param service {capabilities: string[], tags: string[]?, metadata: table<string, string>?, weight: number?}
function chorus.registry.register(service) end

return chorus
