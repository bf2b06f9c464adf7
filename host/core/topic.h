// Event types (topics) and subscription patterns: validation and the
// reference matcher.
//
// A topic is a dotted name: segments of [a-z0-9_-]+, at most 16 segments and
// 255 bytes ("task.created", "agent.planner-1.heartbeat").
// A pattern is a topic whose segments may also be
//   `*`   exactly one segment, anywhere;
//   `**`  one or more trailing segments, only as the last segment.
// `task.*` matches `task.created`, not `task` and not `task.a.b`;
// `process.**` matches `process.started` and `process.x.y`, not `process`.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "core/status.h"

namespace chorus {

inline constexpr size_t kMaxTopicBytes = 255;
inline constexpr size_t kMaxTopicSegments = 16;

// OK, or InvalidArgument naming the offending segment, byte and rule.
// `what` names the input in the message ("event type", "pattern", "field 'type'").
Status validate_topic(std::string_view topic, std::string_view what = "event type");
Status validate_pattern(std::string_view pattern, std::string_view what = "pattern");

// True when the pattern contains `*` or `**`.
bool pattern_has_wildcards(std::string_view pattern) noexcept;

// Segments of a topic or pattern as views into it: no allocation.
// REQUIRES: the input outlives the object.
class TopicSegments {
 public:
  // Splits at '.'; count() is 0 when there are more than kMaxTopicSegments.
  explicit TopicSegments(std::string_view text) noexcept;
  size_t count() const noexcept { return count_; }
  std::string_view operator[](size_t i) const noexcept { return seg_[i]; }
  const std::string_view* begin() const noexcept { return seg_; }
  const std::string_view* end() const noexcept { return seg_ + count_; }

 private:
  // Filled up to count_; the rest is never read (left uninitialised).
  std::string_view seg_[kMaxTopicSegments];
  size_t count_ = 0;
};

// The reference matcher: segment by segment, no index, no cache. The bus's
// trie must always agree with it. REQUIRES: both inputs are valid.
bool topic_matches(std::string_view pattern, std::string_view topic) noexcept;

}  // namespace chorus
