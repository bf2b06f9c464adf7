// The Lua runtime's logger ("lua"), created once. Scripts' own log lines
// (chorus.log.*, print) go through it too, prefixed with the script's name.
#pragma once

#include <spdlog/logger.h>

namespace chorus::lua {

spdlog::logger& lua_log();

}  // namespace chorus::lua
