// What Registry::stats() returns: counters of the registry as a whole, per
// strategy and per service. Plain values, copied out under the lock; the
// admin API will render them.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "discovery/service.h"
#include "discovery/strategy.h"

namespace chorus::discovery {

// Response times in powers of two of microseconds: bucket 0 counts times
// below 1 us, bucket i (1..kResponseBuckets-2) times in [2^(i-1), 2^i) us,
// the last one everything from 2^(kResponseBuckets-2) us (~33 s) up.
inline constexpr size_t kResponseBuckets = 27;

struct ResponseTimes {
  uint64_t count = 0;
  double ewma_us = 0;  // 0 with no sample
  uint64_t max_us = 0;
  std::array<uint64_t, kResponseBuckets> buckets{};
  // The upper bound of the bucket holding the q-quantile (0 < q <= 1), in
  // microseconds; 0 with no sample.
  uint64_t quantile_us(double q) const noexcept;
};

struct ServiceStats {
  std::string id;
  ServiceStatus status = ServiceStatus::kUnknown;
  Origin origin = Origin::kDynamic;
  uint64_t selections = 0;
  uint32_t active = 0;
  ResponseTimes response;
  CheckKind check = CheckKind::kNone;
  uint64_t checks_passed = 0, checks_failed = 0;
  uint32_t consecutive_passes = 0, consecutive_failures = 0;
  std::string last_check_error;  // empty after a pass
  int64_t last_check_ns = 0;     // wall clock; 0: never checked
  uint64_t last_check_us = 0;    // how long the last check took
};

struct StrategyStats {
  Strategy strategy = Strategy::kRoundRobin;
  uint64_t selections = 0;
  uint64_t no_healthy = 0;  // selections that found no healthy instance
};

struct RegistryStats {
  size_t services = 0, static_services = 0;
  size_t starting = 0, healthy = 0, unhealthy = 0, stopping = 0, unknown = 0;
  uint64_t registered = 0, unregistered = 0, removed = 0, expired = 0;
  uint64_t checks_run = 0, checks_passed = 0, checks_failed = 0;
  size_t checks_in_flight = 0, checks_queued = 0;
  uint64_t journal_records = 0, journal_errors = 0, snapshots = 0;
  uint64_t loaded_records = 0, skipped_records = 0;  // at start
  uint64_t requests = 0, request_failovers = 0, request_failures = 0;
  size_t pools = 0;
  std::vector<StrategyStats> strategies;  // one per Strategy, in enum order
  std::vector<ServiceStats> per_service;  // by id
};

}  // namespace chorus::discovery
