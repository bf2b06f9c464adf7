// The admin API's logger ("api"), created once.
#pragma once

#include <spdlog/logger.h>

namespace chorus::api {

spdlog::logger& api_log();

}  // namespace chorus::api
