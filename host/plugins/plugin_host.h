// PluginHost: the public face of host/plugins. It loads every plugin in the
// plugins folder at start, watches the folder (load a new file, reload a
// replaced one transactionally, unload a removed one), publishes the
// lifecycle events (agent.*), heartbeats each running instance, and applies
// a new configuration on reload. docs/plugins.md describes the behaviour;
// sdk/ABI.md the contract with plugins.
//
//   PluginHost host(io, bus, &store, options);
//   host.start();            // loads the folder; errors are per file
//   ...
//   host.stop();             // unloads everything (agent.stopped "shutdown")
//
// Errors a user sees name the plugin file (or the instance). A file that
// cannot be loaded is reported (log, agent.failed) and the host goes on.
//
// Threading: construct, start, stop and reconfigure from one thread (the
// runtime's main thread); plugins() and failures() from any thread. Loads,
// reloads and unloads run one at a time (on the watcher's thread or the
// caller's). The io_context, bus and store must outlive the PluginHost, and
// stop() must run while the io_context's threads still run (unloading
// waits for queued deliveries and cancelled timers).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "plugins/agent_directory.h"
#include "plugins/instance.h"
#include "plugins/plugin_host_options.h"

namespace boost::asio {
class io_context;
}
namespace chorus::bus {
class EventBus;
}
namespace chorus::store {
class EventStore;
}

namespace chorus::plugins {

// One running instance, for `chorus plugins`, the admin API and tests.
struct PluginInfo {
  AgentRecord agent;
  std::vector<std::string> warnings;  // e.g. GNU unique symbols
  InstanceStats stats;
  int64_t loaded_ns = 0;  // wall clock of the (re)load
};

// The last failure of a file that is not running (or whose new version
// failed while the old one runs on).
struct LoadFailure {
  std::string file;
  std::string stage;  // "load", "init", "start"
  std::string error;
  bool still_running = false;
  int64_t time_ns = 0;
};

// Counters of the plugin host, for /metrics (chorus_plugins_*).
struct PluginHostStats {
  uint64_t loaded = 0;    // instances running now
  uint64_t failing = 0;   // files (or the folder) whose last load failed, now
  uint64_t loads = 0;     // files loaded (first versions), since start
  uint64_t reloads = 0;   // transactional reloads that succeeded
  uint64_t unloads = 0;   // files unloaded (removed, disabled, by the API, at stop)
  uint64_t failures = 0;  // loads, inits and starts that failed (each stage once)
};

class Loader;
class Heartbeats;
class LifecycleEvents;
class FolderWatcher;

class PluginHost {
 public:
  // `store` may be null (the store functions of the host API are then
  // Unavailable). REQUIRES: options.private_dir is set.
  PluginHost(boost::asio::io_context& io, bus::EventBus& bus, store::EventStore* store,
             PluginHostOptions options);
  ~PluginHost();  // stop()
  PluginHost(const PluginHost&) = delete;
  PluginHost& operator=(const PluginHost&) = delete;

  // Prepares the private folder (an error here is returned), then loads
  // every plugin of the folder and starts watching it and the heartbeats. A
  // missing or untrusted plugins folder is logged as an error and loads
  // nothing; the host runs on.
  Status start();
  // Stops watching and heartbeats, unloads every instance. Idempotent.
  void stop();
  // Applies new options (SIGHUP): a plugin whose settings changed is
  // reloaded transactionally, a disabled one unloaded, an enabled one
  // loaded; a new folder replaces the old one; the folder is scanned again
  // (files changed while nobody watched are picked up).
  Status reconfigure(PluginHostOptions next);

  std::vector<PluginInfo> plugins() const;
  std::vector<LoadFailure> failures() const;
  PluginHostStats stats() const;

  // Operations of the admin API (docs/api.md "Plugins"); serialised with
  // the watcher's loads. They block for as long as the load or unload takes
  // (an unload drains up to drain_timeout): call them from a thread that
  // is not an io thread of the host.
  //
  // Loads `file_name` (a bare *.so name) from the plugins folder.
  // InvalidArgument for a name with a '/' or not ending in .so; NotFound
  // when the folder has no such file; AlreadyExists when it is loaded (use
  // reload()); FailedPrecondition with the stage and error when it failed
  // to load, init or start, or is disabled by its settings; Unavailable
  // before start() or after stop().
  Status load(std::string_view file_name);
  // Unloads the file that holds `name` (an instance, a plugin name, or a
  // file name or stem): every instance of it stops (agent.stopped
  // "unloaded"). The file stays in the folder: it is loaded again when it
  // changes, on load(), or on a configuration reload. NotFound.
  Status unload(std::string_view name);
  // Reloads the file that holds `name` from disk now, transactionally, even
  // when its bytes did not change. NotFound; FailedPrecondition as load()
  // (the old version then keeps running).
  Status reload(std::string_view name);

 private:
  // The loaded file that holds `name`; NotFound otherwise. REQUIRES ops_mu_.
  Result<std::string> file_of(std::string_view name) const;
  // OK, or the failure `file` recorded at or after `since_ns`. REQUIRES ops_mu_.
  Status outcome(const std::string& file, int64_t since_ns) const;
  void on_change(int change, const std::string& path);
  void open_folder();  // check, scan, watch; REQUIRES ops_mu_

  boost::asio::io_context& io_;
  PluginHostOptions options_;
  std::unique_ptr<LifecycleEvents> events_;
  std::unique_ptr<Loader> loader_;
  std::unique_ptr<Heartbeats> heartbeats_;
  std::unique_ptr<FolderWatcher> watcher_;
  // Serialises loads, reloads and unloads (watcher thread, start/stop/reconfigure).
  std::mutex ops_mu_;
  bool started_ = false;
};

}  // namespace chorus::plugins
