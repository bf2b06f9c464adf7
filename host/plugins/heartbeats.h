// Heartbeats: every plugins.heartbeat_interval, each running instance's
// health() callback is asked (OK when it has none) and agent.heartbeat is
// published (with its counters), and the AgentDirectory is told (private to
// host/plugins). A timer on the host's workers.
//
// Threading: start/stop from the PluginHost's thread; beats on a worker.
// stop() waits for a beat in progress, so none runs after it returns.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "plugins/loader.h"

namespace boost::asio {
class io_context;
}

namespace chorus::plugins {

class LifecycleEvents;

class Heartbeats {
 public:
  using Snapshot = std::function<std::vector<Loader::Running>()>;
  Heartbeats(boost::asio::io_context& io, Snapshot snapshot, LifecycleEvents& events);
  ~Heartbeats();  // stop()

  // (Re)starts with `interval`; 0 stops.
  void start(std::chrono::milliseconds interval);
  void stop();

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace chorus::plugins
