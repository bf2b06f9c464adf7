// Dead letters and their resolution: resolve_dead_letter writes
// $dead-letters-resolved (docs/store-format.md "dead-letter resolution"),
// read_dead_letter_resolutions reads it back; idempotency, concurrency,
// reopening, argument errors, and stored bytes that do not decode.
#include "store/dead_letter.h"

#include <atomic>
#include <thread>
#include <vector>

#include "core/event_codec.h"
#include "raw_env.h"
#include "store/internal/records.h"
#include "store/internal/store_format.h"
#include "store_test_util.h"

using namespace chorus;
using namespace chorus::store;
using namespace chorus::test;

namespace {

// Appends `n` dead letters (of events with correlation id "op-<i>"); returns their originals.
std::vector<EventPtr> add_dead_letters(EventStore& store, size_t n) {
  std::vector<EventPtr> originals;
  for (size_t i = 1; i <= n; ++i) {
    EvSpec s;
    s.type = "job.failed";
    s.correlation = "op-" + std::to_string(i);
    originals.push_back(make_ev(s));
    DeadLetterInfo info;
    info.reason = "boom";
    AppendResult r = store.append_dead_letter(*originals.back(), info);
    REQUIRE(r.ok());
    REQUIRE(r.stream_version == i);
  }
  return originals;
}

std::vector<DeadLetterResolution> all_resolutions(EventStore& store) {
  std::vector<DeadLetterResolution> out;
  for (uint64_t from = 1;;) {
    auto page = store.read_dead_letter_resolutions(from, 2);  // small pages: paging is used
    INFO(page.status().to_string());
    REQUIRE(page.ok());
    for (auto& r : page->resolutions)
      out.push_back(std::move(r));
    if (page->end) return out;
    from = page->next;
  }
}

}  // namespace

TEST_CASE("dead letters: resolve - read back - reopen") {
  TempDir dir;
  auto o = options_for(dir);
  uint64_t dl2_seq = 0;
  {
    auto store = open_store(o);
    auto page = store->read_dead_letter_resolutions();
    REQUIRE(page.ok());  // nothing resolved yet: an empty last page
    CHECK(page->end);
    CHECK(page->resolutions.empty());

    const auto originals = add_dead_letters(*store, 3);
    CHECK(*store->resolve_dead_letter(2, Resolution::kDropped, "admin alice: duplicate") ==
          ResolveOutcome::kResolved);
    CHECK(*store->resolve_dead_letter(1, Resolution::kReplayed, "bus") ==
          ResolveOutcome::kResolved);

    auto rs = all_resolutions(*store);
    REQUIRE(rs.size() == 2);
    auto dls = store->read_stream(kDeadLetterStream, 1, Direction::kForward, 10);
    REQUIRE(dls.ok());
    REQUIRE(dls->events.size() == 3);
    dl2_seq = dls->events[1].seq;
    CHECK(rs[0].dead_letter_version == 2);
    CHECK(rs[0].dead_letter_seq == dl2_seq);
    CHECK(rs[0].how == Resolution::kDropped);
    CHECK(rs[0].note == "admin alice: duplicate");
    CHECK(rs[0].version == 1);
    CHECK(rs[0].resolved_ns > 0);
    CHECK(rs[1].dead_letter_version == 1);
    CHECK(rs[1].how == Resolution::kReplayed);
    CHECK(rs[1].version == 2);

    // The event itself, as docs/store-format.md lays it out.
    auto ev = store->read_stream(kResolvedDeadLetterStream, 1, Direction::kForward, 1);
    REQUIRE(ev.ok());
    REQUIRE(ev->events.size() == 1);
    const Event& e = *ev->events[0].event;
    CHECK(e.type() == kDeadLetterResolvedType);
    CHECK(e.source() == "chorus.store");
    CHECK(e.id().to_string() == "00000000-0000-8001-8000-000000000002");
    CHECK(e.causation_id() == dls->events[1].event->id().to_string());
    CHECK(e.correlation_id() == "op-2");
    CHECK(e.content_type() == "application/vnd.chorus.dead-letter-resolution");
    CHECK(e.data() == encode_resolution_value(3, 2, dl2_seq, "admin alice: duplicate"));
  }
  auto store = open_store(o);
  auto rs = all_resolutions(*store);
  REQUIRE(rs.size() == 2);
  CHECK(rs[0].dead_letter_version == 2);
  CHECK(rs[0].dead_letter_seq == dl2_seq);
  CHECK(rs[1].dead_letter_version == 1);
  // Still resolved after the restart: the id is found again.
  CHECK(*store->resolve_dead_letter(2, Resolution::kReplayed) == ResolveOutcome::kAlreadyResolved);
  CHECK(*store->resolve_dead_letter(3, Resolution::kRepublished) == ResolveOutcome::kResolved);
  CHECK(all_resolutions(*store).size() == 3);
}

TEST_CASE("dead letters: resolving twice writes nothing - the first resolution stands") {
  TempDir dir;
  auto store = open_store(options_for(dir));
  add_dead_letters(*store, 1);
  CHECK(*store->resolve_dead_letter(1, Resolution::kDropped, "first") == ResolveOutcome::kResolved);
  CHECK(*store->resolve_dead_letter(1, Resolution::kReplayed, "second") ==
        ResolveOutcome::kAlreadyResolved);
  auto info = store->stream_info(kResolvedDeadLetterStream);
  REQUIRE(info.ok());
  CHECK(info->event_count == 1);
  auto rs = all_resolutions(*store);
  REQUIRE(rs.size() == 1);
  CHECK(rs[0].how == Resolution::kDropped);
  CHECK(rs[0].note == "first");
}

TEST_CASE("dead letters: of concurrent resolutions of one dead letter exactly one wins") {
  TempDir dir;
  auto store = open_store(options_for(dir));
  add_dead_letters(*store, 4);
  constexpr int kThreads = 4;
  // Every thread resolves every dead letter; outcomes are checked on this thread.
  std::vector<std::vector<Result<ResolveOutcome>>> outcomes(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (uint64_t v = 1; v <= 4; ++v)
        outcomes[t].push_back(store->resolve_dead_letter(v, Resolution::kRemoved, "bus"));
    });
  for (auto& th : threads)
    th.join();
  for (size_t v = 0; v < 4; ++v) {
    int won = 0, lost = 0;
    for (int t = 0; t < kThreads; ++t) {
      const auto& r = outcomes[t][v];
      INFO("thread " << t << " dead letter " << v + 1 << ": " << r.status().to_string());
      REQUIRE(r.ok());
      (*r == ResolveOutcome::kResolved ? won : lost) += 1;
    }
    CHECK(won == 1);
    CHECK(lost == kThreads - 1);
  }
  CHECK(all_resolutions(*store).size() == 4);
}

TEST_CASE("dead letters: what resolve_dead_letter refuses") {
  TempDir dir;
  auto o = options_for(dir);
  {
    auto store = open_store(o);
    auto none = store->resolve_dead_letter(1, Resolution::kDropped);
    CHECK(none.status().is(StatusCode::kNotFound));  // no $dead-letters at all
    CHECK(none.status().message().find("version 1 of '$dead-letters'") != std::string::npos);
    add_dead_letters(*store, 2);
    CHECK(store->resolve_dead_letter(3, Resolution::kDropped).status().is(StatusCode::kNotFound));
    CHECK(store->resolve_dead_letter(0, Resolution::kDropped)
              .status()
              .is(StatusCode::kInvalidArgument));
    CHECK(store->resolve_dead_letter(1ull << 62, Resolution::kDropped)
              .status()
              .is(StatusCode::kInvalidArgument));
    CHECK(store->resolve_dead_letter(1, static_cast<Resolution>(9))
              .status()
              .is(StatusCode::kInvalidArgument));
    CHECK(store->resolve_dead_letter(1, Resolution::kDropped, std::string(1025, 'n'))
              .status()
              .is(StatusCode::kInvalidArgument));
    CHECK(store->resolve_dead_letter(1, Resolution::kDropped, "tab\there")
              .status()
              .is(StatusCode::kInvalidArgument));
    // Nothing of the refused calls was written.
    CHECK(store->read_dead_letter_resolutions()->resolutions.empty());
    // The stream is the store's: a user append to it is refused.
    CHECK(store->append(kResolvedDeadLetterStream, std::vector<EventPtr>{ev()})
              .status.is(StatusCode::kInvalidArgument));
  }
  auto ro = o;
  ro.read_only = true;
  auto store = open_store(ro);
  CHECK(store->resolve_dead_letter(1, Resolution::kDropped)
            .status()
            .is(StatusCode::kFailedPrecondition));
}

TEST_CASE("dead letters: a stored resolution that does not decode is Corruption naming it") {
  TempDir dir;
  auto o = options_for(dir);
  uint64_t seq = 0;
  EventPtr stored;
  {
    auto store = open_store(o);
    add_dead_letters(*store, 2);
    REQUIRE(*store->resolve_dead_letter(1, Resolution::kDropped) == ResolveOutcome::kResolved);
    REQUIRE(*store->resolve_dead_letter(2, Resolution::kDropped) == ResolveOutcome::kResolved);
    auto page = store->read_stream(kResolvedDeadLetterStream, 2, Direction::kForward, 1);
    REQUIRE(page.ok());
    REQUIRE(page->events.size() == 1);
    seq = page->events[0].seq;
    stored = page->events[0].event;
  }
  // Rewrites version 2's event with `data` (a valid record: only the
  // resolution inside it is wrong).
  auto rewrite = [&](std::string data) {
    auto bad = EventBuilder::copy_of(*stored).data(data, stored->content_type()).build();
    REQUIRE(bad.ok());
    std::string value(kEventValueHeader, '\0');
    encode_event_value_header(value.data(), 2);
    encode_event(**bad, value);
    RawEnv raw(o.path);
    raw.put(raw.dbi(db::kEvents), Key8(seq).view(), value);
  };
  const std::string good(stored->data());
  struct Case {
    const char* what;
    std::string data;
    StatusCode code;
  };
  const Case cases[] = {
      {"truncated", good.substr(0, 11), StatusCode::kCorruption},
      {"a byte after the note", good + "x", StatusCode::kCorruption},
      {"resolution code 9", std::string(1, '\x01') + '\x09' + good.substr(2),
       StatusCode::kCorruption},
      {"a newer version byte", std::string(1, '\x02') + good.substr(1), StatusCode::kNotSupported},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    rewrite(c.data);
    auto store = open_store(o);
    auto page = store->read_dead_letter_resolutions();
    REQUIRE_FALSE(page.ok());
    CHECK(page.status().is(c.code));
    const std::string msg = page.status().message();
    CHECK(msg.find(o.path) != std::string::npos);
    CHECK(msg.find("'$dead-letters-resolved' version 2") != std::string::npos);
    // The resolution before it still reads; resolving stays idempotent.
    auto first = store->read_dead_letter_resolutions(1, 1);
    REQUIRE(first.ok());
    CHECK(first->resolutions.size() == 1);
    CHECK(*store->resolve_dead_letter(2, Resolution::kDropped) == ResolveOutcome::kAlreadyResolved);
  }
}

TEST_CASE("dead letters: one stored with a raw control character in its original still parses") {
  // Builds before the CloudEvents encoder escaped U+001A..U+001F stored them raw.
  const std::string original_json =
      "{\"specversion\":\"1.0\",\"id\":\"0190f5a0-0000-7000-8000-000000000001\","
      "\"source\":\"/t\",\"type\":\"job.failed\",\"data\":\"a\x1b"
      "b\"}";
  EventBuilder b{std::string(kDeadLetterType)};
  b.source("/chorus/bus")
      .data(original_json, kDeadLetterContentType)
      .metadata("reason", "boom")
      .metadata("attempts", "3");
  auto stored = b.build();
  REQUIRE(stored.ok());
  auto dl = parse_dead_letter(**stored);
  INFO(dl.status().to_string());
  REQUIRE(dl.ok());
  CHECK(dl->original->type() == "job.failed");
  CHECK(dl->info.reason == "boom");
  CHECK(dl->info.attempts == 3);
}
