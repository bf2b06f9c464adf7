// Reading the table given to chorus.workflow{name=, on=, match=, key=, run=}
// (docs/workflows.md "Definitions"): the same checks in a script's own
// state (which registers the definition) and in the engine's states (which
// keep its functions).
#pragma once

#include <string>
#include <vector>

struct lua_State;

namespace chorus::workflows {

struct DefinitionFields {
  std::string name;
  std::vector<std::string> patterns;
  bool has_match = false, has_key = false;
};

// Checks the table at `index` and fills `out`. Raises a Lua error naming
// the field ("chorus.workflow: 'run' must be a function") on bad input.
void read_definition_table(lua_State* L, int index, DefinitionFields& out);

// "scripts/x.lua:12" of the Lua code that called the running C function.
std::string caller_location(lua_State* L);

}  // namespace chorus::workflows
