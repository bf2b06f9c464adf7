// ApiMetrics: the admin API's own counters (requests by status, request
// durations, connections, WebSocket tails and their drops) and the
// collector that writes them as the `chorus_api_*` families.
//
// Threading: every member is thread-safe (atomics).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "api/histogram.h"
#include "api/prometheus.h"

namespace chorus::api {

class ApiMetrics {
 public:
  ApiMetrics();

  // One request answered with `status` after `seconds`.
  void request(int status, double seconds) noexcept;

  std::atomic<int64_t> connections{0};            // open now (HTTP and WebSocket)
  std::atomic<uint64_t> connections_total{0};     // accepted
  std::atomic<uint64_t> connections_rejected{0};  // over limits.connections
  std::atomic<uint64_t> published{0};             // events published through POST /v1/events
  std::atomic<int64_t> tails{0};                  // WebSocket tails open now
  std::atomic<uint64_t> tail_events{0};           // events sent to tails
  std::atomic<uint64_t> tail_dropped{0};          // events dropped because a tail was full
  std::atomic<uint64_t> tail_disconnects{0};      // tails cut off for falling behind

  uint64_t requests_with(int status) const noexcept;
  void write(MetricsWriter& w) const;

 private:
  static constexpr int kStatuses = 600;
  std::array<std::atomic<uint64_t>, kStatuses> by_status_{};
  Histogram durations_;
};

}  // namespace chorus::api
