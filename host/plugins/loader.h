// Loader: the table of loaded plugin files and the transactions that change
// it (private to host/plugins; PluginHost serialises the calls):
//
//   load(file)     a file not loaded: load the module, init and start its
//                  instances (agent.started each).
//   load(file) on a loaded file (replaced on disk, or its settings changed):
//                  the transactional reload. The new version is loaded and
//                  every new instance initialised first; if any of that
//                  fails, the new version is dropped, the failure logged and
//                  published (agent.failed, still_running) and the old one
//                  keeps running. Only then is each old instance unloaded
//                  (Instance::unload: drained, unsubscribed, timers
//                  cancelled, stopped, requests cancelled, destroyed), the
//                  old library dlclosed, and the new instances started
//                  (agent.reloaded each). A file whose bytes did not change
//                  is left alone unless its settings did.
//   remove(file)   unload its instances (agent.stopped) and dlclose it.
//
// Threading: load/remove/unload_all/settings from one thread at a time;
// snapshot(), plugins() and failures() from any thread.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "plugins/agent_directory.h"
#include "plugins/instance.h"
#include "plugins/lifecycle_events.h"
#include "plugins/plugin_host.h"
#include "plugins/plugin_host_options.h"

namespace chorus::plugins {

class LifecycleEvents;
class PluginModule;

// The settings of a plugin: by its name first, then by its file name or stem.
const PluginSettings* find_settings(const std::vector<PluginSettings>& all, std::string_view plugin,
                                    const std::string& file);

class Loader {
 public:
  Loader(InstanceLinks links, LifecycleEvents& events) : links_(links), events_(events) {}
  ~Loader();

  // The settings, private folder and drain timeout used from now on.
  void configure(const PluginHostOptions& options);

  enum class Force { kNo, kYes };  // kYes: reload even if the bytes did not change
  void load(const std::string& file, Force force = Force::kNo);
  void remove(const std::string& file, std::string_view reason);
  void unload_all(std::string_view reason);
  // A file that failed with PermissionDenied is tried again (after a chmod).
  bool refused(const std::string& file) const;
  // Records (or, with an OK status, clears) a problem of the plugins folder
  // itself, listed by failures() with stage "folder".
  void folder_status(const std::string& folder, const Status& st);

  // Files loaded now, and those whose settings differ from `options`.
  std::vector<std::string> files() const;
  std::vector<std::string> files_with_changed_settings(const PluginHostOptions& options) const;

  struct Running {
    AgentRecord agent;
    std::shared_ptr<Instance> instance;
  };
  std::vector<Running> snapshot() const;
  std::vector<PluginInfo> plugins() const;
  std::vector<LoadFailure> failures() const;

 private:
  struct LoadedFile {
    std::string file;
    std::shared_ptr<PluginModule> module;
    PluginSettings settings;
    std::vector<std::shared_ptr<Instance>> instances;
    std::vector<AgentRecord> agents;  // parallel to instances
    int64_t loaded_ns = 0;
  };

  const PluginSettings* settings_for(std::string_view plugin, const std::string& file) const;

  // Creates and initialises the instances of `module`; on failure none is left.
  Result<std::vector<std::shared_ptr<Instance>>> init_instances(
      const std::shared_ptr<PluginModule>& module, const PluginSettings& settings,
      const std::string& replacing);
  // Unregisters and unloads each instance (the library closes with the
  // last reference to `f`'s module).
  std::vector<UnloadReport> unload_file(LoadedFile& f);
  void fail(const std::string& file, const AgentRecord& agent, std::string_view stage,
            const Status& error, StillRunning still);
  AgentRecord record_for(const PluginModule& m, const std::string& instance) const;

  InstanceLinks links_;
  LifecycleEvents& events_;
  std::string private_dir_;
  std::chrono::milliseconds drain_timeout_{5'000};
  std::vector<PluginSettings> settings_;
  ScriptFilterResolver script_filters_;
  uint64_t generation_ = 0;  // of private copies

  // Written by the loader's calls, read by the snapshot functions.
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<LoadedFile>> files_;
  std::map<std::string, LoadFailure> failures_;
};

}  // namespace chorus::plugins
