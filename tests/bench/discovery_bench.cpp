// Discovery benchmarks: select among 10,000 instances of one capability per
// strategy, discover by capability + 2 tags over 10,000 services, and bus
// delivery latency with and without 1,000 HTTP health checks per second
// against a local server. Prints one JSON object per result.
//
//   build/bench/discovery_bench [select [STRATEGY]|discover|checks]
#include <atomic>
#include <random>
#include <sys/resource.h>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <fmt/core.h>

#include "bench.h"
#include "bus/event_bus.h"
#include "core/log.h"
#include "discovery/registry.h"

using namespace chorus;
using namespace chorus::bench;
using namespace chorus::discovery;
using namespace std::chrono_literals;

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct Io {
  explicit Io(int n) : work(io.get_executor()) {
    for (int i = 0; i < n; ++i)
      threads.emplace_back([this] { io.run(); });
  }
  ~Io() {
    work.reset();
    io.stop();
    for (auto& t : threads)
      t.join();
  }
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  std::vector<std::thread> threads;
};

DiscoveryOptions quiet_options() {
  DiscoveryOptions o;
  o.sweep_interval = 0ms;
  o.checkpoint_interval = 0ms;
  o.ttl = 0ms;
  return o;
}

// ---- select ----

void bench_select(const std::string& only_strategy) {
  constexpr int kServices = 10'000;
  for (Strategy st : kAllStrategies) {
    if (!only_strategy.empty() && strategy_name(st) != only_strategy) continue;
    for (bool release : {true, false}) {
      Io io(1);
      auto reg = Registry::open(RegistryEnv{&io.io, nullptr, nullptr, {}}, quiet_options());
      if (!reg.ok()) std::abort();
      std::mt19937 rng(42);
      for (int i = 0; i < kServices; ++i) {
        ServiceSpec s;
        s.id = fmt::format("svc-{:05}", i);
        s.capabilities = {"work"};
        s.weight = 1 + static_cast<uint32_t>(i % 10);
        if (!(*reg)->register_service(std::move(s)).ok()) std::abort();
        (*reg)->record_response_time(fmt::format("svc-{:05}", i),
                                     std::chrono::microseconds(1000 + rng() % 100'000));
      }
      SelectOptions o;
      o.strategy = st;
      if (!(*reg)->select("work", o).ok()) std::abort();  // the pool and strategy state exist
      const Measure m = run_for([&](uint64_t n) {
        for (uint64_t i = 0; i < n; ++i) {
          auto p = (*reg)->select("work", o);
          if (release) (*reg)->release(*p);
          keep(p);
        }
        return n;
      });
      report(fmt::format("discovery.select_{}_{}", release ? "release" : "held", strategy_name(st)),
             m, "", nullptr,
             fmt::format("\"services\":{},\"strategy\":\"{}\",\"target_ns\":1000", kServices,
                         strategy_name(st)));
      (*reg)->shutdown();
    }
  }
}

// ---- discover ----

void bench_discover() {
  constexpr int kServices = 10'000;
  Io io(1);
  auto reg = Registry::open(RegistryEnv{&io.io, nullptr, nullptr, {}}, quiet_options());
  if (!reg.ok()) std::abort();
  std::mt19937 rng(7);
  for (int i = 0; i < kServices; ++i) {
    ServiceSpec s;
    s.id = fmt::format("svc-{:05}", i);
    s.capabilities = {"work", i % 2 ? "odd" : "even"};
    // Three distinct tags of fifty, plus two of two values each.
    std::vector<int> picked;
    while (picked.size() < 3) {
      const int t = static_cast<int>(rng() % 50);
      if (std::find(picked.begin(), picked.end(), t) == picked.end()) picked.push_back(t);
    }
    for (int t : picked)
      s.tags.push_back(fmt::format("t{:02}", t));
    s.tags.push_back(i % 4 < 2 ? "zone=a" : "zone=b");
    s.tags.push_back(i % 3 == 0 ? "tier=gold" : "tier=std");
    if (!(*reg)->register_service(std::move(s)).ok()) std::abort();
  }
  struct Case {
    const char* name;
    Query q;
  };
  std::vector<Case> cases;
  Query narrow;
  narrow.capability = "work";
  narrow.tags = {"t03", "t17"};
  cases.push_back({"discovery.discover_capability_2_rare_tags", narrow});
  Query wide;
  wide.capability = "work";
  wide.tags = {"zone=a", "tier=gold"};
  cases.push_back({"discovery.discover_capability_2_common_tags", wide});
  for (const auto& c : cases) {
    const size_t results = (*reg)->discover(c.q).size();
    const Measure m = run_for([&](uint64_t n) {
      for (uint64_t i = 0; i < n; ++i)
        keep((*reg)->discover(c.q));
      return n;
    });
    report(c.name, m, "", nullptr,
           fmt::format("\"services\":{},\"results\":{},\"target_ns\":10000", kServices, results));
  }
  (*reg)->shutdown();
}

// ---- health checks beside bus delivery ----

// Answers every HTTP request with 200 and closes, on its own thread.
class HealthServer {
 public:
  HealthServer() : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~HealthServer() {
    asio::post(io_, [this] { acceptor_.close(); });
    io_.stop();
    thread_.join();
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }

 private:
  void accept() {
    auto s = std::make_shared<tcp::socket>(io_);
    acceptor_.async_accept(*s, [this, s](const boost::system::error_code& ec) {
      if (ec) return;
      auto buf = std::make_shared<asio::streambuf>();
      asio::async_read_until(
          *s, *buf, "\r\n\r\n", [s, buf](const boost::system::error_code& e, size_t) {
            if (e) return;
            static const std::string reply =
                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
            asio::async_write(*s, asio::buffer(reply),
                              [s](const boost::system::error_code&, size_t) {
                                boost::system::error_code ignored;
                                s->close(ignored);
                              });
          });
      accept();
    });
  }
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
};

void bench_checks() {
  constexpr int kRate = 100'000;  // events per second
  constexpr int kSeconds = 3;
  // Each is checked every 100 ms after its previous check ended (a check
  // takes a few ms): 105 of them make ~1,000 checks/s.
  constexpr int kCheckedServices = 105;
  for (bool with_checks : {false, true}) {
    HealthServer server;
    Io io(2);  // the host's default on this machine: the bus and the checks share them
    bus::EventBus b(io.io);
    std::atomic<uint64_t> seen{0};
    (void)b.subscribe("tick", [&](const EventPtr&) {
      seen.fetch_add(1, std::memory_order_relaxed);
      return Status::OK();
    });
    DiscoveryOptions o = quiet_options();
    o.check.interval = 100ms;
    o.check.timeout = 1s;
    o.max_checks_in_flight = 64;
    auto reg = Registry::open(RegistryEnv{&io.io, &b, nullptr, {}}, o);
    if (!reg.ok()) std::abort();
    if (with_checks) {
      for (int i = 0; i < kCheckedServices; ++i) {
        ServiceSpec s;
        s.id = fmt::format("web-{:03}", i);
        s.host = "127.0.0.1";
        s.port = server.port();
        s.capabilities = {"web"};
        s.check.kind = CheckKind::kHttp;
        if (!(*reg)->register_service(std::move(s)).ok()) std::abort();
      }
      // Warm up: every service healthy (or give up after 30 s).
      const auto deadline = bench::Clock::now() + 30s;
      while ((*reg)->stats().healthy < kCheckedServices && bench::Clock::now() < deadline)
        std::this_thread::sleep_for(10ms);
    }
    if (with_checks) {
      // The checks' own CPU cost, without the publisher: process CPU time
      // (the checker and the in-process server) per check over 2 s.
      auto cpu_us = [] {
        rusage ru{};
        getrusage(RUSAGE_SELF, &ru);
        return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1'000'000LL + ru.ru_utime.tv_usec +
               ru.ru_stime.tv_usec;
      };
      const uint64_t c0 = (*reg)->stats().checks_run;
      const long long t0 = cpu_us();
      std::this_thread::sleep_for(2s);
      const uint64_t c1 = (*reg)->stats().checks_run;
      const long long t1 = cpu_us();
      std::printf(
          "{\"bench\":\"discovery.http_check_cpu\",\"checks_per_s\":%.0f,\"cpu_us_per_check\":%.1f,"
          "\"cpu_share_of_one_core\":%.3f}\n",
          static_cast<double>(c1 - c0) / 2.0,
          static_cast<double>(t1 - t0) / static_cast<double>(std::max<uint64_t>(c1 - c0, 1)),
          static_cast<double>(t1 - t0) / 2e6);
      std::fflush(stdout);
    }
    const uint64_t checks_before = (*reg)->stats().checks_run;
    EventPtr e = *EventBuilder("tick").source("bench").data(R"({"n":1})").build();
    const uint64_t n = static_cast<uint64_t>(kRate) * kSeconds;
    const auto interval = std::chrono::nanoseconds(1'000'000'000 / kRate);
    const auto start = bench::Clock::now();
    for (uint64_t i = 0; i < n; ++i) {
      const auto due = start + interval * static_cast<int64_t>(i);
      while (bench::Clock::now() < due) {
      }
      (void)b.publish(e);
    }
    while (seen.load() < n)
      std::this_thread::yield();
    const double secs = std::chrono::duration<double>(bench::Clock::now() - start).count();
    const auto st = (*reg)->stats();
    const auto lat = b.stats().latency;
    std::printf(
        "{\"bench\":\"discovery.bus_latency_at_100000_per_s_%s\",\"count\":%llu,\"p50_ns\":%llu,"
        "\"p90_ns\":%llu,\"p99_ns\":%llu,\"max_ns\":%llu,\"checks_per_s\":%.0f,\"checks_failed\":%"
        "llu}\n",
        with_checks ? "with_1000_http_checks_per_s" : "without_checks",
        static_cast<unsigned long long>(lat.count), static_cast<unsigned long long>(lat.p50_ns),
        static_cast<unsigned long long>(lat.p90_ns), static_cast<unsigned long long>(lat.p99_ns),
        static_cast<unsigned long long>(lat.max_ns),
        static_cast<double>(st.checks_run - checks_before) / secs,
        static_cast<unsigned long long>(st.checks_failed));
    std::fflush(stdout);
    (*reg)->shutdown();
    (void)b.shutdown(5s);
  }
}

}  // namespace

int main(int argc, char** argv) {
  log::configure(spdlog::level::err, log::Format::kText);
  const std::string only = argc > 1 ? argv[1] : "";
  auto want = [&](const char* name) { return only.empty() || only == name; };
  if (want("select")) bench_select(argc > 2 ? argv[2] : "");
  if (want("discover")) bench_discover();
  if (want("checks")) bench_checks();
  return 0;
}
