// The chorus_bus_* families from bus::BusStats (host_metrics.h).
#include <vector>

#include "api/host_metrics.h"
#include "api/prometheus.h"
#include "bus/event_bus.h"

namespace chorus::api {
namespace {

double seconds(uint64_t ns) {
  return static_cast<double>(ns) / 1e9;
}

// One family with a sample per subscriber.
template <typename Get>
void per_subscriber(MetricsWriter& w, const bus::BusStats& s, std::string_view name,
                    MetricType type, std::string_view help, Get get) {
  w.family(name, type, help);
  for (const bus::SubscriberStats& sub : s.subscribers)
    w.sample(static_cast<uint64_t>(get(sub)), {{"subscriber", sub.id}});
}

}  // namespace

void write_bus_metrics(const bus::BusStats& s, MetricsWriter& w) {
  auto counter = [&](std::string_view name, std::string_view help, uint64_t v) {
    w.family(name, MetricType::kCounter, help);
    w.sample(v);
  };
  auto gauge = [&](std::string_view name, std::string_view help, double v) {
    w.family(name, MetricType::kGauge, help);
    w.sample(v);
  };
  counter("chorus_bus_published_total", "Events published on the bus", s.published);
  counter("chorus_bus_no_subscribers_total", "Published events that no subscriber took",
          s.no_subscribers);
  counter("chorus_bus_publish_errors_total", "Publishes that returned an error", s.publish_errors);
  counter("chorus_bus_persisted_total", "Publishes of persistent types appended to the store",
          s.persisted);
  counter("chorus_bus_persist_duplicates_total",
          "Persistent publishes whose id was already stored (not delivered again)",
          s.persist_duplicates);
  gauge("chorus_bus_dead_letters", "Dead letters stored now", static_cast<double>(s.dead_letters));
  counter("chorus_bus_dead_letters_evicted_total",
          "Dead letters discarded because the dead-letter store was full", s.dead_letters_evicted);
  gauge("chorus_bus_requests_pending", "Requests waiting for a reply",
        static_cast<double>(s.requests_pending));
  counter("chorus_bus_replies_late_total", "Replies that matched no waiting request",
          s.replies_late);
  gauge("chorus_bus_subscriptions", "Subscriptions on the bus",
        static_cast<double>(s.subscriptions));
  counter("chorus_bus_match_cache_hits_total", "Topic match cache hits", s.match_cache_hits);
  counter("chorus_bus_match_cache_misses_total", "Topic match cache misses", s.match_cache_misses);

  uint64_t delivered = 0, failed = 0, dead_lettered = 0, dropped = 0, rejected = 0;
  size_t depth = 0;
  for (const bus::SubscriberStats& sub : s.subscribers) {
    delivered += sub.delivered;
    failed += sub.failed;
    dead_lettered += sub.dead_lettered;
    dropped += sub.dropped;
    rejected += sub.rejected;
    depth += sub.queue_depth;
  }
  counter("chorus_bus_delivered_total", "Handler calls that succeeded, all subscribers", delivered);
  counter("chorus_bus_failed_total", "Handler calls that failed (each attempt), all subscribers",
          failed);
  counter("chorus_bus_dead_lettered_total", "Events dead-lettered, all subscribers", dead_lettered);
  counter("chorus_bus_dropped_total", "Events dropped by overflow or unsubscribe, all subscribers",
          dropped);
  counter("chorus_bus_rejected_total",
          "Events refused to a publisher by a full queue (reject, block timeout)", rejected);
  gauge("chorus_bus_queue_depth", "Events queued for async subscribers",
        static_cast<double>(depth));

  w.family("chorus_bus_delivery_latency_seconds", MetricType::kSummary,
           "Time from publish to handler call, async deliveries");
  w.summary({{0.5, seconds(s.latency.p50_ns)},
             {0.9, seconds(s.latency.p90_ns)},
             {0.99, seconds(s.latency.p99_ns)},
             {0.999, seconds(s.latency.p999_ns)}},
            s.latency.mean_ns * static_cast<double>(s.latency.count) / 1e9, s.latency.count);

  w.family("chorus_bus_topic_published_total", MetricType::kCounter,
           "Events published, by topic (\"(other)\" beyond the tracked topics)");
  for (const bus::TopicStats& t : s.topics)
    w.sample(t.published, {{"topic", t.topic}});
  w.family("chorus_bus_topic_no_subscribers_total", MetricType::kCounter,
           "Events no subscriber took, by topic");
  for (const bus::TopicStats& t : s.topics)
    w.sample(t.no_subscribers, {{"topic", t.topic}});

  using Sub = bus::SubscriberStats;
  per_subscriber(w, s, "chorus_bus_subscriber_delivered_total", MetricType::kCounter,
                 "Handler calls that succeeded", [](const Sub& x) { return x.delivered; });
  per_subscriber(w, s, "chorus_bus_subscriber_filtered_total", MetricType::kCounter,
                 "Events that matched but the filter refused",
                 [](const Sub& x) { return x.filtered; });
  per_subscriber(w, s, "chorus_bus_subscriber_failed_total", MetricType::kCounter,
                 "Handler calls that failed (each attempt)", [](const Sub& x) { return x.failed; });
  per_subscriber(w, s, "chorus_bus_subscriber_retried_total", MetricType::kCounter,
                 "Retries scheduled", [](const Sub& x) { return x.retried; });
  per_subscriber(w, s, "chorus_bus_subscriber_dead_lettered_total", MetricType::kCounter,
                 "Events dead-lettered", [](const Sub& x) { return x.dead_lettered; });
  per_subscriber(w, s, "chorus_bus_subscriber_dropped_total", MetricType::kCounter,
                 "Events dropped by overflow or unsubscribe",
                 [](const Sub& x) { return x.dropped; });
  per_subscriber(w, s, "chorus_bus_subscriber_rejected_total", MetricType::kCounter,
                 "Events refused to publishers by a full queue",
                 [](const Sub& x) { return x.rejected; });
  per_subscriber(w, s, "chorus_bus_subscriber_queue_depth", MetricType::kGauge,
                 "Events queued for the subscriber", [](const Sub& x) { return x.queue_depth; });
  per_subscriber(w, s, "chorus_bus_subscriber_queue_bound", MetricType::kGauge,
                 "The subscriber's queue bound", [](const Sub& x) { return x.queue_bound; });
  w.family("chorus_bus_subscriber_breaker_open", MetricType::kGauge,
           "1 when the subscriber's circuit breaker is open or half-open");
  for (const Sub& sub : s.subscribers)
    w.sample(uint64_t{sub.breaker_state == "closed" || sub.breaker_state.empty() ? 0u : 1u},
             {{"subscriber", sub.id}, {"state", sub.breaker_state}});
}

}  // namespace chorus::api
