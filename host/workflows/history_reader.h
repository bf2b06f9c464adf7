// Reading workflow instances from outside the engine (`chorus workflows
// list|show|history`, docs/workflows.md "Reading from outside"): the index
// $wf-instances and each history $wf-<id>, from a store opened read-only
// (so it works while a host runs).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "store/types.h"
#include "workflows/history_records.h"

namespace chorus::store {
class EventStore;
}

namespace chorus::workflows {

struct InstanceSummary {
  std::string id, workflow, script, source_hash, correlation, key;
  std::string status;  // running, suspended, cancelling, completed, failed, compensated,
                       // continued, cancelled
  int64_t started_ns = 0;
  std::string waiting_on;    // "await 'approval.granted' (seq 2) at scripts/approval.lua:7"
  std::string status_table;  // JSON of the last set_status ("null": none)
  std::string error;         // of a failed or suspended instance
  uint64_t records = 0;
};

// Every instance in the index, oldest first; `open_only` skips ended ones.
enum class Which : uint8_t { kAll, kOpen };
Result<std::vector<InstanceSummary>> list_instances(store::EventStore& store, Which which);
// One instance (its id, or a unique prefix of it).
Result<InstanceSummary> show_instance(store::EventStore& store, const std::string& id);
// The records of one instance's history, in order.
Result<std::vector<store::StoredEvent>> instance_history(store::EventStore& store,
                                                         const std::string& id);
// One line per record: "v3 wf.scheduled seq 2 await 'approval.granted' at scripts/approval.lua:7".
std::string describe_record(const store::StoredEvent& record);

}  // namespace chorus::workflows
