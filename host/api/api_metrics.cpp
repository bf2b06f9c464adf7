// The `chorus_api_*` metric families (api_metrics.h).
#include "api/api_metrics.h"

#include <string>

namespace chorus::api {

ApiMetrics::ApiMetrics() : durations_(latency_buckets_seconds()) {}

void ApiMetrics::request(int status, double seconds) noexcept {
  if (status >= 100 && status < kStatuses)
    by_status_[static_cast<size_t>(status)].fetch_add(1, std::memory_order_relaxed);
  durations_.observe(seconds);
}

uint64_t ApiMetrics::requests_with(int status) const noexcept {
  if (status < 100 || status >= kStatuses) return 0;
  return by_status_[static_cast<size_t>(status)].load(std::memory_order_relaxed);
}

void ApiMetrics::write(MetricsWriter& w) const {
  w.family("chorus_api_requests_total", MetricType::kCounter,
           "HTTP requests answered, by status code");
  for (int s = 100; s < kStatuses; ++s) {
    const uint64_t n = by_status_[static_cast<size_t>(s)].load(std::memory_order_relaxed);
    if (n == 0) continue;
    const std::string code = std::to_string(s);
    w.sample(n, {{"code", code}});
  }
  w.family("chorus_api_request_duration_seconds", MetricType::kHistogram,
           "Time from a request's arrival to its response being ready to write");
  w.histogram(durations_.snapshot());
  w.family("chorus_api_connections", MetricType::kGauge, "Open API connections");
  w.sample(static_cast<double>(connections.load(std::memory_order_relaxed)));
  w.family("chorus_api_connections_total", MetricType::kCounter, "API connections accepted");
  w.sample(connections_total.load(std::memory_order_relaxed));
  w.family("chorus_api_connections_rejected_total", MetricType::kCounter,
           "Connections refused with 503 because api.limits.connections were open");
  w.sample(connections_rejected.load(std::memory_order_relaxed));
  w.family("chorus_api_published_total", MetricType::kCounter,
           "Events published through POST /v1/events");
  w.sample(published.load(std::memory_order_relaxed));
  w.family("chorus_api_tails", MetricType::kGauge, "WebSocket tails open");
  w.sample(static_cast<double>(tails.load(std::memory_order_relaxed)));
  w.family("chorus_api_tail_events_total", MetricType::kCounter, "Events sent to WebSocket tails");
  w.sample(tail_events.load(std::memory_order_relaxed));
  w.family("chorus_api_tail_dropped_total", MetricType::kCounter,
           "Events a WebSocket tail could not queue because its client fell behind");
  w.sample(tail_dropped.load(std::memory_order_relaxed));
  w.family("chorus_api_tail_disconnects_total", MetricType::kCounter,
           "WebSocket tails closed because their client fell behind by api.tail.queue events");
  w.sample(tail_disconnects.load(std::memory_order_relaxed));
}

}  // namespace chorus::api
