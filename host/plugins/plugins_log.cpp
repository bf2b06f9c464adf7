// The plugins module's loggers (plugins_log.h).
#include "plugins/plugins_log.h"

#include "core/log.h"

namespace chorus::plugins {

spdlog::logger& plugins_log() {
  static const std::shared_ptr<spdlog::logger> log = log::get("plugins");
  return *log;
}

std::shared_ptr<spdlog::logger> instance_log(std::string_view instance_name) {
  return log::get(instance_name);
}

}  // namespace chorus::plugins
