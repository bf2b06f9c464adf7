// The discovery module's logger.
#include "discovery/discovery_log.h"

#include "core/log.h"

namespace chorus::discovery {

spdlog::logger& discovery_log() {
  static const std::shared_ptr<spdlog::logger> logger = log::get("discovery");
  return *logger;
}

}  // namespace chorus::discovery
