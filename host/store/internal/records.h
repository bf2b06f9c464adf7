// Encoders and decoders of every value the store writes, exactly as laid out
// in docs/store-format.md (sections named per function). Decoders take the
// raw bytes of one LMDB value, never read past them, and return Corruption
// (version 0, short or malformed value, bad checksum) or NotSupported (a
// version byte newer than this build) with a message naming the database and
// key; they never crash on any input (tests/fuzz/store_value_fuzz.cpp).
//
// Returned views point into the input bytes: for values read from LMDB they
// are valid only while that transaction is open.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/uuid.h"

namespace chorus::store {

// ---- event value ("event value") ----

struct EventValueView {
  uint64_t stream_version = 0;  // 0: no stream
  std::string_view record;      // binary record v1 (decode with decode_event)
};
// Writes the 9-byte header (kEventValueHeader) to `out`.
void encode_event_value_header(char* out, uint64_t stream_version) noexcept;
Result<EventValueView> decode_event_value(std::string_view value, uint64_t seq);

// The fields of an event record's header read without a full decode (no
// allocation, no envelope validation): what index maintenance and type
// matching need. With Crc::kVerify the record's CRC-32C is checked too.
struct RecordPeek {
  Uuid id;
  int64_t time_ns = 0;
  std::string_view type, source, target, correlation_id, causation_id, stream;
};
enum class Crc : uint8_t { kSkip, kVerify };
Result<RecordPeek> peek_record(std::string_view record, uint64_t seq, Crc crc);
// Only the type (record offset 26); the fast path of type matching.
Result<std::string_view> peek_record_type(std::string_view record, uint64_t seq);

// ---- stream record ("stream record") ----

struct StreamRecord {
  uint64_t stream_id = 0;
  int64_t created_ns = 0;
  uint64_t truncate_before = 0;  // versions below are deleted
  uint8_t flags = 0;             // kStreamFlagDeleted

  bool deleted() const noexcept;
  friend bool operator==(const StreamRecord&, const StreamRecord&) = default;
};
std::string encode_stream_record(const StreamRecord& r);
Result<StreamRecord> decode_stream_record(std::string_view value, std::string_view stream);

// ---- snapshot value ("snapshot value") ----

struct SnapshotValueView {
  int64_t saved_ns = 0;
  std::string_view state;
};
std::string encode_snapshot_value(int64_t saved_ns, std::string_view state);
// Checks the CRC of the state; errors name the stream and version.
Result<SnapshotValueView> decode_snapshot_value(std::string_view value, std::string_view stream,
                                                uint64_t version);

// ---- group record ("group record") ----

struct GroupRecord {
  uint64_t group_id = 0;
  uint8_t source_kind = 0;  // kGroupSourceStream or kGroupSourceTypes
  std::string source;       // stream name or type pattern
  uint64_t cursor = 0;
  uint64_t ack_timeout_ms = 0;
  uint32_t max_deliveries = 0;
  int64_t created_ns = 0;

  friend bool operator==(const GroupRecord&, const GroupRecord&) = default;
};
std::string encode_group_record(const GroupRecord& r);
Result<GroupRecord> decode_group_record(std::string_view value, std::string_view group);

// ---- pending value ("pending value") ----

struct PendingValueView {
  uint32_t deliveries = 0;
  int64_t delivered_ms = 0;
  std::string_view consumer;
};
std::string encode_pending_value(uint32_t deliveries, int64_t delivered_ms,
                                 std::string_view consumer);
Result<PendingValueView> decode_pending_value(std::string_view value, std::string_view group,
                                              uint64_t seq);

// ---- dead-letter resolution ("dead-letter resolution") ----

struct ResolutionValueView {
  uint8_t resolution = 0;  // 1..kMaxResolutionCode (store::Resolution)
  uint64_t dead_letter_version = 0;
  uint64_t dead_letter_seq = 0;
  std::string_view note;
};
// A note may be stored: at most kMaxResolutionNoteBytes of UTF-8 without
// control characters.
bool valid_resolution_note(std::string_view note) noexcept;
// REQUIRES: valid_resolution_note(note).
std::string encode_resolution_value(uint8_t resolution, uint64_t dead_letter_version,
                                    uint64_t dead_letter_seq, std::string_view note);
// `version`: the resolution event's version in $dead-letters-resolved, for
// messages ("stream '$dead-letters-resolved' version 3: ...").
Result<ResolutionValueView> decode_resolution_value(std::string_view value, uint64_t version);
// The id of the resolution of the dead letter at `dead_letter_version`.
// REQUIRES: 1 <= dead_letter_version <= kMaxResolvableVersion.
Uuid resolution_event_id(uint64_t dead_letter_version) noexcept;

}  // namespace chorus::store
