// The workflow engine's options. Plain values: host/runtime maps the
// `workflows:` YAML section onto them (options_from_config), so this module
// knows nothing of YAML. docs/config.md "workflows" documents every key.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace chorus::workflows {

// What a new version of a workflow's script does to its open instances.
enum class UpgradeMode : uint8_t {
  kPinned,    // nothing: they finish on the version they started on
  kOnReload,  // they are upgraded where their history replays cleanly
};

struct WorkflowOptions {
  // ctx:request and ctx:request_capability without a `timeout` option.
  std::chrono::milliseconds request_timeout{30'000};
  // Memory limit of each engine Lua state (one per pinned script version); 0: none.
  uint64_t memory_bytes = 64ull << 20;
  // The largest status table ctx:set_status accepts, encoded as JSON.
  uint32_t max_status_bytes = 4096;
  // The scripts folder (require's boundary for versions whose script is no
  // longer configured).
  std::string scripts_folder = "./scripts";
  // `chorus test`: timers do not run on the wall clock; the harness fires
  // them (WorkflowEngine::fire_next_timer), moving the engine's clock.
  bool virtual_time = false;
  // The event types the bus persists (store.persist): a trigger pattern
  // they cover is consumed through a durable subscription (consumer group
  // `workflow.<name>`), so triggers stored while the host was down start
  // their instances at the next start.
  std::vector<std::string> persist;
  // When the catalog gets a new version of a workflow (a reload, or at
  // start), kOnReload upgrades its open instances on older versions.
  UpgradeMode upgrade = UpgradeMode::kPinned;
  // The most open instances (running, waiting or suspended); a trigger
  // beyond it starts nothing (docs/workflows.md "Instances"). 0: no bound.
  uint64_t max_open = 10'000;

  friend bool operator==(const WorkflowOptions&, const WorkflowOptions&) = default;
};

}  // namespace chorus::workflows
