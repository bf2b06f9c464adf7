// The `workflows:` section: how the workflow engine treats open instances
// when their script changes, and how many may be open (docs/config.md
// "workflows").
#pragma once

#include <cstdint>

namespace chorus::config {

class MapReader;

enum class WorkflowUpgrade { kPinned, kOnReload };

struct WorkflowsSection {
  // pinned: open instances stay on the version they started on;
  // on_reload: a new version of a workflow's script upgrades the open
  // instances whose history replays cleanly on it.
  WorkflowUpgrade upgrade = WorkflowUpgrade::kPinned;
  // The most open instances; a trigger beyond it starts nothing. 0: no bound.
  uint64_t max_open = 10'000;

  friend bool operator==(const WorkflowsSection&, const WorkflowsSection&) = default;
};

void parse_workflows_section(MapReader& r, WorkflowsSection& out);

}  // namespace chorus::config
