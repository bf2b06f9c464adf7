// The discovery module's logger ("discovery"), created once.
#pragma once

#include <spdlog/logger.h>

namespace chorus::discovery {

spdlog::logger& discovery_log();

}  // namespace chorus::discovery
