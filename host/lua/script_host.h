// ScriptHost: the Lua runtime of a running host (docs/lua.md). It loads the
// configured scripts from the scripts folder, each into its own sandboxed
// LuaJIT state run on its own executor, binds their subscriptions to the
// bus, reloads a script transactionally when its file changes (inotify) or
// when the `scripts:` configuration changes (apply()), and lends scripts'
// functions as bus filters to other subscribers (filter()).
//
//   ScriptHost scripts(options, {.io = &io, .bus = &bus, .store = store});
//   scripts.start();                       // every script loaded (errors logged)
//   auto f = scripts.filter("high_value", "high_value");   // a bus::Filter
//   ...
//   scripts.stop();                        // unsubscribed, watcher stopped
//   // join the io threads, then
//   scripts.close();                       // states freed
//
// A script that fails to load (syntax error, a runtime error at its top
// level, a missing YAML handler) is logged with script:line and does not
// stop the host; it is loaded as soon as its file is fixed. A reload that
// fails keeps the previous version running, logs the error and publishes
// `system.script.reload_failed`; one that succeeds publishes
// `system.script.reloaded` (docs/lua.md "Hot reload" has their data).
//
// Threading: every member is thread-safe (one control mutex serializes
// loads, reloads, apply and filter). The io_context runs script work and
// timers: it and the bus must outlive the ScriptHost, and the store until
// close(). close() must run after the io threads stopped (it frees timers
// while the io_context is still alive). The destructor runs stop() and
// close().
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bus/event_bus.h"
#include "core/status.h"
#include "lua/lua_options.h"
#include "lua/module_extension.h"

namespace boost::asio {
class io_context;
}
namespace chorus::store {
class EventStore;
}
namespace chorus::discovery {
class Registry;
}

namespace chorus::lua {

struct ScriptHostServices {
  boost::asio::io_context* io = nullptr;  // required
  bus::EventBus* bus = nullptr;           // required
  store::EventStore* store = nullptr;     // optional: without it chorus.store raises
  // Optional (thread-safe, outlives the ScriptHost): without it
  // chorus.registry raises "discovery is not available in this host".
  discovery::Registry* registry = nullptr;
  // Functions other modules add to every script's `chorus` table
  // (module_extension.h), e.g. chorus.workflow.
  ModuleExtensions extensions;
};

struct ScriptInfo {
  std::string name;
  std::string path;  // "scripts/x.lua"
  bool loaded = false;
  bool trusted = false;
  std::string hash;         // content hash of the loaded version
  uint64_t generation = 0;  // 1 for the first load, +1 per reload
  size_t subscriptions = 0;
  size_t waiting = 0;   // calls waiting for the host (requests, sleeps)
  size_t retiring = 0;  // old versions still finishing calls
  uint64_t memory_bytes = 0;
  std::string last_error;  // of the last failed load, "" after a good one
  // Since the host loaded the script (lua/script_counters.h).
  uint64_t invocations = 0, errors = 0, limit_hits = 0, reloads = 0, load_failures = 0;
};

// Event types the host publishes about scripts (source "scripts").
inline constexpr std::string_view kScriptReloaded = "system.script.reloaded";
inline constexpr std::string_view kScriptReloadFailed = "system.script.reload_failed";

class ScriptHost {
 public:
  ScriptHost(ScriptHostOptions options, ScriptHostServices services);
  ~ScriptHost();
  ScriptHost(const ScriptHost&) = delete;
  ScriptHost& operator=(const ScriptHost&) = delete;

  // Loads every script and starts watching the folder. Fails only when the
  // services are missing; a script that does not load is logged.
  Status start();
  // Unsubscribes every script and stops watching. Calls that wait (a request
  // in flight) are abandoned.
  void stop();
  // Frees every script state. REQUIRES: stop(), and no io thread runs.
  void close();

  // A new `scripts:` configuration (SIGHUP): scripts added are loaded,
  // removed ones unloaded, changed ones reloaded (each transactionally); a
  // new folder reloads all. Returns the first error (the others are logged).
  Status apply(const ScriptHostOptions& next);
  // Reloads `script` from its file now, as the watcher does on a change.
  Status reload(std::string_view script);

  // A bus filter running `function` of `script` (a global function taking
  // the event, returning true to deliver), for subscriptions outside the
  // script (plugin YAML). It runs on the publisher's thread in a filter
  // state of the script (filter_pool.h), follows the script's reloads, and
  // counts an error as "do not deliver". NotFound for an unknown script or
  // function, Unavailable when the script is not loaded.
  Result<bus::Filter> filter(std::string_view script, std::string_view function);

  std::vector<ScriptInfo> scripts() const;
  ScriptHostOptions options() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace chorus::lua
