// How a service's status follows from its inputs (docs/discovery.md
// "Status"): the owner's override, the heartbeat TTL and the check state,
// and how check results move the check state through the two thresholds
// (the flap damping). Pure functions: the registry calls them under its lock.
#pragma once

#include <cstdint>
#include <optional>

#include "discovery/service.h"

namespace chorus::discovery {

// Stored codes (docs/store-format.md "service state"): never renumber.
enum class CheckState : uint8_t {
  kNone = 0,     // the service has no check
  kPending = 1,  // no verdict yet
  kPassing = 2,
  kFailing = 3,
};

ServiceStatus derive_status(std::optional<ServiceStatus> override_status, bool expired,
                            CheckState check) noexcept;

// Consecutive results of one check.
struct CheckStreak {
  uint32_t passes = 0;
  uint32_t failures = 0;
};

// Records one result in `streak` and returns the check state after it:
// passing once `successes_needed` passes came in a row, failing once
// `failures_needed` failures did; otherwise unchanged.
CheckState next_check_state(CheckState current, CheckStreak& streak, bool passed,
                            uint32_t failures_needed, uint32_t successes_needed) noexcept;

}  // namespace chorus::discovery
