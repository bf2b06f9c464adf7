// wall_clock_ns: clock_gettime(CLOCK_REALTIME) is a vDSO call on Linux.
#include "core/clock.h"

#include <time.h>

namespace chorus {

int64_t wall_clock_ns() noexcept {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace chorus
