// ScriptSlot: one configured script across its versions: the executor its
// code runs on, its current version, the versions retiring, its bus
// subscriptions and its filter pool. Hot reload is a slot's load() of a new
// version (docs/lua.md "Hot reload").
//
// Exactly once across a reload. A bus subscription belongs to the slot, not
// to a version: it is keyed by what was declared (patterns, queue group,
// durable group, filters) and survives every reload that keeps the
// declaration. Its handler runs, under the slot's executor, the handler of
// whatever version is current at that moment. The swap itself runs under
// the executor too, so each event is handled entirely by the old version or
// entirely by the new one, never by both, never by neither: events queued in
// the bus before the swap go to the new version. Declarations that are new
// get their subscription inside the swap; those that are gone are
// unsubscribed after it (their late events find no handler and are dropped:
// the new version does not want them).
//
// Threading: load(), unload(), shutdown() and the accessors run on the
// host's control thread (ScriptHost serializes them); bus handlers on bus
// threads; everything that touches a version under the executor.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bus/event_bus.h"
#include "core/status.h"
#include "lua/lua_options.h"
#include "lua/script_version.h"

namespace chorus::lua {

class FilterPool;
class ScriptExecutor;
class ScriptService;

// What every slot of a host shares.
struct SlotContext {
  ScriptServices services;
  std::string folder;       // as configured
  std::string folder_real;  // its realpath
  std::chrono::milliseconds request_timeout{5'000};
  std::shared_ptr<const ModuleExtensions> extensions;  // may be null
  // A YAML filter of another script ("script.fn"); the host resolves it.
  std::function<Result<bus::Filter>(const std::string& script, const std::string& fn)> other_filter;
};

struct LoadOutcome {
  enum class Kind { kLoaded, kUnchanged, kFailed };
  Kind kind = Kind::kFailed;
  Status error;           // kFailed
  std::string traceback;  // kFailed, when Lua gave one
  std::string path;       // "scripts/x.lua"
  std::string hash, previous_hash;
  uint64_t generation = 0;
  std::chrono::nanoseconds took{0};
};

struct SlotInfo {
  std::string name, path, hash;
  bool loaded = false;
  bool trusted = false;
  uint64_t generation = 0;
  size_t subscriptions = 0;
  size_t waiting = 0;   // invocations waiting for the host
  size_t retiring = 0;  // old versions still finishing
  uint64_t memory_bytes = 0;
  std::string last_error;
  uint64_t invocations = 0, errors = 0, limit_hits = 0, reloads = 0, load_failures = 0;
};

class ScriptSlot : public std::enable_shared_from_this<ScriptSlot> {
 public:
  ScriptSlot(ScriptSpec spec, const SlotContext& context);
  ~ScriptSlot();

  const std::string& name() const noexcept { return spec_.name; }
  const ScriptSpec& spec() const noexcept { return spec_; }
  // The display path of its file ("scripts/x.lua") and its real path.
  std::string path() const;
  std::string real_path() const;

  // Reads the file, loads a new version with `spec` and makes it current.
  // On failure the current version (if any) keeps running with its spec.
  // `changed`: the files a watcher saw written (empty: load anyway); when
  // only the script's own file changed and its content did not, nothing
  // happens (kUnchanged).
  LoadOutcome load(const ScriptSpec& spec, const std::vector<std::string>& changed = {});
  // Retires the current version and drops the bus subscriptions.
  void unload();
  // The host is closing (io threads joined): every version's timers are
  // freed and waiting invocations dropped.
  void shutdown();

  // The real paths the current version was built from.
  std::vector<std::string> files() const;
  std::shared_ptr<FilterPool> filters() const noexcept { return filters_; }
  SlotInfo info() const;

 private:
  struct Subscription {
    int key_id = 0;
    bus::SubscriptionId id = 0;
    std::string name;  // the bus subscriber id ("script:x:task.failed")
  };
  // Runs the current version's handler for subscription `key_id`.
  Status dispatch(int key_id, const EventPtr& ev);
  // Runs every handler of the current version whose patterns match a
  // request directed at the script (ScriptService).
  Status dispatch_directed(const EventPtr& ev);
  // Registers the current version's service declaration (or none).
  void update_service(const ScriptVersion& v);
  Status swap(std::shared_ptr<ScriptVersion> v,
              const std::map<std::string, bus::Filter>& bus_filters);
  Result<bus::SubscriptionId> subscribe(const Declared& d, int key_id, const bus::Filter& filter,
                                        std::string* sub_id);
  std::string subscriber_id(const Declared& d, int key_id);

  ScriptSpec spec_;
  const SlotContext& ctx_;
  std::shared_ptr<ScriptExecutor> executor_;
  std::shared_ptr<FilterPool> filters_;
  // Control thread.
  std::map<std::string, Subscription> subs_;     // by declaration key
  std::map<std::string, int> key_ids_;           // declaration key -> small id, never reused
  std::map<std::string, int> subscriber_names_;  // bus subscriber id -> the key id that owns it
  std::shared_ptr<ScriptVersion> loaded_;   // the current version, as the control thread knows it
  std::unique_ptr<ScriptService> service_;  // made at the first load
  uint64_t generation_ = 0;
  std::string last_error_;
  std::shared_ptr<ScriptCounters> counters_ = std::make_shared<ScriptCounters>();
  // Under the executor.
  std::shared_ptr<ScriptVersion> current_;
  std::vector<int> index_of_key_;  // key id -> handler index in current_ (-1: none)
  std::vector<std::shared_ptr<ScriptVersion>> retiring_;
};

}  // namespace chorus::lua
