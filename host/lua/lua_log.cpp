// The Lua runtime's logger.
#include "lua/lua_log.h"

#include "core/log.h"

namespace chorus::lua {

spdlog::logger& lua_log() {
  static const std::shared_ptr<spdlog::logger> logger = log::get("lua");
  return *logger;
}

}  // namespace chorus::lua
