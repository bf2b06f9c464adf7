// The binary event record (format version 1), as specified in
// docs/event-format.md "Binary record". Used by the store; exact bytes in,
// exact bytes out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/event.h"
#include "core/status.h"

namespace chorus {

inline constexpr uint8_t kEventRecordVersion = 1;  // docs/event-format.md

// Exact size encode_event() will append for `e`.
size_t encoded_event_size(const Event& e) noexcept;
// Appends the record for `e` to `out`.
void encode_event(const Event& e, std::string& out);
inline std::string encode_event(const Event& e) {
  std::string s;
  encode_event(e, s);
  return s;
}

// Decodes one record that spans exactly `bytes`. Corruption for truncated,
// garbage or checksum-failing input (naming the field and offset),
// NotSupported for a record from a newer format version. Never reads past
// `bytes`.
Result<EventPtr> decode_event(std::string_view bytes);

}  // namespace chorus
