// ScriptCounters: what one configured script has done since the host
// loaded it, across its versions (a reload keeps them): calls into its
// handlers, the calls that failed and those stopped by a limit, its reloads
// and the loads that failed. For /metrics (chorus_scripts_*) through
// ScriptHost::scripts().
//
// Threading: atomics, written by whichever thread runs the script (its
// executor) or loads it (the control thread), read from any thread.
#pragma once

#include <atomic>
#include <cstdint>

namespace chorus::lua {

struct ScriptCounters {
  std::atomic<uint64_t> invocations{0};    // handler, filter and timer calls started
  std::atomic<uint64_t> errors{0};         // calls that failed (limit hits included)
  std::atomic<uint64_t> limit_hits{0};     // calls stopped by the CPU or memory limit
  std::atomic<uint64_t> reloads{0};        // new versions made current after the first
  std::atomic<uint64_t> load_failures{0};  // loads and reloads that failed
};

}  // namespace chorus::lua
