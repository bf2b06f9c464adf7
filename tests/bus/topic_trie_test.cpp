// The subscription trie: a pattern/topic table, and differential tests
// against the reference matcher (core/topic.h) on 100,000 random topics with
// inserts and removals interleaved.
#include "bus/topic_trie.h"

#include <algorithm>
#include <random>
#include <set>

#include <catch2/catch.hpp>

#include "core/topic.h"

using namespace chorus;
using chorus::bus::TopicTrie;

namespace {

struct Sub {
  std::string pattern;
};

std::vector<Sub*> matches(const TopicTrie<Sub>& trie, std::string_view topic) {
  std::vector<Sub*> out;
  trie.match(topic, out);
  std::sort(out.begin(), out.end());
  return out;
}

// Small alphabets so random patterns and topics actually meet.
std::string random_topic(std::mt19937& rng) {
  static const char* kSegs[] = {"a", "b", "c", "task", "created", "x-1"};
  std::string t;
  const int n = 1 + static_cast<int>(rng() % 5);
  for (int i = 0; i < n; ++i) {
    if (i) t += '.';
    t += kSegs[rng() % 6];
  }
  return t;
}

std::string random_pattern(std::mt19937& rng) {
  static const char* kSegs[] = {"a", "b", "c", "task", "created", "x-1"};
  std::string p;
  const int n = 1 + static_cast<int>(rng() % 5);
  for (int i = 0; i < n; ++i) {
    if (i) p += '.';
    const unsigned r = rng() % 10;
    if (i == n - 1 && r == 0)
      p += "**";
    else if (r < 3)
      p += "*";
    else
      p += kSegs[rng() % 6];
  }
  return p;
}

}  // namespace

TEST_CASE("trie matching table for * and **") {
  struct Case {
    const char* pattern;
    std::vector<const char*> yes, no;
  };
  const Case cases[] = {
      {"task.created", {"task.created"}, {"task", "task.updated", "task.created.x"}},
      {"task.*", {"task.created", "task.x"}, {"task", "task.a.b", "other.created"}},
      {"*.created", {"task.created", "a.created"}, {"created", "task.created.x"}},
      {"*", {"task", "a"}, {"task.created"}},
      {"process.**",
       {"process.started", "process.x.y", "process.a.b.c.d"},
       {"process", "processes.x"}},
      {"**", {"a", "a.b", "a.b.c"}, {}},
      {"a.*.c.**", {"a.b.c.d", "a.x.c.d.e"}, {"a.b.c", "a.b.x.d"}},
  };
  for (const auto& c : cases) {
    TopicTrie<Sub> trie;
    Sub s{c.pattern};
    trie.insert(c.pattern, &s);
    for (const char* t : c.yes) {
      INFO(c.pattern << " should match " << t);
      CHECK(matches(trie, t) == std::vector<Sub*>{&s});
    }
    for (const char* t : c.no) {
      INFO(c.pattern << " should not match " << t);
      CHECK(matches(trie, t).empty());
    }
  }
}

TEST_CASE("one value under two patterns is reported for each matching pattern") {
  TopicTrie<Sub> trie;
  Sub s{"multi"};
  trie.insert("task.*", &s);
  trie.insert("*.created", &s);
  CHECK(matches(trie, "task.created").size() == 2);
  CHECK(matches(trie, "task.updated").size() == 1);
  CHECK(trie.size() == 2);
  CHECK(trie.remove("task.*", &s));
  CHECK_FALSE(trie.remove("task.*", &s));
  CHECK(matches(trie, "task.created").size() == 1);
}

TEST_CASE("removing prunes: a trie emptied by removals matches nothing") {
  TopicTrie<Sub> trie;
  std::vector<Sub> subs(50);
  std::mt19937 rng(9);
  std::vector<std::string> pats;
  for (auto& s : subs) {
    pats.push_back(random_pattern(rng));
    trie.insert(pats.back(), &s);
  }
  CHECK(trie.node_count() > 1);  // the inserts built branches to prune
  for (size_t i = 0; i < subs.size(); ++i)
    CHECK(trie.remove(pats[i], &subs[i]));
  CHECK(trie.empty());
  CHECK(trie.node_count() == 1);  // every branch pruned: the root only
  for (int i = 0; i < 100; ++i)
    CHECK(matches(trie, random_topic(rng)).empty());
}

TEST_CASE("differential: trie equals the reference matcher on 100000 random topics") {
  std::mt19937 rng(12345);
  TopicTrie<Sub> trie;
  std::vector<std::unique_ptr<Sub>> live;
  auto add = [&] {
    live.push_back(std::make_unique<Sub>(Sub{random_pattern(rng)}));
    REQUIRE(validate_pattern(live.back()->pattern).ok());
    trie.insert(live.back()->pattern, live.back().get());
  };
  for (int i = 0; i < 300; ++i)
    add();
  for (int round = 0; round < 100'000; ++round) {
    if (round % 50 == 0) {  // churn: remove one, add one
      const size_t victim = rng() % live.size();
      REQUIRE(trie.remove(live[victim]->pattern, live[victim].get()));
      live.erase(live.begin() + static_cast<long>(victim));
      add();
    }
    const std::string topic = random_topic(rng);
    std::vector<Sub*> expected;
    for (const auto& s : live)
      if (topic_matches(s->pattern, topic)) expected.push_back(s.get());
    std::sort(expected.begin(), expected.end());
    const auto got = matches(trie, topic);
    if (got != expected) {
      INFO("topic " << topic);
      REQUIRE(got == expected);
    }
  }
}
