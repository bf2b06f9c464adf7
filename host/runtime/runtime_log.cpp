// The runtime's logger.
#include "runtime/runtime_log.h"

#include "core/log.h"

namespace chorus::runtime {

spdlog::logger& runtime_log() {
  static const std::shared_ptr<spdlog::logger> logger = log::get("host");
  return *logger;
}

}  // namespace chorus::runtime
