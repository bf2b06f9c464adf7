// StoreSubsystem: opens the event store under <data_dir>/store at start and
// closes it after the workers are joined (every queued write completed and
// synced). Sets HostServices::store. Nothing in the `store:` section changes
// at runtime: a reload reports those keys as needing a restart.
#pragma once

#include <memory>

#include "runtime/host_services.h"
#include "runtime/subsystem.h"

namespace chorus::runtime {

class StoreSubsystem final : public Subsystem {
 public:
  explicit StoreSubsystem(HostServices& services);
  ~StoreSubsystem() override;

  std::string_view name() const noexcept override { return "store"; }
  // A store that cannot be opened safely (newer format, permissions, a
  // corrupt header) fails the start; nothing is written to it.
  Status start(const config::Config& config) override;
  void stop(Deadline deadline) override;
  void close() override;

 private:
  HostServices& services_;
  std::unique_ptr<store::EventStore> store_;
};

}  // namespace chorus::runtime
