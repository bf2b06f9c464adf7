// ScriptService: a script's record in discovery and its directed requests.
#include "lua/script_service.h"

#include <algorithm>
#include <mutex>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fmt/core.h>

#include "discovery/registry.h"
#include "lua/lua_log.h"

namespace chorus::lua {

std::string script_agent_id(std::string_view script) {
  return fmt::format("script:{}", script);
}

// Heartbeats of the registered record, every kScriptHeartbeat while
// `spec` is set. A beat holds the mutex; stop() takes it, so no beat runs
// after stop() returned.
struct ScriptService::Beat : std::enable_shared_from_this<Beat> {
  Beat(boost::asio::io_context& io, discovery::Registry& r) : timer(io), registry(r) {}

  std::mutex mu;
  boost::asio::steady_timer timer;
  discovery::Registry& registry;
  std::optional<discovery::ServiceSpec> spec;  // under mu; unset: stopped
  uint64_t epoch = 0;                          // under mu; a wait of an older epoch does nothing

  void start(discovery::ServiceSpec s) {
    std::lock_guard l(mu);
    spec = std::move(s);
    ++epoch;
    timer.cancel();
    arm();
  }
  void stop() {
    std::lock_guard l(mu);
    spec.reset();
    ++epoch;
    timer.cancel();
  }
  void arm() {  // REQUIRES: mu
    timer.expires_after(kScriptHeartbeat);
    timer.async_wait([w = weak_from_this(), e = epoch](const boost::system::error_code& ec) {
      if (ec) return;
      if (auto self = w.lock()) self->beat(e);
    });
  }
  void beat(uint64_t e) {
    std::lock_guard l(mu);
    if (e != epoch || !spec) return;
    Status st = registry.heartbeat(spec->id);
    if (st.code() == StatusCode::kNotFound) {  // removed meanwhile: the script still runs
      discovery::RegisterOptions o;
      o.on_existing = discovery::OnExisting::kReplace;
      st = registry.register_service(*spec, o);
    }
    if (!st.ok())
      lua_log().warn("{}: heartbeat not recorded in discovery: {}", spec->name, st.to_string());
    arm();
  }
};

ScriptService::ScriptService(std::string script, boost::asio::io_context* io,
                             discovery::Registry* registry, bus::EventBus* bus, Dispatch dispatch)
    : script_(std::move(script)),
      id_(script_agent_id(script_)),
      registry_(registry),
      bus_(bus),
      dispatch_(std::move(dispatch)) {
  if (io && registry_) beat_ = std::make_shared<Beat>(*io, *registry_);
}

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
  spec.ttl = beat_ ? kScriptServiceTtl : std::chrono::milliseconds(0);
  discovery::RegisterOptions o;
  o.on_existing = discovery::OnExisting::kReplace;
  if (beat_) beat_->stop();
  if (Status st = registry_->register_service(spec, o); !st.ok()) {
    lua_log().warn("{}: not registered in discovery: {}", script_, st.to_string());
    registered_.reset();
    return;
  }
  registered_ = *decl;
  if (beat_) beat_->start(std::move(spec));
}

void ScriptService::clear() {
  unsubscribe();
  if (beat_) beat_->stop();
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
