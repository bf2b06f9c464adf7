// A checking parser of the Prometheus text format 0.0.4, for the tests:
// every sample parsed, and every rule broken listed (HELP and TYPE at most
// once per family and before its samples, families contiguous, sample
// names of their family, counters named *_total, histogram buckets
// ascending and cumulative with +Inf equal to _count, names prefixed
// chorus_).
#pragma once

#include <map>
#include <string>
#include <vector>

namespace chorus::test {

struct PromSample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct PromDoc {
  std::map<std::string, std::string> types;  // family -> type
  std::vector<PromSample> samples;
  std::vector<std::string> problems;  // empty: valid

  // The value of the sample `name` with exactly these labels; NaN when absent.
  double value(const std::string& name,
               const std::map<std::string, std::string>& labels = {}) const;
  bool has_family(const std::string& family) const { return types.count(family) != 0; }
};

PromDoc parse_prometheus(const std::string& text);

}  // namespace chorus::test
