// libFuzzer target: topic and pattern validation, and the reference matcher
// on every valid (pattern, topic) pair split from the input.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/topic.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const size_t bar = in.find('|');
  std::string_view pattern = in.substr(0, bar);
  std::string_view topic = bar == std::string_view::npos ? in : in.substr(bar + 1);
  const bool pattern_ok = chorus::validate_pattern(pattern).ok();
  const bool topic_ok = chorus::validate_topic(topic).ok();
  // A valid topic is always a valid pattern that matches itself.
  if (topic_ok && (!chorus::validate_pattern(topic).ok() || !chorus::topic_matches(topic, topic)))
    std::abort();
  if (pattern_ok && topic_ok) (void)chorus::topic_matches(pattern, topic);
  return 0;
}
