// The bus's logger ("bus", see core/log.h): every file of the module logs
// through this one helper.
#pragma once

#include <spdlog/logger.h>

namespace chorus::bus {

// Made on first use; thread-safe.
spdlog::logger& logger();

}  // namespace chorus::bus
