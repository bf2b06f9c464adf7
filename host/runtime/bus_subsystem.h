// BusSubsystem: the event bus on the store. At start it opens the durable
// dead letters (`$dead-letters`), builds the bus on the host's workers (or
// on a pool of its own when bus.workers > 0) and gives it the store as its
// durable log for the types in store.persist. Sets HostServices::bus.
//
// stop() shuts the bus down while the workers still run: publishing stops,
// queues drain up to bus.shutdown_timeout (or the deadline, if sooner), what
// is left is dead-lettered, and the bus's own pool is joined. close(), after
// the host's workers are joined, destroys the bus (no handler can still be
// running then). Nothing in the `bus:` section changes at runtime.
#pragma once

#include <memory>

#include "runtime/host_services.h"
#include "runtime/subsystem.h"

namespace chorus::runtime {

class IoPool;

class BusSubsystem final : public Subsystem {
 public:
  explicit BusSubsystem(HostServices& services);
  ~BusSubsystem() override;

  std::string_view name() const noexcept override { return "bus"; }
  Status start(const config::Config& config) override;
  void stop(Deadline deadline) override;
  void close() override;

 private:
  HostServices& services_;
  std::chrono::milliseconds shutdown_timeout_{0};
  std::unique_ptr<IoPool> pool_;  // bus.workers > 0
  std::unique_ptr<bus::EventBus> bus_;
};

}  // namespace chorus::runtime
