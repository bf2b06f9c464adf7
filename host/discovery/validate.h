// Validation of service records (docs/discovery.md "Model"): every rule of
// every field, with errors that name the service and the field, and the
// defaults a registered spec gets. Also used for names given to lookups.
#pragma once

#include <string_view>

#include "core/status.h"
#include "discovery/service.h"

namespace chorus::discovery {

// Checks `spec` and fills its defaults (agent_id and name = id, type
// "agent", protocol "bus"; metadata sorted by key). InvalidArgument:
// "service 'calc-1': field 'port': ...".
Status normalize_spec(ServiceSpec& spec);

// Lookup arguments: InvalidArgument naming `what` ("capability", "tag").
Status validate_capability(std::string_view capability, std::string_view what = "capability");
Status validate_tag(std::string_view tag, std::string_view what = "tag");
Status validate_service_id(std::string_view id, std::string_view what = "service id");
// A custom check's name: the service-id syntax.
Status validate_check_name(std::string_view name);

}  // namespace chorus::discovery
