// The store's logger (log.h).
#include "store/internal/log.h"

#include "core/log.h"

namespace chorus::store {

const std::shared_ptr<spdlog::logger>& store_log() {
  static const auto l = log::get("store");
  return l;
}

}  // namespace chorus::store
