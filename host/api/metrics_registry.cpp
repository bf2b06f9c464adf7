// The collectors of GET /metrics (metrics_registry.h).
#include "api/metrics_registry.h"

#include <algorithm>

#include "api/api_log.h"

namespace chorus::api {

uint64_t MetricsRegistry::add(std::string name, Collector collector) {
  std::lock_guard l(mu_);
  const uint64_t id = next_id_++;
  entries_.push_back(Entry{id, std::move(name), std::move(collector)});
  return id;
}

void MetricsRegistry::remove(uint64_t id) {
  std::lock_guard l(mu_);
  entries_.erase(
      std::remove_if(entries_.begin(), entries_.end(), [id](const Entry& e) { return e.id == id; }),
      entries_.end());
}

size_t MetricsRegistry::size() const {
  std::lock_guard l(mu_);
  return entries_.size();
}

std::string MetricsRegistry::render() const {
  MetricsWriter w;
  std::lock_guard l(mu_);
  for (const Entry& e : entries_) {
    const size_t skipped_before = w.duplicates().size();
    try {
      e.collector(w);
    } catch (const std::exception& ex) {
      api_log().error("metrics: collector '{}' failed: {}", e.name, ex.what());
    }
    for (size_t i = skipped_before; i < w.duplicates().size(); ++i)
      api_log().warn(
          "metrics: collector '{}': family '{}' skipped (invalid name, or written "
          "already by another collector)",
          e.name, w.duplicates()[i]);
  }
  return w.take();
}

}  // namespace chorus::api
