// The runtime's logger ("host"), created once.
#pragma once

#include <spdlog/logger.h>

namespace chorus::runtime {

spdlog::logger& runtime_log();

}  // namespace chorus::runtime
