// FilterPool: how a script's functions serve as bus filters (YAML filters of
// script and plugin subscriptions; ScriptHost::filter()).
//
// A bus filter runs on the publisher's thread, concurrently from several
// threads, while the script's own state belongs to its executor. So a filter
// never touches the script's state: it runs in a *filter state*, a separate
// lua_State loaded from the same source in filter mode (its top level runs
// with chorus.on/after/every/publish/store inactive), taken from a pool by
// one thread at a time and given back after the call. A filter is thus a
// function of the event and of what the script's top level computes (its
// config, constants, helper modules), never of state its handlers change.
// docs/lua.md "Filters" says so to script authors.
//
// Each thread keeps the filter state it last used for a pool in a small
// thread-local cache (kThreadFilterStates pools per thread), so a steady
// publisher evaluates without any lock; other threads take states from the
// pool (at most kMaxIdleFilterStates kept idle). A new version of the script
// (update()) bumps the pool's generation: cached and idle states of older
// generations are dropped at their next use, and later evaluations load the
// new source. A thread's cached states are freed when it exits. Limits are
// the script's: a sandboxed filter runs with the JIT off under its CPU and
// memory limits; an error or a limit makes the evaluation fail (the caller
// treats that as "do not deliver").
//
// Threading: every member is thread-safe.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "bus/event_bus.h"
#include "core/event.h"
#include "core/status.h"
#include "lua/script_version.h"

namespace chorus::lua {

inline constexpr size_t kMaxIdleFilterStates = 16;
inline constexpr size_t kThreadFilterStates = 4;

class FilterPool {
 public:
  explicit FilterPool(std::string script);

  // The script's current source and settings (mode is set to kFilter).
  void update(VersionSpec spec);
  // The script is unloaded: evaluations fail with Unavailable.
  void clear();

  // Calls `function` with the event in a filter state: its truthiness.
  Result<bool> evaluate(const std::string& function, const Event& ev);
  // Loads a filter state now and checks that `function` exists (for errors
  // at configuration time); remembers it as in use.
  Status check(const std::string& function);
  // Functions handed out as filters (a new version must still define them).
  std::set<std::string> in_use() const;

 private:
  std::shared_ptr<ScriptVersion> take(uint64_t* generation, Status* error);
  void give_back(std::shared_ptr<ScriptVersion> v, uint64_t generation);

  const std::string script_;
  const uint64_t id_;                    // process-unique: names the pool in thread caches
  std::atomic<uint64_t> generation_{0};  // written under mu_
  mutable std::mutex mu_;
  std::shared_ptr<const VersionSpec> spec_;           // null: not loaded
  std::vector<std::shared_ptr<ScriptVersion>> idle_;  // of generation_
  std::set<std::string> in_use_;
};

// A bus filter that evaluates `function` of the pool's script; an error or a
// limit counts as "no" and is logged (at most once per 10 s per filter),
// naming `who` (the subscription that uses it).
bus::Filter make_bus_filter(std::shared_ptr<FilterPool> pool, std::string function,
                            std::string who);

}  // namespace chorus::lua
