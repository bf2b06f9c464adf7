// HealthChecker: runs the services' health checks on the host's io_context
// (docs/discovery.md "Health checks"). Each checked service has an entry
// with a timer; when it is due, its probe (probe.h, or a custom check) runs
// if fewer than max_in_flight run, else it waits in a FIFO queue for a free
// slot. Every result goes to the sink, and the next check of that service
// is due `interval` after the result. Nothing here blocks a thread.
//
// Threading: every member function is thread-safe. The sink is called on an
// io thread with no lock of the checker held; the registry may call add()
// and remove() while holding its own lock (lock order: registry, then
// checker), so the checker never calls the registry under its lock.
// Lifetime: the io_context must outlive the checker; stop() (also run by
// the destructor) cancels everything, and no sink call starts after it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "discovery/discovery_options.h"
#include "discovery/registry.h"
#include "discovery/service.h"

namespace boost::asio {
class io_context;
}

namespace chorus::discovery {

struct CheckResult {
  std::string id;
  uint64_t generation = 0;  // the registration the check belongs to
  Status status;            // OK: passed
  std::chrono::microseconds took{0};
};
using CheckSink = std::function<void(CheckResult result)>;

struct CheckerCounters {
  uint64_t run = 0;
  size_t in_flight = 0;
  size_t queued = 0;
};

class HealthChecker {
 public:
  HealthChecker(boost::asio::io_context& io, size_t max_in_flight, CheckDefaults defaults,
                CheckSink sink);
  ~HealthChecker();  // stop()
  HealthChecker(const HealthChecker&) = delete;
  HealthChecker& operator=(const HealthChecker&) = delete;

  // Starts checking `service` (its spec's check, which must not be kNone):
  // the first check is due at once. Replaces an entry with the same id.
  void add(const ServiceInfo& service, uint64_t generation);
  // Stops checking the service; a probe in flight is cancelled and its
  // result dropped.
  void remove(std::string_view id);

  // Unset settings of checks follow `defaults` from their next run.
  void set_defaults(CheckDefaults defaults);
  void set_max_in_flight(size_t n);

  Status add_custom(std::string name, CustomCheck check);
  // When this returns the check is not running and will not be called
  // again. REQUIRES: not called from inside that check.
  Status remove_custom(std::string_view name);

  CheckerCounters counters() const;
  void stop();

  struct State;  // private (health_checker.cpp)

 private:
  std::shared_ptr<State> state_;
};

}  // namespace chorus::discovery
