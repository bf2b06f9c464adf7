// Wall-clock time for events: nanoseconds since the Unix epoch, UTC.
//
// Events carry wall time (not a monotonic clock) because it is compared across
// processes and machines. Durations and deadlines inside the host use
// std::chrono::steady_clock instead.
#pragma once

#include <cstdint>

namespace chorus {

// Nanoseconds since 1970-01-01T00:00:00Z (CLOCK_REALTIME). Thread-safe, ~20 ns.
int64_t wall_clock_ns() noexcept;

}  // namespace chorus
