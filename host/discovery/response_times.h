// Recording response times into ResponseTimes (registry_stats.h): an EWMA
// for the response_time strategy and a power-of-two histogram for stats.
#pragma once

#include <cstdint>

#include "discovery/registry_stats.h"

namespace chorus::discovery {

// Weight of the newest sample in the EWMA (docs/discovery.md).
inline constexpr double kEwmaAlpha = 0.2;

void record_response(ResponseTimes& r, uint64_t us) noexcept;

}  // namespace chorus::discovery
