// ScriptService: a script's record in discovery and its directed requests.
#include "lua/script_service.h"

#include <algorithm>

#include <fmt/core.h>

#include "discovery/registry.h"
#include "lua/lua_log.h"

namespace chorus::lua {

std::string script_agent_id(std::string_view script) {
  return fmt::format("script:{}", script);
}

ScriptService::ScriptService(std::string script, discovery::Registry* registry, bus::EventBus* bus,
                             Dispatch dispatch)
    : script_(std::move(script)),
      id_(script_agent_id(script_)),
      registry_(registry),
      bus_(bus),
      dispatch_(std::move(dispatch)) {}

ScriptService::~ScriptService() {
  clear();
}

void ScriptService::update(const ServiceDeclaration* decl, std::vector<std::string> patterns) {
  if (!decl || !registry_) {
    clear();
    return;
  }
  std::sort(patterns.begin(), patterns.end());
  patterns.erase(std::unique(patterns.begin(), patterns.end()), patterns.end());
  if (patterns != sub_patterns_) {
    unsubscribe();
    if (!patterns.empty()) subscribe(std::move(patterns));
  }
  if (registered_ && *registered_ == *decl) return;
  discovery::ServiceSpec spec;
  spec.id = id_;
  spec.agent_id = id_;
  spec.name = script_;
  spec.type = "script";
  spec.protocol = "bus";
  spec.capabilities = decl->capabilities;
  spec.tags = decl->tags;
  spec.metadata = decl->metadata;
  spec.weight = decl->weight;
  spec.ttl = std::chrono::milliseconds(0);  // no heartbeats: unregistered when unloaded
  discovery::RegisterOptions o;
  o.on_existing = discovery::OnExisting::kReplace;
  if (Status st = registry_->register_service(std::move(spec), o); !st.ok()) {
    lua_log().warn("{}: not registered in discovery: {}", script_, st.to_string());
    registered_.reset();
    return;
  }
  registered_ = *decl;
}

void ScriptService::clear() {
  unsubscribe();
  if (!registered_ || !registry_) return;
  registered_.reset();
  Status st = registry_->unregister(id_);
  if (!st.ok() && st.code() != StatusCode::kNotFound)
    lua_log().warn("{}: not unregistered from discovery: {}", script_, st.to_string());
}

void ScriptService::subscribe(std::vector<std::string> patterns) {
  bus::SubscribeOptions o;
  o.subscriber_id = id_;
  o.filter = [id = id_](const Event& e) { return e.target() == id; };
  auto r = bus_->subscribe(
      patterns, [d = dispatch_](const EventPtr& ev) { return d(ev); }, std::move(o));
  if (!r.ok()) {
    lua_log().warn("{}: requests directed at '{}' cannot be received: {}", script_, id_,
                   r.error().to_string());
    return;
  }
  sub_ = *r;
  sub_patterns_ = std::move(patterns);
}

void ScriptService::unsubscribe() {
  if (sub_ != 0) (void)bus_->unsubscribe(sub_);
  sub_ = 0;
  sub_patterns_.clear();
}

}  // namespace chorus::lua
