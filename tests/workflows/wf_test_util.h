// A real host around the workflow engine for tests: io threads, a real
// store in a temp dir (kept across "lives" so that a test can stop the
// host and start it again), the bus on it, a ScriptHost whose scripts get
// chorus.workflow through the extension point, and the engine. Nothing is
// mocked: scripts run in real LuaJIT, histories are written to real LMDB.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "bus/event_bus.h"
#include "lua/script_host.h"
#include "runtime/store_bridge.h"
#include "store/event_store.h"
#include "support/io_threads.h"
#include "support/temp_dir.h"
#include "support/wait.h"
#include "workflows/catalog.h"
#include "workflows/history_records.h"
#include "workflows/lua_extension.h"
#include "workflows/workflow_engine.h"

namespace chorus::test {

// A field of an event's JSON data as text (a string as is, a number or a
// boolean printed; "" when absent, "<json>" for an object or array).
inline std::string field(const EventPtr& e, const char* name) {
  rapidjson::Document d;
  d.Parse(e->data().data(), e->data().size());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember(name)) return {};
  const auto& v = d[name];
  if (v.IsString()) return v.GetString();
  if (v.IsNumber()) return std::to_string(v.GetDouble());
  if (v.IsBool()) return v.GetBool() ? "true" : "false";
  return "<json>";
}

// The decoded history of instance `id` (the test fails when it does not decode).
inline workflows::History history_of(store::EventStore& s, const std::string& id) {
  const std::string stream = workflows::history_stream(id);
  auto page = s.read_stream(stream, 1, store::Direction::kForward, 100'000);
  REQUIRE(page.ok());
  auto h = workflows::decode_history(stream, page->events);
  INFO(h.status().to_string());
  REQUIRE(h.ok());
  return *h;
}

// One run of the host on the world's store.
class WfLife {
 public:
  WfLife(const std::string& store_path, const std::string& folder,
         std::vector<lua::ScriptSpec> scripts, std::vector<std::string> persist,
         const std::function<void(workflows::WorkflowOptions&)>& tune = nullptr)
      : io_(2), persist_(persist) {
    store::StoreOptions so;
    so.path = store_path;
    so.durability = store::Durability::kNone;
    so.retention_interval = std::chrono::milliseconds(0);
    auto s = store::EventStore::open(so);
    REQUIRE(s.ok());
    store_ = std::move(*s);
    bus_ = std::make_unique<bus::EventBus>(io_.io);
    REQUIRE(
        bus_->set_durable_log(std::make_shared<runtime::StoreDurableLog>(*store_), persist).ok());
    catalog_ = std::make_shared<workflows::Catalog>();
    lua::ScriptHostOptions o;
    o.folder = folder;
    o.watch = false;
    o.scripts = std::move(scripts);
    lua::ScriptHostServices sv{&io_.io, bus_.get(), store_.get(), nullptr, {}};
    sv.extensions.push_back(workflows::make_lua_extension(catalog_));
    scripts_ = std::make_unique<lua::ScriptHost>(std::move(o), std::move(sv));
    REQUIRE(scripts_->start().ok());
    workflows::WorkflowOptions wo;
    wo.request_timeout = std::chrono::milliseconds(5000);
    wo.persist = persist_;
    if (tune) tune(wo);
    engine_ = std::make_unique<workflows::WorkflowEngine>(
        wo, workflows::WorkflowServices{&io_.io, bus_.get(), store_.get(), nullptr}, catalog_);
    Status st = engine_->start();
    INFO(st.to_string());
    REQUIRE(st.ok());
  }
  ~WfLife() { end(); }
  void end() {
    if (ended_) return;
    ended_ = true;
    engine_->stop();
    scripts_->stop();
    for (auto id : taps_)
      (void)bus_->unsubscribe(id);
    (void)bus_->shutdown(std::chrono::milliseconds(2000));
    io_.stop();
    engine_->close();
    scripts_->close();
    engine_.reset();
    scripts_.reset();
    bus_.reset();
    store_->close();
  }

  bus::EventBus& bus() { return *bus_; }
  store::EventStore& store() { return *store_; }
  workflows::WorkflowEngine& engine() { return *engine_; }
  lua::ScriptHost& scripts() { return *scripts_; }

  void publish(std::string type, std::string data = "{}", std::string correlation = "") {
    EventBuilder b(type);
    b.source("test").data(data);
    if (!correlation.empty()) b.correlation_id(correlation);
    auto ev = b.build();
    REQUIRE(ev.ok());
    REQUIRE(bus_->publish(*ev).ok());
  }
  Recorder& record(const std::string& pattern) {
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
    REQUIRE(id.ok());
    taps_.push_back(*id);
    return *r;
  }
  // Events of `type` in the store's global log.
  size_t stored(const std::string& type) {
    auto page = store_->read_types(type, 0, store::Direction::kForward, 100'000);
    REQUIRE(page.ok());
    return page->events.size();
  }
  bool wait_stats(const std::function<bool(const workflows::WorkflowStats&)>& pred) {
    return spin_until([&] { return pred(engine_->stats()); }, kWait);
  }

 private:
  IoThreads io_;
  std::vector<std::string> persist_;
  std::unique_ptr<store::EventStore> store_;
  std::unique_ptr<bus::EventBus> bus_;
  std::shared_ptr<workflows::Catalog> catalog_;
  std::unique_ptr<lua::ScriptHost> scripts_;
  std::unique_ptr<workflows::WorkflowEngine> engine_;
  std::vector<std::unique_ptr<Recorder>> recorders_;
  std::vector<bus::SubscriptionId> taps_;
  bool ended_ = false;
};

// A store and a scripts folder that outlive lives.
class WfWorld {
 public:
  WfWorld() { std::filesystem::create_directories(folder()); }
  std::string folder() const { return dir.file("scripts"); }
  std::string store_path() const { return dir.file("store"); }
  void write(std::string_view file, std::string_view text) const {
    dir.write("scripts/" + std::string(file), text);
  }
  static lua::ScriptSpec spec(std::string name, std::string config_json = "{}") {
    lua::ScriptSpec s;
    s.name = name;
    s.file = name + ".lua";
    s.config_json = std::move(config_json);
    return s;
  }
  std::unique_ptr<WfLife> live(
      std::vector<lua::ScriptSpec> scripts, std::vector<std::string> persist = {},
      const std::function<void(workflows::WorkflowOptions&)>& tune = nullptr) {
    return std::make_unique<WfLife>(store_path(), folder(), std::move(scripts), std::move(persist),
                                    tune);
  }
  TempDir dir;
};

}  // namespace chorus::test
