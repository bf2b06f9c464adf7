// The `chorus` Lua module (docs/lua.md "API"; chorus.d.lua is its
// annotated signature file). One file per group of functions:
//
//   api_core.cpp          name, config, on, after, every, cancel, sleep, now,
//                         uuid, log.*, json (lua_json.h)
//   api_events.cpp        publish, request, reply
//   api_store.cpp         store.append, store.read, store.snapshot,
//                         store.load_snapshot
//   registry_binding.cpp  registry.* (capability discovery; the host wires it)
//
// Functions find their script through ScriptVersion::of(L). In check and
// filter mode the ones with effects do nothing (publish returns an id, reads
// return nothing) and the ones that wait raise.
#pragma once

#include <chrono>
#include <initializer_list>
#include <string>

#include "core/event.h"
#include "core/status.h"

struct lua_State;

namespace chorus::lua {

class ScriptVersion;

// Builds the module for the script in `L` and registers it as `chorus`
// (global and require("chorus")).
void open_chorus_module(lua_State* L);

void add_core_api(lua_State* L, int module);
void add_event_api(lua_State* L, int module);
void add_store_api(lua_State* L, int module);
void add_registry_api(lua_State* L, int module);

// ---- helpers shared by the api_*.cpp files ----

// Raises "<fn>: unknown option 'x' (expected a, b or c)" for a key of the
// options table at `index` (nil: no options) that is not in `known`.
void check_options(lua_State* L, int index, const char* fn,
                   std::initializer_list<const char*> known);
// The string option `key` of the table at `index` ("" when absent).
std::string opt_string(lua_State* L, int index, const char* fn, const char* key);
// A duration in milliseconds at `index` (a number >= min).
std::chrono::milliseconds check_millis(lua_State* L, int index, const char* fn, double min);
// Raises "<fn> cannot wait while the script loads ..." during loading.
void refuse_while_loading(lua_State* L, const char* fn);

// Pushes `nil, "<code>: <message>"` (a call's failure as Lua values) and
// returns 2.
int push_failure(lua_State* L, const Status& s);

// An event built from a script's call: type, data (the value at
// `data_index`: a table/number/boolean is encoded as JSON, a string is sent
// as it is), the options at `opts_index` (target, priority, correlation_id,
// causation_id, stream, metadata, content_type, cause), source = the script,
// and by default caused by the event being handled. Raises on bad input.
EventBuilder build_event(lua_State* L, const char* fn, int type_index, int data_index,
                         int opts_index);
// The option keys build_event reads (for check_options).
#define CHORUS_EVENT_OPTIONS                                                                    \
  "target", "priority", "correlation_id", "causation_id", "stream", "metadata", "content_type", \
      "cause"

}  // namespace chorus::lua
