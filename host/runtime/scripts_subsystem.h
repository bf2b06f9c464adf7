// ScriptsSubsystem: the Lua runtime's place in the host's lifecycle. At start
// it maps the `scripts:` section onto lua::ScriptHostOptions and starts a
// lua::ScriptHost on the host's workers, the bus and the store (every
// configured script loaded; one that fails is logged and loaded once its
// file is fixed). Sets HostServices::scripts, through which later
// subsystems (plugins) get Lua filters, and adds the chorus_scripts_*
// collector and the "scripts" readiness check (removed in stop()).
//
// stop() unsubscribes every script and stops the folder watcher while the
// workers still run; close(), after the workers are joined, frees the
// scripts' states. Every `scripts.*` key applies on reload (SIGHUP): added
// scripts load, removed ones unload, changed ones reload transactionally.
#pragma once

#include <cstdint>
#include <memory>

#include "runtime/host_services.h"
#include "runtime/subsystem.h"

namespace chorus::runtime {

class ScriptsSubsystem final : public Subsystem {
 public:
  explicit ScriptsSubsystem(HostServices& services);
  ~ScriptsSubsystem() override;

  std::string_view name() const noexcept override { return "scripts"; }
  Status start(const config::Config& config) override;
  void stop(Deadline deadline) override;
  void close() override;
  bool reloads(std::string_view key) const override;
  Status reload(const config::Config& next) override;

 private:
  HostServices& services_;
  std::unique_ptr<lua::ScriptHost> host_;
  uint64_t metrics_id_ = 0, ready_id_ = 0;
};

}  // namespace chorus::runtime
