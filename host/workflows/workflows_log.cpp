#include "workflows/workflows_log.h"

#include "core/log.h"

namespace chorus::workflows {

spdlog::logger& workflows_log() {
  static const std::shared_ptr<spdlog::logger> logger = log::get("workflows");
  return *logger;
}

}  // namespace chorus::workflows
