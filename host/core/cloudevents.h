// CloudEvents 1.0 structured JSON <-> Event, both directions, as specified in
// docs/event-format.md "CloudEvents 1.0 structured JSON". This is the shape of
// an event at every external boundary (HTTP, CLI, JSON export, bridges).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/event.h"
#include "core/status.h"

namespace chorus {

// Appends the CloudEvents JSON object for `e` (no trailing newline). Every
// control character in a string is escaped (\n-style where JSON has one,
// else \u001f-style), so the output always parses again. JSON data that
// holds a raw control character in a string (valid JSON only once escaped)
// goes out as data_base64, byte for byte.
// `extra` adds integer extension attributes after the event's own (the
// store export's `streamversion`). REQUIRES: each name is a valid extension
// name (docs/event-format.md) that the event does not carry.
struct IntegerAttribute {
  std::string_view name;
  uint64_t value = 0;
};
void append_cloudevent_json(const Event& e, std::string& out,
                            std::span<const IntegerAttribute> extra = {});
inline std::string to_cloudevent_json(const Event& e) {
  std::string s;
  append_cloudevent_json(e, s);
  return s;
}

// What the decoder does with a raw control character inside a JSON string.
enum class RawControlCharacters : uint8_t {
  kRefuse,  // an error (RFC 8259 requires them escaped): any input from outside
  kEscape,  // read as if escaped: only for CloudEvents JSON this host stored
            // itself before its encoder escaped them all (dead letters written
            // before issue 13's fix may hold raw U+001A..U+001F)
};

struct CloudEventDecodeOptions {
  // When false, a missing `id` gets a new UUIDv7 instead of an error (HTTP
  // publish uses this). A present `id` must always be a UUID.
  bool require_id = true;
  RawControlCharacters raw_control_characters = RawControlCharacters::kRefuse;
};

// Parses exactly one CloudEvents JSON object. InvalidArgument with
// "cloudevent: ..." messages naming the attribute or the byte offset; the
// first error in the text is the one reported. Byte offsets N count bytes
// from the start of `json`, the first byte being byte 0. A raw control
// character (U+0000..U+001F) anywhere inside a JSON string is refused as
// "cloudevent: attribute 'NAME': unescaped control character U+001F at byte N"
// with N the offset of that byte (inside data, NAME is `data`; inside an
// attribute name, "attribute name at byte Q: ..." with Q its opening quote),
// unless options.raw_control_characters says kEscape (then offsets in other
// errors count in the text with those characters escaped).
Result<EventPtr> parse_cloudevent_json(std::string_view json,
                                       const CloudEventDecodeOptions& options = {});

// True for application/json, text/json and any "+json" subtype (parameters
// ignored, case-insensitive).
bool is_json_content_type(std::string_view content_type) noexcept;

}  // namespace chorus
