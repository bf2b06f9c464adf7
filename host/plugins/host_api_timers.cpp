// Host functions for timers (host_api.h, plugin.h).
#include <fmt/core.h>

#include "plugins/host_api.h"
#include "plugins/instance.h"

namespace chorus::plugins::api {
namespace {

// A period below this would let one plugin keep a worker busy.
constexpr uint64_t kMinPeriodMs = 1;
constexpr uint64_t kMaxDelayMs = 100ull * 365 * 24 * 3600 * 1000;

int32_t add(chorus_host* h, uint64_t delay_ms, uint64_t period_ms, chorus_timer_fn fn, void* ctx,
            uint64_t* out_id) {
  Instance* in = instance_of(h);
  if (!in) return CHORUS_INVALID_ARGUMENT;
  if (delay_ms > kMaxDelayMs || period_ms > kMaxDelayMs)
    return fail(
        Status::InvalidArgument(fmt::format("{}: timer: {} ms is longer than a timer may wait",
                                            in->name(), std::max(delay_ms, period_ms))));
  auto id = in->add_timer(std::chrono::milliseconds(delay_ms), std::chrono::milliseconds(period_ms),
                          fn, ctx);
  if (!id.ok()) return fail(id.error());
  if (out_id) *out_id = *id;
  return CHORUS_OK;
}

}  // namespace

int32_t timer_after(chorus_host* h, uint64_t delay_ms, chorus_timer_fn fn, void* ctx,
                    uint64_t* out_id) {
  return add(h, delay_ms, 0, fn, ctx, out_id);
}

int32_t timer_every(chorus_host* h, uint64_t period_ms, chorus_timer_fn fn, void* ctx,
                    uint64_t* out_id) {
  if (period_ms < kMinPeriodMs) {
    if (!instance_of(h)) return CHORUS_INVALID_ARGUMENT;
    return fail(Status::InvalidArgument("timer_every: the period must be at least 1 ms"));
  }
  return add(h, period_ms, period_ms, fn, ctx, out_id);
}

int32_t timer_cancel(chorus_host* h, uint64_t id) {
  Instance* in = instance_of(h);
  if (!in) return CHORUS_INVALID_ARGUMENT;
  Status st = in->cancel_timer(id);
  return st.ok() ? CHORUS_OK : fail(st);
}

}  // namespace chorus::plugins::api
