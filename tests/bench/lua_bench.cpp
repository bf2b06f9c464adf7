// Lua runtime benchmarks, next to ceilings measured in the same process:
//   filter      a Lua filter on envelope fields through ScriptHost::filter
//               (what a plugin subscription runs), JIT on (trusted) vs JIT
//               off + count hook (sandboxed); also on a data field, and
//               without the filter pool (ScriptVersion::evaluate)
//   handler     a Lua handler receiving events from the bus, trusted vs
//               sandboxed
//   cpu         a pure Lua loop: JIT on, JIT off, JIT off + the count hook
//   reload      file saved -> the new version handling events (p50, max)
// `lua_bench cpu|filter|handler|reload` runs one part. One JSON object per result.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <lua.hpp>

#include "bench.h"
#include "bus/event_bus.h"
#include "core/clock.h"
#include "lua/lua_vm.h"
#include "lua/script_host.h"
#include "lua/script_version.h"
#include "support/temp_dir.h"

using namespace chorus;
using namespace chorus::bench;
using namespace std::chrono_literals;

namespace {

struct Io {
  explicit Io(int n) : work(io.get_executor()) {
    for (int i = 0; i < n; ++i)
      threads.emplace_back([this] { io.run(); });
  }
  void stop() {
    work.reset();
    io.stop();
    for (auto& t : threads)
      if (t.joinable()) t.join();
  }
  ~Io() { stop(); }
  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work;
  std::vector<std::thread> threads;
};

// A host with one script, on its own io threads and bus.
struct Host {
  explicit Host(const std::string& source, lua::Trust trust, int threads = 1, bool watch = false)
      : io(threads) {
    std::filesystem::create_directories(dir.file("scripts"));
    dir.write("scripts/s.lua", source);
    bus::BusOptions b;
    b.queue_bound = 100'000;
    bus = std::make_unique<bus::EventBus>(io.io, b);
    lua::ScriptHostOptions o;
    o.folder = dir.file("scripts");
    o.watch = watch;
    lua::ScriptSpec s;
    s.name = "s";
    s.file = "s.lua";
    s.trust = trust;
    s.limits.cpu = 100ms;
    o.scripts = {s};
    host = std::make_unique<lua::ScriptHost>(
        o, lua::ScriptHostServices{&io.io, bus.get(), nullptr, nullptr, {}});
    if (!host->start().ok() || !host->scripts().at(0).loaded) {
      std::fprintf(stderr, "script did not load: %s\n", host->scripts().at(0).last_error.c_str());
      std::exit(1);
    }
  }
  ~Host() {
    host->stop();
    (void)bus->shutdown(1000ms);
    io.stop();
    host->close();
  }
  test::TempDir dir;
  Io io;
  std::unique_ptr<bus::EventBus> bus;
  std::unique_ptr<lua::ScriptHost> host;
};

EventPtr order(double amount, Priority p = Priority::kHigh) {
  return *EventBuilder("order.submitted")
              .source("bench")
              .priority(p)
              .data("{\"order_id\":\"o-17\",\"customer\":\"c-3\",\"amount\":" +
                    std::to_string(amount) + "}")
              .build();
}

const char* trust_name(lua::Trust t) {
  return t == lua::Trust::kTrusted ? "jit_on" : "jit_off_hook";
}

// ---- ceilings ----

// Calling a Lua function from C with a reused table, JIT on (the issue's
// "~33 ns"), and with a new table per call ("~134 ns").
Measure ceiling_lua_call(bool new_table) {
  auto vm = lua::LuaVm::create({});
  vm->open_standard_libraries();
  lua_State* L = vm->state();
  luaL_dostring(L, "return function(t) return t.priority == 'high' end");
  const int fn = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_createtable(L, 0, 2);
  lua_pushliteral(L, "high");
  lua_setfield(L, -2, "priority");
  const int tbl = luaL_ref(L, LUA_REGISTRYINDEX);
  return run_for([&](uint64_t n) {
    uint64_t yes = 0;
    for (uint64_t i = 0; i < n; ++i) {
      lua_rawgeti(L, LUA_REGISTRYINDEX, fn);
      if (new_table) {
        lua_createtable(L, 0, 2);
        lua_pushliteral(L, "high");
        lua_setfield(L, -2, "priority");
      } else {
        lua_rawgeti(L, LUA_REGISTRYINDEX, tbl);
      }
      lua_call(L, 1, 1);
      yes += lua_toboolean(L, -1);
      lua_pop(L, 1);
    }
    keep(yes);
    return n;
  });
}

// ---- filters ----

constexpr const char* kFilters = R"(
function by_priority(ev) return ev.priority == "high" end
function by_type(ev) return ev.type == "order.submitted" end
function by_amount(ev) return ev.data.amount > 1000 end
)";

void bench_filter() {
  const Measure reused = ceiling_lua_call(false);
  const Measure fresh = ceiling_lua_call(true);
  report("ceiling.lua_call_reused_table", reused);
  report("ceiling.lua_call_new_table", fresh);
  const EventPtr e = order(1500);
  for (lua::Trust t : {lua::Trust::kTrusted, lua::Trust::kSandboxed}) {
    Host h(kFilters, t);
    for (const char* fn : {"by_priority", "by_type", "by_amount"}) {
      auto f = h.host->filter("s", fn);
      const Measure m = run_for([&](uint64_t n) {
        uint64_t yes = 0;
        for (uint64_t i = 0; i < n; ++i)
          yes += (*f)(*e) ? 1 : 0;
        keep(yes);
        return n;
      });
      report(std::string("filter.") + fn + "." + trust_name(t), m, "lua_call_reused_table",
             &reused);
    }
  }
  // Without the pool: one filter state called directly (what the pool adds
  // is the difference).
  for (lua::Trust t : {lua::Trust::kTrusted, lua::Trust::kSandboxed}) {
    lua::VersionSpec spec;
    spec.name = "s";
    spec.path = "s.lua";
    spec.source = kFilters;
    spec.trust = t;
    spec.mode = lua::Mode::kFilter;
    lua::LoadError err;
    auto v = lua::ScriptVersion::load(spec, {}, nullptr, &err);
    const std::string fn = "by_priority";
    const Measure m = run_for([&](uint64_t n) {
      uint64_t yes = 0;
      for (uint64_t i = 0; i < n; ++i)
        yes += *v->evaluate(fn, *e) ? 1 : 0;
      keep(yes);
      return n;
    });
    report(std::string("filter.by_priority.no_pool.") + trust_name(t), m, "lua_call_reused_table",
           &reused);
  }
}

// ---- handlers from the bus ----

void bench_handler() {
  constexpr uint64_t kEvents = 500'000;
  const std::string counting = R"(
local n, target = 0, 0
chorus.on("bench.start", function(ev) n, target = 0, ev.data.n end)
chorus.on("bench.event", function(ev)
  n = n + 1
  if n == target then chorus.publish("bench.done", {n = n}) end
end)
)";
  const std::string decoding = R"(
local n, target, sum = 0, 0, 0
chorus.on("bench.start", function(ev) n, target = 0, ev.data.n end)
chorus.on("bench.event", function(ev)
  n = n + 1
  sum = sum + ev.data.amount
  if n == target then chorus.publish("bench.done", {n = n}) end
end)
)";
  for (const auto& [name, source] :
       {std::pair<const char*, std::string>{"count", counting}, {"read_data", decoding}}) {
    for (lua::Trust t : {lua::Trust::kTrusted, lua::Trust::kSandboxed}) {
      Host h(source, t, 1);
      std::mutex mu;
      std::condition_variable cv;
      bool done = false;
      (void)h.bus->subscribe("bench.done", [&](const EventPtr&) {
        std::lock_guard l(mu);
        done = true;
        cv.notify_all();
        return Status::OK();
      });
      const EventPtr e =
          *EventBuilder("bench.event").source("bench").data(R"({"amount":12.5})").build();
      const uint64_t n = kEvents / (name == std::string("count") ? 1 : 2);
      // "start" goes first on its own subscription: wait for it to be handled
      // by sending it, then a first batch and its done.
      auto run = [&](uint64_t count) {
        {
          std::lock_guard l(mu);
          done = false;
        }
        (void)h.bus->publish(*EventBuilder("bench.start")
                                  .source("bench")
                                  .data("{\"n\":" + std::to_string(count) + "}")
                                  .build());
        std::this_thread::sleep_for(20ms);  // a benchmark, not a test: let "start" land first
        const auto t0 = Clock::now();
        for (uint64_t i = 0; i < count; ++i)
          (void)h.bus->publish(e);
        std::unique_lock l(mu);
        cv.wait(l, [&] { return done; });
        return std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
      };
      run(10'000);  // warm up
      const double ns = run(n);
      Measure m;
      m.ops = n;
      m.ns_per_op = ns / static_cast<double>(n);
      m.ops_per_sec = 1e9 / m.ns_per_op;
      report(std::string("handler.") + name + "." + trust_name(t), m);
    }
  }
}

// ---- what the CPU limit costs on pure Lua code ----

// A loop of arithmetic and table work, in a state with the JIT on, with it
// off, and with it off plus the CPU limit's count hook (a sandboxed script).
void bench_cpu() {
  const char* code = R"(
return function(n)
  local t, s = {}, 0
  for i = 1, 64 do t[i] = i end
  for i = 1, n do
    t[i % 64 + 1] = i
    s = s + (i * i) % 7 + t[(i * 3) % 64 + 1]
  end
  return s
end
)";
  struct Variant {
    const char* name;
    lua::VmLimits limits;
  };
  lua::VmLimits jit_on;
  lua::VmLimits jit_off;
  jit_off.jit = false;
  lua::VmLimits hooked;
  hooked.jit = false;
  hooked.cpu = std::chrono::hours(1);
  Measure base;
  for (const Variant& v :
       {Variant{"jit_on", jit_on}, Variant{"jit_off", jit_off}, Variant{"jit_off_hook", hooked}}) {
    auto vm = lua::LuaVm::create(v.limits);
    vm->open_standard_libraries();
    lua_State* L = vm->state();
    luaL_dostring(L, code);
    const int fn = luaL_ref(L, LUA_REGISTRYINDEX);
    constexpr int kIterations = 100'000;
    const Measure m = run_for([&](uint64_t n) {
      for (uint64_t i = 0; i < n; ++i) {
        lua::LuaVm::Slice slice(*vm, std::chrono::hours(1));
        lua_rawgeti(L, LUA_REGISTRYINDEX, fn);
        lua_pushinteger(L, kIterations);
        lua_call(L, 1, 1);
        keep(lua_tonumber(L, -1));
        lua_pop(L, 1);
      }
      return n * kIterations;
    });
    if (std::string(v.name) == "jit_on") base = m;
    report(std::string("cpu.loop_iteration.") + v.name, m, "jit_on", &base);
  }
}

// ---- reload latency ----

void bench_reload() {
  auto version = [](int v) {
    return "chorus.on('probe', function(ev) chorus.publish('probe.ack', {v = " + std::to_string(v) +
           "}) end)\n";
  };
  Host h(version(1), lua::Trust::kSandboxed, 2, /*watch=*/true);
  std::mutex mu;
  std::condition_variable cv;
  int seen_version = 1;
  Clock::time_point seen_at;
  std::vector<double> swap_ms;
  (void)h.bus->subscribe("probe.ack", [&](const EventPtr& ev) {
    const std::string d(ev->data());
    const int v = std::atoi(d.c_str() + d.find(':') + 1);
    std::lock_guard l(mu);
    if (v > seen_version) {
      seen_version = v;
      seen_at = Clock::now();
      cv.notify_all();
    }
    return Status::OK();
  });
  (void)h.bus->subscribe("system.script.reloaded", [&](const EventPtr& ev) {
    const std::string d(ev->data());
    const auto at = d.find("\"duration_ms\":");
    std::lock_guard l(mu);
    swap_ms.push_back(std::atof(d.c_str() + at + 14));
    return Status::OK();
  });
  std::atomic<bool> stop{false};
  std::thread prober([&] {
    const EventPtr probe = *EventBuilder("probe").source("bench").build();
    while (!stop.load()) {
      (void)h.bus->publish(probe);
      std::this_thread::sleep_for(200us);
    }
  });
  std::vector<double> latencies;
  for (int v = 2; v <= 21; ++v) {
    const std::string tmp = h.dir.file("scripts/.s.lua.tmp");
    {
      FILE* f = std::fopen(tmp.c_str(), "w");
      const std::string text = version(v);
      std::fwrite(text.data(), 1, text.size(), f);
      std::fclose(f);
    }
    const auto t0 = Clock::now();
    std::filesystem::rename(tmp, h.dir.file("scripts/s.lua"));  // as an editor saves
    std::unique_lock l(mu);
    if (!cv.wait_for(l, 10s, [&] { return seen_version == v; })) {
      std::fprintf(stderr, "version %d never answered\n", v);
      break;
    }
    latencies.push_back(std::chrono::duration<double, std::milli>(seen_at - t0).count());
  }
  stop.store(true);
  prober.join();
  std::sort(latencies.begin(), latencies.end());
  std::vector<double> swaps;
  {
    std::lock_guard l(mu);
    swaps = swap_ms;
  }
  std::sort(swaps.begin(), swaps.end());
  auto at = [](const std::vector<double>& v, double q) {
    return v.empty() ? 0.0 : v[std::min(v.size() - 1, static_cast<size_t>(q * v.size()))];
  };
  std::printf(
      "{\"bench\":\"reload.saved_to_new_version_handling\",\"reloads\":%zu,\"p50_ms\":%.2f,"
      "\"max_ms\":%.2f,\"detect_to_swap_p50_ms\":%.2f,\"detect_to_swap_max_ms\":%.2f}\n",
      latencies.size(), at(latencies, 0.5), latencies.empty() ? 0.0 : latencies.back(),
      at(swaps, 0.5), swaps.empty() ? 0.0 : swaps.back());
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string only = argc > 1 ? argv[1] : "";
  auto want = [&](const char* name) { return only.empty() || only == name; };
  if (want("cpu")) bench_cpu();
  if (want("filter")) bench_filter();
  if (want("handler")) bench_handler();
  if (want("reload")) bench_reload();
  return 0;
}
