// The JSON shapes of workflow instances (docs/api.md "Workflows"): an
// instance summary, a history record, and the outcomes of an upgrade.
// Written once here for the routes (workflow_routes.cpp) and for the
// `chorus workflows` commands that print the same shapes from the store
// (--json without a host).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "api/json_body.h"

namespace chorus::workflows {
struct InstanceSummary;
struct UpgradeOutcome;
}  // namespace chorus::workflows

namespace chorus::api {

// {"id","workflow","script","status","version","correlation","key" (null
// when none),"started" (RFC 3339, null when unknown),"records",
// "waiting_on" (null when not waiting),"status_table" (the last
// ctx:set_status, JSON; null when none),"error" (null when none)}.
void write_instance(JsonBody& j, const workflows::InstanceSummary& s);

// {"version","seq","type","time","line" (describe_record: the record with
// its source line),"data" (the record's fields, JSON)}.
void write_history_record(JsonBody& j, const store::StoredEvent& record);

// {"count" (all of `list`),"end" (whether all are shown),"instances":
// [the first `shown` of `list`, as write_instance]}: GET /v1/workflows and
// `chorus workflows list --json`.
std::string instance_list_json(const std::vector<const workflows::InstanceSummary*>& list,
                               size_t shown);

// {"instance": write_instance,"history": [write_history_record...]}:
// GET /v1/workflows/{id} and `chorus workflows show ID --json`.
std::string instance_detail_json(const workflows::InstanceSummary& s,
                                 const std::vector<store::StoredEvent>& history);

// {"workflow","live","upgraded","already_current","pinned","outcomes":
// [{"instance","result" (upgraded, already_current, pinned),"from","to",
// "why" (pinned: the first mismatch)}]}. `live`: done by the running
// engine (else on a stopped host's store).
enum class UpgradeMode : uint8_t { kStoppedHost, kLive };
std::string upgrade_json(std::string_view workflow,
                         const std::vector<workflows::UpgradeOutcome>& outcomes, UpgradeMode mode);

}  // namespace chorus::api
