// Readiness: the named checks behind GET /readyz. The host is ready when
// every check passes: the store is open, and later the plugins are loaded,
// the scripts compiled, ... Each subsystem adds its check when it starts
// (through runtime::HostServices::readiness) and removes it when it stops.
//
//   id = services.readiness->add("plugins", [loader] {
//     return loader->initial_scan_done() ? Status::OK()
//                                        : Status::Unavailable("initial scan running");
//   });
//
// Threading: every member is thread-safe. Checks run on an API io thread at
// each /readyz: they must be quick and must not block. When remove()
// returns, the check is not running and will not run again.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "core/status.h"

namespace chorus::api {

class Readiness {
 public:
  // OK when ready; otherwise the message says what is missing.
  using Check = std::function<Status()>;

  uint64_t add(std::string name, Check check);
  void remove(uint64_t id);

  struct Outcome {
    std::string name;
    Status status;
  };
  // Every check, in the order added.
  std::vector<Outcome> run() const;

 private:
  struct Entry {
    uint64_t id;
    std::string name;
    Check check;
  };
  mutable std::mutex mu_;  // held while checks run
  std::vector<Entry> entries_;
  uint64_t next_id_ = 1;
};

}  // namespace chorus::api
