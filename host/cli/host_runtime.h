// HostRuntime: the running `chorus` process. Owns the Asio io_context and
// its worker threads, the data-directory lock, the store and the bus (and,
// as later modules arrive, discovery, plugins, scripts and the admin API),
// started in dependency order and stopped in reverse:
//
//   start: data-dir lock -> store -> bus (store as durable log and dead-letter
//          store) -> workers -> signals -> `ready`
//   stop:  bus shutdown (queues drain while the workers still run) ->
//          workers -> store close (every write synced) -> lock
//
// Threading: construct, start() and wait() on the main thread; wait() runs
// the shutdown. stop() and reload() may be called from any thread.
// SIGINT/SIGTERM call stop(); SIGHUP calls reload(); a second SIGINT or
// SIGTERM while stopping exits at once with status 1.
#pragma once

#include <memory>

#include "config/config.h"
#include "core/status.h"

namespace chorus::cli {

class HostRuntime {
 public:
  explicit HostRuntime(config::Config config);
  ~HostRuntime();
  HostRuntime(const HostRuntime&) = delete;
  HostRuntime& operator=(const HostRuntime&) = delete;

  // Locks the data dir, opens the store, starts the bus, the workers and
  // signal handling, logs the `ready` line. On error nothing is left running
  // and nothing was written.
  Status start();
  // Blocks until stop() (or a signal), then shuts everything down in order.
  void wait();
  void stop();
  void reload();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace chorus::cli
