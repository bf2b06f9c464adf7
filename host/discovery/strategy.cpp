// Strategy names, and parsing them with a did-you-mean hint.
#include "discovery/strategy.h"

#include <algorithm>
#include <string>
#include <vector>

#include <fmt/core.h>

#include "core/text.h"

namespace chorus::discovery {
namespace {

size_t distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] =
          std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

std::string_view strategy_name(Strategy s) noexcept {
  switch (s) {
    case Strategy::kRoundRobin:
      return "round_robin";
    case Strategy::kWeightedRoundRobin:
      return "weighted_round_robin";
    case Strategy::kLeastConnections:
      return "least_connections";
    case Strategy::kRandom:
      return "random";
    case Strategy::kHealthBased:
      return "health_based";
    case Strategy::kResponseTime:
      return "response_time";
    case Strategy::kPowerOfTwo:
      return "power_of_two";
  }
  return "round_robin";
}

Result<Strategy> parse_strategy(std::string_view text) {
  std::string names;
  std::string_view best;
  size_t best_d = 4;  // suggest only close names
  for (Strategy s : kAllStrategies) {
    const std::string_view n = strategy_name(s);
    if (n == text) return s;
    if (!names.empty()) names += s == kAllStrategies.back() ? " or " : ", ";
    names += n;
    const size_t d = distance(text, n);
    if (d < best_d) {
      best_d = d;
      best = n;
    }
  }
  std::string msg =
      fmt::format("'{}' is not a load-balancing strategy (expected {}", printable(text), names);
  if (!best.empty()) msg += fmt::format("; did you mean '{}'?", best);
  msg += ")";
  return Status::InvalidArgument(std::move(msg));
}

}  // namespace chorus::discovery
