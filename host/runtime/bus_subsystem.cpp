// BusSubsystem: the event bus's place in the host's lifecycle.
#include "runtime/bus_subsystem.h"

#include <algorithm>

#include "bus/event_bus.h"
#include "config/config.h"
#include "runtime/io_pool.h"
#include "runtime/options_from_config.h"
#include "runtime/store_bridge.h"

namespace chorus::runtime {

BusSubsystem::BusSubsystem(HostServices& services) : services_(services) {}

BusSubsystem::~BusSubsystem() {
  stop(std::chrono::steady_clock::now());
  close();
}

Status BusSubsystem::start(const config::Config& config) {
  auto dead_letters = StoreDeadLetters::open(*services_.store);
  if (!dead_letters.ok()) return dead_letters.error();
  boost::asio::io_context* io = services_.io;
  if (config.bus.workers > 0) {
    pool_ = std::make_unique<IoPool>();
    io = &pool_->io();
  }
  shutdown_timeout_ = config.bus.shutdown_timeout;
  bus_ =
      std::make_unique<bus::EventBus>(*io, bus_options_from(config.bus), std::move(*dead_letters));
  if (Status s = bus_->set_durable_log(std::make_shared<StoreDurableLog>(*services_.store),
                                       config.store.persist);
      !s.ok()) {
    return s;
  }
  if (pool_) pool_->start(config.bus.workers);
  services_.bus = bus_.get();
  return Status::OK();
}

void BusSubsystem::stop(Deadline deadline) {
  if (!bus_) return;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  // Drains while the workers run; what is left is dead-lettered.
  (void)bus_->shutdown(std::clamp(left, std::chrono::milliseconds(0), shutdown_timeout_));
  if (pool_) pool_->stop_and_join();
}

void BusSubsystem::close() {
  services_.bus = nullptr;
  bus_.reset();
  pool_.reset();
}

}  // namespace chorus::runtime
