// Field rules of service records, one function per rule.
#include "discovery/validate.h"

#include <algorithm>
#include <arpa/inet.h>
#include <chrono>
#include <set>
#include <string>

#include <fmt/core.h>

#include "core/text.h"

namespace chorus::discovery {
namespace {

using std::chrono::milliseconds;

constexpr size_t kMaxIdBytes = 128;
constexpr size_t kMaxNameBytes = 128;
constexpr size_t kMaxTypeBytes = 64;
constexpr size_t kMaxHostBytes = 253;
constexpr size_t kMaxProtocolBytes = 32;
constexpr size_t kMaxVersionBytes = 64;
constexpr size_t kMaxLabelBytes = 64;  // capabilities, tags, metadata keys
constexpr size_t kMaxLabels = 32;      // capabilities, tags
constexpr size_t kMaxMetadata = 64;
constexpr size_t kMaxMetadataValueBytes = 1024;
constexpr size_t kMaxPathBytes = 1024;
constexpr uint32_t kMaxWeight = 10'000;
constexpr uint32_t kMaxThreshold = 1'000;
constexpr milliseconds kMaxTtl{86'400'000};
constexpr milliseconds kMaxInterval{86'400'000};
constexpr milliseconds kMaxTimeout{3'600'000};

bool alnum_lower(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool alnum(char c) {
  return alnum_lower(c) || (c >= 'A' && c <= 'Z');
}
bool id_char(char c) {
  return alnum(c) || c == '.' || c == '_' || c == ':' || c == '-';
}
bool capability_char(char c) {
  return alnum_lower(c) || c == '.' || c == '_' || c == '-';
}
bool tag_char(char c) {
  return alnum(c) || c == '.' || c == '_' || c == ':' || c == '=' || c == '/' || c == '-';
}
bool protocol_char(char c) {
  return alnum_lower(c) || c == '+' || c == '.' || c == '-';
}

// "1 to 64 of a-z 0-9 . _ -" style rule for a name made of `ok` characters.
std::string check_chars(std::string_view v, size_t max, bool (*ok)(char),
                        std::string_view allowed) {
  if (v.empty() || v.size() > max)
    return fmt::format("'{}' must be 1 to {} bytes of {}", printable(v), max, allowed);
  for (char c : v) {
    if (!ok(c))
      return fmt::format("'{}' has the character '{}' (allowed: {})", printable(v),
                         printable(std::string_view(&c, 1)), allowed);
  }
  return {};
}

std::string check_text(std::string_view v, size_t min, size_t max) {
  if (v.size() < min || v.size() > max)
    return fmt::format("'{}' is {} bytes (expected {} to {})", printable(v), v.size(), min, max);
  if (!is_valid_utf8(v)) return fmt::format("'{}' is not valid UTF-8", printable(v));
  for (char c : v) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f)
      return fmt::format("'{}' contains a control character", printable(v));
  }
  return {};
}

std::string check_host(std::string_view h) {
  if (h.empty()) return {};
  if (h.size() > kMaxHostBytes)
    return fmt::format("'{}' is {} bytes (at most {})", printable(h), h.size(), kMaxHostBytes);
  const std::string s(h);
  unsigned char buf[16];
  if (s.find(':') != std::string::npos) {
    if (inet_pton(AF_INET6, s.c_str(), buf) == 1) return {};
    return fmt::format("'{}' is not a valid IPv6 address", printable(h));
  }
  if (inet_pton(AF_INET, s.c_str(), buf) == 1) return {};
  // A host name: labels of letters, digits and '-', not starting or ending with '-'.
  size_t start = 0;
  while (start <= s.size()) {
    size_t dot = s.find('.', start);
    if (dot == std::string::npos) dot = s.size();
    const std::string_view label(s.data() + start, dot - start);
    if (label.empty() || label.size() > 63)
      return fmt::format(
          "'{}' is not a valid host name (each dot-separated label must be 1 to 63 "
          "bytes)",
          printable(h));
    for (char c : label) {
      if (!alnum(c) && c != '-')
        return fmt::format("'{}' is not a valid host name or IP address (the character '{}')",
                           printable(h), printable(std::string_view(&c, 1)));
    }
    if (label.front() == '-' || label.back() == '-')
      return fmt::format("'{}' is not a valid host name (a label starts or ends with '-')",
                         printable(h));
    start = dot + 1;
  }
  return {};
}

std::string check_path(std::string_view p) {
  if (p.empty()) return {};
  if (p.size() > kMaxPathBytes || p.front() != '/')
    return fmt::format("'{}' must start with '/' and be at most {} bytes", printable(p),
                       kMaxPathBytes);
  for (char c : p) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f)
      return fmt::format("'{}' has the character '{}' (expected printable ASCII without spaces)",
                         printable(p), printable(std::string_view(&c, 1)));
  }
  return {};
}

std::string check_duration(milliseconds d, milliseconds min, milliseconds max) {
  if (d < min || d > max)
    return fmt::format("{}ms is out of range (expected {}ms to {}ms)", d.count(), min.count(),
                       max.count());
  return {};
}

std::string check_threshold(uint32_t v) {
  if (v < 1 || v > kMaxThreshold)
    return fmt::format("{} is out of range (expected 1 to {})", v, kMaxThreshold);
  return {};
}

// Collects the first error of a spec as "service 'id': field 'f': why".
class FieldErrors {
 public:
  explicit FieldErrors(std::string_view id) : id_(id) {}
  bool check(std::string_view field, std::string why) {
    if (why.empty() || !first_.ok()) return why.empty();
    first_ = Status::InvalidArgument(
        fmt::format("service '{}': field '{}': {}", printable(id_), field, why));
    return false;
  }
  Status status() const { return first_; }

 private:
  std::string_view id_;
  Status first_;
};

std::string check_list(const std::vector<std::string>& items, bool (*ok)(char),
                       std::string_view allowed) {
  if (items.size() > kMaxLabels)
    return fmt::format("{} entries (at most {})", items.size(), kMaxLabels);
  std::set<std::string_view> seen;
  for (size_t i = 0; i < items.size(); ++i) {
    std::string why = check_chars(items[i], kMaxLabelBytes, ok, allowed);
    if (!why.empty()) return fmt::format("[{}]: {}", i, why);
    if (!seen.insert(items[i]).second)
      return fmt::format("[{}]: '{}' is given twice", i, printable(items[i]));
  }
  return {};
}

constexpr std::string_view kIdChars = "A-Z a-z 0-9 . _ : -";
constexpr std::string_view kCapabilityChars = "a-z 0-9 . _ -";
constexpr std::string_view kTagChars = "A-Z a-z 0-9 . _ : = / -";

void check_health(FieldErrors& e, const ServiceSpec& s) {
  const HealthCheckSpec& c = s.check;
  if (c.interval)
    e.check("check.interval", check_duration(*c.interval, milliseconds(1), kMaxInterval));
  if (c.timeout) e.check("check.timeout", check_duration(*c.timeout, milliseconds(1), kMaxTimeout));
  if (c.failures_before_unhealthy)
    e.check("check.failures_before_unhealthy", check_threshold(*c.failures_before_unhealthy));
  if (c.successes_before_healthy)
    e.check("check.successes_before_healthy", check_threshold(*c.successes_before_healthy));
  switch (c.kind) {
    case CheckKind::kNone:
      break;
    case CheckKind::kHttp:
      e.check("check.path", check_path(c.path));
      [[fallthrough]];
    case CheckKind::kTcp:
      if (s.host.empty())
        e.check("host", fmt::format("is empty, but the {} check needs a host to probe",
                                    check_kind_name(c.kind)));
      if (c.port == 0 && s.port == 0)
        e.check("check.port", fmt::format("the {} check needs a port (the service has none)",
                                          check_kind_name(c.kind)));
      break;
    case CheckKind::kCustom:
      e.check("check.name", check_chars(c.name, kMaxIdBytes, id_char, kIdChars));
      break;
  }
}

}  // namespace

Status normalize_spec(ServiceSpec& s) {
  FieldErrors e(s.id);
  e.check("id", check_chars(s.id, kMaxIdBytes, id_char, kIdChars));
  if (s.agent_id.empty()) s.agent_id = s.id;
  e.check("agent_id", check_chars(s.agent_id, kMaxIdBytes, id_char, kIdChars));
  if (s.name.empty()) s.name = s.id;
  e.check("name", check_text(s.name, 1, kMaxNameBytes));
  if (s.type.empty()) s.type = "agent";
  e.check("type", check_chars(s.type, kMaxTypeBytes, capability_char, kCapabilityChars));
  e.check("host", check_host(s.host));
  if (s.protocol.empty()) s.protocol = "bus";
  e.check("protocol", check_chars(s.protocol, kMaxProtocolBytes, protocol_char, "a-z 0-9 + . -"));
  e.check("capabilities", check_list(s.capabilities, capability_char, kCapabilityChars));
  e.check("tags", check_list(s.tags, tag_char, kTagChars));
  if (s.metadata.size() > kMaxMetadata)
    e.check("metadata", fmt::format("{} entries (at most {})", s.metadata.size(), kMaxMetadata));
  std::sort(s.metadata.begin(), s.metadata.end());
  for (size_t i = 0; i < s.metadata.size(); ++i) {
    const auto& [k, v] = s.metadata[i];
    const std::string field = fmt::format("metadata.{}", printable(k, 64));
    if (!e.check(field, check_chars(k, kMaxLabelBytes, tag_char, kTagChars))) break;
    if (i > 0 && s.metadata[i - 1].first == k)
      e.check(field, fmt::format("the key '{}' is given twice", printable(k)));
    e.check(field, check_text(v, 0, kMaxMetadataValueBytes));
  }
  e.check("version", check_text(s.version, 0, kMaxVersionBytes));
  if (s.weight < 1 || s.weight > kMaxWeight)
    e.check("weight", fmt::format("{} is out of range (expected 1 to {})", s.weight, kMaxWeight));
  if (s.ttl && s.ttl->count() != 0)
    e.check("ttl", check_duration(*s.ttl, milliseconds(1), kMaxTtl));
  check_health(e, s);
  return e.status();
}

Status validate_capability(std::string_view capability, std::string_view what) {
  std::string why = check_chars(capability, kMaxLabelBytes, capability_char, kCapabilityChars);
  if (why.empty()) return Status::OK();
  return Status::InvalidArgument(fmt::format("{}: {}", what, why));
}

Status validate_tag(std::string_view tag, std::string_view what) {
  std::string why = check_chars(tag, kMaxLabelBytes, tag_char, kTagChars);
  if (why.empty()) return Status::OK();
  return Status::InvalidArgument(fmt::format("{}: {}", what, why));
}

Status validate_service_id(std::string_view id, std::string_view what) {
  std::string why = check_chars(id, kMaxIdBytes, id_char, kIdChars);
  if (why.empty()) return Status::OK();
  return Status::InvalidArgument(fmt::format("{}: {}", what, why));
}

Status validate_check_name(std::string_view name) {
  return validate_service_id(name, "custom check name");
}

}  // namespace chorus::discovery
