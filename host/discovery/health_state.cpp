// Status derivation and check thresholds (health_state.h).
#include "discovery/health_state.h"

namespace chorus::discovery {

ServiceStatus derive_status(std::optional<ServiceStatus> override_status, bool expired,
                            CheckState check) noexcept {
  if (override_status) return *override_status;
  if (expired || check == CheckState::kFailing) return ServiceStatus::kUnhealthy;
  if (check == CheckState::kPending) return ServiceStatus::kStarting;
  return ServiceStatus::kHealthy;
}

CheckState next_check_state(CheckState current, CheckStreak& streak, bool passed,
                            uint32_t failures_needed, uint32_t successes_needed) noexcept {
  if (passed) {
    ++streak.passes;
    streak.failures = 0;
    if (current != CheckState::kPassing && streak.passes >= successes_needed)
      return CheckState::kPassing;
  } else {
    ++streak.failures;
    streak.passes = 0;
    if (current != CheckState::kFailing && streak.failures >= failures_needed)
      return CheckState::kFailing;
  }
  return current;
}

}  // namespace chorus::discovery
