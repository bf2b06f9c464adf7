// WorkflowsSubsystem: the workflow engine's place in the host's lifecycle
// (docs/workflows.md). It owns the Catalog of workflow definitions from the
// moment the subsystem list is made, so that its Lua extension
// (chorus.workflow) is in HostServices::script_extensions before the
// scripts load; start() (after scripts) builds the engine on the workers,
// the bus, the store and the discovery registry, replays the open
// instances and subscribes the triggers. Sets HostServices::workflows.
//
// stop() unsubscribes and cancels the engine's timers while the workers
// still run (open instances stay open in the store: the next start replays
// them); close(), after the workers are joined, frees the engine's Lua
// states. No key applies on reload yet (the engine follows script reloads
// through the catalog).
#pragma once

#include <memory>

#include "runtime/host_services.h"
#include "runtime/subsystem.h"

namespace chorus::workflows {
class Catalog;
class WorkflowEngine;
}  // namespace chorus::workflows

namespace chorus::runtime {

class WorkflowsSubsystem final : public Subsystem {
 public:
  // Adds chorus.workflow to services.script_extensions.
  explicit WorkflowsSubsystem(HostServices& services);
  ~WorkflowsSubsystem() override;

  std::string_view name() const noexcept override { return "workflows"; }
  Status start(const config::Config& config) override;
  void stop(Deadline deadline) override;
  void close() override;

 private:
  HostServices& services_;
  std::shared_ptr<workflows::Catalog> catalog_;
  std::unique_ptr<workflows::WorkflowEngine> engine_;
};

}  // namespace chorus::runtime
