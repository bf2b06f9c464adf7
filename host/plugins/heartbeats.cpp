// Periodic health and agent.heartbeat per running instance (heartbeats.h).
#include "plugins/heartbeats.h"

#include <mutex>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "plugins/lifecycle_events.h"
#include "plugins/plugins_log.h"

namespace chorus::plugins {

struct Heartbeats::State : std::enable_shared_from_this<State> {
  State(boost::asio::io_context& io, Snapshot s, LifecycleEvents& e)
      : timer(io), snapshot(std::move(s)), events(e) {}

  std::mutex mu;  // held by a beat, and by start/stop
  boost::asio::steady_timer timer;
  Snapshot snapshot;
  LifecycleEvents& events;
  std::chrono::milliseconds interval{0};
  uint64_t epoch = 0;  // bumped by start/stop: a wait from an older epoch does nothing

  void arm() {  // REQUIRES: mu
    timer.expires_after(interval);
    timer.async_wait([w = weak_from_this(), e = epoch](const boost::system::error_code& ec) {
      if (ec) return;
      if (auto self = w.lock()) self->beat(e);
    });
  }

  void beat(uint64_t e) {
    std::lock_guard l(mu);
    if (e != epoch || interval.count() == 0) return;
    for (const Loader::Running& r : snapshot()) {
      if (r.instance->phase() != Phase::kRunning) continue;
      const Status health = r.instance->health();
      if (!health.ok()) plugins_log().warn("{}: unhealthy: {}", r.agent.name, health.message());
      events.heartbeat(r.agent, r.instance->stats(), health);
    }
    arm();
  }
};

Heartbeats::Heartbeats(boost::asio::io_context& io, Snapshot snapshot, LifecycleEvents& events)
    : state_(std::make_shared<State>(io, std::move(snapshot), events)) {}

Heartbeats::~Heartbeats() {
  stop();
}

void Heartbeats::start(std::chrono::milliseconds interval) {
  std::lock_guard l(state_->mu);
  ++state_->epoch;
  state_->timer.cancel();
  state_->interval = interval;
  if (interval.count() > 0) state_->arm();
}

void Heartbeats::stop() {
  start(std::chrono::milliseconds(0));
}

}  // namespace chorus::plugins
