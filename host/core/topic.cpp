// Topic and pattern validation with messages that say which segment is wrong
// and why, plus the reference matcher.
#include "core/topic.h"

#include <array>
#include <cstdint>

#include <fmt/core.h>

#include "core/text.h"

namespace chorus {
namespace {

bool segment_char_ok(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

Status check(std::string_view text, std::string_view what, bool is_pattern) {
  if (text.empty()) return Status::InvalidArgument(fmt::format("{} is empty", what));
  if (text.size() > kMaxTopicBytes)
    return Status::InvalidArgument(fmt::format("{} '{}' is {} bytes long (at most {} allowed)",
                                               what, printable(text, 40), text.size(),
                                               kMaxTopicBytes));
  size_t seg_index = 0;  // 1-based in messages
  size_t start = 0;
  const size_t n = text.size();
  while (start <= n) {
    size_t dot = text.find('.', start);
    if (dot == std::string_view::npos) dot = n;
    ++seg_index;
    if (seg_index > kMaxTopicSegments)
      return Status::InvalidArgument(fmt::format("{} '{}' has more than {} segments", what,
                                                 printable(text), kMaxTopicSegments));
    std::string_view seg = text.substr(start, dot - start);
    if (seg.empty()) {
      const char* where = start == 0 ? "leading '.'" : dot == n ? "trailing '.'" : "'..'";
      return Status::InvalidArgument(fmt::format("{} '{}': segment {} is empty ({})", what,
                                                 printable(text), seg_index, where));
    }
    const bool last = dot == n;
    if (is_pattern && seg == "*") {
      // one segment, anywhere
    } else if (is_pattern && seg == "**") {
      if (!last)
        return Status::InvalidArgument(
            fmt::format("{} '{}': '**' is only allowed as the last segment (found at segment {})",
                        what, printable(text), seg_index));
    } else {
      for (size_t i = 0; i < seg.size(); ++i) {
        const char c = seg[i];
        if (segment_char_ok(c)) continue;
        if (c == '*') {
          if (!is_pattern)
            return Status::InvalidArgument(
                fmt::format("{} '{}': segment {} '{}' contains '*': wildcards are only allowed in "
                            "subscription patterns",
                            what, printable(text), seg_index, printable(seg)));
          return Status::InvalidArgument(fmt::format(
              "{} '{}': segment {} '{}': a wildcard must be a whole segment ('*' or '**')", what,
              printable(text), seg_index, printable(seg)));
        }
        std::string shown = (c >= 'A' && c <= 'Z')
                                ? fmt::format("upper-case '{}'", c)
                                : fmt::format("'{}'", printable(std::string_view(&seg[i], 1)));
        return Status::InvalidArgument(fmt::format(
            "{} '{}': segment {} '{}' has invalid character {} at byte {} (allowed: a-z, 0-9, "
            "'_', '-')",
            what, printable(text), seg_index, printable(seg), shown, i));
      }
    }
    start = dot + 1;
    if (last) break;
  }
  return Status::OK();
}

// One pass over the bytes for the common, valid case; check() then explains
// whatever this rejects.
enum CharClass : uint8_t { kBad = 0, kSeg = 1, kDot = 2, kStar = 3 };
constexpr std::array<uint8_t, 256> make_classes() {
  std::array<uint8_t, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c)
    t[c] = kSeg;
  for (int c = '0'; c <= '9'; ++c)
    t[c] = kSeg;
  t['_'] = t['-'] = kSeg;
  t['.'] = kDot;
  t['*'] = kStar;
  return t;
}
constexpr auto kClass = make_classes();

bool fast_valid(std::string_view text, bool is_pattern) noexcept {
  if (text.empty() || text.size() > kMaxTopicBytes) return false;
  size_t segments = 1, seg_len = 0, stars = 0;
  for (const char ch : text) {
    const uint8_t c = kClass[static_cast<uint8_t>(ch)];
    if (c == kSeg) {
      ++seg_len;
    } else if (c == kDot) {
      // Not the last segment: only a whole "*" may be a wildcard.
      if (seg_len == 0 || (stars && (stars != 1 || seg_len != 1))) return false;
      seg_len = stars = 0;
      if (++segments > kMaxTopicSegments) return false;
    } else if (c == kStar && is_pattern) {
      ++stars;
      ++seg_len;
    } else {
      return false;
    }
  }
  // Last segment: non-empty; wildcards must be a whole "*" or "**".
  return seg_len != 0 && (!stars || (stars == seg_len && stars <= 2));
}

}  // namespace

Status validate_topic(std::string_view topic, std::string_view what) {
  if (fast_valid(topic, false)) return Status::OK();
  return check(topic, what, false);
}

Status validate_pattern(std::string_view pattern, std::string_view what) {
  if (fast_valid(pattern, true)) return Status::OK();
  return check(pattern, what, true);
}

bool pattern_has_wildcards(std::string_view pattern) noexcept {
  return pattern.find('*') != std::string_view::npos;
}

TopicSegments::TopicSegments(std::string_view text) noexcept {
  const char* p = text.data();
  const char* end = p + text.size();
  const char* start = p;
  for (; p != end; ++p) {
    if (*p != '.') continue;
    if (count_ == kMaxTopicSegments - 1) {
      count_ = 0;  // more than kMaxTopicSegments
      return;
    }
    seg_[count_++] = std::string_view(start, static_cast<size_t>(p - start));
    start = p + 1;
  }
  seg_[count_++] = std::string_view(start, static_cast<size_t>(end - start));
}

bool topic_matches(std::string_view pattern, std::string_view topic) noexcept {
  TopicSegments p(pattern), t(topic);
  size_t i = 0;
  for (; i < p.count(); ++i) {
    if (p[i] == "**") return t.count() > i;  // one or more remaining segments
    if (i >= t.count()) return false;
    if (p[i] != "*" && p[i] != t[i]) return false;
  }
  return i == t.count();
}

}  // namespace chorus
