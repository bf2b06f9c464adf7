// Stored events looked up by seq inside a transaction the caller holds
// (a read transaction, or the writer's through WriteTxn::view()): the raw
// `events` value, the decoded StoredEvent, or a peek at the record's
// header (id, time, type, stream, correlation) without a full decode.
// Errors name the store path and the seq (docs/store-format.md "event
// value"); bytes that do not decode are Corruption (or NotSupported for a
// newer version byte).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/status.h"
#include "store/internal/records.h"
#include "store/internal/txn_view.h"
#include "store/types.h"

namespace chorus::store {

// The `events` value at `seq` (valid while the transaction is open and
// unchanged); nullopt when there is none.
Result<std::optional<std::string_view>> find_event_value(const TxnView& v, uint64_t seq);

// Decodes an `events` value into a StoredEvent.
Result<StoredEvent> decode_stored(const std::string& path, uint64_t seq, std::string_view value);
// The stored event at `seq`; NotFound when there is none.
Result<StoredEvent> load_event(const TxnView& v, uint64_t seq);

// A stored event's stream version and record header.
struct EventPeek {
  uint64_t stream_version = 0;
  RecordPeek record;  // views into the value
};
// The peek of an `events` value.
Result<EventPeek> peek_event_value(const std::string& path, uint64_t seq, std::string_view value,
                                   Crc crc);
// The peek of the event at `seq`; nullopt when there is none.
Result<std::optional<EventPeek>> peek_event(const TxnView& v, uint64_t seq, Crc crc);

}  // namespace chorus::store
