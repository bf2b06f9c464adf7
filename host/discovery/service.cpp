// Names of statuses and check kinds.
#include "discovery/service.h"

#include <fmt/core.h>

#include "core/text.h"

namespace chorus::discovery {

std::string_view status_name(ServiceStatus s) noexcept {
  switch (s) {
    case ServiceStatus::kStarting:
      return "starting";
    case ServiceStatus::kHealthy:
      return "healthy";
    case ServiceStatus::kUnhealthy:
      return "unhealthy";
    case ServiceStatus::kStopping:
      return "stopping";
    case ServiceStatus::kUnknown:
      return "unknown";
  }
  return "unknown";
}

Result<ServiceStatus> parse_status(std::string_view text) {
  for (ServiceStatus s :
       {ServiceStatus::kStarting, ServiceStatus::kHealthy, ServiceStatus::kUnhealthy,
        ServiceStatus::kStopping, ServiceStatus::kUnknown}) {
    if (status_name(s) == text) return s;
  }
  return Status::InvalidArgument(
      fmt::format("'{}' is not a service status (expected starting, healthy, unhealthy, "
                  "stopping or unknown)",
                  printable(text)));
}

std::string_view check_kind_name(CheckKind k) noexcept {
  switch (k) {
    case CheckKind::kNone:
      return "none";
    case CheckKind::kHttp:
      return "http";
    case CheckKind::kTcp:
      return "tcp";
    case CheckKind::kCustom:
      return "custom";
  }
  return "none";
}

}  // namespace chorus::discovery
