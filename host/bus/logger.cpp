// The bus's logger, fetched once from the shared registry.
#include "bus/logger.h"

#include "core/log.h"

namespace chorus::bus {

spdlog::logger& logger() {
  static const std::shared_ptr<spdlog::logger> l = log::get("bus");
  return *l;
}

}  // namespace chorus::bus
