// Bus benchmarks, each next to a ceiling measured in the same process:
// matching (cached/uncached), inline and async delivery, fan-out, latency at
// a steady rate, request/reply, memory per subscription and queued event.
// Prints one JSON object per result.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <malloc.h>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "bench.h"
#include "bus/event_bus.h"
#include "bus/topic_trie.h"

using namespace chorus;
using namespace chorus::bench;
using namespace std::chrono_literals;

namespace {

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
  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work;
  std::vector<std::thread> threads;
};

EventPtr ev(std::string_view type) {
  return *EventBuilder(type).source("bench").data(R"({"n":1})").build();
}

size_t heap_in_use() {
  const auto m = mallinfo2();
  return m.uordblks + m.hblkhd;  // small allocations and mmapped big ones
}

// ---- ceilings ----

Measure ceiling_function_calls(int n_subs) {
  std::vector<std::function<Status(const EventPtr&)>> fns;
  std::atomic<uint64_t> sink{0};
  for (int i = 0; i < n_subs; ++i)
    fns.emplace_back([&sink](const EventPtr& e) {
      sink.fetch_add(e->time_ns() & 1, std::memory_order_relaxed);
      return Status::OK();
    });
  EventPtr e = ev("a.b");
  return run_for([&](uint64_t n) {
    for (uint64_t i = 0; i < n; ++i)
      for (auto& f : fns)
        keep(f(e));
    return n;
  });
}

// Producer pushes under a mutex and notifies; consumer swaps the whole queue
// out under the lock and processes the batch.
Measure ceiling_mutex_condvar() {
  return run_for([](uint64_t n) {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<EventPtr> q;
    EventPtr e = ev("a.b");
    uint64_t got = 0;
    std::thread consumer([&] {
      std::deque<EventPtr> batch;
      while (got < n) {
        {
          std::unique_lock lock(mu);
          cv.wait(lock, [&] { return !q.empty(); });
          batch.swap(q);
        }
        got += batch.size();
        batch.clear();
      }
    });
    for (uint64_t i = 0; i < n; ++i) {
      {
        std::lock_guard lock(mu);
        q.push_back(e);
      }
      cv.notify_one();
    }
    consumer.join();
    return n;
  });
}

// The same with one event per lock acquisition on the consumer side.
Measure ceiling_mutex_condvar_per_event() {
  return run_for([](uint64_t n) {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<EventPtr> q;
    EventPtr e = ev("a.b");
    std::thread consumer([&] {
      for (uint64_t got = 0; got < n; ++got) {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return !q.empty(); });
        q.pop_front();
      }
    });
    for (uint64_t i = 0; i < n; ++i) {
      {
        std::lock_guard lock(mu);
        q.push_back(e);
      }
      cv.notify_one();
    }
    consumer.join();
    return n;
  });
}

Measure ceiling_spsc_ring() {
  return run_for([](uint64_t n) {
    constexpr size_t kSize = 1 << 16;
    std::vector<const Event*> ring(kSize);
    alignas(64) std::atomic<uint64_t> head{0};
    alignas(64) std::atomic<uint64_t> tail{0};
    EventPtr e = ev("a.b");
    std::thread consumer([&] {
      uint64_t t = 0;
      while (t < n) {
        const uint64_t h = head.load(std::memory_order_acquire);
        while (t < h)
          keep(ring[t++ & (kSize - 1)]);
        tail.store(t, std::memory_order_release);
      }
    });
    for (uint64_t i = 0; i < n; ++i) {
      while (i - tail.load(std::memory_order_acquire) >= kSize) {
      }
      ring[i & (kSize - 1)] = e.get();
      head.store(i + 1, std::memory_order_release);
    }
    consumer.join();
    return n;
  });
}

// ---- matching ----

std::vector<std::string> make_patterns(std::mt19937& rng, std::vector<std::string>& topics) {
  std::vector<std::string> pats;
  for (int i = 0; i < 10'000; ++i) {
    const std::string a = "svc" + std::to_string(rng() % 100);
    const std::string b = "entity" + std::to_string(rng() % 20);
    const std::string c = "evt" + std::to_string(rng() % 10);
    const unsigned r = rng() % 10;
    if (r < 7) {
      pats.push_back(a + "." + b + "." + c);
      if (topics.size() < 512) topics.push_back(pats.back());
    } else if (r < 9) {
      pats.push_back(rng() % 2 ? a + ".*." + c : "*." + b + "." + c);
    } else {
      pats.push_back(a + ".**");
    }
  }
  return pats;
}

void bench_match() {
  std::mt19937 rng(1);
  std::vector<std::string> topics;
  const auto pats = make_patterns(rng, topics);
  std::vector<EventPtr> events;
  for (const auto& t : topics)
    events.push_back(ev(t));

  for (size_t cache : {size_t{4096}, size_t{0}}) {
    Io io(1);
    bus::BusOptions opts;
    opts.match_cache_size = cache;
    bus::EventBus b(io.io, opts);
    bus::SubscribeOptions o;
    o.mode = bus::DeliveryMode::kInline;
    for (const auto& p : pats)
      (void)b.subscribe(
          p, [](const EventPtr&) { return Status::OK(); }, o);
    size_t total = 0;
    for (const auto& e : events)
      total += b.count_matching(*e);
    auto m = run_for([&](uint64_t n) {
      for (uint64_t i = 0; i < n; ++i)
        keep(b.count_matching(*events[i % events.size()]));
      return n;
    });
    report(cache ? "bus.match_cached_10k_subs" : "bus.match_uncached_10k_subs", m, "", nullptr,
           "\"avg_matches\":" + std::to_string(total / events.size()) +
               ",\"target_ns\":" + (cache ? "50" : "1000"));
  }
  // The trie alone (no result building), for reference.
  bus::TopicTrie<int> trie;
  std::vector<int> vals(pats.size());
  for (size_t i = 0; i < pats.size(); ++i)
    trie.insert(pats[i], &vals[i]);
  std::vector<int*> out;
  auto m = run_for([&](uint64_t n) {
    for (uint64_t i = 0; i < n; ++i) {
      out.clear();
      trie.match(topics[i % topics.size()], out);
      keep(out);
    }
    return n;
  });
  report("bus.trie_match_10k_subs", m);
}

// ---- delivery ----

void bench_inline(const Measure& ceiling1) {
  Io io(1);
  bus::EventBus b(io.io);
  bus::SubscribeOptions o;
  o.mode = bus::DeliveryMode::kInline;
  std::atomic<uint64_t> count{0};
  (void)b.subscribe(
      "task.created",
      [&](const EventPtr&) {
        count.fetch_add(1, std::memory_order_relaxed);
        return Status::OK();
      },
      o);
  EventPtr e = ev("task.created");
  auto m = run_for([&](uint64_t n) {
    for (uint64_t i = 0; i < n; ++i)
      keep(b.publish(e));
    return n;
  });
  report("bus.inline_1_sub_prebuilt", m, "std_function_1", &ceiling1, "\"target_ops\":20000000");
  const std::string payload = R"({"task":"t-1","owner":"planner"})";
  auto m2 = run_for([&](uint64_t n) {
    for (uint64_t i = 0; i < n; ++i)
      keep(b.publish(*EventBuilder("task.created").source("planner").data(payload).build()));
    return n;
  });
  report("bus.inline_1_sub_with_construction", m2, "std_function_1", &ceiling1,
         "\"target_ops\":5000000");
}

// Publishes n events from this thread and waits until `subs` handlers have
// seen them all.
Measure async_run(int subs, int io_threads) {
  return run_for([&](uint64_t n) {
    Io io(io_threads);
    bus::BusOptions opts;
    opts.queue_bound = 1 << 20;
    bus::EventBus b(io.io, opts);
    std::atomic<uint64_t> seen{0};
    std::mutex mu;
    std::condition_variable cv;
    const uint64_t want = n * static_cast<uint64_t>(subs);
    for (int s = 0; s < subs; ++s)
      (void)b.subscribe("job.run", [&](const EventPtr&) {
        if (seen.fetch_add(1, std::memory_order_relaxed) + 1 == want) {
          std::lock_guard lock(mu);
          cv.notify_all();
        }
        return Status::OK();
      });
    EventPtr e = ev("job.run");
    for (uint64_t i = 0; i < n; ++i)
      (void)b.publish(e);
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return seen.load() == want; });
    return want;
  });
}

void bench_async(const Measure& ceiling_cv, const Measure& ceiling_cv1,
                 const Measure& ceiling_ring) {
  auto one = async_run(1, 1);
  report("bus.async_1_sub", one, "mutex_condvar_handoff", &ceiling_cv,
         "\"target_ops\":3000000,\"io_threads\":1");
  report("bus.async_1_sub_vs_per_event_handoff", one, "mutex_condvar_per_event", &ceiling_cv1,
         "\"target_ratio\":0.5");
  auto fan1 = async_run(10, 1);
  report("bus.async_fanout_10_subs", fan1, "spsc_ring", &ceiling_ring,
         "\"unit\":\"deliveries\",\"target_ops\":5000000,\"io_threads\":1");
  auto fan2 = async_run(10, 2);
  report("bus.async_fanout_10_subs_2_io_threads", fan2, "spsc_ring", &ceiling_ring,
         "\"unit\":\"deliveries\",\"target_ops\":5000000,\"io_threads\":2");
}

// Publishes at a steady rate and reads the bus's publish-to-handler histogram.
void bench_latency() {
  for (int spin_us : {0, 50})
    for (int rate : {100'000, 10'000}) {
      Io io(1);
      bus::BusOptions opts;
      opts.idle_spin = std::chrono::microseconds(spin_us);
      bus::EventBus b(io.io, opts);
      std::atomic<uint64_t> seen{0};
      (void)b.subscribe("tick", [&](const EventPtr&) {
        seen.fetch_add(1, std::memory_order_relaxed);
        return Status::OK();
      });
      EventPtr e = ev("tick");
      const uint64_t n = static_cast<uint64_t>(rate);  // one second
      const auto interval = std::chrono::nanoseconds(1'000'000'000 / rate);
      const auto start = Clock::now();
      for (uint64_t i = 0; i < n; ++i) {
        const auto due = start + interval * static_cast<int64_t>(i);
        while (Clock::now() < due) {
        }
        (void)b.publish(e);
      }
      while (seen.load() < n)
        std::this_thread::yield();
      const auto lat = b.stats().latency;
      std::printf(
          "{\"bench\":\"bus.latency_at_%d_per_s_idle_spin_%dus\",\"count\":%llu,\"p50_ns\":%llu,"
          "\"p90_ns\":%llu,"
          "\"p99_ns\":%llu,\"p999_ns\":%llu,\"max_ns\":%llu,\"target_p50_ns\":5000,\"target_p99_"
          "ns\":50000}\n",
          rate, spin_us, static_cast<unsigned long long>(lat.count),
          static_cast<unsigned long long>(lat.p50_ns), static_cast<unsigned long long>(lat.p90_ns),
          static_cast<unsigned long long>(lat.p99_ns), static_cast<unsigned long long>(lat.p999_ns),
          static_cast<unsigned long long>(lat.max_ns));
      std::fflush(stdout);
    }
}

void bench_request_reply() {
  for (int spin_us : {0, 50})
    for (auto mode : {bus::DeliveryMode::kAsync, bus::DeliveryMode::kInline}) {
      if (spin_us && mode == bus::DeliveryMode::kInline) continue;
      Io io(1);
      bus::BusOptions opts;
      opts.idle_spin = std::chrono::microseconds(spin_us);
      bus::EventBus b(io.io, opts);
      bus::SubscribeOptions o;
      o.mode = mode;
      (void)b.subscribe(
          "calc.square",
          [&](const EventPtr& req) {
            return b.reply(*req, EventBuilder("calc.result").source("calc"));
          },
          o);
      const std::string name = std::string(mode == bus::DeliveryMode::kAsync ? "async" : "inline") +
                               (spin_us ? "_idle_spin_50us" : "");
      // Round trip, one request at a time.
      std::vector<uint64_t> rtt;
      rtt.reserve(20'000);
      for (int i = 0; i < 20'000; ++i) {
        auto req = *EventBuilder("calc.square").source("client").build();
        const auto t0 = Clock::now();
        auto r = b.request(req, 5s).get();
        rtt.push_back(static_cast<uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count()));
        keep(r);
      }
      std::sort(rtt.begin(), rtt.end());
      std::printf(
          "{\"bench\":\"bus.request_reply_rtt_%s_responder\",\"p50_ns\":%llu,\"p99_ns\":%llu,"
          "\"target_p50_ns\":10000}\n",
          name.c_str(), static_cast<unsigned long long>(rtt[rtt.size() / 2]),
          static_cast<unsigned long long>(rtt[rtt.size() * 99 / 100]));
      // Throughput with 64 requests in flight (callback form).
      auto m = run_for([&](uint64_t n) {
        std::mutex mu;
        std::condition_variable cv;
        std::atomic<uint64_t> done{0};
        std::atomic<int64_t> in_flight{0};
        for (uint64_t i = 0; i < n; ++i) {
          while (in_flight.load(std::memory_order_acquire) >= 64)
            std::this_thread::yield();
          in_flight.fetch_add(1);
          auto req = *EventBuilder("calc.square").source("client").build();
          b.request(req, 5s, [&](Result<EventPtr>) {
            in_flight.fetch_sub(1);
            if (done.fetch_add(1) + 1 == n) {
              std::lock_guard lock(mu);
              cv.notify_all();
            }
          });
        }
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return done.load() == n; });
        return n;
      });
      report("bus.request_reply_throughput_" + name + "_responder", m, "", nullptr,
             "\"in_flight\":64,\"target_ops\":200000");
    }
}

void bench_memory() {
  Io io(1);
  bus::EventBus b(io.io);
  const size_t before = heap_in_use();
  std::vector<bus::SubscriptionId> ids;
  for (int i = 0; i < 10'000; ++i)
    ids.push_back(*b.subscribe("svc" + std::to_string(i) + ".entity.evt",
                               [](const EventPtr&) { return Status::OK(); }));
  const size_t per_sub = (heap_in_use() - before) / 10'000;

  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  bus::SubscribeOptions o;
  o.queue_bound = 200'000;
  (void)b.subscribe(
      "q.x",
      [&](const EventPtr&) {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return open; });
        return Status::OK();
      },
      o);
  EventPtr e = ev("q.x");
  (void)b.publish(e);  // the handler now blocks; the rest queues
  const size_t q0 = heap_in_use();
  for (int i = 0; i < 100'000; ++i)
    (void)b.publish(e);
  const size_t per_queued_shared = (heap_in_use() - q0) / 100'000;
  std::printf(
      "{\"bench\":\"bus.memory\",\"bytes_per_subscription\":%zu,"
      "\"bytes_per_queued_event_shared\":%zu,\"bytes_per_event_200b\":%zu}\n",
      per_sub, per_queued_shared,
      (*EventBuilder("task.created").source("planner").data(std::string(200, 'x')).build())
          ->memory_size());
  {
    std::lock_guard lock(mu);
    open = true;
  }
  cv.notify_all();
  (void)b.shutdown(10s);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string only = argc > 1 ? argv[1] : "";
  auto want = [&](const char* name) { return only.empty() || only == name; };
  const Measure f1 = ceiling_function_calls(1);
  const Measure f10 = ceiling_function_calls(10);
  const Measure cv = ceiling_mutex_condvar();
  const Measure cv1 = ceiling_mutex_condvar_per_event();
  const Measure ring = ceiling_spsc_ring();
  report("ceiling.std_function_1", f1);
  report("ceiling.std_function_10", f10);
  report("ceiling.mutex_condvar_handoff", cv);
  report("ceiling.mutex_condvar_per_event", cv1);
  report("ceiling.spsc_ring", ring);
  if (want("match")) bench_match();
  if (want("inline")) bench_inline(f1);
  if (want("async")) bench_async(cv, cv1, ring);
  if (want("latency")) bench_latency();
  if (want("request")) bench_request_reply();
  if (want("memory")) bench_memory();
  return 0;
}
