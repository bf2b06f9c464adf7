// Streams looked up by name inside a transaction the caller holds: the
// stream record (docs/store-format.md "stream record") and StreamInfo
// (types.h), which adds what the stream index says (current version, first
// readable version, count) and, when asked, the first and last event times.
#pragma once

#include <optional>
#include <string_view>

#include "core/status.h"
#include "store/internal/records.h"
#include "store/internal/txn_view.h"
#include "store/types.h"

namespace chorus::store {

// The stream's record; nullopt when the stream does not exist.
Result<std::optional<StreamRecord>> find_stream_record(const TxnView& v, std::string_view stream);
// NotFound naming the store and the stream: for reads of a stream that
// never existed.
Status no_such_stream(const TxnView& v, std::string_view stream);

// Whether read_stream_info() reads the first and last events for their times.
enum class EventTimes : uint8_t { kSkip, kRead };
// NotFound when the stream does not exist.
Result<StreamInfo> read_stream_info(const TxnView& v, std::string_view stream, EventTimes times);

}  // namespace chorus::store
