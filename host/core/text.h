// Small text helpers shared by validators, codecs and error messages: UTF-8
// validation, the lexical checks and string escaping of JSON text (done here
// rather than by RapidJSON, whose SSE2 paths let U+001A..U+001F through), and
// message-safe quoting.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace chorus {

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool is_valid_utf8(std::string_view s) noexcept;

// The first problem check_json_text() found in a JSON text, if any.
struct JsonTextCheck {
  enum class Problem : uint8_t {
    kNone,
    kInvalidUtf8,       // `offset` is the first byte of the ill-formed sequence
    kControlCharacter,  // `offset` is a raw byte 0x00..0x1F inside a string
    kLoneSurrogate,     // `offset` is a "\uD800".."\uDFFF" escape that is not
                        // a high surrogate followed at once by a low one
  };
  Problem problem = Problem::kNone;
  size_t offset = 0;        // bytes from the start of the text (the first byte is 0)
  size_t string_start = 0;  // kControlCharacter: the opening quote of that string
};

// Checks the two rules of RFC 8259 that are about bytes rather than grammar:
// the whole text is UTF-8, and no string holds a raw control character
// U+0000..U+001F (they must be escaped, as \n or \u001f); and, as I-JSON
// (RFC 7493) does, that no string escapes half of a UTF-16 surrogate pair
// (it would decode to ill-formed UTF-8). Strings are found
// as a JSON lexer finds them ('"' opens and closes, '\' escapes the next
// byte); nothing else about the grammar is checked, so a parser must still
// read the text. The first problem in text order is reported. SSE2 on x86-64.
JsonTextCheck check_json_text(std::string_view json) noexcept;

// `json` with every raw control character inside a string replaced by its
// json_escape(), strings found as check_json_text() finds them. For reading
// JSON written by an encoder that did not escape them all.
std::string escape_raw_control_characters(std::string_view json);

// How many leading bytes of `s` a JSON string can hold as they are: the
// length of the prefix without '"', '\' or a control character U+0000..U+001F.
size_t json_string_safe_prefix(std::string_view s) noexcept;

// The JSON escape for one byte json_string_safe_prefix() stopped at: a
// backslash and one of " \ b t n f r, or \u00xx (lowercase hex) for the
// other control characters.
// REQUIRES: c is '"', '\' or below 0x20.
std::string_view json_escape(char c) noexcept;

// `s` made safe to embed in an error or log message: control and non-ASCII
// bytes become \xNN, and text longer than `max_bytes` is cut with "...".
std::string printable(std::string_view s, size_t max_bytes = 80);

}  // namespace chorus
