// UTF-8 validation, the JSON text check and string escaping, message-safe
// quoting.
#include "core/text.h"

#include <catch2/catch.hpp>

using chorus::is_valid_utf8;
using chorus::printable;

TEST_CASE("utf8 validation accepts well-formed text") {
  CHECK(is_valid_utf8(""));
  CHECK(is_valid_utf8("plain ascii"));
  CHECK(is_valid_utf8("caf\xc3\xa9"));       // é
  CHECK(is_valid_utf8("\xe2\x82\xac"));      // €
  CHECK(is_valid_utf8("\xf0\x9f\x98\x80"));  // U+1F600
  CHECK(is_valid_utf8("\xf4\x8f\xbf\xbf"));  // U+10FFFF
}

TEST_CASE("utf8 validation rejects malformed text") {
  CHECK_FALSE(is_valid_utf8("\x80"));              // lone continuation
  CHECK_FALSE(is_valid_utf8("\xc3"));              // truncated
  CHECK_FALSE(is_valid_utf8("\xe2\x82"));          // truncated
  CHECK_FALSE(is_valid_utf8("\xc0\xaf"));          // overlong '/'
  CHECK_FALSE(is_valid_utf8("\xe0\x80\xaf"));      // overlong
  CHECK_FALSE(is_valid_utf8("\xed\xa0\x80"));      // surrogate U+D800
  CHECK_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // > U+10FFFF
  CHECK_FALSE(is_valid_utf8("\xff"));
  CHECK_FALSE(is_valid_utf8("ok\xc3("));
}

TEST_CASE("printable escapes control and non-ASCII bytes and truncates") {
  CHECK(printable("abc") == "abc");
  CHECK(printable(std::string_view("a\0b", 3)) == "a\\x00b");
  CHECK(printable("tab\there") == "tab\\x09here");
  CHECK(printable("back\\slash") == "back\\\\slash");
  CHECK(printable("\xc3\xa9") == "\\xc3\\xa9");
  CHECK(printable(std::string(100, 'x'), 10) == "xxxxxxxxxx...");
}

namespace {

using chorus::check_json_text;
using chorus::JsonTextCheck;
using Problem = JsonTextCheck::Problem;

// Every control byte 0x00..0x1F at every offset 0..40 of a string, with the
// string itself at offsets 0..15 (every alignment of both).
std::string with_control(size_t lead, size_t at, char c) {
  std::string s(lead, ' ');
  s += "{\"k\":\"";
  s += std::string(at, 'a');
  s += c;
  s += "z\"}";
  return s;
}

}  // namespace

TEST_CASE("json text check: a raw control character in a string, at any offset and alignment") {
  size_t wrong = 0;
  for (size_t lead = 0; lead < 16; ++lead) {
    for (size_t at = 0; at <= 40; ++at) {
      for (int c = 0; c < 0x20; ++c) {
        const std::string s = with_control(lead, at, static_cast<char>(c));
        const JsonTextCheck r = check_json_text(s);
        const size_t string_start = lead + 5;
        if (r.problem != Problem::kControlCharacter || r.offset != string_start + 1 + at ||
            r.string_start != string_start)
          ++wrong;
      }
    }
  }
  CHECK(wrong == 0);
}

TEST_CASE("json text check: what is not a raw control character in a string") {
  CHECK(check_json_text("").problem == Problem::kNone);
  // Whitespace between tokens, escapes of every kind, multi-byte UTF-8.
  CHECK(check_json_text("{\n\t\"a\" :\r\n \"x\\u001f\\n\\\"\\\\\", \"b\":[1,\"caf\xc3\xa9\"]}")
            .problem == Problem::kNone);
  // An escaped quote does not end the string; an escaped backslash does not
  // escape the quote after it.
  auto r = check_json_text(std::string("\"a\\\"b\x01\""));
  CHECK(r.problem == Problem::kControlCharacter);
  CHECK(r.offset == 5);
  r = check_json_text(std::string("\"a\\\\\"\x01"));
  CHECK(r.problem == Problem::kNone);  // outside a string: the parser's business
  // A raw control character right after a backslash is still unescaped.
  r = check_json_text(std::string("\"a\\\x1f\""));
  CHECK(r.problem == Problem::kControlCharacter);
  CHECK(r.offset == 3);
  // Long strings: strings crossing many 16-byte blocks, and quotes counted right.
  const std::string long_ok =
      "[\"" + std::string(100, 'x') + "\",\"" + std::string(37, 'y') + "\"]";
  CHECK(check_json_text(long_ok).problem == Problem::kNone);
  r = check_json_text(long_ok + "\"" + std::string(20, 'z') + "\x1a\"");
  CHECK(r.problem == Problem::kControlCharacter);
  CHECK(r.offset == long_ok.size() + 21);
  CHECK(r.string_start == long_ok.size());
}

TEST_CASE("json text check: invalid UTF-8 anywhere, with its offset") {
  for (size_t at = 0; at <= 40; ++at) {
    for (const char* bad : {"\x80", "\xc3(", "\xe2\x82", "\xc0\xaf", "\xed\xa0\x80", "\xff"}) {
      const std::string s = "\"" + std::string(at, 'a') + bad + std::string(20, 'b') + "\"";
      const auto r = check_json_text(s);
      CHECK(r.problem == Problem::kInvalidUtf8);
      CHECK(r.offset == 1 + at);
    }
    // A multi-byte sequence that crosses a 16-byte block is fine.
    const std::string ok = "\"" + std::string(at, 'a') + "\xf0\x9f\x98\x80" + "\"";
    CHECK(check_json_text(ok).problem == Problem::kNone);
  }
}

TEST_CASE("json string escaping: the safe prefix and the escapes") {
  using chorus::json_escape;
  using chorus::json_string_safe_prefix;
  for (size_t at = 0; at <= 40; ++at) {
    for (int c = 0; c < 0x20; ++c) {
      const std::string s = std::string(at, 'a') + static_cast<char>(c) + std::string(20, 'b');
      CHECK(json_string_safe_prefix(s) == at);
    }
    CHECK(json_string_safe_prefix(std::string(at, 'a') + "\"" + "bbbbbbbbbbbbbbbbbbb") == at);
    CHECK(json_string_safe_prefix(std::string(at, 'a') + "\\") == at);
    CHECK(json_string_safe_prefix(std::string(at, 'a') + "caf\xc3\xa9 \x7f") == at + 7);
  }
  CHECK(json_escape('"') == "\\\"");
  CHECK(json_escape('\\') == "\\\\");
  CHECK(json_escape('\n') == "\\n");
  CHECK(json_escape('\t') == "\\t");
  CHECK(json_escape('\b') == "\\b");
  CHECK(json_escape('\f') == "\\f");
  CHECK(json_escape('\r') == "\\r");
  CHECK(json_escape('\0') == "\\u0000");
  CHECK(json_escape('\x0b') == "\\u000b");
  CHECK(json_escape('\x1f') == "\\u001f");
  CHECK(json_escape('\x1a') == "\\u001a");
}

TEST_CASE("escaping raw control characters in the strings of a JSON text") {
  using chorus::escape_raw_control_characters;
  CHECK(escape_raw_control_characters("") == "");
  // Whitespace between tokens stays; inside strings every control character
  // is escaped; escaped quotes and backslashes keep their meaning.
  static constexpr char kIn[] = "{\n\"a\t\":\"\x1b[0m\\\"\x1f\\\\\",\r\"\x00\"}";
  CHECK(escape_raw_control_characters(std::string(kIn, sizeof kIn - 1)) ==
        "{\n\"a\\t\":\"\\u001b[0m\\\"\\u001f\\\\\",\r\"\\u0000\"}");
  CHECK(escape_raw_control_characters("[\"caf\xc3\xa9\"]") == "[\"caf\xc3\xa9\"]");
}

TEST_CASE("json text check: a \\u escape of half a surrogate pair, with its offset") {
  using chorus::JsonTextCheck;
  using Problem = JsonTextCheck::Problem;
  for (size_t at = 0; at <= 40; ++at) {
    const std::string pad(at, 'a');
    // A lone low one (RapidJSON would decode it into ill-formed UTF-8), a
    // lone high one, a high one followed by something else, both reversed.
    for (const char* bad :
         {"\\uDDD0", "\\udc00x", "\\uD83D", "\\uD83Dx", "\\uD83D\\u0041", "\\uDE00\\uD83D"}) {
      const std::string s = "[1,\"" + pad + bad + std::string(20, 'b') + "\"]";
      const auto r = check_json_text(s);
      INFO(s);
      CHECK(r.problem == Problem::kLoneSurrogate);
      CHECK(r.offset == 4 + at);
      CHECK(r.string_start == 3);
    }
    // A pair, other escapes, and a pair that crosses a 16-byte block are fine;
    // outside a string a backslash is the parser's business.
    for (const char* good : {"\\uD83D\\uDE00", "\\u00e9\\n\\\\uDC00", "\\uFFFF", "\\u12"}) {
      const std::string s = "\"" + pad + good + "\"";
      INFO(s);
      CHECK(check_json_text(s).problem == Problem::kNone);
    }
  }
  CHECK(check_json_text("\\uDC00").problem == Problem::kNone);
}
