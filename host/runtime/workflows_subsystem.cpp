// WorkflowsSubsystem: the catalog early, the engine after the scripts.
#include "runtime/workflows_subsystem.h"

#include "config/config.h"
#include "runtime/options_from_config.h"
#include "workflows/catalog.h"
#include "workflows/lua_extension.h"
#include "workflows/workflow_engine.h"

namespace chorus::runtime {

WorkflowsSubsystem::WorkflowsSubsystem(HostServices& services)
    : services_(services), catalog_(std::make_shared<workflows::Catalog>()) {
  services_.script_extensions.push_back(workflows::make_lua_extension(catalog_));
}

WorkflowsSubsystem::~WorkflowsSubsystem() {
  stop(std::chrono::steady_clock::now());
  close();
}

Status WorkflowsSubsystem::start(const config::Config& config) {
  if (!services_.store) return Status::OK();  // histories need the store: no workflows
  engine_ = std::make_unique<workflows::WorkflowEngine>(
      workflows_options_from(config),
      workflows::WorkflowServices{services_.io, services_.bus, services_.store, services_.registry},
      catalog_);
  if (Status s = engine_->start(); !s.ok()) {
    engine_.reset();
    return s;
  }
  services_.workflows = engine_.get();
  return Status::OK();
}

void WorkflowsSubsystem::stop(Deadline) {
  if (engine_) engine_->stop();
}

void WorkflowsSubsystem::close() {
  services_.workflows = nullptr;
  if (engine_) engine_->close();
  engine_.reset();
}

}  // namespace chorus::runtime
