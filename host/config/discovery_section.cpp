// Parsing of the `discovery:` section (keys in docs/config.md "discovery").
// The field rules are those of host/discovery/validate.cpp (the registry
// checks again when it starts; a runtime test compares the two).
#include "config/discovery_section.h"

#include <algorithm>
#include <arpa/inet.h>
#include <set>

#include <fmt/core.h>

#include "config/yaml_reader.h"
#include "core/text.h"

namespace chorus::config {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kDay{86'400'000};
constexpr milliseconds kHour{3'600'000};

bool lower_or_digit(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool alnum(char c) {
  return lower_or_digit(c) || (c >= 'A' && c <= 'Z');
}
bool id_char(char c) {
  return alnum(c) || c == '.' || c == '_' || c == ':' || c == '-';
}
bool capability_char(char c) {
  return lower_or_digit(c) || c == '.' || c == '_' || c == '-';
}
bool tag_char(char c) {
  return alnum(c) || c == '.' || c == '_' || c == ':' || c == '=' || c == '/' || c == '-';
}
bool protocol_char(char c) {
  return lower_or_digit(c) || c == '+' || c == '.' || c == '-';
}

std::string chars(const std::string& v, size_t max, bool (*ok)(char), std::string_view allowed) {
  if (v.empty() || v.size() > max)
    return fmt::format("'{}' must be 1 to {} bytes of {}", printable(v), max, allowed);
  for (char c : v)
    if (!ok(c))
      return fmt::format("'{}' has the character '{}' (allowed: {})", printable(v),
                         printable(std::string_view(&c, 1)), allowed);
  return {};
}

std::string text(const std::string& v, size_t max) {
  if (v.size() > max)
    return fmt::format("'{}' is {} bytes (at most {})", printable(v), v.size(), max);
  if (!is_valid_utf8(v)) return fmt::format("'{}' is not valid UTF-8", printable(v));
  for (char c : v) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f)
      return fmt::format("'{}' contains a control character", printable(v));
  }
  return {};
}

std::string check_id(const std::string& v) {
  return chars(v, 128, id_char, "A-Z a-z 0-9 . _ : -");
}
std::string check_capability(const std::string& v) {
  return chars(v, 64, capability_char, "a-z 0-9 . _ -");
}
std::string check_tag(const std::string& v) {
  return chars(v, 64, tag_char, "A-Z a-z 0-9 . _ : = / -");
}
std::string check_protocol(const std::string& v) {
  return chars(v, 32, protocol_char, "a-z 0-9 + . -");
}
std::string check_name(const std::string& v) {
  if (v.empty()) return "is empty (expected 1 to 128 bytes)";
  return text(v, 128);
}
std::string check_version(const std::string& v) {
  return text(v, 64);
}
std::string check_metadata_value(const std::string& v) {
  return text(v, 1024);
}

std::string check_host(const std::string& h) {
  if (h.size() > 253) return fmt::format("'{}' is {} bytes (at most 253)", printable(h), h.size());
  unsigned char buf[16];
  if (h.find(':') != std::string::npos)
    return inet_pton(AF_INET6, h.c_str(), buf) == 1
               ? std::string()
               : fmt::format("'{}' is not a valid IPv6 address", printable(h));
  if (h.empty() || inet_pton(AF_INET, h.c_str(), buf) == 1) return {};
  size_t start = 0;
  while (start <= h.size()) {
    size_t dot = h.find('.', start);
    if (dot == std::string::npos) dot = h.size();
    const std::string_view label(h.data() + start, dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-' ||
        !std::all_of(label.begin(), label.end(), [](char c) { return alnum(c) || c == '-'; }))
      return fmt::format("'{}' is not a valid host name or IP address", printable(h));
    start = dot + 1;
  }
  return {};
}

std::string check_path(const std::string& p) {
  if (p.empty() || p.size() > 1024 || p.front() != '/')
    return fmt::format("'{}' must start with '/' and be at most 1024 bytes", printable(p));
  for (char c : p) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f)
      return fmt::format("'{}' has the character '{}' (expected printable ASCII without spaces)",
                         printable(p), printable(std::string_view(&c, 1)));
  }
  return {};
}

void strategy(MapReader& r, std::string_view key, DiscoveryStrategy& out) {
  r.one_of(key, out,
           {{"round_robin", DiscoveryStrategy::kRoundRobin},
            {"weighted_round_robin", DiscoveryStrategy::kWeightedRoundRobin},
            {"least_connections", DiscoveryStrategy::kLeastConnections},
            {"random", DiscoveryStrategy::kRandom},
            {"health_based", DiscoveryStrategy::kHealthBased},
            {"response_time", DiscoveryStrategy::kResponseTime},
            {"power_of_two", DiscoveryStrategy::kPowerOfTwo}});
}

// A list without repeated entries.
void unique_list(MapReader& r, std::string_view key, std::vector<std::string>& out,
                 std::string (*check)(const std::string&)) {
  r.string_list(key, out, check);
  if (out.size() > 32) {
    r.bad_value(key, fmt::format("{} entries (at most 32)", out.size()));
    return;
  }
  std::set<std::string> seen;
  for (const auto& v : out)
    if (!seen.insert(v).second) {
      r.bad_value(key, fmt::format("'{}' is given twice", printable(v)));
      return;
    }
}

// Optional keys are still read when absent, so that they count as known
// keys in "unknown key" messages.
template <typename T>
void optional_integer(MapReader& r, std::string_view key, std::optional<T>& out, int64_t min,
                      int64_t max) {
  const bool present = r.has(key);
  T v{};
  r.integer(key, v, min, max);
  if (present) out = v;
}

void optional_duration(MapReader& r, std::string_view key, std::optional<milliseconds>& out,
                       milliseconds min, milliseconds max) {
  const bool present = r.has(key);
  milliseconds v{0};
  r.duration(key, v, min, max);
  if (present) out = v;
}

void parse_check(MapReader& c, const DiscoveryService& svc, DiscoveryServiceCheck& out) {
  c.one_of("kind", out.kind,
           {{"none", DiscoveryCheckKind::kNone},
            {"http", DiscoveryCheckKind::kHttp},
            {"tcp", DiscoveryCheckKind::kTcp},
            {"custom", DiscoveryCheckKind::kCustom}});
  c.string("path", out.path, check_path);
  c.string("name", out.name, check_id);
  c.integer("port", out.port, 0, 65535);
  optional_duration(c, "interval", out.interval, milliseconds(1), kDay);
  optional_duration(c, "timeout", out.timeout, milliseconds(1), kHour);
  optional_integer(c, "failures_before_unhealthy", out.failures_before_unhealthy, 1, 1000);
  optional_integer(c, "successes_before_healthy", out.successes_before_healthy, 1, 1000);
  const bool network =
      out.kind == DiscoveryCheckKind::kHttp || out.kind == DiscoveryCheckKind::kTcp;
  const std::string_view kind = out.kind == DiscoveryCheckKind::kHttp ? "an http" : "a tcp";
  if (network && svc.host.empty())
    c.bad_value(
        "kind",
        fmt::format("{} check needs the service's host (expected discovery.services.{}.host)", kind,
                    svc.id));
  else if (network && out.port == 0 && svc.port == 0)
    c.bad_value(
        "kind",
        fmt::format("{} check needs a port (expected the service's port or check.port)", kind));
  if (out.kind == DiscoveryCheckKind::kCustom && out.name.empty())
    c.bad_value("kind", "a custom check needs the name of the check (expected check.name)");
  c.finish();
}

void parse_service(const std::string& id, MapReader& s, DiscoverySection& out) {
  DiscoveryService svc;
  svc.id = id;
  if (std::string why = check_id(id); !why.empty()) s.bad_value("", "service id " + why);
  s.string("agent_id", svc.agent_id, check_id);
  s.string("name", svc.name, check_name);
  s.string("type", svc.type, check_capability);
  s.string("host", svc.host, check_host);
  s.integer("port", svc.port, 0, 65535);
  s.string("protocol", svc.protocol, check_protocol);
  unique_list(s, "capabilities", svc.capabilities, check_capability);
  unique_list(s, "tags", svc.tags, check_tag);
  s.each_string(
      "metadata",
      [&](const std::string& k, const std::string& v) {
        if (std::string why = check_tag(k); !why.empty())
          s.bad_value("metadata", "key " + why);
        else
          svc.metadata.emplace_back(k, v);
      },
      check_metadata_value);
  if (svc.metadata.size() > 64)
    s.bad_value("metadata", fmt::format("{} entries (at most 64)", svc.metadata.size()));
  s.string("version", svc.version, check_version);
  s.integer("weight", svc.weight, 1, 10'000);
  optional_duration(s, "ttl", svc.ttl, milliseconds(0), kDay);
  if (auto c = s.map("check")) parse_check(*c, svc, svc.check);
  s.finish();
  out.services.push_back(std::move(svc));
}

}  // namespace

void parse_discovery_section(MapReader& r, DiscoverySection& out) {
  r.duration("ttl", out.ttl, milliseconds(0), kDay);
  r.duration("deregister_after", out.deregister_after, milliseconds(0), 365 * kDay);
  r.duration("sweep_interval", out.sweep_interval, milliseconds(0), kHour);
  r.duration("checkpoint_interval", out.checkpoint_interval, milliseconds(0), kHour);
  r.integer("snapshot_every", out.snapshot_every, 0, 1'000'000'000);
  r.integer("max_services", out.max_services, 1, 10'000'000);
  r.integer("max_pools", out.max_pools, 1, 1'000'000);
  r.integer("max_checks_in_flight", out.max_checks_in_flight, 1, 100'000);
  strategy(r, "strategy", out.strategy);
  if (auto c = r.map("check")) {
    c->duration("interval", out.check.interval, milliseconds(1), kDay);
    c->duration("timeout", out.check.timeout, milliseconds(1), kHour);
    c->integer("failures_before_unhealthy", out.check.failures_before_unhealthy, 1, 1000);
    c->integer("successes_before_healthy", out.check.successes_before_healthy, 1, 1000);
    c->string("http_path", out.check.http_path, check_path);
    c->finish();
  }
  if (auto q = r.map("request")) {
    q->duration("timeout", out.request_timeout, milliseconds(1), kHour);
    q->integer("attempts", out.request_attempts, 1, 100);
    q->finish();
  }
  r.each_map("capabilities", [&](const std::string& name, MapReader& cap) {
    if (std::string why = check_capability(name); !why.empty())
      cap.bad_value("", "capability " + why);
    if (!cap.has("strategy"))
      cap.bad_value("",
                    "sets no strategy (expected strategy: round_robin, least_connections, ...)");
    DiscoveryStrategy s = out.strategy;
    strategy(cap, "strategy", s);
    cap.finish();
    out.capability_strategies[name] = s;
  });
  r.each_map("services", [&](const std::string& id, MapReader& s) { parse_service(id, s, out); });
  r.finish();
}

}  // namespace chorus::config
