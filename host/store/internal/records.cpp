// Value codecs of docs/store-format.md. Every decoder checks the version byte
// first, then every length against the bytes left, before touching them.
#include "store/internal/records.h"

#include <algorithm>
#include <cstring>

#include <fmt/core.h>

#include "core/crc32c.h"
#include "core/event_codec.h"
#include "core/text.h"
#include "store/dead_letter.h"
#include "store/internal/store_format.h"

namespace chorus::store {
namespace {

// Version byte check shared by every decoder.
Status check_version(std::string_view value, uint8_t known, std::string_view what) {
  if (value.empty()) return Status::Corruption(fmt::format("{}: empty value", what));
  const auto v = static_cast<uint8_t>(value[0]);
  if (v == 0) return Status::Corruption(fmt::format("{}: value version 0 is not valid", what));
  if (v > known)
    return Status::NotSupported(fmt::format(
        "{}: value version {} is newer than this build reads (up to {}); it was written by a "
        "newer chorus",
        what, v, known));
  return Status::OK();
}

// Bounds-checked reader over a value.
class In {
 public:
  In(std::string_view v, size_t pos) : v_(v), pos_(pos) {}
  bool u8(uint8_t& out) {
    if (v_.size() - pos_ < 1) return false;
    out = static_cast<uint8_t>(v_[pos_++]);
    return true;
  }
  bool u32(uint32_t& out) {
    if (v_.size() - pos_ < 4) return false;
    out = get_be32(v_.data() + pos_);
    pos_ += 4;
    return true;
  }
  bool u64(uint64_t& out) {
    if (v_.size() - pos_ < 8) return false;
    out = get_be64(v_.data() + pos_);
    pos_ += 8;
    return true;
  }
  bool i64(int64_t& out) {
    uint64_t u;
    if (!u64(u)) return false;
    out = static_cast<int64_t>(u);
    return true;
  }
  bool str8(std::string_view& out) {
    uint8_t n;
    if (!u8(n) || v_.size() - pos_ < n) return false;
    out = v_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool str16(std::string_view& out) {
    if (v_.size() - pos_ < 2) return false;
    const size_t n = (static_cast<size_t>(static_cast<uint8_t>(v_[pos_])) << 8) |
                     static_cast<uint8_t>(v_[pos_ + 1]);
    pos_ += 2;
    if (v_.size() - pos_ < n) return false;
    out = v_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool done() const { return pos_ == v_.size(); }
  size_t left() const { return v_.size() - pos_; }

 private:
  std::string_view v_;
  size_t pos_;
};

// Record varint (LEB128, at most 5 bytes), as in docs/event-format.md.
bool record_varint(std::string_view r, size_t& pos, uint32_t& out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 35; shift += 7) {
    if (pos >= r.size()) return false;
    const auto b = static_cast<uint8_t>(r[pos++]);
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      if (v > UINT32_MAX) return false;
      out = static_cast<uint32_t>(v);
      return true;
    }
  }
  return false;
}

bool record_str(std::string_view r, size_t& pos, std::string_view& out) {
  uint32_t n;
  if (!record_varint(r, pos, n) || n > r.size() - pos) return false;
  out = r.substr(pos, n);
  pos += n;
  return true;
}

constexpr size_t kRecordFixed = 26;  // version, priority, id, time (docs/event-format.md)
constexpr size_t kRecordCrc = 4;

}  // namespace

void encode_event_value_header(char* out, uint64_t stream_version) noexcept {
  out[0] = static_cast<char>(kEventValueVersion);
  put_be64(out + 1, stream_version);
}

Result<EventValueView> decode_event_value(std::string_view value, uint64_t seq) {
  if (value.size() < kEventValueHeader + 1 ||
      static_cast<uint8_t>(value[0]) != kEventValueVersion) {
    // The slow path only formats messages (reads call this for every event).
    const std::string what = fmt::format("event seq {}", seq);
    CHORUS_RETURN_IF_ERROR(check_version(value, kEventValueVersion, what));
    return Status::Corruption(
        fmt::format("{}: value of {} bytes is shorter than its header", what, value.size()));
  }
  EventValueView v;
  v.stream_version = get_be64(value.data() + 1);
  v.record = value.substr(kEventValueHeader);
  return v;
}

Result<RecordPeek> peek_record(std::string_view r, uint64_t seq, Crc crc) {
  auto bad = [&](std::string_view why) {
    return Status::Corruption(fmt::format("event seq {}: record {}", seq, why));
  };
  if (r.empty() || static_cast<uint8_t>(r[0]) == 0) return bad("has version 0 or is empty");
  if (static_cast<uint8_t>(r[0]) > kEventRecordVersion)
    return Status::NotSupported(
        fmt::format("event seq {}: record version {} is newer than this build reads", seq,
                    static_cast<uint8_t>(r[0])));
  if (r.size() < kRecordFixed + kRecordCrc) return bad("is truncated");
  const std::string_view body = r.substr(0, r.size() - kRecordCrc);
  if (crc == Crc::kVerify) {
    uint32_t stored = 0;
    for (int i = 0; i < 4; ++i)
      stored |= static_cast<uint32_t>(static_cast<uint8_t>(r[body.size() + i])) << (8 * i);
    if (stored != crc32c(body)) return bad("fails its checksum");
  }
  RecordPeek p;
  std::memcpy(p.id.bytes.data(), r.data() + 2, 16);
  uint64_t t = 0;
  for (int i = 0; i < 8; ++i)
    t |= static_cast<uint64_t>(static_cast<uint8_t>(r[18 + i])) << (8 * i);
  p.time_ns = static_cast<int64_t>(t);
  size_t pos = kRecordFixed;
  std::string_view* fields[] = {&p.type,           &p.source,       &p.target,
                                &p.correlation_id, &p.causation_id, &p.stream};
  for (auto* f : fields)
    if (!record_str(body, pos, *f)) return bad("has a field running past its end");
  return p;
}

Result<std::string_view> peek_record_type(std::string_view r, uint64_t seq) {
  if (r.size() >= kRecordFixed + kRecordCrc + 1 &&
      static_cast<uint8_t>(r[0]) == kEventRecordVersion) {
    const auto n = static_cast<uint8_t>(r[kRecordFixed]);
    if (n < 0x80 && n <= r.size() - kRecordCrc - kRecordFixed - 1)
      return r.substr(kRecordFixed + 1, n);
  }
  CHORUS_ASSIGN_OR_RETURN(RecordPeek p, peek_record(r, seq, Crc::kSkip));
  return p.type;
}

bool StreamRecord::deleted() const noexcept {
  return (flags & kStreamFlagDeleted) != 0;
}

std::string encode_stream_record(const StreamRecord& r) {
  std::string out;
  out.reserve(kStreamRecordSize);
  out.push_back(static_cast<char>(kStreamRecordVersion));
  append_be64(out, r.stream_id);
  append_be64(out, static_cast<uint64_t>(r.created_ns));
  append_be64(out, r.truncate_before);
  out.push_back(static_cast<char>(r.flags));
  return out;
}

Result<StreamRecord> decode_stream_record(std::string_view value, std::string_view stream) {
  const std::string what = fmt::format("stream record '{}'", stream);
  CHORUS_RETURN_IF_ERROR(check_version(value, kStreamRecordVersion, what));
  In in(value, 1);
  StreamRecord r;
  if (!in.u64(r.stream_id) || !in.i64(r.created_ns) || !in.u64(r.truncate_before) ||
      !in.u8(r.flags) || !in.done())
    return Status::Corruption(
        fmt::format("{}: {} bytes (expected {})", what, value.size(), kStreamRecordSize));
  if (r.stream_id == 0) return Status::Corruption(fmt::format("{}: stream id 0", what));
  return r;
}

std::string encode_snapshot_value(int64_t saved_ns, std::string_view state) {
  std::string out;
  out.reserve(kSnapshotValueHeader + state.size());
  out.push_back(static_cast<char>(kSnapshotValueVersion));
  append_be64(out, static_cast<uint64_t>(saved_ns));
  append_be32(out, crc32c(state));
  out.append(state);
  return out;
}

Result<SnapshotValueView> decode_snapshot_value(std::string_view value, std::string_view stream,
                                                uint64_t version) {
  const std::string what = fmt::format("snapshot of '{}' at version {}", stream, version);
  CHORUS_RETURN_IF_ERROR(check_version(value, kSnapshotValueVersion, what));
  if (value.size() < kSnapshotValueHeader)
    return Status::Corruption(
        fmt::format("{}: value of {} bytes is shorter than its header", what, value.size()));
  SnapshotValueView v;
  v.saved_ns = static_cast<int64_t>(get_be64(value.data() + 1));
  const uint32_t crc = get_be32(value.data() + 9);
  v.state = value.substr(kSnapshotValueHeader);
  if (crc32c(v.state) != crc)
    return Status::Corruption(fmt::format("{}: state fails its checksum", what));
  return v;
}

std::string encode_group_record(const GroupRecord& r) {
  std::string out;
  out.push_back(static_cast<char>(kGroupRecordVersion));
  append_be64(out, r.group_id);
  out.push_back(static_cast<char>(r.source_kind));
  const size_t n = std::min<size_t>(r.source.size(), 0xffff);
  out.push_back(static_cast<char>(n >> 8));
  out.push_back(static_cast<char>(n & 0xff));
  out.append(r.source, 0, n);
  append_be64(out, r.cursor);
  append_be64(out, r.ack_timeout_ms);
  append_be32(out, r.max_deliveries);
  append_be64(out, static_cast<uint64_t>(r.created_ns));
  return out;
}

Result<GroupRecord> decode_group_record(std::string_view value, std::string_view group) {
  const std::string what = fmt::format("group record '{}'", group);
  CHORUS_RETURN_IF_ERROR(check_version(value, kGroupRecordVersion, what));
  In in(value, 1);
  GroupRecord r;
  std::string_view source;
  if (!in.u64(r.group_id) || !in.u8(r.source_kind) || !in.str16(source) || !in.u64(r.cursor) ||
      !in.u64(r.ack_timeout_ms) || !in.u32(r.max_deliveries) || !in.i64(r.created_ns) || !in.done())
    return Status::Corruption(fmt::format("{}: malformed ({} bytes)", what, value.size()));
  if (r.source_kind != kGroupSourceStream && r.source_kind != kGroupSourceTypes)
    return Status::Corruption(fmt::format("{}: unknown source kind {}", what, r.source_kind));
  if (r.group_id == 0 || source.empty())
    return Status::Corruption(fmt::format("{}: group id 0 or empty source", what));
  r.source = std::string(source);
  return r;
}

std::string encode_pending_value(uint32_t deliveries, int64_t delivered_ms,
                                 std::string_view consumer) {
  std::string out;
  out.reserve(14 + consumer.size());
  out.push_back(static_cast<char>(kPendingValueVersion));
  append_be32(out, deliveries);
  append_be64(out, static_cast<uint64_t>(delivered_ms));
  const size_t n = std::min<size_t>(consumer.size(), 0xff);
  out.push_back(static_cast<char>(n));
  out.append(consumer.substr(0, n));
  return out;
}

Result<PendingValueView> decode_pending_value(std::string_view value, std::string_view group,
                                              uint64_t seq) {
  const std::string what = fmt::format("pending entry of group '{}' seq {}", group, seq);
  CHORUS_RETURN_IF_ERROR(check_version(value, kPendingValueVersion, what));
  In in(value, 1);
  PendingValueView v;
  if (!in.u32(v.deliveries) || !in.i64(v.delivered_ms) || !in.str8(v.consumer) || !in.done())
    return Status::Corruption(fmt::format("{}: malformed ({} bytes)", what, value.size()));
  return v;
}

bool valid_resolution_note(std::string_view note) noexcept {
  if (note.size() > kMaxResolutionNoteBytes || !is_valid_utf8(note)) return false;
  for (char c : note) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return false;
  }
  return true;
}

std::string encode_resolution_value(uint8_t resolution, uint64_t dead_letter_version,
                                    uint64_t dead_letter_seq, std::string_view note) {
  std::string out;
  out.reserve(kResolutionValueFixed + note.size());
  out.push_back(static_cast<char>(kResolutionValueVersion));
  out.push_back(static_cast<char>(resolution));
  append_be64(out, dead_letter_version);
  append_be64(out, dead_letter_seq);
  const size_t n = std::min<size_t>(note.size(), 0xffff);
  out.push_back(static_cast<char>(n >> 8));
  out.push_back(static_cast<char>(n & 0xff));
  out.append(note.substr(0, n));
  return out;
}

Result<ResolutionValueView> decode_resolution_value(std::string_view value, uint64_t version) {
  const std::string what = fmt::format("stream '$dead-letters-resolved' version {}", version);
  CHORUS_RETURN_IF_ERROR(check_version(value, kResolutionValueVersion, what));
  auto bad = [&](std::string_view why) {
    return Status::Corruption(
        fmt::format("{}: dead-letter resolution of {} bytes: {}", what, value.size(), why));
  };
  In in(value, 1);
  ResolutionValueView v;
  if (!in.u8(v.resolution) || !in.u64(v.dead_letter_version) || !in.u64(v.dead_letter_seq) ||
      !in.str16(v.note))
    return bad("truncated");
  if (!in.done()) return bad("bytes after the note");
  if (v.resolution == 0 || v.resolution > kMaxResolutionCode)
    return bad(fmt::format("unknown resolution code {}", v.resolution));
  if (v.dead_letter_version == 0 || v.dead_letter_seq == 0)
    return bad("dead letter version or seq 0");
  if (!valid_resolution_note(v.note))
    return bad("the note is not printable UTF-8 of at most 1024 bytes");
  return v;
}

Uuid resolution_event_id(uint64_t dead_letter_version) noexcept {
  Uuid id;  // bytes 0-5 stay zero
  id.bytes[6] = kResolutionIdVersion;
  id.bytes[7] = kResolutionIdKind;
  char v[8];
  put_be64(v, dead_letter_version);
  std::memcpy(id.bytes.data() + 8, v, 8);
  id.bytes[8] = static_cast<uint8_t>((id.bytes[8] & 0x3f) | 0x80);  // the RFC 9562 variant
  return id;
}

}  // namespace chorus::store
