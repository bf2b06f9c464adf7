// Constants and key layouts of the on-disk store format, version 1. Every
// name and number here is specified in docs/store-format.md; the section is
// cited next to each group. Keys are big-endian so that LMDB's memcmp order
// is numeric order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace chorus::store {

// docs/store-format.md "Store format version".
inline constexpr uint32_t kStoreFormatVersion = 1;

// docs/store-format.md "Files".
inline constexpr unsigned kMaxNamedDbs = 16;
inline constexpr unsigned kMaxReaders = 512;

// docs/store-format.md "Named databases".
namespace db {
inline constexpr const char* kMeta = "meta";
inline constexpr const char* kEvents = "events";
inline constexpr const char* kEventIds = "event_ids";
inline constexpr const char* kStreams = "streams";
inline constexpr const char* kStreamIndex = "stream_index";
inline constexpr const char* kTypes = "types";
inline constexpr const char* kTypeIndex = "type_index";
inline constexpr const char* kCorrelationIndex = "correlation_index";
inline constexpr const char* kTimeIndex = "time_index";
inline constexpr const char* kSnapshots = "snapshots";
inline constexpr const char* kGroups = "groups";
inline constexpr const char* kGroupPending = "group_pending";
}  // namespace db

// docs/store-format.md "meta".
namespace meta_key {
inline constexpr std::string_view kFormat = "format";
inline constexpr std::string_view kStoreId = "store_id";
inline constexpr std::string_view kCreated = "created";
inline constexpr std::string_view kNextStreamId = "next_stream_id";
inline constexpr std::string_view kNextTypeId = "next_type_id";
inline constexpr std::string_view kNextGroupId = "next_group_id";
inline constexpr std::string_view kLastSeq = "last_seq";
}  // namespace meta_key

// Value version bytes (docs/store-format.md, one per record type).
inline constexpr uint8_t kEventValueVersion = 1;
inline constexpr uint8_t kStreamRecordVersion = 1;
inline constexpr uint8_t kSnapshotValueVersion = 1;
inline constexpr uint8_t kGroupRecordVersion = 1;
inline constexpr uint8_t kPendingValueVersion = 1;
inline constexpr uint8_t kResolutionValueVersion = 1;

// docs/store-format.md "event value": version byte + stream version.
inline constexpr size_t kEventValueHeader = 9;
// docs/store-format.md "stream record".
inline constexpr size_t kStreamRecordSize = 26;
inline constexpr uint8_t kStreamFlagDeleted = 0x01;
// docs/store-format.md "snapshot value".
inline constexpr size_t kSnapshotValueHeader = 13;
// docs/store-format.md "group record": source kinds.
inline constexpr uint8_t kGroupSourceStream = 1;
inline constexpr uint8_t kGroupSourceTypes = 2;
// docs/store-format.md "dead-letter resolution": the value's fixed part
// (version, resolution, dead letter version and seq, the note's length),
// its content type, the largest resolution code, and the id's layout.
inline constexpr size_t kResolutionValueFixed = 20;
inline constexpr std::string_view kResolutionContentType =
    "application/vnd.chorus.dead-letter-resolution";
inline constexpr uint8_t kMaxResolutionCode = 4;
inline constexpr uint8_t kResolutionIdVersion = 0x80;  // byte 6: UUID version 8
inline constexpr uint8_t kResolutionIdKind = 0x01;     // byte 7: dead-letter resolution
inline constexpr uint64_t kMaxResolvableVersion = (1ull << 62) - 1;

// Limits of names stored in keys (docs/store-format.md "Named databases").
inline constexpr size_t kMaxStreamNameBytes = 255;
inline constexpr size_t kMaxGroupNameBytes = 128;
inline constexpr size_t kMaxConsumerNameBytes = 128;

// ---- big-endian helpers ----

inline void put_be64(char* p, uint64_t v) noexcept {
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}
inline void put_be32(char* p, uint32_t v) noexcept {
  for (int i = 3; i >= 0; --i) {
    p[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}
inline uint64_t get_be64(const char* p) noexcept {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}
inline uint32_t get_be32(const char* p) noexcept {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}
inline void append_be64(std::string& out, uint64_t v) {
  char b[8];
  put_be64(b, v);
  out.append(b, 8);
}
inline void append_be32(std::string& out, uint32_t v) {
  char b[4];
  put_be32(b, v);
  out.append(b, 4);
}

// docs/store-format.md "Conventions": signed time as an order-preserving u64.
inline uint64_t time_key(int64_t time_ns) noexcept {
  return static_cast<uint64_t>(time_ns) ^ 0x8000000000000000ull;
}
inline int64_t time_from_key(uint64_t k) noexcept {
  return static_cast<int64_t>(k ^ 0x8000000000000000ull);
}

// A fixed-size key of two big-endian integers: (u64, u64) or (u32, u64).
struct Key16 {
  char b[16];
  Key16(uint64_t hi, uint64_t lo) noexcept {
    put_be64(b, hi);
    put_be64(b + 8, lo);
  }
  std::string_view view() const noexcept { return {b, 16}; }
};
struct Key12 {
  char b[12];
  Key12(uint32_t hi, uint64_t lo) noexcept {
    put_be32(b, hi);
    put_be64(b + 4, lo);
  }
  std::string_view view() const noexcept { return {b, 12}; }
};
struct Key8 {
  char b[8];
  explicit Key8(uint64_t v) noexcept { put_be64(b, v); }
  std::string_view view() const noexcept { return {b, 8}; }
};

// correlation_index key: correlation bytes, 0x00, seq (docs/store-format.md).
inline std::string correlation_key(std::string_view correlation, uint64_t seq) {
  std::string k;
  k.reserve(correlation.size() + 9);
  k.append(correlation);
  k.push_back('\0');
  append_be64(k, seq);
  return k;
}

}  // namespace chorus::store
