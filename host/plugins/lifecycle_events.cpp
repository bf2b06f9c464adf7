// agent.* events and the AgentDirectory calls (lifecycle_events.h).
#include "plugins/lifecycle_events.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "bus/event_bus.h"
#include "plugins/plugins_log.h"

namespace chorus::plugins {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void put(Writer& w, std::string_view key, std::string_view value) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void put(Writer& w, std::string_view key, uint64_t value) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  w.Uint64(value);
}

// Opens the object and writes the fields every agent.* event has.
void agent_fields(Writer& w, const AgentRecord& a) {
  w.StartObject();
  put(w, "name", a.name);
  put(w, "plugin", a.plugin);
  put(w, "version", a.version);
  w.Key("capabilities");
  w.StartArray();
  for (const std::string& c : a.capabilities)
    w.String(c.data(), static_cast<rapidjson::SizeType>(c.size()));
  w.EndArray();
  put(w, "file", a.file);
}

std::string finish(Writer& w, rapidjson::StringBuffer& buf) {
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace

void LifecycleEvents::set_directory(std::shared_ptr<AgentDirectory> directory) {
  std::lock_guard l(mu_);
  directory_ = std::move(directory);
}

std::shared_ptr<AgentDirectory> LifecycleEvents::directory() const {
  std::lock_guard l(mu_);
  return directory_;
}

void LifecycleEvents::publish(std::string_view type, Priority priority, std::string data) {
  auto ev = EventBuilder(type).source(kLifecycleSource).priority(priority).data(data).build();
  if (!ev.ok()) {
    plugins_log().error("{}: {}", type, ev.error().to_string());
    return;
  }
  if (Status st = bus_.publish(*ev); !st.ok() && !st.is(StatusCode::kUnavailable))
    plugins_log().warn("publishing {} failed: {}", type, st.to_string());
}

void LifecycleEvents::started(const AgentRecord& a) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  agent_fields(w, a);
  // Registered first: whoever reacts to agent.started can reach it.
  if (auto d = directory()) d->agent_started(a);
  publish("agent.started", Priority::kNormal, finish(w, buf));
}

void LifecycleEvents::stopped(const AgentRecord& a, std::string_view reason,
                              const UnloadReport& report) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  agent_fields(w, a);
  put(w, "reason", reason);
  put(w, "dropped_events", report.queued_dropped);
  put(w, "cancelled_requests", report.requests_cancelled);
  put(w, "released_events", report.retained_released);
  put(w, "freed_bytes", report.leaked_bytes);
  publish("agent.stopped", Priority::kNormal, finish(w, buf));
}

void LifecycleEvents::unregister(const AgentRecord& a) {
  if (auto d = directory()) d->agent_stopped(a);
}

void LifecycleEvents::reloaded(const AgentRecord& old_agent, const AgentRecord& new_agent,
                               double reload_ms) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  agent_fields(w, new_agent);
  put(w, "previous_version", old_agent.version);
  w.Key("reload_ms");
  w.Double(reload_ms);
  if (auto d = directory()) d->agent_started(new_agent);
  publish("agent.reloaded", Priority::kNormal, finish(w, buf));
}

void LifecycleEvents::failed(const AgentRecord& a, std::string_view stage, const Status& error,
                             StillRunning still) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  agent_fields(w, a);
  put(w, "stage", stage);
  put(w, "error", error.message());
  w.Key("still_running");
  w.Bool(still == StillRunning::kYes);
  publish("agent.failed", Priority::kHigh, finish(w, buf));
}

void LifecycleEvents::heartbeat(const AgentRecord& a, const InstanceStats& s,
                                const Status& health) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  agent_fields(w, a);
  w.Key("healthy");
  w.Bool(health.ok());
  if (!health.ok()) put(w, "reason", health.message());
  put(w, "delivered", s.delivered);
  put(w, "failed", s.failed);
  put(w, "published", s.published);
  put(w, "violations", s.violations);
  put(w, "retained_events", s.retained_events);
  put(w, "memory_bytes", s.memory_bytes);
  publish("agent.heartbeat", Priority::kLow, finish(w, buf));
  if (auto d = directory()) d->agent_heartbeat(a, health);
}

}  // namespace chorus::plugins
