// Rules for the names the store keeps in keys: stream names, consumer-group
// and consumer names; and the glob used by retention rules and automatic
// snapshots to select streams.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/status.h"

namespace chorus::store {

// Whether a name starting with '$' (a stream of the store's own:
// $dead-letters, $dead-letters-resolved) is accepted.
enum class SystemStreams : uint8_t { kRefuse, kAllow };
// 1..255 bytes of UTF-8 without control characters (the rule of the event's
// `stream` field); a '$' name only with SystemStreams::kAllow.
Status validate_stream_name(std::string_view name, SystemStreams system = SystemStreams::kRefuse);
// 1..128 bytes of [A-Za-z0-9._:-].
Status validate_group_name(std::string_view name);
Status validate_consumer_name(std::string_view name);

// Glob match: `*` any run of bytes (also empty), `?` exactly one byte, every
// other byte itself. No character classes, no escapes.
bool glob_match(std::string_view pattern, std::string_view name) noexcept;

}  // namespace chorus::store
