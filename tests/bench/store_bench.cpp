// Store benchmarks (docs/performance.md "Store"). Prints one JSON object per
// result. Every throughput figure is the best of three runs in fresh
// stores; the raw-LMDB ceiling is measured in the same process and the
// store's figures name it with a ratio.
//
//   build/bench/store_bench            everything (a few minutes)
//   build/bench/store_bench append     only the groups whose name contains "append"
//
// Events are 200-byte JSON payloads (a 278-byte record) built before the
// clock starts, so the figures are the store's cost, not the builder's
// (event.build_200b in core_bench: ~230 ns).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <random>
#include <semaphore>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include <fmt/core.h>
#include <lmdb.h>

#include "bench.h"
#include "core/event.h"
#include "store/event_store.h"
// Only for the raw-LMDB ceiling: the same big-endian keys as the store's.
#include "store/internal/store_format.h"

using namespace chorus;
using namespace chorus::store;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kRuns = 3;

// A temporary directory removed at scope exit (benchmarks link no test code).
struct BenchDir {
  std::string path;
  BenchDir() {
    const char* base = std::getenv("TMPDIR");
    std::string t = std::string(base && *base ? base : "/tmp") + "/chorus-bench-XXXXXX";
    if (!::mkdtemp(t.data())) std::abort();
    path = t;
  }
  ~BenchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

bench::Measure measure(uint64_t ops, double secs) {
  bench::Measure m;
  m.ops = ops;
  m.ops_per_sec = static_cast<double>(ops) / secs;
  m.ns_per_op = secs * 1e9 / static_cast<double>(ops);
  return m;
}

// Runs `once` kRuns times; reports the best with every run in "runs".
template <typename Once>
bench::Measure best_of(Once&& once, std::string* runs_json) {
  bench::Measure best;
  std::string runs;
  for (int i = 0; i < kRuns; ++i) {
    bench::Measure m = once();
    runs += fmt::format("{}{:.0f}", i ? "," : "", m.ops_per_sec);
    if (m.ops_per_sec > best.ops_per_sec) best = m;
  }
  if (runs_json) *runs_json = "\"runs\":[" + runs + "]";
  return best;
}

std::string payload200() {
  std::string s = "{\"pad\":\"";
  s.append(200 - s.size() - 2, 'x');
  s += "\"}";
  return s;
}

// Correlation ids as Chorus makes them: the id of an operation's first event
// (a UUIDv7, so time-ordered), shared by that operation's events (4 here).
std::vector<EventPtr> make_events(size_t n, const std::string& type, int streams, uint64_t salt) {
  std::vector<EventPtr> out;
  out.reserve(n);
  const std::string data = payload200();
  std::string op;
  std::mt19937_64 rng(salt + 1);
  for (size_t i = 0; i < n; ++i) {
    EventBuilder b(type);
    if (i % 4 == 0) op = new_uuid_v7().to_string();
    b.source("bench").data(data).correlation_id(op);
    if (streams > 0) b.stream(fmt::format("entity-{}", rng() % static_cast<size_t>(streams)));
    out.push_back(*b.build());
  }
  return out;
}

// Events for `producers`, built round-robin so that their ids and
// correlation ids interleave in time as they would with live producers.
std::vector<std::vector<EventPtr>> make_producer_events(int producers, size_t per, int streams) {
  std::vector<std::vector<EventPtr>> evs(static_cast<size_t>(producers));
  const size_t chunk = 64;
  for (size_t done = 0; done < per; done += chunk)
    for (int p = 0; p < producers; ++p) {
      auto part = make_events(std::min(chunk, per - done), "bench.appended", streams,
                              static_cast<uint64_t>(p) * 1'000'003 + done);
      auto& mine = evs[static_cast<size_t>(p)];
      mine.insert(mine.end(), part.begin(), part.end());
    }
  return evs;
}

StoreOptions bench_options(const std::string& path, Durability d) {
  StoreOptions o;
  o.path = path;
  o.durability = d;
  o.map_initial = 4ull << 30;  // no growth inside the timed region
  o.retention_interval = std::chrono::milliseconds(0);
  return o;
}

// ---- raw LMDB ceiling ----

// One environment, fsync on commit (LMDB's default), 200-byte values
// appended with MDB_APPEND in transactions of `batch`. With `index`, each
// event also gets an entry under a random one of 1,000 streams in a second
// database (the shape of a per-stream index).
bench::Measure raw_lmdb(size_t batch, bool index, double min_secs) {
  BenchDir dir;
  MDB_env* env;
  mdb_env_create(&env);
  mdb_env_set_maxdbs(env, 4);
  mdb_env_set_mapsize(env, 8ull << 30);
  if (mdb_env_open(env, dir.path.c_str(), MDB_NOTLS, 0640) != 0) std::abort();
  MDB_txn* txn;
  MDB_dbi events, streams;
  mdb_txn_begin(env, nullptr, 0, &txn);
  mdb_dbi_open(txn, "events", MDB_CREATE, &events);
  mdb_dbi_open(txn, "streams", MDB_CREATE, &streams);
  mdb_txn_commit(txn);
  std::string value(200, 'v');
  std::vector<uint64_t> versions(1000, 0);
  std::mt19937 rng(1);
  uint64_t seq = 0;
  const auto t0 = Clock::now();
  while (seconds_since(t0) < min_secs) {
    mdb_txn_begin(env, nullptr, 0, &txn);
    for (size_t i = 0; i < batch; ++i) {
      ++seq;
      Key8 k(seq);
      MDB_val kv{8, k.b}, vv{value.size(), value.data()};
      if (mdb_put(txn, events, &kv, &vv, MDB_APPEND) != 0) std::abort();
      if (index) {
        const uint32_t s = rng() % 1000;
        Key16 ik(s, ++versions[s]);
        MDB_val ikv{16, ik.b}, sv{8, k.b};
        if (mdb_put(txn, streams, &ikv, &sv, 0) != 0) std::abort();
      }
    }
    if (mdb_txn_commit(txn) != 0) std::abort();
  }
  const double secs = seconds_since(t0);
  mdb_env_close(env);
  return measure(seq, secs);
}

// ---- appends ----

std::string g_writer_profile;  // writer time per event, of the last run

// The end of an append run of `n` events in `secs`: reports failures, sets
// g_writer_profile and *transactions from the store's stats.
bench::Measure finish_run(EventStore& store, uint64_t failed, size_t n, double secs,
                          uint64_t* transactions) {
  if (failed != 0)
    std::fprintf(stderr, "store_bench: %llu appends failed\n", (unsigned long long)failed);
  auto st = store.stats();
  if (transactions) *transactions = st->transactions;
  const double per_event = static_cast<double>(n);
  g_writer_profile = fmt::format(
      "\"writer_ns_per_event\":{{\"apply\":{:.0f},\"commit\":{:.0f},\"complete\":{:.0f},"
      "\"sync\":{:.0f}}}",
      static_cast<double>(st->apply_ns) / per_event, static_cast<double>(st->commit_ns) / per_event,
      static_cast<double>(st->complete_ns) / per_event,
      static_cast<double>(st->sync_ns) / per_event);
  return measure(n, secs);
}

// `producers` threads; each appends its share of `events` keeping up to
// `in_flight` appends outstanding (in_flight 1: the blocking append).

bench::Measure append_run(Durability d, int producers, int in_flight, int streams, size_t total,
                          uint64_t* transactions = nullptr) {
  BenchDir dir;
  auto store = std::move(*EventStore::open(bench_options(dir.path + "/store", d)));
  const size_t per = total / static_cast<size_t>(producers);
  auto evs = make_producer_events(producers, per, streams);
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  std::atomic<uint64_t> failed{0};
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      ready.fetch_add(1);
      while (!go.load(std::memory_order_acquire))
        std::this_thread::yield();
      auto& mine = evs[static_cast<size_t>(p)];
      if (in_flight <= 1) {
        for (const EventPtr& e : mine)
          if (!store->append(e).ok()) failed.fetch_add(1);
        return;
      }
      // Pipelined like redis-benchmark -P: send `in_flight` appends, wait
      // for all of their completions, send the next ones.
      std::mutex mu;
      std::condition_variable cv;
      int outstanding = 0;
      for (size_t i = 0; i < mine.size();) {
        const size_t end = std::min(mine.size(), i + static_cast<size_t>(in_flight));
        {
          std::lock_guard lock(mu);
          outstanding = static_cast<int>(end - i);
        }
        for (; i < end; ++i)
          store->append_async(mine[i], [&](const AppendResult& r) {
            if (!r.ok()) failed.fetch_add(1);
            std::lock_guard lock(mu);
            if (--outstanding == 0) cv.notify_one();
          });
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return outstanding == 0; });
      }
    });
  }
  while (ready.load() < producers)
    std::this_thread::yield();
  const auto t0 = Clock::now();
  go.store(true, std::memory_order_release);
  for (auto& t : threads)
    t.join();
  return finish_run(*store, failed.load(), per * static_cast<size_t>(producers), seconds_since(t0),
                    transactions);
}

// The redis-benchmark shape: `producers` logical clients (like its
// connections), each with a window of `window` appends: it sends them, and
// when all have completed it sends the next ones. `drivers` threads send
// for whichever producers are ready (redis-benchmark uses one event loop).
bench::Measure append_clients(Durability d, int producers, int window, int streams, size_t total,
                              int drivers, uint64_t* transactions = nullptr) {
  BenchDir dir;
  auto store = std::move(*EventStore::open(bench_options(dir.path + "/store", d)));
  const size_t per = total / static_cast<size_t>(producers);
  auto evs = make_producer_events(producers, per, streams);
  struct Producer {
    size_t next = 0;
    std::atomic<int> outstanding{0};
  };
  std::vector<Producer> prods(static_cast<size_t>(producers));
  std::mutex mu;
  std::condition_variable cv;
  std::deque<int> ready;  // producers whose window completed
  int finished = 0;
  std::atomic<uint64_t> failed{0};
  for (int p = 0; p < producers; ++p)
    ready.push_back(p);
  auto send_window = [&](int p) {
    Producer& pr = prods[static_cast<size_t>(p)];
    auto& mine = evs[static_cast<size_t>(p)];
    const size_t end = std::min(mine.size(), pr.next + static_cast<size_t>(window));
    pr.outstanding.store(static_cast<int>(end - pr.next));
    for (; pr.next < end; ++pr.next)
      store->append_async(mine[pr.next], [&, p](const AppendResult& r) {
        if (!r.ok()) failed.fetch_add(1);
        if (prods[static_cast<size_t>(p)].outstanding.fetch_sub(1) == 1) {
          std::lock_guard lock(mu);
          ready.push_back(p);
          cv.notify_one();
        }
      });
  };
  const auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < drivers; ++t) {
    threads.emplace_back([&] {
      std::unique_lock lock(mu);
      for (;;) {
        cv.wait(lock, [&] { return !ready.empty() || finished == producers; });
        if (ready.empty()) return;
        const int p = ready.front();
        ready.pop_front();
        if (prods[static_cast<size_t>(p)].next >= evs[static_cast<size_t>(p)].size()) {
          if (++finished == producers) cv.notify_all();
          continue;
        }
        lock.unlock();
        send_window(p);
        lock.lock();
      }
    });
  }
  for (auto& t : threads)
    t.join();
  return finish_run(*store, failed.load(), per * static_cast<size_t>(producers), seconds_since(t0),
                    transactions);
}

void bench_raw(const bench::Measure** ceiling_1000) {
  static bench::Measure raw1000;
  for (size_t batch : {size_t{1}, size_t{100}, size_t{1000}, size_t{10000}}) {
    std::string runs;
    auto m = best_of([&] { return raw_lmdb(batch, false, batch == 1 ? 2.0 : 1.5); }, &runs);
    bench::report(fmt::format("raw_lmdb.append_fsync.batch_{}", batch), m, "", nullptr, runs);
    if (batch == 1000) raw1000 = m;
  }
  std::string runs;
  auto m = best_of([&] { return raw_lmdb(1000, true, 1.5); }, &runs);
  bench::report("raw_lmdb.append_fsync_stream_index.batch_1000", m, "", nullptr, runs);
  *ceiling_1000 = &raw1000;
}

void bench_append(const bench::Measure* ceiling) {
  // Producers are logical clients on 2 threads (the redis-benchmark shape);
  // the "threads" rows give each producer its own OS thread instead.
  struct Case {
    const char* name;
    Durability d;
    int producers, window, streams;
    size_t total;
    bool threads;
  };
  const Case cases[] = {
      {"append.always.global.64x16", Durability::kAlways, 64, 16, 0, 600'000, false},
      {"append.always.global.64x1", Durability::kAlways, 64, 1, 0, 100'000, false},
      {"append.always.streams1000.64x16", Durability::kAlways, 64, 16, 1000, 600'000, false},
      {"append.always.streams1000.64x1", Durability::kAlways, 64, 1, 1000, 100'000, false},
      {"append.none.global.64x16", Durability::kNone, 64, 16, 0, 600'000, false},
      {"append.interval10ms.global.64x16", Durability::kInterval, 64, 16, 0, 600'000, false},
      {"append.always.global.64threads_x16", Durability::kAlways, 64, 16, 0, 600'000, true},
      {"append.always.global.64threads_x1", Durability::kAlways, 64, 1, 0, 100'000, true},
  };
  for (const Case& c : cases) {
    std::string runs;
    uint64_t txns = 0;
    std::string profile;
    auto m = best_of(
        [&] {
          auto r = c.threads
                       ? append_run(c.d, c.producers, c.window, c.streams, c.total, &txns)
                       : append_clients(c.d, c.producers, c.window, c.streams, c.total, 2, &txns);
          return r;
        },
        &runs);
    runs +=
        fmt::format(",\"events_per_txn\":{:.0f},{}",
                    static_cast<double>(m.ops) / static_cast<double>(std::max<uint64_t>(txns, 1)),
                    g_writer_profile);
    bench::report(c.name, m, "raw_lmdb.append_fsync.batch_1000", ceiling, runs);
  }
}

void bench_latency() {
  BenchDir dir;
  auto store =
      std::move(*EventStore::open(bench_options(dir.path + "/store", Durability::kAlways)));
  auto events = make_events(6000, "bench.latency", 0, 0);
  std::vector<double> us;
  us.reserve(events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    const auto t0 = Clock::now();
    if (!store->append(events[i]).ok()) std::abort();
    if (i >= 1000)
      us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  std::sort(us.begin(), us.end());
  auto pct = [&](double p) {
    return us[static_cast<size_t>(p * static_cast<double>(us.size() - 1))];
  };
  double sum = 0;
  for (double x : us)
    sum += x;
  bench::Measure m = measure(us.size(), sum / 1e6);
  bench::report(
      "append.always.latency.1producer", m, "", nullptr,
      fmt::format("\"p50_us\":{:.0f},\"p90_us\":{:.0f},\"p99_us\":{:.0f},\"max_us\":{:.0f}",
                  pct(0.50), pct(0.90), pct(0.99), us.back()));
}

// A store holding `n` events of type bench.job in the global log (filled
// without fsync, then reopened with `d`).
std::unique_ptr<EventStore> filled_store(const std::string& path, size_t n, Durability d,
                                         const std::string& stream = {}) {
  {
    auto store = std::move(*EventStore::open(bench_options(path, Durability::kNone)));
    const std::string data = payload200();
    for (size_t done = 0; done < n;) {
      std::vector<EventPtr> batch;
      for (size_t i = 0; i < 1000 && done < n; ++i, ++done) {
        EventBuilder b("bench.job");
        b.source("bench").data(data);
        if (!stream.empty()) b.stream(stream);
        batch.push_back(*b.build());
      }
      if (!store->append(stream, batch).ok()) std::abort();
    }
  }
  return std::move(*EventStore::open(bench_options(path, d)));
}

void bench_group(const bench::Measure* ceiling) {
  constexpr size_t kEvents = 1'000'000;
  for (bool combined : {true, false}) {
    std::string runs;
    auto m = best_of(
        [&] {
          BenchDir dir;
          auto store = filled_store(dir.path + "/store", kEvents, Durability::kAlways);
          GroupOptions o;
          o.name = "bench";
          o.type_pattern = "bench.*";
          auto g = std::move(*store->consumer_group(o));
          size_t got = 0;
          std::vector<uint64_t> acks;
          const auto t0 = Clock::now();
          while (got < kEvents) {
            Result<std::vector<GroupMessage>> d = Status::Internal("unset");
            if (combined) {
              d = g->ack_and_read(acks, "c1", 1000);
            } else {
              if (!acks.empty() && !g->ack(acks).ok()) std::abort();
              d = g->read("c1", 1000);
            }
            if (!d.ok() || d->empty()) std::abort();
            acks.clear();
            for (const auto& x : *d)
              acks.push_back(x.event.seq);
            got += d->size();
          }
          if (!g->ack(acks).ok()) std::abort();
          return measure(got, seconds_since(t0));
        },
        &runs);
    bench::report(
        combined ? "group.always.read1000_ack_same_txn" : "group.always.read1000_then_ack", m,
        "raw_lmdb.append_fsync.batch_1000", ceiling, runs);
  }
}

void bench_read() {
  constexpr size_t kEvents = 1'000'000;
  BenchDir dir;
  auto store = filled_store(dir.path + "/store", kEvents, Durability::kNone);
  {
    std::string runs;
    auto m = best_of(
        [&] {
          uint64_t n = 0, bytes = 0;
          const auto t0 = Clock::now();
          for (uint64_t from = 1;;) {
            auto next =
                store->scan_raw(from, 10'000, [&](uint64_t, uint64_t, std::string_view rec) {
                  ++n;
                  bytes += rec.size();
                });
            if (!next.ok()) std::abort();
            if (*next == from) break;
            from = *next;
          }
          bench::keep(bytes);
          return measure(n, seconds_since(t0));
        },
        &runs);
    bench::report("read.global_log.raw_scan", m, "", nullptr, runs);
  }
  {
    std::string runs;
    auto m = best_of(
        [&] {
          uint64_t n = 0;
          const auto t0 = Clock::now();
          for (uint64_t from = 1;;) {
            auto page = store->read_all(from, Direction::kForward, 10'000);
            if (!page.ok()) std::abort();
            n += page->events.size();
            if (page->end) break;
            from = page->next;
          }
          return measure(n, seconds_since(t0));
        },
        &runs);
    bench::report("read.global_log.decoded", m, "", nullptr, runs);
  }
  // Size of one million 200-byte events with every index.
  auto st = store->stats();
  bench::Measure none;
  bench::report("size.global_log.1M_events", none, "", nullptr,
                fmt::format("\"map_used_bytes\":{},\"file_bytes\":{},\"bytes_per_event\":{:.0f}",
                            st->map_used, st->file_size,
                            static_cast<double>(st->map_used) / static_cast<double>(kEvents)));
}

void bench_stream_read() {
  BenchDir dir;
  // 10,000 events of one stream among 100,000 of others, interleaved.
  auto store = std::move(*EventStore::open(bench_options(dir.path + "/store", Durability::kNone)));
  const std::string data = payload200();
  for (int round = 0; round < 10'000; ++round) {
    std::vector<EventPtr> noise;
    for (int i = 0; i < 10; ++i)
      noise.push_back(*EventBuilder("bench.noise").source("b").data(data).build());
    if (!store->append("", noise).ok()) std::abort();
    auto e = *EventBuilder("bench.mine").source("b").stream("the-stream").data(data).build();
    if (!store->append(e).ok()) std::abort();
  }
  double best_ms = 1e9;
  size_t n = 0;
  const int reps =
      std::getenv("STORE_BENCH_READ_REPS") ? std::atoi(std::getenv("STORE_BENCH_READ_REPS")) : 10;
  for (int i = 0; i < reps; ++i) {
    const auto t0 = Clock::now();
    auto page = store->read_stream("the-stream", 1, Direction::kForward, 10'000);
    const double ms = seconds_since(t0) * 1e3;
    if (!page.ok()) std::abort();
    n = page->events.size();
    best_ms = std::min(best_ms, ms);
  }
  bench::report("read.stream_10000_events.interleaved_1_in_11", measure(n, best_ms / 1e3), "",
                nullptr, fmt::format("\"ms\":{:.2f},\"events\":{}", best_ms, n));
  // The same stream written in one go: its events share pages.
  std::vector<EventPtr> batch;
  for (int i = 0; i < 10'000; ++i)
    batch.push_back(
        *EventBuilder("bench.mine").source("b").stream("contiguous").data(data).build());
  if (!store->append("contiguous", batch).ok()) std::abort();
  best_ms = 1e9;
  for (int i = 0; i < reps; ++i) {
    const auto t0 = Clock::now();
    auto page = store->read_stream("contiguous", 1, Direction::kForward, 10'000);
    const double ms = seconds_since(t0) * 1e3;
    if (!page.ok()) std::abort();
    n = page->events.size();
    best_ms = std::min(best_ms, ms);
  }
  bench::report("read.stream_10000_events.contiguous", measure(n, best_ms / 1e3), "", nullptr,
                fmt::format("\"ms\":{:.2f},\"events\":{}", best_ms, n));
}

void bench_rebuild() {
  constexpr size_t kEvents = 1'000'000;
  BenchDir dir;
  auto store = filled_store(dir.path + "/store", kEvents, Durability::kNone, "big");
  // A snapshot every 1,000 versions (the state is an 8-byte counter).
  for (uint64_t v = 1000; v <= kEvents; v += 1000)
    if (!store->save_snapshot("big", v, std::to_string(v)).ok()) std::abort();
  Fold fold = [](std::string& state, const StoredEvent&) {
    state = std::to_string(std::stoull(state.empty() ? "0" : state) + 1);
    return Status::OK();
  };
  for (uint64_t as_of : {kEvents, kEvents - 1}) {
    double best_ms = 1e9;
    uint64_t folded = 0;
    for (int i = 0; i < 10; ++i) {
      const auto t0 = Clock::now();
      auto s = store->state_as_of("big", as_of, fold);
      const double ms = seconds_since(t0) * 1e3;
      if (!s.ok() || s->state != std::to_string(as_of)) std::abort();
      folded = s->events_folded;
      best_ms = std::min(best_ms, ms);
    }
    bench::report(
        as_of == kEvents ? "rebuild.1M_stream.at_snapshot" : "rebuild.1M_stream.999_after_snapshot",
        measure(1, best_ms / 1e3), "", nullptr,
        fmt::format("\"ms\":{:.3f},\"events_folded\":{}", best_ms, folded));
  }
  auto st = store->stats();
  bench::report("size.one_stream.1M_events", bench::Measure{}, "", nullptr,
                fmt::format("\"map_used_bytes\":{},\"bytes_per_event\":{:.0f}", st->map_used,
                            static_cast<double>(st->map_used) / static_cast<double>(kEvents)));
}

}  // namespace

int main(int argc, char** argv) {
  const std::string filter = argc > 1 ? argv[1] : "";
  auto want = [&](std::string_view group) {
    return filter.empty() || group.find(filter) != std::string_view::npos;
  };
  const bench::Measure* ceiling = nullptr;
  if (want("raw") || want("append") || want("group")) bench_raw(&ceiling);
  if (want("append")) bench_append(ceiling);
  if (want("latency")) bench_latency();
  if (want("group")) bench_group(ceiling);
  if (want("read")) bench_read();
  if (want("stream")) bench_stream_read();
  if (want("rebuild")) bench_rebuild();
  return 0;
}
