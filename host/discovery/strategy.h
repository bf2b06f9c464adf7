// The load-balancing strategies (docs/discovery.md "Load balancing") and
// their names as written in YAML and by callers.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "core/status.h"

namespace chorus::discovery {

enum class Strategy : uint8_t {
  kRoundRobin,
  kWeightedRoundRobin,  // smooth: interleaved in proportion to weight
  kLeastConnections,
  kRandom,
  kHealthBased,   // freshest heartbeat or passing check
  kResponseTime,  // lowest EWMA x (active + 1)
  kPowerOfTwo,    // two random choices, fewer connections wins
};
inline constexpr size_t kStrategyCount = 7;

inline constexpr std::array<Strategy, kStrategyCount> kAllStrategies = {
    Strategy::kRoundRobin, Strategy::kWeightedRoundRobin, Strategy::kLeastConnections,
    Strategy::kRandom,     Strategy::kHealthBased,        Strategy::kResponseTime,
    Strategy::kPowerOfTwo};

// "round_robin", "weighted_round_robin", "least_connections", "random",
// "health_based", "response_time", "power_of_two".
std::string_view strategy_name(Strategy s) noexcept;
// InvalidArgument naming the text and the valid names (with a did-you-mean).
Result<Strategy> parse_strategy(std::string_view text);

}  // namespace chorus::discovery
