// The chorus_discovery_* families from discovery::Registry::stats() (host_metrics.h).
#include "api/host_metrics.h"
#include "api/prometheus.h"
#include "discovery/registry_stats.h"

namespace chorus::api {

void write_discovery_metrics(const discovery::RegistryStats& s, MetricsWriter& w) {
  auto one = [&](std::string_view name, MetricType type, std::string_view help, uint64_t v) {
    w.family(name, type, help);
    w.sample(v);
  };
  w.family("chorus_discovery_services", MetricType::kGauge, "Registered services, by status");
  w.sample(uint64_t{s.starting}, {{"status", "starting"}});
  w.sample(uint64_t{s.healthy}, {{"status", "healthy"}});
  w.sample(uint64_t{s.unhealthy}, {{"status", "unhealthy"}});
  w.sample(uint64_t{s.stopping}, {{"status", "stopping"}});
  w.sample(uint64_t{s.unknown}, {{"status", "unknown"}});
  one("chorus_discovery_static_services", MetricType::kGauge,
      "Services from the configuration (discovery.services)", s.static_services);
  one("chorus_discovery_registered_total", MetricType::kCounter, "Services registered",
      s.registered);
  one("chorus_discovery_unregistered_total", MetricType::kCounter, "Services unregistered",
      s.unregistered);
  one("chorus_discovery_expired_total", MetricType::kCounter,
      "Services whose heartbeat TTL expired", s.expired);
  one("chorus_discovery_removed_total", MetricType::kCounter,
      "Services removed after staying unhealthy for deregister_after", s.removed);

  w.family("chorus_discovery_checks_total", MetricType::kCounter, "Health checks run, by result");
  w.sample(s.checks_passed, {{"result", "passed"}});
  w.sample(s.checks_failed, {{"result", "failed"}});
  one("chorus_discovery_checks_in_flight", MetricType::kGauge, "Health checks running now",
      s.checks_in_flight);
  one("chorus_discovery_checks_queued", MetricType::kGauge,
      "Health checks waiting for a slot (max_checks_in_flight)", s.checks_queued);

  w.family("chorus_discovery_selections_total", MetricType::kCounter,
           "Instances selected, by strategy");
  for (const discovery::StrategyStats& st : s.strategies)
    w.sample(st.selections, {{"strategy", discovery::strategy_name(st.strategy)}});
  w.family("chorus_discovery_no_healthy_total", MetricType::kCounter,
           "Selections that found no healthy instance, by strategy");
  for (const discovery::StrategyStats& st : s.strategies)
    w.sample(st.no_healthy, {{"strategy", discovery::strategy_name(st.strategy)}});
  w.family("chorus_discovery_service_selections_total", MetricType::kCounter,
           "Times a service was selected");
  for (const discovery::ServiceStats& svc : s.per_service)
    w.sample(svc.selections, {{"service", svc.id}});
  w.family("chorus_discovery_service_active", MetricType::kGauge,
           "Connections counted on a service by select() and not released");
  for (const discovery::ServiceStats& svc : s.per_service)
    w.sample(uint64_t{svc.active}, {{"service", svc.id}});

  one("chorus_discovery_requests_total", MetricType::kCounter, "Requests by capability",
      s.requests);
  one("chorus_discovery_request_failovers_total", MetricType::kCounter,
      "Requests by capability sent again to another instance", s.request_failovers);
  one("chorus_discovery_request_failures_total", MetricType::kCounter,
      "Requests by capability that failed in the end", s.request_failures);
  one("chorus_discovery_journal_errors_total", MetricType::kCounter,
      "Registry journal writes that failed", s.journal_errors);
}

}  // namespace chorus::api
