// Workflow engine benchmarks (docs/performance.md "Workflows"), durability
// `always` unless said: instances started and completed with one await each
// (throughput), trigger-to-completion latency of a 1-step workflow at
// 1,000/s and of a 9-step chain, and the replay of a 10,000-command history
// at start. Real LuaJIT, real LMDB in a temp dir, real bus. One JSON object
// per line. Usage: see main().
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "bus/event_bus.h"
#include "lua/script_host.h"
#include "store/event_store.h"
#include "support/temp_dir.h"
#include "workflows/catalog.h"
#include "workflows/lua_extension.h"
#include "workflows/workflow_engine.h"

using namespace chorus;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kScripts = R"LUA(
chorus.workflow{name = "one_await", on = "b.await", run = function(ctx, e)
  ctx:await("b.go")
end}
chorus.workflow{name = "one_step", on = "b.step", run = function(ctx, e)
  return ctx:step{name = "s", action = function() return 1 end}
end}
chorus.workflow{name = "nine_steps", on = "b.nine", run = function(ctx, e)
  local n = 0
  for i = 1, 9 do n = n + ctx:step{name = "s" .. i, action = function() return i end} end
  return n
end}
chorus.workflow{name = "long", on = "b.long", run = function(ctx, e)
  for i = 1, e.data.n do ctx:now() end
  ctx:await("b.never")
end}
)LUA";

class Host {
 public:
  Host(const std::string& dir, store::Durability durability) : work_(io_.get_executor()) {
    for (int i = 0; i < 2; ++i)
      threads_.emplace_back([this] { io_.run(); });
    store::StoreOptions so;
    so.path = dir + "/store";
    so.durability = durability;
    so.retention_interval = std::chrono::milliseconds(0);
    store_ = std::move(*store::EventStore::open(so));
    bus_ = std::make_unique<bus::EventBus>(io_);
    catalog_ = std::make_shared<workflows::Catalog>();
    lua::ScriptHostOptions o;
    o.folder = dir + "/scripts";
    o.watch = false;
    lua::ScriptSpec s;
    s.name = "bench";
    s.file = "bench.lua";
    o.scripts.push_back(s);
    lua::ScriptHostServices sv{&io_, bus_.get(), store_.get(), nullptr, {}};
    sv.extensions.push_back(workflows::make_lua_extension(catalog_));
    scripts_ = std::make_unique<lua::ScriptHost>(o, sv);
    (void)scripts_->start();
    // No bound on open instances: the throughput run starts 20,000 at once
    // (the default workflows.max_open, 10,000, would refuse half of them).
    workflows::WorkflowOptions wo;
    wo.max_open = 0;
    engine_ = std::make_unique<workflows::WorkflowEngine>(
        wo, workflows::WorkflowServices{&io_, bus_.get(), store_.get(), nullptr}, catalog_);
    const auto t0 = Clock::now();
    Status st = engine_->start();
    start_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    if (!st.ok()) std::fprintf(stderr, "engine: %s\n", st.to_string().c_str());
    bus::SubscribeOptions so2;
    so2.mode = bus::DeliveryMode::kInline;
    (void)bus_->subscribe(
        "workflow.completed",
        [this](const EventPtr& e) {
          std::lock_guard l(mu_);
          done_at_[std::string(e->correlation_id())] = Clock::now();
          cv_.notify_all();
          return Status::OK();
        },
        so2);
  }
  ~Host() {
    engine_->stop();
    scripts_->stop();
    (void)bus_->shutdown(std::chrono::milliseconds(2000));
    work_.reset();
    io_.stop();
    for (auto& t : threads_)
      t.join();
    engine_->close();
    scripts_->close();
    engine_.reset();
    scripts_.reset();
    bus_.reset();
    store_->close();
  }
  // Publishes a trigger; returns its correlation id (its own id).
  std::string trigger(const std::string& type, const std::string& data = "{}") {
    auto ev = *EventBuilder(type).source("bench").data(data).build();
    (void)bus_->publish(ev);
    return ev->id().to_string();
  }
  bool wait_done(size_t n, std::chrono::seconds timeout = std::chrono::seconds(120)) {
    std::unique_lock l(mu_);
    return cv_.wait_for(l, timeout, [&] { return done_at_.size() >= n; });
  }
  Clock::time_point done_at(const std::string& corr) {
    std::lock_guard l(mu_);
    return done_at_.at(corr);
  }
  workflows::WorkflowEngine& engine() { return *engine_; }
  double start_ms = 0;

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::vector<std::thread> threads_;
  std::unique_ptr<store::EventStore> store_;
  std::unique_ptr<bus::EventBus> bus_;
  std::shared_ptr<workflows::Catalog> catalog_;
  std::unique_ptr<lua::ScriptHost> scripts_;
  std::unique_ptr<workflows::WorkflowEngine> engine_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Clock::time_point> done_at_;
};

double pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

const char* name_of(store::Durability d) {
  return d == store::Durability::kAlways ? "always"
         : d == store::Durability::kNone ? "none"
                                         : "interval";
}

void throughput(store::Durability d, size_t n) {
  test::TempDir dir;
  dir.write("scripts/bench.lua", kScripts);
  Host h(dir.path(), d);
  const auto t0 = Clock::now();
  for (size_t i = 0; i < n; ++i)
    h.trigger("b.await");
  // Every instance waits once the engine has run everything posted so far
  // and their starts are recorded.
  while (h.engine().stats().started < n)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  h.engine().sync();
  h.trigger("b.go");
  const bool ok = h.wait_done(n);
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf(
      "{\"bench\":\"workflows_one_await\",\"durability\":\"%s\",\"instances\":%zu,\"ok\":%s,"
      "\"seconds\":%.3f,\"instances_per_sec\":%.0f}\n",
      name_of(d), n, ok ? "true" : "false", s, static_cast<double>(n) / s);
  std::fflush(stdout);
}

void latency(const char* name, const std::string& type, size_t n, int rate) {
  test::TempDir dir;
  dir.write("scripts/bench.lua", kScripts);
  Host h(dir.path(), store::Durability::kAlways);
  std::vector<std::pair<std::string, Clock::time_point>> sent;
  const auto period = std::chrono::nanoseconds(1'000'000'000 / rate);
  auto next = Clock::now();
  for (size_t i = 0; i < n; ++i) {
    std::this_thread::sleep_until(next);  // pacing the load, not synchronisation
    const auto t = Clock::now();
    sent.emplace_back(h.trigger(type), t);
    next += period;
  }
  const bool ok = h.wait_done(n);
  std::vector<double> ms;
  if (ok)
    for (auto& [corr, t] : sent)
      ms.push_back(std::chrono::duration<double, std::milli>(h.done_at(corr) - t).count());
  std::printf(
      "{\"bench\":\"%s\",\"durability\":\"always\",\"rate_per_sec\":%d,\"instances\":%zu,"
      "\"ok\":%s,\"p50_ms\":%.2f,\"p99_ms\":%.2f,\"max_ms\":%.2f}\n",
      name, rate, n, ok ? "true" : "false", pct(ms, 0.5), pct(ms, 0.99), pct(ms, 1.0));
  std::fflush(stdout);
}

void replay(size_t commands) {
  test::TempDir dir;
  dir.write("scripts/bench.lua", kScripts);
  {
    Host h(dir.path(), store::Durability::kNone);
    h.trigger("b.long", "{\"n\":" + std::to_string(commands) + "}");
    while (h.engine().stats().started < 1)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    h.engine().sync();
  }
  Host h(dir.path(), store::Durability::kAlways);
  std::printf(
      "{\"bench\":\"workflows_replay\",\"commands\":%zu,\"replayed\":%llu,\"start_ms\":%.2f}\n",
      commands, static_cast<unsigned long long>(h.engine().stats().replayed), h.start_ms);
  std::fflush(stdout);
}

}  // namespace

// Usage: workflows_bench [case [instances]]. No case: all of them. Cases:
// one_await_always, one_await_none (instances: 20,000 unless given; the
// callgrind figures in docs/performance.md use `one_await_none 6000`),
// one_step_latency, nine_step_latency, replay.
int main(int argc, char** argv) {
  const std::string only = argc > 1 ? argv[1] : "";
  const size_t n = argc > 2 ? std::stoul(argv[2]) : 20'000;
  const auto run = [&](const char* name) { return only.empty() || only == name; };
  bool any = false;
  if (run("one_await_always")) any = true, throughput(store::Durability::kAlways, n);
  if (run("one_await_none")) any = true, throughput(store::Durability::kNone, n);
  if (run("one_step_latency"))
    any = true, latency("workflows_one_step_latency", "b.step", 3'000, 1'000);
  if (run("nine_step_latency"))
    any = true, latency("workflows_nine_step_latency", "b.nine", 500, 100);
  if (run("replay")) any = true, replay(10'000);
  if (!any) {
    std::fprintf(stderr, "workflows_bench: unknown case '%s'\n", only.c_str());
    return 2;
  }
  return 0;
}
