// Binary event record v1: see docs/event-format.md "Binary record". The
// decoder checks every length against the bytes left before touching them,
// verifies the CRC, and then validates the envelope through EventBuilder.
#include "core/event_codec.h"

#include <cstring>
#include <new>

#include <fmt/core.h>

#include "core/crc32c.h"

namespace chorus {
namespace {

constexpr size_t kFixedHeader = 1 + 1 + 16 + 8;  // version, priority, id, time
constexpr size_t kCrcBytes = 4;

size_t varint_size(uint64_t v) noexcept {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

void put_varint(std::string& out, uint32_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put_str(std::string& out, std::string_view s) {
  put_varint(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

size_t str_size(std::string_view s) noexcept {
  return varint_size(s.size()) + s.size();
}

// Bounds-checked reader over the record body (CRC excluded).
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  size_t pos() const { return pos_; }
  bool done() const { return pos_ == in_.size(); }

  Status varint(const char* field, uint32_t& out) {
    if (pos_ < in_.size() && static_cast<uint8_t>(in_[pos_]) < 0x80) {  // one-byte length
      out = static_cast<uint8_t>(in_[pos_++]);
      return Status::OK();
    }
    return varint_slow(field, out);
  }

  Status varint_slow(const char* field, uint32_t& out) {
    uint64_t v = 0;
    const size_t start = pos_;
    for (int shift = 0; shift < 35; shift += 7) {
      if (pos_ >= in_.size())
        return Status::Corruption(
            fmt::format("event record: truncated in the length of '{}' at byte {}", field, start));
      const auto b = static_cast<uint8_t>(in_[pos_++]);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) {
        if (v > UINT32_MAX || (b == 0 && shift > 0))
          return Status::Corruption(
              fmt::format("event record: malformed length of '{}' at byte {}", field, start));
        out = static_cast<uint32_t>(v);
        return Status::OK();
      }
    }
    return Status::Corruption(fmt::format(
        "event record: length of '{}' at byte {} is longer than 5 bytes", field, start));
  }

  Status str(const char* field, std::string_view& out) {
    if (pos_ < in_.size()) {
      const auto len = static_cast<uint8_t>(in_[pos_]);
      if (len < 0x80 && len < in_.size() - pos_) {  // common case: short and in bounds
        out = in_.substr(pos_ + 1, len);
        pos_ += 1 + len;
        return Status::OK();
      }
    }
    uint32_t len;
    CHORUS_RETURN_IF_ERROR(varint(field, len));
    if (len > in_.size() - pos_)
      return Status::Corruption(
          fmt::format("event record: field '{}' at byte {} needs {} bytes but only {} remain",
                      field, pos_, len, in_.size() - pos_));
    out = in_.substr(pos_, len);
    pos_ += len;
    return Status::OK();
  }

 private:
  std::string_view in_;
  size_t pos_ = 0;
};

}  // namespace

size_t encoded_event_size(const Event& e) noexcept {
  size_t n = kFixedHeader + str_size(e.type()) + str_size(e.source()) + str_size(e.target()) +
             str_size(e.correlation_id()) + str_size(e.causation_id()) + str_size(e.stream()) +
             str_size(e.content_type()) + varint_size(e.metadata().size());
  for (const auto& [k, v] : e.metadata())
    n += str_size(k) + str_size(v);
  return n + str_size(e.data()) + kCrcBytes;
}

void encode_event(const Event& e, std::string& out) {
  const size_t start = out.size();
  out.reserve(start + encoded_event_size(e));
  out.push_back(static_cast<char>(kEventRecordVersion));
  out.push_back(static_cast<char>(e.priority()));
  out.append(reinterpret_cast<const char*>(e.id().bytes.data()), 16);
  const auto t = static_cast<uint64_t>(e.time_ns());
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<char>(t >> (8 * i)));
  put_str(out, e.type());
  put_str(out, e.source());
  put_str(out, e.target());
  put_str(out, e.correlation_id());
  put_str(out, e.causation_id());
  put_str(out, e.stream());
  put_str(out, e.content_type());
  put_varint(out, static_cast<uint32_t>(e.metadata().size()));
  for (const auto& [k, v] : e.metadata()) {
    put_str(out, k);
    put_str(out, v);
  }
  put_str(out, e.data());
  const uint32_t crc = crc32c(out.data() + start, out.size() - start);
  for (int i = 0; i < 4; ++i)
    out.push_back(static_cast<char>(crc >> (8 * i)));
}

Result<EventPtr> decode_event(std::string_view bytes) {
  if (bytes.empty()) return Status::Corruption("event record: empty");
  const auto version = static_cast<uint8_t>(bytes[0]);
  if (version == 0) return Status::Corruption("event record: format version 0 is not valid");
  if (version > kEventRecordVersion)
    return Status::NotSupported(fmt::format(
        "event record: format version {} is newer than this build reads (up to {}); it was "
        "written by a newer chorus",
        version, kEventRecordVersion));
  if (bytes.size() < kFixedHeader + kCrcBytes)
    return Status::Corruption(fmt::format(
        "event record: truncated: {} bytes, shorter than the {}-byte fixed header and checksum",
        bytes.size(), kFixedHeader + kCrcBytes));

  const std::string_view body = bytes.substr(0, bytes.size() - kCrcBytes);
  Reader r(body.substr(kFixedHeader));
  const auto prio = static_cast<uint8_t>(bytes[1]);
  if (prio >= kPriorityCount)
    return Status::Corruption(
        fmt::format("event record: priority {} at byte 1 (expected 0..3)", prio));

  EventFields f;
  CHORUS_RETURN_IF_ERROR(r.str("type", f.type));
  CHORUS_RETURN_IF_ERROR(r.str("source", f.source));
  CHORUS_RETURN_IF_ERROR(r.str("target", f.target));
  CHORUS_RETURN_IF_ERROR(r.str("correlation_id", f.correlation_id));
  CHORUS_RETURN_IF_ERROR(r.str("causation_id", f.causation_id));
  CHORUS_RETURN_IF_ERROR(r.str("stream", f.stream));
  CHORUS_RETURN_IF_ERROR(r.str("content_type", f.content_type));
  uint32_t md_count;
  CHORUS_RETURN_IF_ERROR(r.varint("metadata", md_count));
  if (md_count > kMaxMetadataEntries)
    return Status::Corruption(fmt::format("event record: {} metadata entries (at most {})",
                                          md_count, kMaxMetadataEntries));
  MetadataViews md;
  for (uint32_t i = 0; i < md_count; ++i) {
    new (&md[i]) MetadataViews::Entry();
    CHORUS_RETURN_IF_ERROR(r.str("metadata key", md[i].first));
    CHORUS_RETURN_IF_ERROR(r.str("metadata value", md[i].second));
    if (i > 0 && !(md[i - 1].first < md[i].first))
      return Status::Corruption("event record: metadata keys are not strictly ascending");
  }
  CHORUS_RETURN_IF_ERROR(r.str("data", f.data));
  if (!r.done())
    return Status::Corruption(fmt::format("event record: {} unexpected bytes before the checksum",
                                          body.size() - kFixedHeader - r.pos()));

  uint32_t stored = 0;
  for (int i = 0; i < 4; ++i)
    stored |= static_cast<uint32_t>(static_cast<uint8_t>(bytes[body.size() + i])) << (8 * i);
  const uint32_t actual = crc32c(body);
  if (stored != actual)
    return Status::Corruption(fmt::format(
        "event record: checksum mismatch (stored {:08x}, computed {:08x})", stored, actual));

  std::memcpy(f.id.bytes.data(), bytes.data() + 2, 16);
  uint64_t t = 0;
  for (int i = 0; i < 8; ++i)
    t |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[18 + i])) << (8 * i);
  if (f.id.is_nil() || t == 0) return Status::Corruption("event record: id or time is zero");
  f.time_ns = static_cast<int64_t>(t);
  f.priority = static_cast<Priority>(prio);
  f.metadata = md.data();
  f.metadata_count = md_count;
  f.metadata_sorted = true;
  auto ev = make_event(f);
  if (!ev.ok())
    return Status::Corruption(
        fmt::format("event record: decoded event breaks a rule: {}", ev.error().message()));
  return ev;
}

}  // namespace chorus
