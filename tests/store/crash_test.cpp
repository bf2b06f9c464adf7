// The crash test: a child process (crash_child.cpp) appends with durability
// `always` and reports every acknowledged append on a pipe; the parent kills
// it with SIGKILL at a random point (fixed seed), 24 rounds on the same
// store. After each kill the store must open, hold every acknowledged event
// at its reported position, and have no hole in its sequence numbers and no
// gap in any stream's versions.
#include <map>
#include <random>
#include <signal.h>
#include <sstream>

#include "store_test_util.h"
#include "support/subprocess.h"

using namespace chorus;
using namespace chorus::store;
using namespace chorus::test;
using namespace std::chrono_literals;

namespace {

struct Ack {
  uint64_t first, last;
  std::string stream;
  uint64_t version;
};

std::vector<Ack> parse_acks(const std::string& out, std::vector<std::string>& failures) {
  std::vector<Ack> acks;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof() && !out.empty() && out.back() != '\n') break;  // a torn last line
    std::istringstream l(line);
    std::string word;
    l >> word;
    if (word == "fail") {
      failures.push_back(line);
      continue;
    }
    if (word != "ack") continue;
    Ack a;
    l >> a.first >> a.last >> a.stream >> a.version;
    if (a.stream == "-") a.stream.clear();
    acks.push_back(a);
  }
  return acks;
}

}  // namespace

TEST_CASE("crash: SIGKILL at random points loses no acknowledged append and leaves no hole") {
  TempDir dir;
  const std::string path = dir.file("store");
  std::mt19937 rng(20261123);  // fixed seed: the same kill points every run
  constexpr int kRounds = 24;
  uint64_t total_acked = 0;
  for (int round = 0; round < kRounds; ++round) {
    INFO("round " << round);
    const int wait_acks = 1 + static_cast<int>(rng() % 4000);
    Subprocess child({CHORUS_CRASH_CHILD, path, std::to_string(rng())});
    // Kill after a random number of acknowledgements: mid-transaction,
    // mid-sync, mid-growth, wherever the writer happens to be.
    // The child appends until killed, so every awaited ack must arrive.
    int acks_seen = 0;
    for (; acks_seen < wait_acks; ++acks_seen) {
      auto line = child.wait_for_line("ack", 60s, true);
      if (!line) break;
    }
    INFO("child stderr so far: " << child.err());
    REQUIRE(acks_seen == wait_acks);  // ~Subprocess kills the child on failure
    child.signal(SIGKILL);
    auto code = child.wait_exit(30s);
    REQUIRE(code);
    INFO("child stderr: " << child.err());
    CHECK(*code == 128 + SIGKILL);
    std::vector<std::string> failures;
    const std::vector<Ack> acks = parse_acks(child.out(), failures);
    CHECK(failures.empty());
    // Every line read above was a complete ack line in out(); more may have
    // arrived before the kill.
    REQUIRE(acks.size() >= static_cast<size_t>(wait_acks));
    total_acked += acks.size();

    // The store opens (stale reader slots and the lock are LMDB's to clear).
    StoreOptions o;
    o.path = path;
    o.retention_interval = 0ms;
    auto store = open_store(o);
    auto st = store->stats();
    REQUIRE(st.ok());
    const uint64_t last = st->last_seq;
    // Every acknowledged append is there, at its position.
    for (const Ack& a : acks) {
      REQUIRE(a.last <= last);
      auto page = store->read_all(a.first, Direction::kForward, a.last - a.first + 1);
      REQUIRE(page.ok());
      REQUIRE(page->events.size() == a.last - a.first + 1);
      const auto& tail = page->events.back();
      CHECK(tail.event->stream() == a.stream);
      CHECK(tail.stream_version == a.version);
    }
    // No hole: seqs 1..last are all there, each id once.
    uint64_t expect = 1;
    std::map<std::string, uint64_t> stream_versions;
    for (uint64_t from = 1;;) {
      auto page = store->read_all(from, Direction::kForward, 5000);
      REQUIRE(page.ok());
      for (const auto& e : page->events) {
        REQUIRE(e.seq == expect);
        ++expect;
        if (!e.event->stream().empty()) {
          uint64_t& v = stream_versions[std::string(e.event->stream())];
          REQUIRE(e.stream_version == v + 1);  // no gap in any stream
          v = e.stream_version;
        }
      }
      if (page->end) break;
      from = page->next;
    }
    CHECK(expect - 1 == last);
    for (const auto& d : st->databases) {
      if (d.name == "event_ids" || d.name == "time_index" || d.name == "type_index")
        CHECK(d.entries == last);
    }
    for (const auto& [name, v] : stream_versions) {
      auto info = store->stream_info(name);
      REQUIRE(info.ok());
      CHECK(info->version == v);
      CHECK(info->event_count == v);
    }
  }
  CHECK(total_acked > static_cast<uint64_t>(kRounds));
}
