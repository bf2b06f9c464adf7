// The events a plugin's life produces, published on the bus with source
// "chorus.plugins" (docs/plugins.md "Lifecycle events"), and the matching
// calls to the AgentDirectory:
//
//   agent.started    {name, plugin, version, capabilities, file}
//   agent.stopped    {..., reason: "removed" | "disabled" | "shutdown" | ...,
//                    and what the unload cleaned up: dropped_events (queued past
//                    the drain timeout), cancelled_requests, released_events
//                    (retained and never released), freed_bytes (never freed)}
//   agent.reloaded   {..., previous_version, reload_ms}
//   agent.failed     {..., stage: "load" | "init" | "start", error, still_running}
//                    (priority high; name/plugin are the file's stem when the
//                    file could not be read)
//   agent.heartbeat  {..., healthy, reason?, delivered, failed, published,
//                    violations, retained_events, memory_bytes}
//
// Threading: any thread; the directory's contract is in agent_directory.h.
#pragma once

#include <memory>
#include <mutex>
#include <string_view>

#include "core/status.h"
#include "plugins/agent_directory.h"
#include "plugins/instance.h"

namespace chorus::bus {
class EventBus;
}

namespace chorus::plugins {

inline constexpr std::string_view kLifecycleSource = "chorus.plugins";

// Whether the version a failed load would have replaced keeps serving.
enum class StillRunning { kNo, kYes };

class LifecycleEvents {
 public:
  LifecycleEvents(bus::EventBus& bus, std::shared_ptr<AgentDirectory> directory)
      : bus_(bus), directory_(std::move(directory)) {}

  void set_directory(std::shared_ptr<AgentDirectory> directory);

  // Registers the agent, then publishes agent.started (so a reaction to the
  // event finds it in discovery).
  void started(const AgentRecord& a);
  // Unregisters the agent (before it is unloaded).
  void unregister(const AgentRecord& a);
  // Publishes agent.stopped (after it was unloaded).
  void stopped(const AgentRecord& a, std::string_view reason, const UnloadReport& report = {});
  // Registers the new version (the old one was unregistered before its
  // unload), then publishes agent.reloaded.
  void reloaded(const AgentRecord& old_agent, const AgentRecord& new_agent, double reload_ms);
  void failed(const AgentRecord& a, std::string_view stage, const Status& error,
              StillRunning still);
  void heartbeat(const AgentRecord& a, const InstanceStats& stats, const Status& health);

 private:
  void publish(std::string_view type, Priority priority, std::string data);
  std::shared_ptr<AgentDirectory> directory() const;

  bus::EventBus& bus_;
  mutable std::mutex mu_;
  std::shared_ptr<AgentDirectory> directory_;  // under mu_
};

}  // namespace chorus::plugins
