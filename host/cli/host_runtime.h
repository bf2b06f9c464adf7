// HostRuntime: the running `chorus` process. Owns the Asio io_context and its
// worker threads, the data-directory lock, and (as later modules arrive) the
// bus, store, discovery, plugins, scripts and admin API, started in
// dependency order and stopped in reverse.
//
// Threading: construct, start() and wait() from the main thread. stop() and
// reload() may be called from any thread (they post to the io_context).
// SIGINT/SIGTERM call stop(); SIGHUP calls reload(). A second SIGINT/SIGTERM
// while stopping exits at once.
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

  // Locks the data dir, starts the workers and signal handling, logs the
  // `ready` line. On error nothing is left running.
  Status start();
  // Blocks until stop() (or a signal) and shutdown have completed.
  void wait();
  void stop();
  void reload();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace chorus::cli
