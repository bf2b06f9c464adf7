// Subsystem: the lifecycle contract between the runtime and each part of the
// running host (store, bus, and later discovery, plugins, scripts, the admin
// API). The runtime owns a list of them in dependency order; adding a part
// of the host is one line in HostRuntime's list (host_runtime.cpp).
//
//   start(config)  in list order, on the main thread, with the host's worker
//                  threads already running. A failure stops the start: the
//                  runtime stops and closes the subsystems already started,
//                  in reverse order, and `chorus run` exits 1.
//   stop(deadline) in reverse order, on the main thread, with the workers
//                  still running: stop taking new work, finish or hand off
//                  what is in flight by `deadline` (queues drain here).
//   close()        in reverse order, after the workers are joined: release
//                  what must outlive every handler (LMDB, dlopen handles).
//   reload(next)   on the main thread between start and stop, when SIGHUP
//                  brought a valid configuration that changes at least one
//                  key for which reloads() said true. The subsystem applies
//                  what it can; an error is logged and the host goes on
//                  with what the subsystem kept.
//
// Subsystems reach the ones started before them through HostServices
// (host_services.h), never through globals.
#pragma once

#include <chrono>
#include <string_view>

#include "core/status.h"

namespace chorus::config {
struct Config;
}

namespace chorus::runtime {

using Deadline = std::chrono::steady_clock::time_point;

class Subsystem {
 public:
  virtual ~Subsystem() = default;

  // Lowercase, used in logs ("store", "bus").
  virtual std::string_view name() const noexcept = 0;

  virtual Status start(const config::Config& config) = 0;
  virtual void stop(Deadline deadline) = 0;
  virtual void close() {}

  // True when a change of the configuration key `key` (a Config::settings
  // path such as "plugins.folder") is applied by reload() without a restart.
  virtual bool reloads(std::string_view key) const {
    (void)key;
    return false;
  }
  virtual Status reload(const config::Config& next) {
    (void)next;
    return Status::OK();
  }
};

}  // namespace chorus::runtime
