// The test host's lifecycle: start, settle, the simulated crash and the
// restart on a copy of the store's committed prefix (test_host.h).
#include "workflows/test_host.h"

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>

#include <boost/asio/post.hpp>
#include <fmt/core.h>
#include <lua.hpp>

#include "lua/lua_json.h"
#include "workflows/lua_extension.h"

namespace chorus::workflows {
namespace {

namespace fs = std::filesystem;

// The store as the bus's durable log: every event of a test is stored, so
// expectations read the store.
class StoreLog final : public bus::DurableLog {
 public:
  explicit StoreLog(store::EventStore& s) : s_(s) {}
  Status append(const EventPtr& e, bool& duplicate) override {
    auto r = s_.append(e);
    duplicate = r.ok() && r.written == 0;
    return r.status;
  }
  void append_async(const EventPtr& e, bus::DurableAppendCallback done) override {
    s_.append_async(
        e, [done](const store::AppendResult& r) { done(r.status, r.ok() && r.written == 0); });
  }
  Result<std::unique_ptr<bus::DurableGroup>> open_group(std::string_view, std::string_view,
                                                        bool) override {
    return Status::NotSupported("chorus test: no durable subscriptions");
  }

 private:
  store::EventStore& s_;
};

}  // namespace

Harness::~Harness() {
  shutdown();
}

Result<std::unique_ptr<store::EventStore>> Harness::open_store() {
  store::StoreOptions so;
  so.path = fmt::format("{}/store-{}", dir, store_generation++);
  so.durability = store::Durability::kNone;
  so.retention_interval = std::chrono::milliseconds(0);
  so.max_events_per_txn = 1;
  return store::EventStore::open(so);
}

void Harness::listen() {
  listener = store->add_commit_listener(
      [t = tracker](const std::shared_ptr<const store::CommittedBatch>& b) { t->on_commit(*b); });
}

Status Harness::start() {
  if (started) return Status::OK();
  started = true;
  char tmpl[] = "/tmp/chorus-test-XXXXXX";
  if (!mkdtemp(tmpl)) return Status::IOError("chorus test: cannot make a temporary directory");
  dir = tmpl;
  CHORUS_ASSIGN_OR_RETURN(store, open_store());
  listen();
  return start_host();
}

Status Harness::start_host() {
  io = std::make_unique<boost::asio::io_context>();
  work = std::make_unique<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>(
      io->get_executor());
  for (int i = 0; i < 2; ++i)
    threads.emplace_back([this] { io->run(); });
  bus = std::make_unique<bus::EventBus>(*io);
  CHORUS_RETURN_IF_ERROR(bus->set_durable_log(std::make_shared<StoreLog>(*store), {"**"}));
  for (const auto& [type, ref] : responders) {
    bus::SubscribeOptions o;
    o.mode = bus::DeliveryMode::kInline;
    CHORUS_RETURN_IF_ERROR(bus->subscribe(
                                  type,
                                  [this](const EventPtr& e) {
                                    if (bus::EventBus::is_reply(*e)) return Status::OK();
                                    std::lock_guard l(mu);
                                    requests.push_back(e);
                                    return Status::OK();
                                  },
                                  o)
                               .status());
  }
  catalog = std::make_shared<Catalog>();
  lua::ScriptHostOptions o;
  o.folder = folder;
  o.watch = false;
  o.scripts = specs;
  lua::ScriptHostServices sv{io.get(), bus.get(), store.get(), nullptr, {}};
  sv.extensions.push_back(make_lua_extension(catalog));
  scripts = std::make_unique<lua::ScriptHost>(o, sv);
  CHORUS_RETURN_IF_ERROR(scripts->start());
  for (const auto& i : scripts->scripts())
    if (!i.loaded) return Status::InvalidArgument(i.last_error);
  WorkflowOptions wo;
  wo.virtual_time = true;
  wo.scripts_folder = folder;
  engine = std::make_unique<WorkflowEngine>(
      wo, WorkflowServices{io.get(), bus.get(), store.get(), nullptr}, catalog);
  return engine->start();
}

void Harness::stop_host() {
  if (engine) engine->stop();
  if (scripts) scripts->stop();
  if (bus) (void)bus->shutdown(std::chrono::milliseconds(1000));
  work.reset();
  if (io) io->stop();
  for (auto& t : threads)
    t.join();
  threads.clear();
  if (engine) engine->close();
  if (scripts) scripts->close();
  engine.reset();
  scripts.reset();
  bus.reset();
  catalog.reset();
  std::lock_guard l(mu);
  requests.clear();
}

void Harness::close_store() {
  if (!store) return;
  store->remove_commit_listener(listener);
  const std::string path = store->path();
  store->close();
  store.reset();
  std::error_code ec;
  fs::remove_all(path, ec);
}

void Harness::shutdown() {
  if (!started) return;
  started = false;
  stop_host();
  close_store();
  io.reset();
  std::error_code ec;
  if (!dir.empty()) fs::remove_all(dir, ec);
}

Status Harness::crash(uint64_t cut) {
  stop_host();
  CHORUS_ASSIGN_OR_RETURN(auto copy, open_store());
  Status s = copy_prefix(*store, cut, *copy);
  close_store();
  io.reset();  // after the store: its last callbacks may free the bus, whose strand needs io
  store = std::move(copy);
  CHORUS_RETURN_IF_ERROR(s);
  tracker->restarted(cut);
  listen();
  return start_host();
}

Status Harness::before_action() {
  if (uint64_t cut = tracker->before_action()) {
    CHORUS_RETURN_IF_ERROR(crash(cut));
    return settle();
  }
  return Status::OK();
}

void Harness::answer_requests() {
  for (;;) {
    EventPtr req;
    {
      std::lock_guard l(mu);
      if (requests.empty()) return;
      req = requests.front();
      requests.pop_front();
    }
    auto it = responders.find(std::string(req->type()));
    if (it == responders.end()) continue;
    lua_rawgeti(L, LUA_REGISTRYINDEX, it->second);
    std::string err;
    if (!lua::push_json(L, req->data().empty() ? "null" : req->data(), &err)) lua_pushnil(L);
    if (lua_pcall(L, 1, 1, 0) != 0) {
      lua_pop(L, 1);
      continue;  // no reply: the request times out
    }
    std::string data = "null";
    (void)lua::encode_json(L, -1, data, &err);
    lua_pop(L, 1);
    (void)bus->reply(*req, std::move(EventBuilder(std::string(req->type()) + ".reply")
                                         .source(kHarnessSource)
                                         .data(data, "application/json")));
  }
}

bool Harness::io_idle() {
  struct Barrier {
    std::mutex m;
    std::condition_variable cv;
    size_t arrived = 0, left = 0;
  };
  auto b = std::make_shared<Barrier>();
  const size_t n = threads.size();
  for (size_t i = 0; i < n; ++i)
    boost::asio::post(*io, [b, n] {
      std::unique_lock l(b->m);
      ++b->arrived;
      b->cv.notify_all();
      b->cv.wait_for(l, std::chrono::seconds(1), [&] { return b->arrived >= n; });
      ++b->left;
      b->cv.notify_all();
    });
  std::unique_lock l(b->m);
  return b->cv.wait_for(l, std::chrono::seconds(2), [&] { return b->left >= n; }) &&
         b->arrived >= n;
}

Status Harness::settle() {
  uint64_t last = UINT64_MAX;
  int quiet = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (quiet < 3 && std::chrono::steady_clock::now() < deadline) {
    if (uint64_t cut = tracker->take_cut()) {
      CHORUS_RETURN_IF_ERROR(crash(cut));
      quiet = 0;
      last = UINT64_MAX;
      continue;
    }
    engine->sync();
    io_idle();
    answer_requests();
    const WorkflowStats s = engine->stats();
    const uint64_t now = store->durable_seq() * 1'000'003 + s.started * 7919 +
                         s.completed * 104729 + s.failed * 31 + s.compensated * 17 +
                         s.suspended * 13 + s.open;
    bool pending;
    {
      std::lock_guard l(mu);
      pending = !requests.empty();
    }
    if (now == last && !pending) {
      ++quiet;
    } else {
      quiet = 0;
      last = now;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // let the io threads run
  }
  return Status::OK();
}

}  // namespace chorus::workflows
