// Bytes of the registry's records (docs/store-format.md "Registry stream").
#include "discovery/registry_records.h"

#include <fmt/core.h>

namespace chorus::discovery {
namespace {

// The smallest service state: one-byte id, agent id, name and type (str8
// each), empty host, protocol and version, port, weight, ttl, three times,
// three codes, three empty lists, no check.
constexpr size_t kMinServiceBytes = 4 * 2 + 3 * 1 + 2 + 4 + 8 + 3 * 8 + 3 + 3 + 1;
static_assert(kMinServiceBytes == 56);

class Out {
 public:
  void u8(uint8_t v) { s_.push_back(static_cast<char>(v)); }
  void u16(uint16_t v) { be(v, 2); }
  void u32(uint32_t v) { be(v, 4); }
  void u64(uint64_t v) { be(v, 8); }
  void i64(int64_t v) { be(static_cast<uint64_t>(v), 8); }
  // REQUIRES: v.size() <= 255 (validated specs always are).
  void str8(std::string_view v) {
    u8(static_cast<uint8_t>(v.size()));
    s_.append(v);
  }
  void str16(std::string_view v) {
    u16(static_cast<uint16_t>(v.size()));
    s_.append(v);
  }
  std::string take() { return std::move(s_); }

 private:
  void be(uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i)
      s_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  std::string s_;
};

class In {
 public:
  explicit In(std::string_view b) : b_(b) {}
  bool ok() const { return err_.empty(); }
  const std::string& error() const { return err_; }

  uint8_t u8(std::string_view field) { return static_cast<uint8_t>(be(field, 1)); }
  uint16_t u16(std::string_view field) { return static_cast<uint16_t>(be(field, 2)); }
  uint32_t u32(std::string_view field) { return static_cast<uint32_t>(be(field, 4)); }
  uint64_t u64(std::string_view field) { return be(field, 8); }
  int64_t i64(std::string_view field) { return static_cast<int64_t>(be(field, 8)); }
  std::string str8(std::string_view field, size_t min, size_t max) {
    return str(field, u8(field), min, max);
  }
  std::string str16(std::string_view field, size_t min, size_t max) {
    return str(field, u16(field), min, max);
  }
  void fail(std::string msg) {
    if (err_.empty()) err_ = std::move(msg);
  }
  bool at_end() const { return pos_ == b_.size(); }
  size_t remaining() const { return b_.size() - pos_; }
  size_t pos() const { return pos_; }

 private:
  uint64_t be(std::string_view field, size_t n) {
    if (!ok()) return 0;
    if (b_.size() - pos_ < n) {
      fail(fmt::format("field '{}' at byte {}: the value ends early ({} bytes)", field, pos_,
                       b_.size()));
      return 0;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i)
      v = (v << 8) | static_cast<uint8_t>(b_[pos_ + i]);
    pos_ += n;
    return v;
  }
  std::string str(std::string_view field, size_t len, size_t min, size_t max) {
    if (!ok()) return {};
    if (len < min || len > max) {
      fail(fmt::format("field '{}' at byte {}: length {} (expected {} to {})", field, pos_, len,
                       min, max));
      return {};
    }
    if (b_.size() - pos_ < len) {
      fail(fmt::format("field '{}' at byte {}: the value ends early ({} bytes)", field, pos_,
                       b_.size()));
      return {};
    }
    std::string v(b_.substr(pos_, len));
    pos_ += len;
    return v;
  }

  std::string_view b_;
  size_t pos_ = 0;
  std::string err_;
};

// The value's version byte: NotSupported above ours, Corruption for 0.
Status check_version(In& in, std::string_view what) {
  const uint8_t v = in.u8("version");
  if (!in.ok()) return Status::Corruption(fmt::format("{}: {}", what, in.error()));
  if (v > kRecordVersion)
    return Status::NotSupported(
        fmt::format("{}: version {} (this build reads up to {}; written by a newer chorus)", what,
                    v, kRecordVersion));
  if (v == 0) return Status::Corruption(fmt::format("{}: version 0", what));
  return Status::OK();
}

Status finish(In& in, std::string_view what) {
  if (in.ok() && !in.at_end())
    in.fail(fmt::format("{} bytes after the last field (at byte {})", in.remaining(), in.pos()));
  if (!in.ok()) return Status::Corruption(fmt::format("{}: {}", what, in.error()));
  return Status::OK();
}

std::optional<ServiceStatus> status_from(In& in, std::string_view field, uint8_t code,
                                         bool zero_is_none) {
  if (zero_is_none && code == 0) return std::nullopt;
  if (code < 1 || code > 5) {
    in.fail(fmt::format("field '{}': status code {} (expected 1 to 5)", field, code));
    return std::nullopt;
  }
  return static_cast<ServiceStatus>(code);
}

CheckState check_state_from(In& in, uint8_t code) {
  if (code > 3) {
    in.fail(fmt::format("field 'check state': code {} (expected 0 to 3)", code));
    return CheckState::kNone;
  }
  return static_cast<CheckState>(code);
}

uint8_t override_code(const std::optional<ServiceStatus>& o) {
  return o ? static_cast<uint8_t>(*o) : 0;
}

void put_service(Out& o, const ServiceRecord& r) {
  const ServiceSpec& s = r.spec;
  o.str8(s.id);
  o.str8(s.agent_id);
  o.str8(s.name);
  o.str8(s.type);
  o.str8(s.host);
  o.u16(s.port);
  o.str8(s.protocol);
  o.str8(s.version);
  o.u32(s.weight);
  o.u64(s.ttl ? static_cast<uint64_t>(s.ttl->count()) : kDefaultTtlMs);
  o.i64(r.registered_ns);
  o.i64(r.last_heartbeat_ns);
  o.i64(r.status_since_ns);
  o.u8(static_cast<uint8_t>(r.status));
  o.u8(static_cast<uint8_t>(r.check_state));
  o.u8(override_code(r.override_status));
  o.u8(static_cast<uint8_t>(s.capabilities.size()));
  for (const auto& c : s.capabilities)
    o.str8(c);
  o.u8(static_cast<uint8_t>(s.tags.size()));
  for (const auto& t : s.tags)
    o.str8(t);
  o.u8(static_cast<uint8_t>(s.metadata.size()));
  for (const auto& [k, v] : s.metadata) {
    o.str8(k);
    o.str16(v);
  }
  const HealthCheckSpec& c = s.check;
  o.u8(static_cast<uint8_t>(c.kind));
  if (c.kind == CheckKind::kNone) return;
  o.str16(c.kind == CheckKind::kCustom ? c.name : c.kind == CheckKind::kHttp ? c.path : "");
  o.u16(c.port);
  o.u32(c.interval ? static_cast<uint32_t>(c.interval->count()) : kDefaultCheckMs);
  o.u32(c.timeout ? static_cast<uint32_t>(c.timeout->count()) : kDefaultCheckMs);
  o.u16(static_cast<uint16_t>(c.failures_before_unhealthy.value_or(0)));
  o.u16(static_cast<uint16_t>(c.successes_before_healthy.value_or(0)));
}

ServiceRecord get_service(In& in) {
  ServiceRecord r;
  ServiceSpec& s = r.spec;
  s.id = in.str8("id", 1, 128);
  s.agent_id = in.str8("agent id", 1, 128);
  s.name = in.str8("name", 1, 128);
  s.type = in.str8("type", 1, 64);
  s.host = in.str8("host", 0, 253);
  s.port = in.u16("port");
  s.protocol = in.str8("protocol", 0, 32);
  s.version = in.str8("version", 0, 64);
  s.weight = in.u32("weight");
  const uint64_t ttl = in.u64("ttl_ms");
  if (ttl != kDefaultTtlMs) {
    if (ttl > 86'400'000ull) in.fail(fmt::format("field 'ttl_ms': {} (at most 86400000)", ttl));
    s.ttl = std::chrono::milliseconds(static_cast<int64_t>(ttl));
  }
  r.registered_ns = in.i64("registered_ns");
  r.last_heartbeat_ns = in.i64("last_heartbeat_ns");
  r.status_since_ns = in.i64("status_since_ns");
  r.status = status_from(in, "status", in.u8("status"), false).value_or(ServiceStatus::kUnknown);
  r.check_state = check_state_from(in, in.u8("check state"));
  r.override_status = status_from(in, "override", in.u8("override"), true);
  const uint8_t ncap = in.u8("capabilities");
  if (ncap > 32) in.fail(fmt::format("field 'capabilities': {} entries (at most 32)", ncap));
  for (uint8_t i = 0; in.ok() && i < ncap; ++i)
    s.capabilities.push_back(in.str8("capability", 1, 64));
  const uint8_t ntag = in.u8("tags");
  if (ntag > 32) in.fail(fmt::format("field 'tags': {} entries (at most 32)", ntag));
  for (uint8_t i = 0; in.ok() && i < ntag; ++i)
    s.tags.push_back(in.str8("tag", 1, 64));
  const uint8_t nmeta = in.u8("metadata");
  if (nmeta > 64) in.fail(fmt::format("field 'metadata': {} entries (at most 64)", nmeta));
  for (uint8_t i = 0; in.ok() && i < nmeta; ++i) {
    std::string k = in.str8("metadata key", 1, 64);
    std::string v = in.str16("metadata value", 0, 1024);
    s.metadata.emplace_back(std::move(k), std::move(v));
  }
  const uint8_t kind = in.u8("check kind");
  if (kind > 3) in.fail(fmt::format("field 'check kind': code {} (expected 0 to 3)", kind));
  if (!in.ok() || kind == 0) return r;
  HealthCheckSpec& c = s.check;
  c.kind = static_cast<CheckKind>(kind);
  std::string text = in.str16("check path or name", 0, 1024);
  if (c.kind == CheckKind::kHttp) c.path = std::move(text);
  if (c.kind == CheckKind::kCustom) c.name = std::move(text);
  c.port = in.u16("check port");
  if (const uint32_t v = in.u32("check interval_ms"); v != kDefaultCheckMs)
    c.interval = std::chrono::milliseconds(v);
  if (const uint32_t v = in.u32("check timeout_ms"); v != kDefaultCheckMs)
    c.timeout = std::chrono::milliseconds(v);
  if (const uint16_t v = in.u16("failures_before_unhealthy"); v != 0)
    c.failures_before_unhealthy = v;
  if (const uint16_t v = in.u16("successes_before_healthy"); v != 0) c.successes_before_healthy = v;
  return r;
}

}  // namespace

std::string encode_registered(const ServiceRecord& r) {
  Out o;
  o.u8(kRecordVersion);
  put_service(o, r);
  return o.take();
}

std::string encode_status(const StatusRecord& r) {
  Out o;
  o.u8(kRecordVersion);
  o.str8(r.id);
  o.u8(static_cast<uint8_t>(r.status));
  o.u8(static_cast<uint8_t>(r.check_state));
  o.u8(override_code(r.override_status));
  o.i64(r.status_since_ns);
  o.i64(r.last_heartbeat_ns);
  return o.take();
}

std::string encode_unregistered(const UnregisteredRecord& r) {
  Out o;
  o.u8(kRecordVersion);
  o.str8(r.id);
  o.u8(static_cast<uint8_t>(r.reason));
  o.i64(r.at_ns);
  return o.take();
}

std::string encode_heartbeats(const HeartbeatsRecord& r) {
  Out o;
  o.u8(kRecordVersion);
  o.u32(static_cast<uint32_t>(r.beats.size()));
  for (const auto& [id, ns] : r.beats) {
    o.str8(id);
    o.i64(ns);
  }
  return o.take();
}

std::string encode_snapshot(const std::vector<const ServiceRecord*>& services) {
  Out o;
  o.u8(kRecordVersion);
  o.u32(static_cast<uint32_t>(services.size()));
  for (const ServiceRecord* r : services)
    put_service(o, *r);
  return o.take();
}

Result<ServiceRecord> decode_registered(std::string_view bytes) {
  In in(bytes);
  CHORUS_RETURN_IF_ERROR(check_version(in, "registered record"));
  ServiceRecord r = get_service(in);
  CHORUS_RETURN_IF_ERROR(finish(in, "registered record"));
  return r;
}

Result<StatusRecord> decode_status(std::string_view bytes) {
  In in(bytes);
  CHORUS_RETURN_IF_ERROR(check_version(in, "status record"));
  StatusRecord r;
  r.id = in.str8("id", 1, 128);
  r.status = status_from(in, "status", in.u8("status"), false).value_or(ServiceStatus::kUnknown);
  r.check_state = check_state_from(in, in.u8("check state"));
  r.override_status = status_from(in, "override", in.u8("override"), true);
  r.status_since_ns = in.i64("status_since_ns");
  r.last_heartbeat_ns = in.i64("last_heartbeat_ns");
  CHORUS_RETURN_IF_ERROR(finish(in, "status record"));
  return r;
}

Result<UnregisteredRecord> decode_unregistered(std::string_view bytes) {
  In in(bytes);
  CHORUS_RETURN_IF_ERROR(check_version(in, "unregistered record"));
  UnregisteredRecord r;
  r.id = in.str8("id", 1, 128);
  const uint8_t reason = in.u8("reason");
  if (in.ok() && (reason < 1 || reason > 2))
    in.fail(fmt::format("field 'reason': code {} (expected 1 or 2)", reason));
  r.reason = static_cast<UnregisterReason>(reason);
  r.at_ns = in.i64("at_ns");
  CHORUS_RETURN_IF_ERROR(finish(in, "unregistered record"));
  return r;
}

Result<HeartbeatsRecord> decode_heartbeats(std::string_view bytes) {
  In in(bytes);
  CHORUS_RETURN_IF_ERROR(check_version(in, "heartbeats record"));
  HeartbeatsRecord r;
  const uint32_t n = in.u32("count");
  if (in.ok() && (n < 1 || n > kMaxHeartbeatsPerRecord))
    in.fail(fmt::format("field 'count': {} (expected 1 to {})", n, kMaxHeartbeatsPerRecord));
  for (uint32_t i = 0; in.ok() && i < n; ++i) {
    std::string id = in.str8("id", 1, 128);
    const int64_t ns = in.i64("last_heartbeat_ns");
    r.beats.emplace_back(std::move(id), ns);
  }
  CHORUS_RETURN_IF_ERROR(finish(in, "heartbeats record"));
  return r;
}

Result<std::vector<ServiceRecord>> decode_snapshot(std::string_view bytes) {
  In in(bytes);
  CHORUS_RETURN_IF_ERROR(check_version(in, "registry snapshot"));
  const uint32_t n = in.u32("count");
  // Each service takes at least kMinServiceBytes: a count beyond what the
  // value can hold is corruption, not a reason to reserve memory.
  if (in.ok() && n > bytes.size() / kMinServiceBytes)
    in.fail(fmt::format("field 'count': {} services cannot fit in {} bytes", n, bytes.size()));
  std::vector<ServiceRecord> out;
  for (uint32_t i = 0; in.ok() && i < n; ++i)
    out.push_back(get_service(in));
  CHORUS_RETURN_IF_ERROR(finish(in, "registry snapshot"));
  return out;
}

}  // namespace chorus::discovery
