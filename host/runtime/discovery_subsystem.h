// DiscoverySubsystem: the service registry's place in the host's lifecycle.
// Started after the bus (it publishes discovery.service.* events and sends
// request_by_capability requests on it) and the store (it journals the
// registry in it): start() opens the registry with the `discovery:`
// section, which loads the journal, adds the static services and starts
// the health checks on the host's workers; it sets HostServices::registry.
//
// stop() shuts the registry down while the bus, the store and the workers
// still run: checks and timers stop, the last heartbeat checkpoint and a
// snapshot are written. close() destroys it. reload() applies the live keys
// of the section (reloads() says which; docs/config.md "discovery").
#pragma once

#include <cstdint>
#include <memory>

#include "runtime/host_services.h"
#include "runtime/subsystem.h"

namespace chorus::runtime {

class DiscoverySubsystem final : public Subsystem {
 public:
  explicit DiscoverySubsystem(HostServices& services);
  ~DiscoverySubsystem() override;

  std::string_view name() const noexcept override { return "discovery"; }
  Status start(const config::Config& config) override;
  void stop(Deadline deadline) override;
  void close() override;
  // Every discovery.* key but the timers' intervals and snapshot_every.
  bool reloads(std::string_view key) const override;
  Status reload(const config::Config& next) override;

 private:
  HostServices& services_;
  std::unique_ptr<discovery::Registry> registry_;
  uint64_t metrics_id_ = 0;  // the chorus_discovery_* collector, removed in stop()
};

}  // namespace chorus::runtime
