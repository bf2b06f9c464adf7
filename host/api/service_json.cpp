// ServiceSpec from JSON and ServiceInfo to JSON (service_json.h).
#include "api/service_json.h"

#include <limits>

#include <fmt/core.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include "api/json_body.h"
#include "core/text.h"
#include "core/time_format.h"
#include "core/units.h"

namespace chorus::api {
namespace {

using discovery::CheckKind;
using rapidjson::Value;

Status field_error(std::string_view field, std::string_view expected) {
  return Status::InvalidArgument(fmt::format("service: field '{}': expected {}", field, expected));
}

Status read_string(const Value& v, std::string_view field, std::string& out) {
  if (!v.IsString()) return field_error(field, "a string");
  out.assign(v.GetString(), v.GetStringLength());
  return Status::OK();
}

Status read_uint(const Value& v, std::string_view field, uint64_t max, uint64_t& out) {
  if (!v.IsUint64() || v.GetUint64() > max)
    return field_error(field, fmt::format("an integer 0..{}", max));
  out = v.GetUint64();
  return Status::OK();
}

Status read_strings(const Value& v, std::string_view field, std::vector<std::string>& out) {
  if (!v.IsArray()) return field_error(field, "an array of strings");
  for (const Value& e : v.GetArray()) {
    if (!e.IsString()) return field_error(field, "an array of strings");
    out.emplace_back(e.GetString(), e.GetStringLength());
  }
  return Status::OK();
}

// Milliseconds as a number, or a duration as text ("30s", "250ms").
Status read_ms(const Value& v, std::string_view field, std::chrono::milliseconds& out) {
  if (v.IsUint64()) {
    out = std::chrono::milliseconds(v.GetUint64());
    return Status::OK();
  }
  if (v.IsString()) {
    if (auto d = parse_duration(std::string_view(v.GetString(), v.GetStringLength()))) {
      out = std::chrono::duration_cast<std::chrono::milliseconds>(*d);
      return Status::OK();
    }
  }
  return field_error(field, "milliseconds (a non-negative integer) or a duration (\"30s\")");
}

Status read_check(const Value& v, discovery::HealthCheckSpec& c) {
  if (!v.IsObject()) return field_error("check", "an object");
  for (const auto& m : v.GetObject()) {
    const std::string_view k(m.name.GetString(), m.name.GetStringLength());
    const std::string field = fmt::format("check.{}", k);
    if (k == "kind") {
      std::string kind;
      CHORUS_RETURN_IF_ERROR(read_string(m.value, field, kind));
      if (kind == "none")
        c.kind = CheckKind::kNone;
      else if (kind == "http")
        c.kind = CheckKind::kHttp;
      else if (kind == "tcp")
        c.kind = CheckKind::kTcp;
      else if (kind == "custom")
        c.kind = CheckKind::kCustom;
      else
        return field_error(field, "none, http, tcp or custom");
    } else if (k == "path") {
      CHORUS_RETURN_IF_ERROR(read_string(m.value, field, c.path));
    } else if (k == "name") {
      CHORUS_RETURN_IF_ERROR(read_string(m.value, field, c.name));
    } else if (k == "port") {
      uint64_t port = 0;
      CHORUS_RETURN_IF_ERROR(read_uint(m.value, field, 65535, port));
      c.port = static_cast<uint16_t>(port);
    } else if (k == "interval" || k == "interval_ms" || k == "timeout" || k == "timeout_ms") {
      std::chrono::milliseconds ms{0};
      CHORUS_RETURN_IF_ERROR(read_ms(m.value, field, ms));
      (k.starts_with("interval") ? c.interval : c.timeout) = ms;
    } else if (k == "failures_before_unhealthy" || k == "successes_before_healthy") {
      uint64_t n = 0;
      CHORUS_RETURN_IF_ERROR(read_uint(m.value, field, std::numeric_limits<uint32_t>::max(), n));
      (k == "failures_before_unhealthy" ? c.failures_before_unhealthy
                                        : c.successes_before_healthy) = static_cast<uint32_t>(n);
    } else {
      return Status::InvalidArgument(fmt::format(
          "service: unknown field 'check.{}' (expected kind, path, name, port, interval, timeout, "
          "failures_before_unhealthy or successes_before_healthy)",
          printable(k)));
    }
  }
  return Status::OK();
}

}  // namespace

Result<discovery::ServiceSpec> service_spec_from_json(std::string_view json) {
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError())
    return Status::InvalidArgument(fmt::format("service: invalid JSON at byte {}: {}",
                                               d.GetErrorOffset(),
                                               rapidjson::GetParseError_En(d.GetParseError())));
  if (!d.IsObject()) return Status::InvalidArgument("service: expected a JSON object");
  discovery::ServiceSpec s;
  for (const auto& m : d.GetObject()) {
    const std::string_view k(m.name.GetString(), m.name.GetStringLength());
    const Value& v = m.value;
    if (k == "id") {
      CHORUS_RETURN_IF_ERROR(read_string(v, k, s.id));
    } else if (k == "agent_id") {
      CHORUS_RETURN_IF_ERROR(read_string(v, k, s.agent_id));
    } else if (k == "name") {
      CHORUS_RETURN_IF_ERROR(read_string(v, k, s.name));
    } else if (k == "type") {
      CHORUS_RETURN_IF_ERROR(read_string(v, k, s.type));
    } else if (k == "host") {
      CHORUS_RETURN_IF_ERROR(read_string(v, k, s.host));
    } else if (k == "protocol") {
      CHORUS_RETURN_IF_ERROR(read_string(v, k, s.protocol));
    } else if (k == "version") {
      CHORUS_RETURN_IF_ERROR(read_string(v, k, s.version));
    } else if (k == "port") {
      uint64_t port = 0;
      CHORUS_RETURN_IF_ERROR(read_uint(v, k, 65535, port));
      s.port = static_cast<uint16_t>(port);
    } else if (k == "weight") {
      uint64_t w = 0;
      CHORUS_RETURN_IF_ERROR(read_uint(v, k, std::numeric_limits<uint32_t>::max(), w));
      s.weight = static_cast<uint32_t>(w);
    } else if (k == "capabilities") {
      CHORUS_RETURN_IF_ERROR(read_strings(v, k, s.capabilities));
    } else if (k == "tags") {
      CHORUS_RETURN_IF_ERROR(read_strings(v, k, s.tags));
    } else if (k == "metadata") {
      if (!v.IsObject()) return field_error(k, "an object of strings");
      for (const auto& e : v.GetObject()) {
        if (!e.value.IsString()) return field_error(k, "an object of strings");
        s.metadata.emplace_back(std::string(e.name.GetString(), e.name.GetStringLength()),
                                std::string(e.value.GetString(), e.value.GetStringLength()));
      }
    } else if (k == "check") {
      CHORUS_RETURN_IF_ERROR(read_check(v, s.check));
    } else if (k == "ttl" || k == "ttl_ms") {
      std::chrono::milliseconds ms{0};
      CHORUS_RETURN_IF_ERROR(read_ms(v, k, ms));
      s.ttl = ms;
    } else {
      return Status::InvalidArgument(fmt::format(
          "service: unknown field '{}' (expected id, agent_id, name, type, host, port, protocol, "
          "capabilities, tags, metadata, check, version, weight or ttl)",
          printable(k)));
    }
  }
  if (s.id.empty()) return field_error("id", "a non-empty string (the service's id)");
  return s;
}

void write_service(JsonBody& j, const discovery::ServiceInfo& info,
                   const discovery::ServiceStats* stats) {
  const discovery::ServiceSpec& s = *info.spec;
  auto strings = [&](std::string_view k, const std::vector<std::string>& v) {
    j.key(k);
    j.w.StartArray();
    for (const std::string& e : v)
      j.string(e);
    j.w.EndArray();
  };
  j.w.StartObject();
  j.member("id", s.id);
  j.member("agent_id", s.agent_id);
  j.member("name", s.name);
  j.member("type", s.type);
  j.member("host", s.host);
  j.key("port");
  j.w.Uint(s.port);
  j.member("protocol", s.protocol);
  strings("capabilities", s.capabilities);
  strings("tags", s.tags);
  j.key("metadata");
  j.w.StartObject();
  for (const auto& [k, v] : s.metadata)
    j.member(k, v);
  j.w.EndObject();
  j.key("check");
  j.w.StartObject();
  j.member("kind", discovery::check_kind_name(s.check.kind));
  if (!s.check.path.empty()) j.member("path", s.check.path);
  if (!s.check.name.empty()) j.member("name", s.check.name);
  if (s.check.port) {
    j.key("port");
    j.w.Uint(s.check.port);
  }
  if (s.check.interval) {
    j.key("interval_ms");
    j.w.Int64(s.check.interval->count());
  }
  if (s.check.timeout) {
    j.key("timeout_ms");
    j.w.Int64(s.check.timeout->count());
  }
  j.w.EndObject();
  j.member("version", s.version);
  j.key("weight");
  j.w.Uint(s.weight);
  if (s.ttl) {
    j.key("ttl_ms");
    j.w.Int64(s.ttl->count());
  }
  j.member("origin", info.origin == discovery::Origin::kStatic ? "static" : "dynamic");
  j.member("status", discovery::status_name(info.status));
  j.member("registered", format_rfc3339(info.registered_ns));
  j.member("last_heartbeat", format_rfc3339(info.last_heartbeat_ns));
  j.member("status_since", format_rfc3339(info.status_since_ns));
  j.key("active");
  j.w.Uint(info.active);
  if (stats) {
    j.key("selections");
    j.w.Uint64(stats->selections);
    j.key("checks_passed");
    j.w.Uint64(stats->checks_passed);
    j.key("checks_failed");
    j.w.Uint64(stats->checks_failed);
    if (!stats->last_check_error.empty()) j.member("last_check_error", stats->last_check_error);
    j.key("response_ewma_us");
    j.w.Double(stats->response.ewma_us);
  }
  j.w.EndObject();
}

}  // namespace chorus::api
