// The plugins tests' host: real worker threads, a real bus (optionally on a
// real LMDB store for durable subscriptions), a PluginHost over a temporary
// plugins folder, and an inline tap that records every event in publish
// order so tests can wait for lifecycle events and agents' output.
//
// The bus's options are named here only (bus_options()), so a change of the
// bus's option types touches one place of the tests.
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <sys/stat.h>
#include <vector>

#include <catch2/catch.hpp>

#include "bus/event_bus.h"
#include "bus_test_util.h"
#include "discovery/registry.h"
#include "plugins/plugin_host.h"
#include "runtime/store_bridge.h"
#include "store/event_store.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace chorus::test {

inline const std::string kTestPlugins = CHORUS_TEST_PLUGINS_DIR;

// Every event published on the bus, in publish order (an inline observe-all
// tap appends them under a mutex while the publisher still holds them).
class EventLog {
 public:
  void add(const EventPtr& e) {
    std::lock_guard l(mu_);
    events_.push_back(e);
    cv_.notify_all();
  }
  // Waits until an event matching `pred` was recorded; returns it.
  EventPtr wait_for(const std::function<bool(const Event&)>& pred,
                    std::chrono::milliseconds timeout = kWait) {
    std::unique_lock l(mu_);
    EventPtr found;
    cv_.wait_for(l, timeout, [&] {
      for (const EventPtr& e : events_)
        if (pred(*e)) {
          found = e;
          return true;
        }
      return false;
    });
    return found;
  }
  EventPtr wait_type(std::string_view type, std::chrono::milliseconds timeout = kWait) {
    return wait_for([&](const Event& e) { return e.type() == type; }, timeout);
  }
  // Waits until at least `n` events match.
  bool wait_count(const std::function<bool(const Event&)>& pred, size_t n,
                  std::chrono::milliseconds timeout = kWait) {
    std::unique_lock l(mu_);
    return cv_.wait_for(l, timeout, [&] { return count_locked(pred) >= n; });
  }
  // Waits until `pred` holds for the whole log.
  bool wait_until(const std::function<bool(const std::vector<EventPtr>&)>& pred,
                  std::chrono::milliseconds timeout = kWait) {
    std::unique_lock l(mu_);
    return cv_.wait_for(l, timeout, [&] { return pred(events_); });
  }
  size_t count(const std::function<bool(const Event&)>& pred) const {
    std::lock_guard l(mu_);
    return count_locked(pred);
  }
  std::vector<EventPtr> all() const {
    std::lock_guard l(mu_);
    return events_;
  }

 private:
  size_t count_locked(const std::function<bool(const Event&)>& pred) const {
    size_t n = 0;
    for (const EventPtr& e : events_)
      if (pred(*e)) ++n;
    return n;
  }
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<EventPtr> events_;
};

// A string field of an event's JSON data ("" when absent).
std::string data_field(const Event& e, const char* key);
double data_number(const Event& e, const char* key);

struct FixtureOptions {
  bool with_store = false;           // a real LMDB store: durable subscriptions, store API
  std::vector<std::string> persist;  // event types the bus stores (needs with_store)
  int retry_attempts = 3;            // the bus's retry policy
  std::chrono::milliseconds retry_backoff{1};
  int breaker_threshold = 5;  // consecutive failures that open a breaker
  std::chrono::milliseconds heartbeat{0};
  bool watch = true;
  // A real discovery registry (no store) behind the registry functions, with
  // the runtime's AgentRegistration as the agent directory.
  bool with_registry = false;
};

class PluginFixture {
 public:
  explicit PluginFixture(FixtureOptions o = {});
  ~PluginFixture();

  // The plugins folder (0700, trusted) and host options to start with.
  std::string folder() const { return dir.file("plugins"); }
  plugins::PluginHostOptions& options() { return options_; }
  // Settings of one plugin (by name or file), created on first use.
  plugins::PluginSettings& settings(const std::string& key);

  // Copies build/tests/plugins/<built>.so to <folder>/<as>.so the way an
  // installer should: to a temporary name, then rename (IN_MOVED_TO).
  std::string install(const std::string& built, const std::string& as);
  // The same for any file.
  std::string install_file(const std::string& path, const std::string& as);
  // Copies it in place: create, write, close (IN_CLOSE_WRITE).
  std::string copy_in_place(const std::string& built, const std::string& as);
  void remove(const std::string& as);

  void start();  // builds and starts the PluginHost with options()
  plugins::PluginHost& host() { return *host_; }
  void stop_host();

  // Publishes an event of `type` with JSON data {"n": n}.
  Status publish(const std::string& type, int n = 0);
  // Waits for agent.<what> of instance `name` after the log's first `from` events.
  EventPtr wait_lifecycle(const std::string& what, const std::string& name,
                          std::chrono::milliseconds timeout = kWait);
  std::optional<plugins::PluginInfo> info(const std::string& instance) const;

  TempDir dir;
  IoThreads io{3};
  std::unique_ptr<store::EventStore> store;
  std::unique_ptr<bus::EventBus> bus;
  std::unique_ptr<discovery::Registry> registry;  // with_registry
  EventLog log;

 private:
  plugins::PluginHostOptions options_;
  std::unique_ptr<plugins::PluginHost> host_;
  bus::SubscriptionId tap_ = 0;
};

// The bytes of a built test plugin.
std::string built_plugin(const std::string& name);

}  // namespace chorus::test
