// Shared pieces of the discovery tests: a clock the test moves by hand,
// spec builders, an event log that can be waited on, and real TCP/HTTP
// servers on 127.0.0.1 that a test starts, stops and restarts.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "bus/event_bus.h"
#include "bus_test_util.h"
#include "discovery/registry.h"
#include "support/wait.h"

namespace chorus::test {

// The registry's clock, moved by the test (no sleeping for TTLs).
class ManualClock {
 public:
  explicit ManualClock(int64_t start_ns = 1'700'000'000'000'000'000) : ns_(start_ns) {}
  int64_t now() const { return ns_.load(); }
  void advance(std::chrono::milliseconds d) { ns_.fetch_add(d.count() * 1'000'000); }
  discovery::Clock fn() {
    return [this] { return ns_.load(); };
  }

 private:
  std::atomic<int64_t> ns_;
};

inline discovery::ServiceSpec spec(std::string id, std::vector<std::string> caps = {},
                                   std::vector<std::string> tags = {}) {
  discovery::ServiceSpec s;
  s.id = std::move(id);
  s.capabilities = std::move(caps);
  s.tags = std::move(tags);
  return s;
}

// Option builders (designated initializers of partly-set structs trip
// -Wmissing-field-initializers under -Wextra).
inline discovery::Query query(
    std::string capability, std::vector<std::string> tags = {}, std::string type = {},
    discovery::HealthFilter health = discovery::HealthFilter::kHealthyOnly, size_t limit = 0) {
  discovery::Query q;
  q.capability = std::move(capability);
  q.tags = std::move(tags);
  q.type = std::move(type);
  q.health = health;
  q.limit = limit;
  return q;
}
inline discovery::SelectOptions using_strategy(discovery::Strategy s, std::string avoid = {}) {
  discovery::SelectOptions o;
  o.strategy = s;
  o.avoid = std::move(avoid);
  return o;
}
inline discovery::SelectOptions with_tags(std::vector<std::string> tags) {
  discovery::SelectOptions o;
  o.tags = std::move(tags);
  return o;
}
inline discovery::RequestOptions request_options(std::optional<std::chrono::milliseconds> timeout,
                                                 std::optional<uint32_t> attempts = {},
                                                 std::optional<discovery::Strategy> strategy = {}) {
  discovery::RequestOptions o;
  o.timeout = timeout;
  o.attempts = attempts;
  o.strategy = strategy;
  return o;
}
enum class Observe { kOwn, kAll };
inline bus::SubscribeOptions subscriber(std::string id,
                                        bus::DeliveryMode mode = bus::DeliveryMode::kAsync,
                                        Observe observe = Observe::kOwn) {
  bus::SubscribeOptions o;
  o.subscriber_id = std::move(id);
  o.mode = mode;
  o.observe_all = observe == Observe::kAll;
  return o;
}

// Events published by the registry, waitable by predicate.
class EventLog {
 public:
  explicit EventLog(bus::EventBus& bus) {
    auto sub = bus.subscribe(
        "discovery.service.*",
        [this](const EventPtr& e) {
          std::lock_guard l(mu_);
          events_.push_back(e);
          cv_.notify_all();
          return Status::OK();
        },
        subscriber("test-event-log", bus::DeliveryMode::kInline));
    REQUIRE(sub.ok());
  }
  // True once an event of `type` about `service_id` arrived (deadline kWait).
  bool wait_for(std::string_view type, std::string_view service_id,
                std::chrono::milliseconds timeout = kWait) {
    std::unique_lock l(mu_);
    return cv_.wait_for(l, timeout, [&] { return find(type, service_id) != nullptr; });
  }
  // True once `n` events of `type` about `service_id` arrived.
  bool wait_count(std::string_view type, std::string_view service_id, size_t n,
                  std::chrono::milliseconds timeout = kWait) {
    std::unique_lock l(mu_);
    return cv_.wait_for(l, timeout, [&] { return count_locked(type, service_id) >= n; });
  }
  size_t count(std::string_view type, std::string_view service_id) const {
    std::lock_guard l(mu_);
    return count_locked(type, service_id);
  }
  size_t count_locked(std::string_view type, std::string_view service_id) const {
    size_t n = 0;
    for (const auto& e : events_)
      if (e->type() == type && id_of(*e) == service_id) ++n;
    return n;
  }
  // The data of the first such event, parsed.
  std::optional<rapidjson::Document> data(std::string_view type,
                                          std::string_view service_id) const {
    std::lock_guard l(mu_);
    const Event* e = find(type, service_id);
    if (!e) return std::nullopt;
    rapidjson::Document d;
    d.Parse(e->data().data(), e->data().size());
    return d;
  }
  std::vector<std::string> types_for(std::string_view service_id) const {
    std::lock_guard l(mu_);
    std::vector<std::string> out;
    for (const auto& e : events_)
      if (id_of(*e) == service_id) out.emplace_back(e->type());
    return out;
  }

 private:
  static std::string id_of(const Event& e) {
    rapidjson::Document d;
    d.Parse(e.data().data(), e.data().size());
    if (d.HasParseError() || !d.IsObject() || !d.HasMember("service_id")) return {};
    return d["service_id"].GetString();
  }
  const Event* find(std::string_view type, std::string_view service_id) const {
    for (const auto& e : events_)
      if (e->type() == type && id_of(*e) == service_id) return e.get();
    return nullptr;
  }
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<EventPtr> events_;
};

// A real server on 127.0.0.1 with its own io thread. HTTP modes read a
// request header and answer; kSilent accepts and never answers; kAccept
// accepts and closes (for TCP checks).
class TestServer {
 public:
  enum class Mode { kHttpOk, kHttp503, kGarbage, kSilent, kAccept };

  explicit TestServer(Mode mode, uint16_t port = 0);
  ~TestServer();  // stop()
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  uint16_t port() const { return port_; }
  void set_mode(Mode m) { mode_.store(m); }
  size_t accepted() const { return accepted_.load(); }
  size_t open_connections() const;
  // Closes the listener and every connection; later connects are refused.
  void stop();

 private:
  void accept();
  void serve(std::shared_ptr<boost::asio::ip::tcp::socket> s);

  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::atomic<Mode> mode_;
  std::atomic<size_t> accepted_{0};
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<boost::asio::ip::tcp::socket>> held_;  // kSilent connections
  std::thread thread_;
  bool stopped_ = false;
};

}  // namespace chorus::test
