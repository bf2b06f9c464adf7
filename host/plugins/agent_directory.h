// AgentDirectory: the hook through which loaded agents are registered in
// service discovery. The plugin host calls it; whoever owns discovery (the
// runtime, through an adapter in host/runtime) implements it and sets it in
// PluginHostOptions::directory. Without one, agents run unregistered (the
// lifecycle events on the bus are published either way).
//
//   agent_started    after an instance started (also the new version after
//                    a reload): register it with its capabilities
//   agent_stopped    before an instance is unloaded (also the old version
//                    before a reload): unregister it
//   agent_heartbeat  every plugins.heartbeat_interval for each running
//                    instance, with the result of its health() callback
//                    (OK when it has none): keep it healthy, or mark it not
//
// Threading: agent_started/agent_stopped on the loader's thread (the
// watcher's or the runtime's main thread), agent_heartbeat on a worker.
// Calls for one instance never overlap. Implementations must be quick, must
// not block on the bus, and must not call back into the PluginHost.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace chorus::plugins {

struct AgentRecord {
  std::string name;    // the instance's name: the agent id, and its events' source
  std::string plugin;  // the plugin's name (its descriptor)
  std::string version;
  std::string description;
  std::string file;  // the .so in the plugins folder
  std::vector<std::string> capabilities;
};

class AgentDirectory {
 public:
  virtual ~AgentDirectory() = default;
  virtual void agent_started(const AgentRecord& agent) = 0;
  virtual void agent_stopped(const AgentRecord& agent) = 0;
  virtual void agent_heartbeat(const AgentRecord& agent, const Status& health) = 0;
};

}  // namespace chorus::plugins
