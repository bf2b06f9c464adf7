// AgentRegistration: the adapter that registers loaded plugin agents in
// service discovery (plugins::AgentDirectory over discovery::Registry). It
// lives in the runtime because it joins two modules; PluginsSubsystem sets
// it in PluginHostOptions::directory. docs/discovery.md "Who registers".
//
// One service per running instance:
//   id = agent_id = the instance's name (a request's target, so
//   request_by_capability reaches the instance's request subscription),
//   name = the plugin's name, type "agent", protocol "bus", version,
//   capabilities from the descriptor, metadata {plugin, file},
//   ttl = 3 x plugins.heartbeat_interval (0 when heartbeats are off: no TTL).
// agent_started registers it (replacing a record of the same id: an agent
// that came back, or one journaled by an earlier run of the host);
// agent_heartbeat marks it healthy (a heartbeat) when its health() is OK,
// unhealthy otherwise, and registers it again if the registry removed it
// meanwhile; agent_stopped unregisters it.
//
// Threading: the AgentDirectory contract (agent_directory.h); the registry
// is thread-safe and never blocks on the bus. Failures are logged, never
// returned: an agent runs whether or not it could be registered.
#pragma once

#include <chrono>

#include "plugins/agent_directory.h"

namespace chorus::discovery {
class Registry;
}

namespace chorus::runtime {

class AgentRegistration final : public plugins::AgentDirectory {
 public:
  // `registry` must outlive this object's use by the PluginHost.
  AgentRegistration(discovery::Registry& registry, std::chrono::milliseconds heartbeat_interval);

  void agent_started(const plugins::AgentRecord& agent) override;
  void agent_stopped(const plugins::AgentRecord& agent) override;
  void agent_heartbeat(const plugins::AgentRecord& agent, const Status& health) override;

 private:
  Status register_agent(const plugins::AgentRecord& agent);

  discovery::Registry& registry_;
  const std::chrono::milliseconds ttl_;
};

}  // namespace chorus::runtime
