// AgentRegistration: loaded agents as services in discovery.
#include "runtime/agent_registration.h"

#include "discovery/registry.h"
#include "runtime/runtime_log.h"

namespace chorus::runtime {

// Three missed heartbeats make an agent unhealthy.
constexpr int kMissedHeartbeats = 3;

AgentRegistration::AgentRegistration(discovery::Registry& registry,
                                     std::chrono::milliseconds heartbeat_interval)
    : registry_(registry), ttl_(heartbeat_interval * kMissedHeartbeats) {}

Status AgentRegistration::register_agent(const plugins::AgentRecord& agent) {
  discovery::ServiceSpec spec;
  spec.id = agent.name;
  spec.agent_id = agent.name;
  spec.name = agent.plugin;
  spec.type = "agent";
  spec.protocol = "bus";
  spec.version = agent.version;
  spec.capabilities = agent.capabilities;
  spec.metadata = {{"file", agent.file}, {"plugin", agent.plugin}};
  spec.ttl = ttl_;
  discovery::RegisterOptions o;
  o.on_existing = discovery::OnExisting::kReplace;
  return registry_.register_service(std::move(spec), o);
}

void AgentRegistration::agent_started(const plugins::AgentRecord& agent) {
  if (Status st = register_agent(agent); !st.ok())
    runtime_log().warn("{}: not registered in discovery: {}", agent.name, st.to_string());
}

void AgentRegistration::agent_stopped(const plugins::AgentRecord& agent) {
  Status st = registry_.unregister(agent.name);
  // NotFound: never registered (refused above) or already removed.
  if (!st.ok() && st.code() != StatusCode::kNotFound)
    runtime_log().warn("{}: not unregistered from discovery: {}", agent.name, st.to_string());
}

void AgentRegistration::agent_heartbeat(const plugins::AgentRecord& agent, const Status& health) {
  const auto status =
      health.ok() ? discovery::ServiceStatus::kHealthy : discovery::ServiceStatus::kUnhealthy;
  Status st = registry_.set_status(agent.name, status);
  if (st.code() == StatusCode::kNotFound) {
    // Removed meanwhile (unhealthy past deregister_after): the agent runs, so
    // it is a service again.
    st = register_agent(agent);
    if (st.ok() && !health.ok()) st = registry_.set_status(agent.name, status);
  }
  if (!st.ok())
    runtime_log().warn("{}: heartbeat not recorded in discovery: {}", agent.name, st.to_string());
}

}  // namespace chorus::runtime
