// The module's logger (`workflows`).
#pragma once

#include <spdlog/logger.h>

namespace chorus::workflows {

spdlog::logger& workflows_log();

}  // namespace chorus::workflows
