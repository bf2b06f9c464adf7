// ScriptService: a script as a service in discovery while it is loaded
// (chorus.registry.register, docs/lua.md "chorus.registry"). The script
// declares its capabilities while it loads; its ScriptSlot owns one
// ScriptService and hands it the current version's declaration after each
// swap (update) and nothing when the script is unloaded (clear).
//
// The record: id = agent_id = "script:<name>", name = the script's name,
// type "script", protocol "bus", capabilities, tags, metadata and weight as
// declared, TTL kScriptServiceTtl kept alive by a heartbeat every
// kScriptHeartbeat on the host's workers (so the record of a host that was
// killed expires like an agent's, instead of staying healthy in the
// journal). It is (re-)registered with OnExisting::kReplace when the
// declaration changes (or the registry removed it), and unregistered when
// a new version declares none or the script is unloaded.
//
// Requests reach the script through one more bus subscription, made here:
// subscriber id "script:<name>" (the agent id, so a request directed at
// the script by request_by_capability is accepted by it and by nothing
// else), on the union of the patterns the script's handlers declared,
// filtered to events whose target is that id. Its handler runs the
// script's matching chorus.on / YAML handlers (ScriptSlot::dispatch_directed),
// which answer with chorus.reply.
//
// A reload that changes the patterns of the script's handlers re-makes the
// subscription: a request arriving in between finds no responder, and
// request_by_capability fails over to another instance.
//
// Threading: update/clear on the slot's control thread; the subscription's
// handler on bus threads; the heartbeat on an io thread (its state under a
// mutex; clear() waits for a beat in progress). The io_context must
// outlive the ScriptService. Errors are logged, never returned: a script runs
// whether or not it could be registered.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bus/event_bus.h"
#include "core/event.h"
#include "core/status.h"

namespace boost::asio {
class io_context;
}
namespace chorus::discovery {
class Registry;
}

namespace chorus::lua {

// What chorus.registry.register declared (validated when it was called).
struct ServiceDeclaration {
  std::vector<std::string> capabilities;
  std::vector<std::string> tags;
  std::vector<std::pair<std::string, std::string>> metadata;
  uint32_t weight = 1;

  friend bool operator==(const ServiceDeclaration&, const ServiceDeclaration&) = default;
};

inline constexpr std::chrono::milliseconds kScriptServiceTtl{30'000};
inline constexpr std::chrono::milliseconds kScriptHeartbeat{10'000};

// "script:<name>": the script's service id and agent id.
std::string script_agent_id(std::string_view script);

class ScriptService {
 public:
  // Runs a directed event through the script's handlers.
  using Dispatch = std::function<Status(const EventPtr&)>;
  // `registry` may be null (then nothing is registered).
  ScriptService(std::string script, boost::asio::io_context* io, discovery::Registry* registry,
                bus::EventBus* bus, Dispatch dispatch);
  ~ScriptService();  // clear()
  ScriptService(const ScriptService&) = delete;
  ScriptService& operator=(const ScriptService&) = delete;

  // The current version declared `decl` (null: none) and handles
  // `patterns` (every pattern of its handlers).
  void update(const ServiceDeclaration* decl, std::vector<std::string> patterns);
  // Unregisters and unsubscribes.
  void clear();

 private:
  void subscribe(std::vector<std::string> patterns);
  void unsubscribe();

  struct Beat;  // the heartbeat timer and the registered spec (script_service.cpp)

  const std::string script_, id_;
  discovery::Registry* registry_;
  bus::EventBus* bus_;
  Dispatch dispatch_;
  std::optional<ServiceDeclaration> registered_;
  std::shared_ptr<Beat> beat_;
  bus::SubscriptionId sub_ = 0;
  std::vector<std::string> sub_patterns_;
};

}  // namespace chorus::lua
