// The child of the crash test (crash_test.cpp): appends to a store with
// durability `always` from four threads, each keeping several appends in
// flight, until it is killed. Every append reported durable is written to
// stdout (a pipe) at once as
//   ack <first_seq> <last_seq> <stream or -> <stream_version>
// so the parent knows exactly what was acknowledged before the SIGKILL.
//
// Usage: store_crash_child STORE_DIR SEED
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <semaphore>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include <fmt/core.h>

#include "core/event.h"
#include "store/event_store.h"

using namespace chorus;
using namespace chorus::store;

namespace {

void write_line(const std::string& s) {
  // One write(2) per line: atomic on a pipe (< PIPE_BUF), unbuffered.
  size_t off = 0;
  while (off < s.size()) {
    const ssize_t n = ::write(1, s.data() + off, s.size() - off);
    if (n <= 0) std::_Exit(4);
    off += static_cast<size_t>(n);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: store_crash_child STORE_DIR SEED\n");
    return 2;
  }
  StoreOptions o;
  o.path = argv[1];
  o.durability = Durability::kAlways;
  o.map_initial = 1u << 20;  // small: the map grows while the parent kills
  o.map_growth = 2u << 20;
  o.retention_interval = std::chrono::milliseconds(0);
  auto opened = EventStore::open(o);
  if (!opened.ok()) {
    std::fprintf(stderr, "open failed: %s\n", opened.error().to_string().c_str());
    return 3;
  }
  EventStore& store = **opened;
  const unsigned seed = static_cast<unsigned>(std::strtoul(argv[2], nullptr, 10));
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < 4; ++t) {
    threads.emplace_back([&store, seed, t] {
      std::mt19937 rng(seed * 7919u + t);
      std::counting_semaphore<8> slots(8);
      for (uint64_t i = 0;; ++i) {
        slots.acquire();
        const bool to_stream = rng() % 3 != 0;
        const std::string stream = to_stream ? fmt::format("s{}", rng() % 6) : std::string();
        const size_t n = to_stream ? 1 + rng() % 5 : 1;
        std::vector<EventPtr> events;
        for (size_t k = 0; k < n; ++k) {
          auto e = EventBuilder(fmt::format("crash.t{}", rng() % 3))
                       .source("crash-child")
                       .stream(stream)
                       .correlation_id(fmt::format("c{}", rng() % 10))
                       .data(fmt::format("{{\"t\":{},\"i\":{},\"pad\":\"{}\"}}", t, i,
                                         std::string(rng() % 600, 'p')))
                       .build();
          if (!e.ok()) std::_Exit(5);
          events.push_back(*e);
        }
        store.append_async(
            stream, events, ExpectedVersion::any(), [&slots, stream](const AppendResult& r) {
              if (r.ok()) {
                write_line(fmt::format("ack {} {} {} {}\n", r.first_seq, r.last_seq,
                                       stream.empty() ? "-" : stream, r.stream_version));
              } else {
                write_line(fmt::format("fail {}\n", r.status.to_string()));
              }
              slots.release();
            });
      }
    });
  }
  for (auto& t : threads)
    t.join();  // never: the parent kills us
  return 0;
}
