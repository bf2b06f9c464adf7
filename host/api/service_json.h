// The registry's records in JSON (docs/api.md "Registry"): a ServiceSpec
// read from a request body, and a ServiceInfo (with its statistics when
// given) written into a response. Field names are those of
// docs/discovery.md "Model"; durations are written in milliseconds
// (`ttl_ms`, `check.interval_ms`, ...) and read as milliseconds or as text
// ("30s").
#pragma once

#include <string_view>

#include "core/status.h"
#include "discovery/registry_stats.h"
#include "discovery/service.h"

namespace chorus::api {

struct JsonBody;

// Parses one service object. InvalidArgument naming the field (`field
// 'port': expected an integer 0..65535`) for bad JSON, an unknown field, or
// a value of the wrong type; the registry validates the values themselves.
Result<discovery::ServiceSpec> service_spec_from_json(std::string_view json);

// {"id","agent_id","name","type","host","port","protocol","capabilities",
// "tags","metadata","check","version","weight","ttl_ms","origin","status",
// "registered","last_heartbeat","status_since","active"} and, with `stats`,
// "selections","checks_passed","checks_failed","last_check_error",
// "response_ewma_us".
void write_service(JsonBody& j, const discovery::ServiceInfo& info,
                   const discovery::ServiceStats* stats = nullptr);

}  // namespace chorus::api
