// HostRuntime: the running `chorus` process and the composition root. It
// owns the data-directory lock, the host's worker pool and signal handling,
// and the subsystems (subsystem.h), started in dependency order and stopped
// in reverse:
//
//   start: data-dir lock -> workers + signals -> store -> bus -> discovery -> `ready`
//   stop:  discovery (checks and timers stop, the last heartbeat checkpoint
//          is journaled) -> bus (queues drain while the workers still run) -> store (nothing
//          to do yet) -> workers joined -> close in reverse (bus destroyed,
//          store closed with every write synced) -> lock released
//
// Reload (SIGHUP or reload()): the configuration file is read and validated
// again. An invalid file is logged with every file:line:col error and
// changes nothing. A valid one is compared with the running configuration;
// every changed key is logged with what happens to it (applied now, or after
// a restart), the log level and format are applied, and each subsystem with
// a live change gets reload(next).
//
// Threading: construct, start() and wait() on one thread (main). wait()
// runs reloads and the shutdown on that thread, so they never overlap.
// stop() and reload() only ask, from any thread. SIGINT/SIGTERM ask for a
// stop; a second SIGINT or SIGTERM while stopping exits at once with 1.
#pragma once

#include <memory>

#include "config/config.h"
#include "core/status.h"

namespace chorus::runtime {

class HostRuntime {
 public:
  explicit HostRuntime(config::Config config);
  ~HostRuntime();  // stop() and wait()
  HostRuntime(const HostRuntime&) = delete;
  HostRuntime& operator=(const HostRuntime&) = delete;

  // Locks the data dir, starts the workers, signal handling and every
  // subsystem, logs the `ready` line. On error whatever started is stopped
  // again (nothing was written) and the error names what failed.
  Status start();
  // Blocks until stop() (or a signal), running reloads as they are asked
  // for; then shuts everything down in order.
  void wait();
  void stop();
  void reload();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace chorus::runtime
