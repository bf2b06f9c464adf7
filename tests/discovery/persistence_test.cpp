// Persistence: the registry journals itself in a real store (temp dir) and
// comes back after a reopen with every dynamic service, its status and its
// TTL resumed from the recorded heartbeat; snapshots bound what a start
// folds; records that are not the registry's, or do not decode, are skipped
// without losing the rest; a record from a newer chorus stops the start.
#include <fmt/core.h>

#include "discovery/registry_records.h"
#include "discovery_test_util.h"
#include "store/event_store.h"
#include "support/temp_dir.h"

using namespace chorus;
using namespace chorus::test;
using namespace chorus::discovery;
using namespace std::chrono_literals;

namespace {

struct Host {
  const TempDir& dir;
  ManualClock& clock;
  IoThreads io{1};
  std::unique_ptr<store::EventStore> store;
  std::unique_ptr<Registry> registry;

  Host(const TempDir& d, ManualClock& c, DiscoveryOptions o = options()) : dir(d), clock(c) {
    store::StoreOptions so;
    so.path = dir.file("store");
    so.durability = store::Durability::kNone;
    auto s = store::EventStore::open(so);
    REQUIRE(s.ok());
    store = std::move(*s);
    auto r = Registry::open(RegistryEnv{&io.io, nullptr, store.get(), clock.fn()}, std::move(o));
    INFO(r.status().to_string());
    REQUIRE(r.ok());
    registry = std::move(*r);
  }
  ~Host() {
    if (registry) registry->shutdown();
    registry.reset();
    store->close();
  }
  static DiscoveryOptions options() {
    DiscoveryOptions o;
    o.sweep_interval = 0ms;
    o.checkpoint_interval = 0ms;
    o.ttl = 10s;
    o.deregister_after = 60s;
    return o;
  }
  ServiceInfo info(std::string_view id) {
    auto i = registry->get(id);
    INFO(id);
    REQUIRE(i.ok());
    return *i;
  }
};

void append_raw(const TempDir& dir, std::vector<EventPtr> events) {
  store::StoreOptions so;
  so.path = dir.file("store");
  auto s = store::EventStore::open(so);
  REQUIRE(s.ok());
  auto r = (*s)->append(kRegistryStream, events);
  INFO(r.status.to_string());
  REQUIRE(r.ok());
  (*s)->close();
}

}  // namespace

TEST_CASE("persistence: services come back after a reopen with their TTLs resumed") {
  TempDir dir;
  ManualClock clock;
  const int64_t t0 = clock.now();
  {
    Host h(dir, clock);
    ServiceSpec a = spec("agent-a", {"math"}, {"prod"});
    a.metadata = {{"owner", "team"}};
    REQUIRE(h.registry->register_service(a).ok());
    ServiceSpec b = spec("agent-b", {"math"});
    b.ttl = 0ms;
    REQUIRE(h.registry->register_service(b).ok());
    REQUIRE(h.registry->register_service(spec("agent-d", {"math"})).ok());
    REQUIRE(h.registry->register_service(spec("agent-e", {"math"})).ok());
    REQUIRE(h.registry->set_status("agent-d", ServiceStatus::kStopping).ok());
    REQUIRE(h.registry->unregister("agent-e").ok());
    REQUIRE(h.registry->set_static_services({spec("configured", {"math"})}).ok());
    clock.advance(5s);
    REQUIRE(h.registry->heartbeat("agent-a").ok());
    REQUIRE(h.registry->heartbeat("agent-d").ok());
    clock.advance(1s);
  }  // shutdown writes the last heartbeat checkpoint and a snapshot

  clock.advance(2s);  // the host was down for 2 s: agent-a's heartbeat is 3 s old
  {
    Host h(dir, clock);
    ServiceInfo a = h.info("agent-a");
    CHECK(a.status == ServiceStatus::kHealthy);
    CHECK(a.last_heartbeat_ns == t0 + 5'000'000'000);
    CHECK(a.registered_ns == t0);
    CHECK(a.spec->tags == std::vector<std::string>{"prod"});
    CHECK(a.spec->metadata == std::vector<std::pair<std::string, std::string>>{{"owner", "team"}});
    CHECK(h.info("agent-b").status == ServiceStatus::kHealthy);
    CHECK(h.info("agent-d").status == ServiceStatus::kStopping);
    CHECK(h.registry->get("agent-e").status().is(StatusCode::kNotFound));
    CHECK(h.registry->get("configured").status().is(StatusCode::kNotFound));  // never journaled
    // The TTL runs on from the recorded heartbeat: 10 s after t0 + 5 s.
    clock.advance(6s);  // t0 + 14 s
    h.registry->sweep();
    CHECK(h.info("agent-a").status == ServiceStatus::kHealthy);
    clock.advance(2s);  // t0 + 16 s
    h.registry->sweep();
    CHECK(h.info("agent-a").status == ServiceStatus::kUnhealthy);
    CHECK(h.info("agent-b").status == ServiceStatus::kHealthy);  // no TTL
  }
}

TEST_CASE("persistence: after a long downtime a silent agent is unhealthy at once, then removed") {
  TempDir dir;
  ManualClock clock;
  {
    Host h(dir, clock);
    REQUIRE(h.registry->register_service(spec("agent-a", {"math"})).ok());
  }
  clock.advance(30s);
  {
    Host h(dir, clock);  // open sweeps with the current time
    ServiceInfo a = h.info("agent-a");
    CHECK(a.status == ServiceStatus::kUnhealthy);
    CHECK(a.status_since_ns == clock.now());
  }
  clock.advance(59s);
  {
    Host h(dir, clock);
    CHECK(h.info("agent-a").status == ServiceStatus::kUnhealthy);  // since 59 s: kept
  }
  clock.advance(1s);
  {
    Host h(dir, clock);
    CHECK(h.registry->get("agent-a").status().is(StatusCode::kNotFound));
    CHECK(h.registry->stats().removed == 1);
  }
  {
    Host h(dir, clock);  // the removal was journaled too
    CHECK(h.registry->get("agent-a").status().is(StatusCode::kNotFound));
    CHECK(h.registry->stats().removed == 0);
  }
}

TEST_CASE("persistence: snapshots bound what a start folds") {
  TempDir dir;
  ManualClock clock;
  DiscoveryOptions o = Host::options();
  o.snapshot_every = 10;
  {
    Host h(dir, clock, o);
    for (int i = 0; i < 25; ++i)
      REQUIRE(h.registry->register_service(spec(fmt::format("svc-{:02}", i), {"math"})).ok());
    REQUIRE(h.registry->checkpoint().ok());
    auto st = h.registry->stats();
    CHECK(st.journal_records == 25);
    CHECK(st.snapshots == 2);  // after records 10 and 20
    CHECK(st.journal_errors == 0);
    for (int i = 0; i < 3; ++i)
      REQUIRE(h.registry->unregister(fmt::format("svc-{:02}", i)).ok());
    REQUIRE(h.registry->checkpoint().ok());
    auto snap = h.store->load_snapshot(kRegistryStream);
    REQUIRE(snap.ok());
    REQUIRE(snap->has_value());
    CHECK((*snap)->version == 20);
  }
  {
    Host h(dir, clock, o);
    auto st = h.registry->stats();
    CHECK(st.services == 22);
    CHECK(st.loaded_records == 0);  // the shutdown snapshot covers every record
    auto snap = h.store->load_snapshot(kRegistryStream);
    REQUIRE(snap.ok());
    CHECK((*snap)->version == 28);
  }
}

TEST_CASE("persistence: foreign and malformed records are skipped, the rest is kept") {
  TempDir dir;
  ManualClock clock;
  {
    Host h(dir, clock);
    REQUIRE(h.registry->register_service(spec("agent-a", {"math"})).ok());
  }
  auto foreign =
      EventBuilder("order.placed").source("shop").stream(kRegistryStream).data("{}").build();
  auto garbage = EventBuilder(kRecordRegistered)
                     .source(kRegistrySource)
                     .stream(kRegistryStream)
                     .data(std::string("\x01\x05short", 7), kRegistryContentType)
                     .build();
  auto orphan = EventBuilder(kRecordStatus)
                    .source(kRegistrySource)
                    .stream(kRegistryStream)
                    .data(encode_status({"ghost", ServiceStatus::kHealthy, CheckState::kNone,
                                         std::nullopt, 0, 0}),
                          kRegistryContentType)
                    .build();
  REQUIRE(foreign.ok());
  REQUIRE(garbage.ok());
  REQUIRE(orphan.ok());
  append_raw(dir, {*foreign, *garbage, *orphan});
  {
    Host h(dir, clock);
    CHECK(h.info("agent-a").status == ServiceStatus::kHealthy);
    auto st = h.registry->stats();
    CHECK(st.skipped_records == 3);
    CHECK(st.services == 1);
    REQUIRE(h.registry->register_service(spec("agent-b", {"math"})).ok());
  }
  {
    Host h(dir, clock);
    CHECK(h.registry->stats().services == 2);
  }
}

TEST_CASE("persistence: a record from a newer chorus stops the start and stays stored") {
  TempDir dir;
  ManualClock clock;
  {
    Host h(dir, clock);
    REQUIRE(h.registry->register_service(spec("agent-a", {"math"})).ok());
  }
  std::string v2 = encode_unregistered({"agent-a", UnregisterReason::kUnregistered, 0});
  v2[0] = 2;
  auto e = EventBuilder(kRecordUnregistered)
               .source(kRegistrySource)
               .stream(kRegistryStream)
               .data(v2, kRegistryContentType)
               .build();
  REQUIRE(e.ok());
  append_raw(dir, {*e});
  store::StoreOptions so;
  so.path = dir.file("store");
  auto s = store::EventStore::open(so);
  REQUIRE(s.ok());
  IoThreads io{1};
  auto r = Registry::open(RegistryEnv{&io.io, nullptr, s->get(), clock.fn()}, Host::options());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().is(StatusCode::kNotSupported));
  CHECK(
      r.error().message().find("version 2 (this build reads up to 1; written by a newer chorus)") !=
      std::string::npos);
  auto info = (*s)->stream_info(kRegistryStream);
  REQUIRE(info.ok());
  CHECK(info->event_count == 2);  // nothing was dropped
  (*s)->close();
}
