// The admin API's logger.
#include "api/api_log.h"

#include "core/log.h"

namespace chorus::api {

spdlog::logger& api_log() {
  static const std::shared_ptr<spdlog::logger> logger = log::get("api");
  return *logger;
}

}  // namespace chorus::api
