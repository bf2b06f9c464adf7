// UTF-8 validation and message-safe quoting.
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
