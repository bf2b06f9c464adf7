// Shared pieces of the Lua tests: a real host around a ScriptHost (io
// threads, bus, optionally a real store in a temp dir), a scripts folder in
// a temp dir, and helpers to publish and to record events. Nothing is
// mocked: scripts run in real LuaJIT states on the real bus.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <rapidjson/document.h>
#include <spdlog/sinks/base_sink.h>

#include "bus/event_bus.h"
#include "bus_test_util.h"
#include "discovery/registry.h"
#include "lua/lua_log.h"
#include "lua/script_host.h"
#include "runtime/store_bridge.h"
#include "store/event_store.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace chorus::test {

// An io_context with threads that can be stopped before it is destroyed
// (the script host frees its timers between the two).
class TestIo {
 public:
  explicit TestIo(int n) : work_(io.get_executor()) {
    for (int i = 0; i < n; ++i)
      threads_.emplace_back([this] { io.run(); });
  }
  ~TestIo() { stop(); }
  void stop() {
    work_.reset();
    io.stop();
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }
  boost::asio::io_context io;

 private:
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::vector<std::thread> threads_;
};

// The Lua logger's messages, collected. capture_lua_log() installs it once:
// call it at the start of a test, before any io thread logs.
class LogCapture final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::vector<std::string> take() {
    std::lock_guard lock(mutex_);
    return std::exchange(lines_, {});
  }
  // Waits until a message contains `needle` (messages before it are kept).
  bool wait_for(std::string_view needle, std::chrono::milliseconds timeout = kWait) {
    return spin_until(
        [&] {
          std::lock_guard lock(mutex_);
          for (const auto& l : lines_)
            if (l.find(needle) != std::string::npos) return true;
          return false;
        },
        timeout);
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    lines_.emplace_back(msg.payload.data(), msg.payload.size());
  }
  void flush_() override {}

 private:
  std::vector<std::string> lines_;
};

inline LogCapture& capture_lua_log() {
  static std::shared_ptr<LogCapture> sink = [] {
    auto s = std::make_shared<LogCapture>();
    lua::lua_log().sinks().push_back(s);
    return s;
  }();
  return *sink;
}

struct FixtureOptions {
  bool store = false;
  int threads = 2;
  bool watch = false;
  std::vector<std::string> persist;  // event types the bus stores
  bus::BusOptions bus;               // the bus's defaults
  std::string store_path;            // "": a store in the fixture's temp dir
  bool registry = false;             // a real discovery registry (no store) for chorus.registry
};

inline FixtureOptions watching() {
  FixtureOptions o;
  o.watch = true;
  return o;
}

class ScriptFixture {
 public:
  explicit ScriptFixture(FixtureOptions o = {}) : io_(o.threads), opts_(o) {
    std::filesystem::create_directories(folder());
    if (o.store) {
      store::StoreOptions so;
      so.path = o.store_path.empty() ? dir.file("store") : o.store_path;
      so.durability = store::Durability::kNone;
      auto s = store::EventStore::open(so);
      if (!s.ok()) throw std::runtime_error(s.error().to_string());
      store_ = std::move(*s);
    }
    auto dead = std::make_unique<WaitableDeadLetters>();
    dead_letters_ = dead.get();
    bus_ = std::make_unique<bus::EventBus>(io_.io, o.bus, std::move(dead));
    if (store_) {
      // The store as the bus's durable log, as the runtime joins them.
      Status s =
          bus_->set_durable_log(std::make_shared<runtime::StoreDurableLog>(*store_), o.persist);
      if (!s.ok()) throw std::runtime_error(s.to_string());
    }
    if (o.registry) {
      discovery::DiscoveryOptions d;
      d.sweep_interval = std::chrono::milliseconds(0);
      d.checkpoint_interval = std::chrono::milliseconds(0);
      auto r =
          discovery::Registry::open(discovery::RegistryEnv{&io_.io, bus_.get(), nullptr, {}}, d);
      if (!r.ok()) throw std::runtime_error(r.error().to_string());
      registry_ = std::move(*r);
    }
  }

  ~ScriptFixture() { teardown(); }

  void teardown() {
    if (torn_down_) return;
    torn_down_ = true;
    if (host_) host_->stop();
    for (auto id : taps_)
      (void)bus_->unsubscribe(id);
    if (registry_) registry_->shutdown();
    (void)bus_->shutdown(std::chrono::milliseconds(2000));
    io_.stop();
    if (host_) host_->close();
    host_.reset();
    registry_.reset();
    bus_.reset();
    if (store_) store_->close();
  }

  std::string folder() const { return dir.file("scripts"); }
  // Writes scripts/<file> in place (IN_CLOSE_WRITE).
  std::string write(std::string_view file, std::string_view text) const {
    return dir.write("scripts/" + std::string(file), text);
  }
  // Writes scripts/<file> through a temporary file and a rename (IN_MOVED_TO),
  // as editors do.
  void write_by_rename(std::string_view file, std::string_view text) const {
    const std::string tmp = dir.write("scripts/." + std::string(file) + ".tmp", text);
    std::filesystem::rename(tmp, folder() + "/" + std::string(file));
  }

  static lua::ScriptSpec spec(std::string name, std::string file = "") {
    lua::ScriptSpec s;
    s.name = name;
    s.file = file.empty() ? name + ".lua" : std::move(file);
    return s;
  }

  lua::ScriptHostOptions options(std::vector<lua::ScriptSpec> scripts) const {
    lua::ScriptHostOptions o;
    o.folder = folder();
    o.watch = opts_.watch;
    o.request_timeout = std::chrono::milliseconds(5000);
    o.scripts = std::move(scripts);
    return o;
  }

  // Starts a host with these scripts (written before).
  lua::ScriptHost& start(std::vector<lua::ScriptSpec> scripts) {
    return start_with(options(std::move(scripts)));
  }
  lua::ScriptHost& start_with(lua::ScriptHostOptions o) {
    host_ = std::make_unique<lua::ScriptHost>(
        std::move(o),
        lua::ScriptHostServices{&io_.io, bus_.get(), store_.get(), registry_.get(), {}});
    Status s = host_->start();
    if (!s.ok()) throw std::runtime_error(s.to_string());
    return *host_;
  }

  lua::ScriptHost& host() { return *host_; }
  bus::EventBus& bus() { return *bus_; }
  store::EventStore& store() { return *store_; }
  discovery::Registry& registry() { return *registry_; }
  boost::asio::io_context& io() { return io_.io; }
  WaitableDeadLetters& dead_letters() { return *dead_letters_; }

  // A recorder of every event matching `pattern` (replies included).
  Recorder& record(std::string pattern) {
    recorders_.push_back(std::make_unique<Recorder>());
    Recorder* r = recorders_.back().get();
    bus::SubscribeOptions o;
    o.observe_all = true;
    auto id = bus_->subscribe(
        pattern,
        [r](const EventPtr& e) {
          r->add(e);
          return Status::OK();
        },
        o);
    if (!id.ok()) throw std::runtime_error(id.error().to_string());
    taps_.push_back(*id);
    return *r;
  }

  EventPtr publish(std::string_view type, std::string_view json = "{}",
                   Priority p = Priority::kNormal, std::string_view correlation = {}) {
    EventBuilder b(type);
    b.source("test").priority(p).data(json);
    if (!correlation.empty()) b.correlation_id(correlation);
    auto ev = b.build();
    if (!ev.ok()) throw std::runtime_error(ev.error().to_string());
    Status s = bus_->publish(*ev);
    if (!s.ok()) throw std::runtime_error(s.to_string());
    return *ev;
  }

  TempDir dir;

 private:
  TestIo io_;
  FixtureOptions opts_;
  std::unique_ptr<store::EventStore> store_;
  WaitableDeadLetters* dead_letters_ = nullptr;
  std::unique_ptr<bus::EventBus> bus_;
  std::unique_ptr<discovery::Registry> registry_;
  std::unique_ptr<lua::ScriptHost> host_;
  std::vector<std::unique_ptr<Recorder>> recorders_;
  std::vector<bus::SubscriptionId> taps_;
  bool torn_down_ = false;
};

// The JSON data of an event, parsed.
inline rapidjson::Document data_of(const EventPtr& e) {
  rapidjson::Document d;
  d.Parse(e->data().data(), e->data().size());
  return d;
}

inline std::string str(const rapidjson::Value& v) {
  return v.IsString() ? std::string(v.GetString(), v.GetStringLength()) : std::string();
}

}  // namespace chorus::test
