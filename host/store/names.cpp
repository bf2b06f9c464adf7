// Name validation and the stream glob.
#include "store/names.h"

#include <fmt/core.h>

#include "core/text.h"
#include "store/internal/store_format.h"

namespace chorus::store {
namespace {

Status check_simple_name(std::string_view what, std::string_view name, size_t max) {
  if (name.empty() || name.size() > max)
    return Status::InvalidArgument(
        fmt::format("{} '{}' must be 1 to {} bytes", what, printable(name), max));
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok)
      return Status::InvalidArgument(
          fmt::format("{} '{}' has the character '{}' (allowed: A-Z a-z 0-9 . _ : -)", what,
                      printable(name), printable(std::string_view(&c, 1))));
  }
  return Status::OK();
}

}  // namespace

Status validate_stream_name(std::string_view name, SystemStreams system) {
  if (name.empty()) return Status::InvalidArgument("stream name is empty");
  if (name.size() > kMaxStreamNameBytes)
    return Status::InvalidArgument(fmt::format("stream name '{}' is {} bytes (at most {})",
                                               printable(name), name.size(), kMaxStreamNameBytes));
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f)
      return Status::InvalidArgument(
          fmt::format("stream name '{}' contains a control character", printable(name)));
  }
  if (!is_valid_utf8(name))
    return Status::InvalidArgument(
        fmt::format("stream name '{}' is not valid UTF-8", printable(name)));
  if (name[0] == '$' && system == SystemStreams::kRefuse)
    return Status::InvalidArgument(fmt::format(
        "stream name '{}' starts with '$', which is reserved for the store's own streams",
        printable(name)));
  return Status::OK();
}

Status validate_group_name(std::string_view name) {
  return check_simple_name("consumer group name", name, kMaxGroupNameBytes);
}

Status validate_consumer_name(std::string_view name) {
  return check_simple_name("consumer name", name, kMaxConsumerNameBytes);
}

bool glob_match(std::string_view p, std::string_view s) noexcept {
  // Iterative matcher with one backtrack point for the last '*': linear in
  // practice, never exponential.
  size_t pi = 0, si = 0, star = std::string_view::npos, mark = 0;
  while (si < s.size()) {
    if (pi < p.size() && (p[pi] == '?' || p[pi] == s[si])) {
      ++pi;
      ++si;
    } else if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = si;
    } else if (star != std::string_view::npos) {
      pi = star + 1;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*')
    ++pi;
  return pi == p.size();
}

}  // namespace chorus::store
