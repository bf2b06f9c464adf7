// MetricsRegistry: the collectors whose families make up GET /metrics. Each
// subsystem adds one collector when it starts (through
// runtime::HostServices::metrics) and removes it when it stops; at every
// scrape the collectors run in the order added and write their families
// through a MetricsWriter (prometheus.h), usually from their module's
// stats(). Families are named `chorus_<subsystem>_...` (docs/api.md
// "Metrics" lists them and the conventions).
//
//   id = services.metrics->add("plugins", [loader](api::MetricsWriter& w) {
//     w.family("chorus_plugins_loaded", api::MetricType::kGauge, "Plugins loaded");
//     w.sample(uint64_t{loader->stats().loaded});
//   });
//   ...
//   services.metrics->remove(id);  // in stop() or close()
//
// Threading: every member is thread-safe. Collectors run on the thread that
// renders (an API io thread); they must be quick and must not block. When
// remove() returns, the collector is not running and will not run again.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "api/prometheus.h"

namespace chorus::api {

class MetricsRegistry {
 public:
  using Collector = std::function<void(MetricsWriter& w)>;

  // `name` identifies the collector in logs (a skipped duplicate family, an
  // exception). Returns the id for remove().
  uint64_t add(std::string name, Collector collector);
  void remove(uint64_t id);

  // Runs every collector into one document (Prometheus text 0.0.4).
  std::string render() const;
  size_t size() const;

 private:
  struct Entry {
    uint64_t id;
    std::string name;
    Collector collector;
  };
  mutable std::mutex mu_;  // held while collectors run: remove() waits for a scrape
  std::vector<Entry> entries_;
  uint64_t next_id_ = 1;
};

}  // namespace chorus::api
