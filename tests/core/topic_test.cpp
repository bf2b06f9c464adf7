// Topic and pattern validation (including the exact messages) and the
// reference matcher's semantics for `*` and `**`.
#include "core/topic.h"

#include <catch2/catch.hpp>

using namespace chorus;

TEST_CASE("valid topics") {
  for (const char* t : {"task", "task.created", "agent.planner-1.heartbeat", "a_b.c-d.0",
                        "x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x"}) {
    INFO(t);
    CHECK(validate_topic(t).ok());
  }
  CHECK(validate_topic(std::string(255, 'a')).ok());
}

TEST_CASE("invalid topics name the segment and the rule") {
  const std::pair<std::string, std::string> cases[] = {
      {"", "event type is empty"},
      {".task", "event type '.task': segment 1 is empty (leading '.')"},
      {"task.", "event type 'task.': segment 2 is empty (trailing '.')"},
      {"task..created", "event type 'task..created': segment 2 is empty ('..')"},
      {"Task.created",
       "event type 'Task.created': segment 1 'Task' has invalid character upper-case 'T' at byte "
       "0 (allowed: a-z, 0-9, '_', '-')"},
      {"task.cre ated",
       "event type 'task.cre ated': segment 2 'cre ated' has invalid character ' ' at byte 3 "
       "(allowed: a-z, 0-9, '_', '-')"},
      {"task.*",
       "event type 'task.*': segment 2 '*' contains '*': wildcards are only allowed in "
       "subscription patterns"},
      {"a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q",
       "event type 'a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q' has more than 16 segments"},
      {std::string(256, 'a'),
       "event type '" + std::string(40, 'a') + "...' is 256 bytes long (at most 255 allowed)"},
      {std::string("ta\0sk", 5),
       "event type 'ta\\x00sk': segment 1 'ta\\x00sk' has invalid character '\\x00' at byte 2 "
       "(allowed: a-z, 0-9, '_', '-')"},
  };
  for (const auto& [topic, msg] : cases) {
    INFO(topic);
    Status s = validate_topic(topic);
    REQUIRE(s.is(StatusCode::kInvalidArgument));
    CHECK(s.message() == msg);
  }
}

TEST_CASE("patterns: wildcards and their rules") {
  for (const char* p : {"*", "**", "task.*", "task.**", "*.created", "*.*.x", "a.*.b.**"}) {
    INFO(p);
    CHECK(validate_pattern(p).ok());
  }
  CHECK(validate_pattern("a.**.b").message() ==
        "pattern 'a.**.b': '**' is only allowed as the last segment (found at segment 2)");
  CHECK(validate_pattern("ta*sk").message() ==
        "pattern 'ta*sk': segment 1 'ta*sk': a wildcard must be a whole segment ('*' or '**')");
  CHECK(validate_pattern("a.***").message() ==
        "pattern 'a.***': segment 2 '***': a wildcard must be a whole segment ('*' or '**')");
  CHECK(validate_pattern("a..b").message() == "pattern 'a..b': segment 2 is empty ('..')");
  CHECK(validate_pattern("").message() == "pattern is empty");
  CHECK(pattern_has_wildcards("a.*"));
  CHECK_FALSE(pattern_has_wildcards("a.b"));
}

TEST_CASE("segments split without allocation") {
  TopicSegments s("a.bb.ccc");
  REQUIRE(s.count() == 3);
  CHECK(s[0] == "a");
  CHECK(s[1] == "bb");
  CHECK(s[2] == "ccc");
  CHECK(TopicSegments("a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q").count() == 0);
  CHECK(TopicSegments("single").count() == 1);
}

TEST_CASE("matching table for * and **") {
  struct Case {
    const char* pattern;
    const char* topic;
    bool match;
  };
  const Case cases[] = {
      {"task.created", "task.created", true},
      {"task.created", "task.updated", false},
      {"task.created", "task", false},
      {"task.created", "task.created.x", false},
      {"task.*", "task.created", true},
      {"task.*", "task", false},
      {"task.*", "task.a.b", false},
      {"*.created", "task.created", true},
      {"*.created", "created", false},
      {"*", "task", true},
      {"*", "task.created", false},
      {"*.*", "a.b", true},
      {"process.**", "process.started", true},
      {"process.**", "process.x.y", true},
      {"process.**", "process", false},
      {"process.**", "processes.x", false},
      {"**", "a", true},
      {"**", "a.b.c", true},
      {"a.*.c.**", "a.b.c.d", true},
      {"a.*.c.**", "a.b.c", false},
      {"a.*.c.**", "a.b.x.d", false},
      {"*.**", "a", false},
      {"*.**", "a.b", true},
  };
  for (const auto& c : cases) {
    INFO(c.pattern << " vs " << c.topic);
    CHECK(topic_matches(c.pattern, c.topic) == c.match);
  }
}
