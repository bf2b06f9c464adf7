// The store's logger (module "store", core/log.h), for every file of the
// module.
#pragma once

#include <memory>

#include <spdlog/logger.h>

namespace chorus::store {

const std::shared_ptr<spdlog::logger>& store_log();

}  // namespace chorus::store
