// The event envelope and its builder: defaults, validation of every field,
// causation/correlation, metadata.
#include "core/event.h"

#include <catch2/catch.hpp>

#include "core/clock.h"

using namespace chorus;

namespace {

std::string build_error(EventBuilder b) {
  auto r = b.build();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().is(StatusCode::kInvalidArgument));
  return r.error().message();
}

}  // namespace

TEST_CASE("build fills id and time - defaults are normal priority and no data") {
  const int64_t before = wall_clock_ns();
  auto ev = EventBuilder("task.created").source("planner").build();
  REQUIRE(ev.ok());
  const Event& e = **ev;
  CHECK(e.id().version() == 7);
  CHECK(e.time_ns() >= before);
  CHECK(e.time_ns() <= wall_clock_ns());
  CHECK(e.id().unix_ms() == e.time_ns() / 1'000'000);
  CHECK(e.priority() == Priority::kNormal);
  CHECK(e.type() == "task.created");
  CHECK(e.data().empty());
  CHECK(e.content_type().empty());
  CHECK(e.target().empty());
}

TEST_CASE("data defaults to application/json") {
  auto ev = EventBuilder("a.b").source("s").data(R"({"x":1})").build();
  REQUIRE(ev.ok());
  CHECK((*ev)->content_type() == "application/json");
  auto text = EventBuilder("a.b").source("s").data("hi", "text/plain").build();
  CHECK((*text)->content_type() == "text/plain");
}

TEST_CASE("explicit id and time are kept") {
  Uuid id = new_uuid_v7();
  auto ev = EventBuilder("a").source("s").id(id).time_ns(42).build();
  REQUIRE(ev.ok());
  CHECK((*ev)->id() == id);
  CHECK((*ev)->time_ns() == 42);
}

TEST_CASE("every field is validated - and the message names it") {
  CHECK(build_error(EventBuilder("Bad.Type").source("s")).find("event field 'type'") == 0);
  CHECK(build_error(EventBuilder("a")) == "event field 'source' is empty");
  CHECK(build_error(EventBuilder("a").source(std::string(256, 's'))) ==
        "event field 'source' is 256 bytes long (at most 255)");
  CHECK(build_error(EventBuilder("a").source("s").target("t\x01")) ==
        "event field 'target' contains a control character: 't\\x01'");
  CHECK(build_error(EventBuilder("a").source("s").correlation_id("\xff")) ==
        "event field 'correlation_id' is not valid UTF-8: '\\xff'");
  CHECK(build_error(EventBuilder("a").source("s").causation_id(std::string(300, 'c')))
            .find("event field 'causation_id'") == 0);
  CHECK(
      build_error(EventBuilder("a").source("s").stream("order\n1")).find("event field 'stream'") ==
      0);
  CHECK(build_error(EventBuilder("a").source("s").data("x", "json")) ==
        "event field 'content_type' 'json' is not a media type (expected type/subtype)");
  CHECK(build_error(EventBuilder("a").source("s").priority(static_cast<Priority>(9))) ==
        "event field 'priority' is 9 (expected 0..3)");
  CHECK(build_error(EventBuilder("a").source("s").data(std::string(kMaxEventDataBytes + 1, 'x')))
            .find("event field 'data' is 67108865 bytes") == 0);
}

TEST_CASE("metadata keys follow CloudEvents attribute rules") {
  CHECK(build_error(EventBuilder("a").source("s").metadata("user_id", "u")) ==
        "event metadata key 'user_id' has invalid character '_' (allowed: a-z, 0-9, as for "
        "CloudEvents attributes)");
  CHECK(build_error(EventBuilder("a").source("s").metadata("type", "x")) ==
        "event metadata key 'type' is reserved (it names a CloudEvents attribute)");
  CHECK(build_error(EventBuilder("a").source("s").metadata("", "x")).find("1 to 64 bytes") !=
        std::string::npos);
  CHECK(build_error(EventBuilder("a").source("s").metadata("k", std::string(4097, 'v')))
            .find("4097 bytes") != std::string::npos);
  EventBuilder many("a");
  many.source("s");
  for (int i = 0; i < 65; ++i)
    many.metadata("k" + std::to_string(i), "v");
  CHECK(build_error(std::move(many)) == "event metadata has more than 64 entries");
}

TEST_CASE("metadata is sorted and replaced on repeat and found by key") {
  auto ev = EventBuilder("a")
                .source("s")
                .metadata("userid", "u1")
                .metadata("traceparent", "00-abc")
                .metadata("userid", "u2")
                .build();
  REQUIRE(ev.ok());
  const auto& md = (*ev)->metadata();
  REQUIRE(md.size() == 2);
  CHECK(md[0].first == "traceparent");
  CHECK(md[1].second == "u2");
  CHECK(*(*ev)->find_metadata("userid") == "u2");
  CHECK_FALSE((*ev)->find_metadata("missing").has_value());
}

TEST_CASE("caused_by sets causation and inherits correlation") {
  auto root = *EventBuilder("order.placed").source("api").build();
  auto child = *EventBuilder("payment.requested").source("orders").caused_by(*root).build();
  CHECK(child->causation_id() == root->id().to_string());
  CHECK(child->correlation_id() == root->id().to_string());  // root has none: its id
  auto grandchild = *EventBuilder("payment.done").source("pay").caused_by(*child).build();
  CHECK(grandchild->causation_id() == child->id().to_string());
  CHECK(grandchild->correlation_id() == root->id().to_string());

  auto tagged = *EventBuilder("a").source("s").correlation_id("req_1703_abc").build();
  auto follow = *EventBuilder("b").source("s").caused_by(*tagged).build();
  CHECK(follow->correlation_id() == "req_1703_abc");
}

TEST_CASE("copy_of copies every field - equality compares every field") {
  auto a = *EventBuilder("a.b")
                .source("s")
                .target("t")
                .stream("x-1")
                .priority(Priority::kHigh)
                .metadata("k", "v")
                .data("[1]")
                .build();
  auto b = *EventBuilder::copy_of(*a).build();
  CHECK(*a == *b);
  auto c = *EventBuilder::copy_of(*a).target("other").build();
  CHECK_FALSE(*a == *c);
  CHECK(a->memory_size() >= sizeof(Event));
}

TEST_CASE("EventPtr counts references and frees with the last one") {
  EventPtr a = *EventBuilder("a").source("s").data("x").build();
  CHECK(a.use_count() == 1);
  {
    EventPtr b = a;
    CHECK(a.use_count() == 2);
    EventPtr c = std::move(b);
    CHECK(a.use_count() == 2);
    CHECK(b == nullptr);
    CHECK(c == a);
  }
  CHECK(a.use_count() == 1);
  const Event* raw = EventPtr(a).release_raw();
  CHECK(a.use_count() == 2);
  EventPtr back = EventPtr::adopt_raw(raw);
  CHECK(a.use_count() == 2);
  back = nullptr;
  CHECK(a.use_count() == 1);
  EventPtr again = EventPtr::retain_raw(a.get());
  CHECK(a.use_count() == 2);
}

TEST_CASE("the builder can be reused and copied") {
  EventBuilder b("task.created");
  b.source("s").data(std::string(2000, 'x'));  // beyond the inline buffer
  auto first = *b.build();
  auto second = *b.build();
  CHECK(first->id() != second->id());
  CHECK(first->data() == second->data());
  EventBuilder copy = b;
  copy.target("t");
  auto third = *copy.build();
  CHECK(third->data().size() == 2000);
  CHECK(third->target() == "t");
  CHECK((*b.build())->target().empty());
}

TEST_CASE("priority names parse both ways") {
  for (int p = 0; p < kPriorityCount; ++p) {
    auto pr = static_cast<Priority>(p);
    CHECK(*parse_priority(priority_name(pr)) == pr);
    CHECK(*parse_priority(std::to_string(p)) == pr);
  }
  CHECK(parse_priority("urgent").error().message() ==
        "priority 'urgent' is not one of critical, high, normal, low (or 0..3)");
}
