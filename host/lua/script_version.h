// ScriptVersion: one loaded version of one script: its Lua state (LuaVm,
// sandbox, `chorus` module), the subscriptions it declared (chorus.on and
// the YAML ones bound to its functions), its timers and its invocations.
//
// A version is made by load(): a fresh state compiles the file as a text
// chunk named "@<path>" and runs its top level (under kLoadCpuFactor x the
// CPU limit). While loading, chorus.on declares subscriptions and
// chorus.after/every declare timers; nothing is subscribed or armed yet, and
// nothing can wait. The ScriptSlot (script_slot.h) then makes it current:
// subscriptions are bound to the bus, activate() arms the timers. A retired
// version stops its timers; invocations that wait (a request in flight)
// finish on it, and the slot drops it once idle.
//
// Modes: kLive (the host's scripts), kCheck (`chorus check`: the top level
// runs with publish, store writes and timers inactive), kFilter (a copy of a
// script whose functions are used as bus filters, filter_pool.h).
//
// Threading: everything runs on the slot's executor, except load() (on the
// loading thread, before anyone else sees the version), resume_later()
// (any thread) and the accessors of immutable data.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/event.h"
#include "core/status.h"
#include "lua/invoker.h"
#include "lua/lua_options.h"
#include "lua/lua_vm.h"
#include "lua/module_extension.h"
#include "lua/sandbox.h"
#include "lua/script_counters.h"
#include "lua/script_service.h"
#include "lua/script_timers.h"

struct lua_State;

namespace boost::asio {
class io_context;
}
namespace chorus::bus {
class EventBus;
}
namespace chorus::store {
class EventStore;
}
namespace chorus::discovery {
class Registry;
}

namespace chorus::lua {

class BlockingWorker;
class ScriptExecutor;

enum class Mode : uint8_t { kLive, kCheck, kFilter };

// The parts of the host a live script reaches; null in check and filter mode.
struct ScriptServices {
  boost::asio::io_context* io = nullptr;
  bus::EventBus* bus = nullptr;
  store::EventStore* store = nullptr;  // null: chorus.store raises "no store"
  // Thread-safe; null: chorus.registry raises "discovery is not available".
  discovery::Registry* registry = nullptr;
  BlockingWorker* worker = nullptr;  // blocking store calls
};

struct VersionSpec {
  std::string name;         // the script's name (event source, logs)
  std::string path;         // "scripts/x.lua": chunk name and messages
  std::string folder;       // the scripts folder as configured
  std::string folder_real;  // its realpath (require's boundary)
  std::string real_path;    // the file's realpath (for the watcher)
  std::string source;       // the file's text
  Trust trust = Trust::kSandboxed;
  ScriptLimits limits;
  std::string config_json = "{}";
  Mode mode = Mode::kLive;
  std::chrono::milliseconds request_timeout{5'000};
  uint64_t generation = 1;  // 1 for the first version of a slot, then +1 per reload
  // The slot's counters; live versions count their calls in them (null:
  // nothing is counted).
  std::shared_ptr<ScriptCounters> counters;
  // Functions other modules add to `chorus` (module_extension.h); may be null.
  std::shared_ptr<const ModuleExtensions> extensions;
};

// A subscription the script declared (chorus.on) or YAML bound to it.
struct Declared {
  std::string key;  // the same for the same declaration in every version
  std::vector<std::string> patterns;
  std::string queue_group, durable_group;
  std::string bus_filter;  // a YAML filter ("fn" or "script.fn"), run by the bus
  std::optional<Priority> min_priority;
  int fn_ref = -2;           // LUA_NOREF
  int filter_ref = -2;       // chorus.on's filter option, run in this state
  std::string label;         // "chorus.on('task.failed') at scripts/x.lua:12"
  std::string filter_label;  // "the filter of " + label
  std::string origin;        // YAML: where it was declared (for errors)
};

struct LoadError {
  std::string message;  // starts with "scripts/x.lua:12:" when Lua knows where
  std::string traceback;
};

class ScriptVersion : public std::enable_shared_from_this<ScriptVersion> {
 public:
  // Creates the state and runs the top level. On failure returns null and
  // fills `error`. `executor` may be null outside kLive.
  static std::shared_ptr<ScriptVersion> load(VersionSpec spec, ScriptServices services,
                                             std::shared_ptr<ScriptExecutor> executor,
                                             LoadError* error);
  ~ScriptVersion();
  ScriptVersion(const ScriptVersion&) = delete;
  ScriptVersion& operator=(const ScriptVersion&) = delete;

  // The version running in `L` (any coroutine of its state).
  static ScriptVersion& of(lua_State* L);

  const VersionSpec& spec() const noexcept { return spec_; }
  const std::string& name() const noexcept { return spec_.name; }
  const std::string& hash() const noexcept { return hash_; }
  Mode mode() const noexcept { return spec_.mode; }
  bool live() const noexcept { return spec_.mode == Mode::kLive; }
  bool loading() const noexcept { return loading_; }
  const ScriptServices& services() const noexcept { return services_; }
  LuaVm& vm() noexcept { return *vm_; }
  Invoker& invoker() noexcept { return *invoker_; }
  const std::vector<Declared>& declared() const noexcept { return declared_; }
  // The real paths of the files this version was built from (its own and
  // the modules it required), for the watcher.
  std::vector<std::string> files() const;

  // Binds YAML subscriptions to the script's global functions. An unknown
  // function is InvalidArgument naming the YAML origin and the file.
  Status bind(const std::vector<SubscriptionSpec>& subscriptions);
  // True when the script defines a global function `name`.
  bool has_function(const std::string& name);
  // The global function names of the script (for did-you-mean hints).
  std::vector<std::string> function_names();

  // ---- for the Lua API (script code running, on the executor) ----
  void declare(Declared d);
  // chorus.registry.register (while loading): the service this version
  // offers while it is current (ScriptService). A second call replaces it.
  void declare_service(ServiceDeclaration d) { service_ = std::move(d); }
  const std::optional<ServiceDeclaration>& service() const noexcept { return service_; }
  uint64_t add_timer(int fn_ref, std::chrono::milliseconds delay,
                     std::chrono::milliseconds interval);
  bool cancel_timer(uint64_t id);
  void add_wake(WaitTicket ticket, std::chrono::milliseconds delay);
  // Thread-safe: resumes a waiting invocation on the executor.
  void resume_later(WaitTicket ticket, Pusher push);
  // Logs a failed invocation (throttled); `context` is added to its
  // description (the event it handled).
  void report(const CallResult& r, std::string_view context = {});
  // Counts a call about to start in the slot's counters (live versions).
  void count_call();
  // Writes one log line of the script (chorus.log, print).
  void log(int level, std::string_view text) const;

  // ---- for the slot (on the executor) ----
  void activate();
  // Stops its timers; `on_idle` runs (on the executor) when no invocation
  // waits any more (at once when none does).
  void retire(std::function<void()> on_idle);
  bool idle() const noexcept;
  // Runs the handler declared at `index` for `ev`: OK when it finished or
  // waits, its error otherwise.
  Status deliver(size_t index, const EventPtr& ev);
  void fire_timer(uint64_t id);
  void resume(const WaitTicket& ticket, const Pusher& push);
  // The host is closing (io threads joined): timers freed, waits dropped.
  void shutdown();

  // ---- filter mode (one thread at a time, no executor) ----
  // Calls the global function `function` with the event; its truthiness.
  Result<bool> evaluate(const std::string& function, const Event& ev);

 private:
  ScriptVersion(VersionSpec spec, ScriptServices services,
                std::shared_ptr<ScriptExecutor> executor);
  std::chrono::nanoseconds budget() const;
  void check_idle();

  VersionSpec spec_;
  ScriptServices services_;
  std::shared_ptr<ScriptExecutor> executor_;
  std::unique_ptr<LuaVm> vm_;
  SandboxState sandbox_;
  std::unique_ptr<Invoker> invoker_;
  std::unique_ptr<TimerTable> timers_;
  std::string hash_;
  bool loading_ = false;
  bool retired_ = false;
  std::function<void()> on_idle_;
  std::vector<Declared> declared_;
  std::optional<ServiceDeclaration> service_;
  // Filter mode: function references by name (a few, so a flat list), and
  // the lent event object (kept at index 1 of the main stack).
  std::vector<std::pair<std::string, int>> filter_refs_;
  struct LentEvent* lent_event_ = nullptr;
  // Error log throttle.
  std::chrono::steady_clock::time_point errors_window_{};
  int errors_in_window_ = 0;
  int errors_suppressed_ = 0;
};

}  // namespace chorus::lua
