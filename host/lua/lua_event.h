// Events as Lua values: a read-only userdata holding a reference to the
// immutable Event (no copy of its bytes). Fields are read through __index
// (docs/lua.md "Events"): id, type, source, target, time (ms since the
// epoch), priority ("high"), correlation_id, causation_id, stream,
// content_type, metadata (a table), raw (the data bytes), data (decoded on
// first access and cached: a table for JSON, the raw string for other
// content types), seq and version (events read from the store), is_reply.
// Absent optional fields read as nil.
//
// A filter gets a *lent* event object that is reused from call to call
// (no allocation per evaluation); after the call it is emptied, and a filter
// that kept it finds "this event was lent to a filter" errors instead of
// another event's fields.
#pragma once

#include <cstdint>

#include "core/event.h"

struct lua_State;

namespace chorus::lua {

// Registers the event metatable in `L`'s registry (once per state).
void open_event_type(lua_State* L);

// Pushes a new event object holding a reference to `ev`.
void push_event(lua_State* L, const EventPtr& ev, uint64_t seq = 0, uint64_t version = 0);

// The event behind the object at `index`, or null when it is not a live
// event object.
const Event* to_event(lua_State* L, int index);
// Same, as a counted reference (null for a lent event: use to_event()).
EventPtr to_event_ptr(lua_State* L, int index);

// A reusable event object for filters: push once and keep it referenced (it
// is freed with the state); lend_event() points it at an event for one
// call, give_back_event() empties it. Both are plain pointer writes.
struct LentEvent;
LentEvent* push_lendable_event(lua_State* L);
void lend_event(LentEvent* e, const Event* ev) noexcept;
void give_back_event(LentEvent* e) noexcept;

}  // namespace chorus::lua
