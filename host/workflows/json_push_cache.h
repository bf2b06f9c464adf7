// JsonPushCache: pushes the Lua value of a JSON text, parsing the text once
// while the same text comes again. The engine offers one awaited event to
// every instance waiting on its pattern (thousands at once, coroutines of
// the same version's state); each instance gets tables of its own (a
// workflow may change what it was given), built from the parse kept in a
// lua::JsonTape: the same tables, filled in the same order, as parsing
// again would give, at about a third of the cost (docs/performance.md
// "Workflows").
//
// Threading: the owner's (the engine's strand).
#pragma once

#include <string>
#include <string_view>

#include "lua/lua_json.h"

struct lua_State;

namespace chorus::workflows {

class JsonPushCache {
 public:
  // Pushes onto `L` the value of `json` as lua::push_json does. False,
  // nothing pushed and `error` set, when `json` does not parse.
  bool push(lua_State* L, std::string_view json, std::string* error);

 private:
  std::string text_;  // the text of tape_ (valid_ when it parsed)
  lua::JsonTape tape_;
  bool valid_ = false;
};

}  // namespace chorus::workflows
