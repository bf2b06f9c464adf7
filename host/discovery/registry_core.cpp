// Registration, heartbeats, status and TTLs: every change of a service's
// status goes through refresh_locked(), which queues the journal record, the
// bus event and the pool membership that follow from it (registry_core.h).
#include "discovery/registry_core.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/clock.h"
#include "core/text.h"
#include "discovery/discovery_log.h"
#include "discovery/validate.h"

namespace chorus::discovery {
namespace {

int64_t ms_between(int64_t from_ns, int64_t to_ns) {
  return (to_ns - from_ns) / 1'000'000;
}

}  // namespace

Registry::Core::Core(RegistryEnv e, DiscoveryOptions o)
    : env(std::move(e)),
      clock(env.clock ? env.clock : Clock([] { return wall_clock_ns(); })),
      options(std::move(o)),
      pools(table, options.max_pools),
      rng(static_cast<uint64_t>(wall_clock_ns()) ^ reinterpret_cast<uintptr_t>(this)) {}

Status Registry::Core::open_check_locked() const {
  if (closed) return Status::Unavailable("discovery registry: shut down");
  return Status::OK();
}

std::chrono::milliseconds Registry::Core::ttl_of(const ServiceState& s) const {
  if (s.spec->ttl) return *s.spec->ttl;
  // Configured services are probed, not heartbeated, unless they say so.
  return s.origin == Origin::kStatic ? std::chrono::milliseconds(0) : options.ttl;
}

Status Registry::Core::register_service(ServiceSpec spec, const RegisterOptions& o, Origin origin) {
  CHORUS_RETURN_IF_ERROR(normalize_spec(spec));
  auto shared = std::make_shared<const ServiceSpec>(std::move(spec));
  std::lock_guard l(mu);
  CHORUS_RETURN_IF_ERROR(open_check_locked());
  const int64_t now = clock();
  if (ServiceState* old = table.find(shared->id)) {
    if (old->origin == Origin::kStatic && origin == Origin::kDynamic)
      return Status::FailedPrecondition(fmt::format(
          "service '{}' comes from the configuration (discovery.services) and cannot be "
          "registered over",
          shared->id));
    if (o.on_existing == OnExisting::kFail)
      return Status::AlreadyExists(fmt::format(
          "service '{}' is already registered (agent '{}'); unregister it first or register "
          "with OnExisting::kReplace",
          shared->id, old->spec->agent_id));
    // A re-registration: the old record goes without an `unregistered`
    // event; the new `registered` one says what it is now.
    pools.left(*old);
    if (old->spec->check.kind != CheckKind::kNone) checker->remove(old->id());
    const uint32_t slot = old->slot;
    table.remove(slot);
    // Before the new names are interned: a freed name id may be reused.
    pools.forget_unused_names();
    add_locked(std::move(shared), origin, o.initial_status, now);
    return Status::OK();
  } else if (table.size() >= options.max_services) {
    return Status::ResourceExhausted(
        fmt::format("service '{}': the registry holds {} services (discovery max_services)",
                    shared->id, table.size()));
  }
  add_locked(std::move(shared), origin, o.initial_status, now);
  return Status::OK();
}

ServiceState& Registry::Core::add_locked(std::shared_ptr<const ServiceSpec> spec, Origin origin,
                                         std::optional<ServiceStatus> initial, int64_t now) {
  ServiceState& s = table.add(std::move(spec), origin);
  s.registered_ns = now;
  s.last_heartbeat_ns = now;
  s.check_state = s.spec->check.kind == CheckKind::kNone ? CheckState::kNone : CheckState::kPending;
  if (initial && *initial != ServiceStatus::kHealthy) s.override_status = initial;
  s.status = derive_status(s.override_status, false, s.check_state);
  s.status_since_ns = now;
  s.journaled = {s.status, s.check_state, s.override_status};
  ++registered;
  if (s.status == ServiceStatus::kHealthy) pools.joined(s);
  if (s.spec->check.kind != CheckKind::kNone) checker->add(s.info(), s.generation);
  if (journal && origin == Origin::kDynamic) {
    journal->append(kRecordRegistered, encode_registered(s.record()));
    maybe_snapshot_locked();
  }
  if (events) {
    events->publish(ServiceEvent::kRegistered,
                    event_data(*s.spec, origin, s.status, s.status, "registered"));
    if (s.status == ServiceStatus::kHealthy || s.status == ServiceStatus::kUnhealthy)
      events->publish(
          s.status == ServiceStatus::kHealthy ? ServiceEvent::kHealthy : ServiceEvent::kUnhealthy,
          event_data(*s.spec, origin, s.status, s.status, "registered"));
  }
  discovery_log().info("service '{}' registered ({}, {}{}{})", s.id(), status_name(s.status),
                       origin == Origin::kStatic ? "from the configuration" : "dynamic",
                       s.spec->capabilities.empty() ? "" : ", capabilities: ",
                       fmt::format("{}", fmt::join(s.spec->capabilities, ", ")));
  return s;
}

void Registry::Core::restore_locked(const ServiceRecord& r, int64_t now) {
  ServiceState& s = table.add(std::make_shared<const ServiceSpec>(r.spec), Origin::kDynamic);
  s.registered_ns = r.registered_ns;
  s.last_heartbeat_ns = r.last_heartbeat_ns;
  s.status_since_ns = r.status_since_ns;
  s.override_status = r.override_status;
  s.check_state = s.spec->check.kind == CheckKind::kNone ? CheckState::kNone
                  : r.check_state == CheckState::kNone   ? CheckState::kPending
                                                         : r.check_state;
  // An unhealthy status that neither the override nor the check explains
  // was a TTL expiry.
  s.expired = r.status == ServiceStatus::kUnhealthy && !r.override_status &&
              s.check_state != CheckState::kFailing;
  s.status = derive_status(s.override_status, s.expired, s.check_state);
  if (s.status != r.status) s.status_since_ns = now;  // the record did not add up
  s.journaled = {r.status, r.check_state, r.override_status};
  if (s.status == ServiceStatus::kHealthy) pools.joined(s);
  if (s.spec->check.kind != CheckKind::kNone) checker->add(s.info(), s.generation);
}

void Registry::Core::remove_locked(ServiceState& s, ServiceEvent why, std::string_view reason) {
  pools.left(s);
  if (s.spec->check.kind != CheckKind::kNone) checker->remove(s.id());
  const int64_t now = clock();
  if (journal && s.origin == Origin::kDynamic) {
    journal->append(kRecordUnregistered,
                    encode_unregistered(UnregisteredRecord{s.id(),
                                                           why == ServiceEvent::kRemoved
                                                               ? UnregisterReason::kRemoved
                                                               : UnregisterReason::kUnregistered,
                                                           now}));
    maybe_snapshot_locked();
  }
  if (events) events->publish(why, event_data(*s.spec, s.origin, s.status, s.status, reason));
  if (why == ServiceEvent::kRemoved) {
    ++removed;
    discovery_log().warn("service '{}' removed: {}", s.id(), reason);
  } else {
    ++unregistered;
    discovery_log().info("service '{}' unregistered: {}", s.id(), reason);
  }
  table.remove(s.slot);
}

void Registry::Core::refresh_locked(ServiceState& s, int64_t now, std::string_view reason) {
  const ServiceStatus next = derive_status(s.override_status, s.expired, s.check_state);
  const ServiceStatus prev = s.status;
  if (next != prev) {
    s.status = next;
    s.status_since_ns = now;
    if (prev == ServiceStatus::kHealthy) pools.left(s);
    if (next == ServiceStatus::kHealthy) pools.joined(s);
    if (events && (next == ServiceStatus::kHealthy || next == ServiceStatus::kUnhealthy))
      events->publish(
          next == ServiceStatus::kHealthy ? ServiceEvent::kHealthy : ServiceEvent::kUnhealthy,
          event_data(*s.spec, s.origin, next, prev, reason));
    if (next == ServiceStatus::kUnhealthy)
      discovery_log().warn("service '{}': {} -> unhealthy: {}", s.id(), status_name(prev), reason);
    else
      discovery_log().info("service '{}': {} -> {}: {}", s.id(), status_name(prev),
                           status_name(next), reason);
  }
  journal_status_locked(s);
}

void Registry::Core::journal_status_locked(ServiceState& s) {
  const ServiceState::Journaled now{s.status, s.check_state, s.override_status};
  if (now == s.journaled) return;
  s.journaled = now;
  if (!journal || s.origin != Origin::kDynamic) return;
  journal->append(kRecordStatus,
                  encode_status(StatusRecord{s.id(), s.status, s.check_state, s.override_status,
                                             s.status_since_ns, s.last_heartbeat_ns}));
  maybe_snapshot_locked();
}

void Registry::Core::maybe_snapshot_locked() {
  if (!journal || options.snapshot_every == 0) return;
  if (journal->since_snapshot() < options.snapshot_every) return;
  journal->snapshot(snapshot_state_locked());
}

std::string Registry::Core::snapshot_state_locked() const {
  std::vector<ServiceRecord> records;
  table.for_each([&](const ServiceState& s) {
    if (s.origin == Origin::kDynamic) records.push_back(s.record());
  });
  std::sort(records.begin(), records.end(),
            [](const ServiceRecord& a, const ServiceRecord& b) { return a.spec.id < b.spec.id; });
  std::vector<const ServiceRecord*> ptrs;
  ptrs.reserve(records.size());
  for (const auto& r : records)
    ptrs.push_back(&r);
  return encode_snapshot(ptrs);
}

Status Registry::Core::unregister(std::string_view id) {
  std::lock_guard l(mu);
  CHORUS_RETURN_IF_ERROR(open_check_locked());
  ServiceState* s = table.find(id);
  if (!s) return Status::NotFound(fmt::format("service '{}' is not registered", printable(id)));
  if (s->origin == Origin::kStatic)
    return Status::FailedPrecondition(fmt::format(
        "service '{}' comes from the configuration (discovery.services); remove it there",
        s->id()));
  remove_locked(*s, ServiceEvent::kUnregistered, "unregistered by its owner");
  pools.forget_unused_names();
  return Status::OK();
}

Status Registry::Core::heartbeat(std::string_view id) {
  std::lock_guard l(mu);
  CHORUS_RETURN_IF_ERROR(open_check_locked());
  ServiceState* s = table.find(id);
  if (!s) return Status::NotFound(fmt::format("service '{}' is not registered", printable(id)));
  const int64_t now = clock();
  s->last_heartbeat_ns = std::max(s->last_heartbeat_ns, now);
  s->heartbeat_dirty = true;
  pools.changed(*s, Change::kAlive);
  if (s->expired) {
    s->expired = false;
    refresh_locked(*s, now, "heartbeat after the TTL expired");
  }
  return Status::OK();
}

Status Registry::Core::set_status(std::string_view id, ServiceStatus status) {
  std::lock_guard l(mu);
  CHORUS_RETURN_IF_ERROR(open_check_locked());
  ServiceState* s = table.find(id);
  if (!s) return Status::NotFound(fmt::format("service '{}' is not registered", printable(id)));
  const int64_t now = clock();
  if (status == ServiceStatus::kHealthy) {
    s->override_status.reset();
    s->last_heartbeat_ns = std::max(s->last_heartbeat_ns, now);
    s->heartbeat_dirty = true;
    s->expired = false;
    pools.changed(*s, Change::kAlive);
  } else {
    s->override_status = status;
  }
  refresh_locked(*s, now, fmt::format("set to {} by its owner", status_name(status)));
  return Status::OK();
}

void Registry::Core::on_check_result(CheckResult r) {
  std::lock_guard l(mu);
  if (closed) return;
  ServiceState* s = table.find(r.id);
  if (!s || s->generation != r.generation) return;  // unregistered or re-registered since
  const int64_t now = clock();
  const bool passed = r.status.ok();
  s->last_check_ns = now;
  s->last_check_us = static_cast<uint64_t>(r.took.count());
  if (passed) {
    ++s->checks_passed;
    ++checks_passed;
    s->last_check_error.clear();
    s->last_check_pass_ns = now;
    pools.changed(*s, Change::kAlive);
  } else {
    ++s->checks_failed;
    ++checks_failed;
    s->last_check_error = r.status.message();
    discovery_log().debug("service '{}': check failed: {}", s->id(), s->last_check_error);
  }
  const HealthCheckSpec& c = s->spec->check;
  const uint32_t failures =
      c.failures_before_unhealthy.value_or(options.check.failures_before_unhealthy);
  const uint32_t successes =
      c.successes_before_healthy.value_or(options.check.successes_before_healthy);
  s->check_state = next_check_state(s->check_state, s->streak, passed, failures, successes);
  refresh_locked(*s, now,
                 passed ? fmt::format("{} check passed {} time{} in a row", check_kind_name(c.kind),
                                      s->streak.passes, s->streak.passes == 1 ? "" : "s")
                        : fmt::format("{} check failed {} time{} in a row: {}",
                                      check_kind_name(c.kind), s->streak.failures,
                                      s->streak.failures == 1 ? "" : "s", s->last_check_error));
}

void Registry::Core::sweep() {
  std::lock_guard l(mu);
  if (closed) return;
  const int64_t now = clock();
  std::vector<uint32_t> to_remove;
  table.for_each([&](ServiceState& s) {
    const auto ttl = ttl_of(s);
    if (ttl.count() > 0 && !s.expired && now - s.last_heartbeat_ns > ttl.count() * 1'000'000) {
      s.expired = true;
      ++expired;
      refresh_locked(s, now,
                     fmt::format("no heartbeat for {}ms (ttl {}ms)",
                                 ms_between(s.last_heartbeat_ns, now), ttl.count()));
    }
    const auto after = options.deregister_after.count();
    if (s.origin == Origin::kDynamic && s.status == ServiceStatus::kUnhealthy && after > 0 &&
        now - s.status_since_ns >= after * 1'000'000)
      to_remove.push_back(s.slot);
  });
  for (uint32_t slot : to_remove) {
    ServiceState& s = table.at(slot);
    remove_locked(
        s, ServiceEvent::kRemoved,
        fmt::format("unhealthy for {}ms (deregister_after {}ms)",
                    ms_between(s.status_since_ns, now), options.deregister_after.count()));
  }
  if (!to_remove.empty()) pools.forget_unused_names();
}

}  // namespace chorus::discovery
