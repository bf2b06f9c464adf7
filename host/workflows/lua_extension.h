// The `chorus.workflow` function of script states, installed through the Lua
// runtime's extension point (lua/module_extension.h): in a live script it
// checks the table and registers the definition (with the script's name,
// path, source and hash) in the Catalog; in check and filter states it only
// checks the table. The workflow itself never runs in the script's state:
// the engine runs it in a state of its own (engine_state.h).
#pragma once

#include <memory>

#include "lua/module_extension.h"
#include "workflows/catalog.h"

namespace chorus::workflows {

// For ScriptHostServices::extensions. `catalog` may be null (check mode).
lua::ModuleExtension make_lua_extension(std::shared_ptr<Catalog> catalog);

}  // namespace chorus::workflows
