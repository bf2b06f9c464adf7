// Moving open instances of a workflow to the current source of its script
// (`chorus workflows upgrade NAME`, docs/workflows.md "Versions"): each
// open instance's history is replayed against the current source in a
// scratch engine with no effects; where every recorded command matches, a
// `wf.upgraded {from, to}` record moves it (the next start runs it on the
// current source), else it stays pinned and the first mismatch is reported.
// For a stopped host: the caller holds the data-directory lock.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "lua/lua_options.h"

namespace chorus::store {
class EventStore;
}

namespace chorus::workflows {

struct UpgradeOutcome {
  enum class Result : uint8_t { kUpgraded, kAlreadyCurrent, kPinned };
  std::string instance, from, to;
  Result result = Result::kPinned;
  std::string why;  // kPinned: the first mismatch (seq, both lines) or the error
};

// Finds the configured script that defines `workflow` (compiling each in a
// scratch state) and upgrades the open instances of `workflow` to it.
chorus::Result<std::vector<UpgradeOutcome>> upgrade_instances(store::EventStore& store,
                                                              const lua::ScriptHostOptions& scripts,
                                                              const std::string& workflow);

}  // namespace chorus::workflows
