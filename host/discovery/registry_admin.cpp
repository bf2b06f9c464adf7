// The registry's life and configuration: loading the journal at open, the
// static services, reloads, heartbeat checkpoints, statistics, the timers
// and shutdown (registry_core.h).
#include <algorithm>
#include <map>
#include <set>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fmt/format.h>

#include "discovery/discovery_log.h"
#include "discovery/registry_core.h"
#include "discovery/validate.h"

namespace chorus::discovery {

namespace asio = boost::asio;

struct Registry::Core::Timers {
  explicit Timers(asio::io_context& io) : sweep(io), checkpoint(io) {}
  std::mutex mu;  // the timers are armed from io threads and cancelled by shutdown()
  bool stopped = false;
  asio::steady_timer sweep, checkpoint;
};

Registry::Core::~Core() = default;

Status Registry::Core::load() {
  if (!env.store) return Status::OK();
  auto loaded = load_journal(*env.store);
  if (!loaded.ok()) return loaded.error().with_context("discovery: loading the registry");
  journal = std::make_unique<Journal>(*env.store, loaded->version);
  std::lock_guard l(mu);
  const int64_t now = clock();
  for (const ServiceRecord& r : loaded->services)
    restore_locked(r, now);
  loaded_records = loaded->records;
  skipped_records = loaded->skipped;
  if (options.snapshot_every > 0 && loaded->records >= options.snapshot_every)
    journal->snapshot(snapshot_state_locked());
  discovery_log().info(
      "registry loaded {} service{} from '{}' (snapshot at version {}, {} record{} after it, {} "
      "skipped)",
      loaded->services.size(), loaded->services.size() == 1 ? "" : "s", kRegistryStream,
      loaded->snapshot_version, loaded->records, loaded->records == 1 ? "" : "s", loaded->skipped);
  return Status::OK();
}

namespace {

// Checks every spec (filling defaults) and that ids are unique.
Status normalize_all(std::vector<ServiceSpec>& services) {
  std::set<std::string> ids;
  for (ServiceSpec& s : services) {
    CHORUS_RETURN_IF_ERROR(normalize_spec(s).with_context("discovery.services"));
    if (!ids.insert(s.id).second)
      return Status::InvalidArgument(
          fmt::format("discovery.services: service '{}' is given twice", s.id));
  }
  return Status::OK();
}

}  // namespace

Status Registry::Core::set_static_services(std::vector<ServiceSpec> services) {
  CHORUS_RETURN_IF_ERROR(normalize_all(services));
  std::lock_guard l(mu);
  CHORUS_RETURN_IF_ERROR(open_check_locked());
  std::map<std::string, const ServiceSpec*> next;
  for (const ServiceSpec& s : services)
    next.emplace(s.id, &s);
  // Static services dropped or changed in the configuration go first.
  std::vector<std::pair<uint32_t, std::string>> gone;
  table.for_each([&](const ServiceState& s) {
    if (s.origin != Origin::kStatic) return;
    auto it = next.find(s.id());
    if (it == next.end())
      gone.emplace_back(s.slot, "removed from the configuration");
    else if (!(*it->second == *s.spec))
      gone.emplace_back(s.slot, "changed in the configuration");
  });
  for (const auto& [slot, why] : gone)
    remove_locked(table.at(slot), ServiceEvent::kUnregistered, why);
  pools.forget_unused_names();  // before new names are interned (ids are reused)
  const int64_t now = clock();
  for (const ServiceSpec& spec : services) {
    if (ServiceState* s = table.find(spec.id)) {
      if (s->origin == Origin::kStatic) continue;  // unchanged
      discovery_log().warn(
          "service '{}' from the configuration replaces the one agent '{}' "
          "registered",
          spec.id, s->spec->agent_id);
      remove_locked(*s, ServiceEvent::kUnregistered,
                    "replaced by the configuration's service of the same id");
      pools.forget_unused_names();
    }
    add_locked(std::make_shared<const ServiceSpec>(spec), Origin::kStatic, std::nullopt, now);
  }
  pools.forget_unused_names();
  return Status::OK();
}

Status Registry::Core::apply(const DiscoveryOptions& next) {
  std::vector<ServiceSpec> statics = next.static_services;
  CHORUS_RETURN_IF_ERROR(normalize_all(statics));
  {
    std::lock_guard l(mu);
    CHORUS_RETURN_IF_ERROR(open_check_locked());
    options.ttl = next.ttl;
    options.deregister_after = next.deregister_after;
    options.check = next.check;
    options.strategy = next.strategy;
    options.capability_strategies = next.capability_strategies;
    options.request_timeout = next.request_timeout;
    options.request_attempts = next.request_attempts;
    options.max_checks_in_flight = next.max_checks_in_flight;
    options.max_services = next.max_services;
    options.max_pools = next.max_pools;
    options.static_services = next.static_services;
    checker->set_defaults(next.check);
    checker->set_max_in_flight(next.max_checks_in_flight);
    pools.set_max(next.max_pools);
  }
  return set_static_services(std::move(statics));
}

void Registry::Core::queue_checkpoint_locked() {
  if (!journal) return;
  HeartbeatsRecord rec;
  table.for_each([&](ServiceState& s) {
    if (!s.heartbeat_dirty) return;
    s.heartbeat_dirty = false;
    if (s.origin != Origin::kDynamic) return;
    rec.beats.emplace_back(s.id(), s.last_heartbeat_ns);
    if (rec.beats.size() == kMaxHeartbeatsPerRecord) {
      journal->append(kRecordHeartbeats, encode_heartbeats(rec));
      rec.beats.clear();
    }
  });
  if (!rec.beats.empty()) journal->append(kRecordHeartbeats, encode_heartbeats(rec));
  maybe_snapshot_locked();
}

Status Registry::Core::checkpoint() {
  {
    std::lock_guard l(mu);
    CHORUS_RETURN_IF_ERROR(open_check_locked());
    queue_checkpoint_locked();
  }
  return journal ? journal->flush() : Status::OK();
}

RegistryStats Registry::Core::stats() const {
  RegistryStats r;
  const CheckerCounters cc = checker->counters();
  r.checks_run = cc.run;
  r.checks_in_flight = cc.in_flight;
  r.checks_queued = cc.queued;
  if (journal) {
    const JournalCounters jc = journal->counters();
    r.journal_records = jc.records;
    r.journal_errors = jc.errors;
    r.snapshots = jc.snapshots;
  }
  r.requests = requests.load();
  r.request_failovers = request_failovers.load();
  r.request_failures = request_failures.load();
  std::lock_guard l(mu);
  r.services = table.size();
  table.for_each([&](const ServiceState& s) {
    if (s.origin == Origin::kStatic) ++r.static_services;
    switch (s.status) {
      case ServiceStatus::kStarting:
        ++r.starting;
        break;
      case ServiceStatus::kHealthy:
        ++r.healthy;
        break;
      case ServiceStatus::kUnhealthy:
        ++r.unhealthy;
        break;
      case ServiceStatus::kStopping:
        ++r.stopping;
        break;
      case ServiceStatus::kUnknown:
        ++r.unknown;
        break;
    }
    r.per_service.push_back(s.stats());
  });
  std::sort(r.per_service.begin(), r.per_service.end(),
            [](const ServiceStats& a, const ServiceStats& b) { return a.id < b.id; });
  r.registered = registered;
  r.unregistered = unregistered;
  r.removed = removed;
  r.expired = expired;
  r.checks_passed = checks_passed;
  r.checks_failed = checks_failed;
  r.loaded_records = loaded_records;
  r.skipped_records = skipped_records;
  r.pools = pools.size();
  for (Strategy s : kAllStrategies) {
    StrategyStats st = strategy_stats[static_cast<size_t>(s)];
    st.strategy = s;
    r.strategies.push_back(st);
  }
  return r;
}

namespace {

// Arms `timer` to run `fn` on the core every `every`, until stopped.
void arm(std::weak_ptr<Registry::Core> weak, asio::steady_timer& timer,
         std::chrono::milliseconds every, void (*fn)(Registry::Core&)) {
  timer.expires_after(every);
  timer.async_wait([weak, &timer, every, fn](const boost::system::error_code& ec) {
    if (ec) return;
    auto core = weak.lock();
    if (!core) return;
    fn(*core);
    std::lock_guard l(core->timers->mu);
    if (!core->timers->stopped) arm(weak, timer, every, fn);
  });
}

}  // namespace

void Registry::Core::start_timers() {
  timers = std::make_shared<Timers>(*env.io);
  std::lock_guard l(timers->mu);
  std::weak_ptr<Core> weak = weak_from_this();
  if (options.sweep_interval.count() > 0)
    arm(weak, timers->sweep, options.sweep_interval, [](Core& c) { c.sweep(); });
  if (journal && options.checkpoint_interval.count() > 0)
    arm(weak, timers->checkpoint, options.checkpoint_interval, [](Core& c) {
      std::lock_guard l(c.mu);
      if (!c.closed) c.queue_checkpoint_locked();
    });
}

void Registry::Core::shutdown() {
  {
    std::lock_guard l(mu);
    if (closed) return;
    closed = true;
  }
  if (timers) {
    std::lock_guard l(timers->mu);
    timers->stopped = true;
    timers->sweep.cancel();
    timers->checkpoint.cancel();
  }
  checker->stop();
  bus_calls.close_and_wait();
  if (events) events->close();
  if (journal) {
    {
      std::lock_guard l(mu);
      queue_checkpoint_locked();
      if (journal->since_snapshot() > 0) journal->snapshot(snapshot_state_locked());
    }
    journal->stop();
  }
  discovery_log().debug("registry shut down");
}

}  // namespace chorus::discovery
