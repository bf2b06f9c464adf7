// Base64: RFC 4648 test vectors, strictness, and round trips of all lengths.
#include "core/base64.h"

#include <random>

#include <catch2/catch.hpp>

using namespace chorus;

TEST_CASE("base64 RFC 4648 vectors") {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, enc] : vectors) {
    CHECK(base64_encode(plain) == enc);
    auto dec = base64_decode(enc);
    REQUIRE(dec.ok());
    CHECK(*dec == plain);
  }
}

TEST_CASE("base64 decoder is strict") {
  CHECK(base64_decode("Zg=").error().message().find("multiple of 4") != std::string::npos);
  CHECK(base64_decode("Zm9v\n").error().message().find("multiple of 4") != std::string::npos);
  CHECK(base64_decode("Zm*v").error().message() == "base64: invalid character at offset 2");
  CHECK_FALSE(base64_decode("Zh==").ok());      // non-zero padding bits
  CHECK_FALSE(base64_decode("Zm9=Zm9v").ok());  // padding in the middle
  CHECK_FALSE(base64_decode("Z===").ok());
  CHECK_FALSE(base64_decode("Zm=v").ok());
}

TEST_CASE("base64 round trips random bytes of every length up to 300") {
  std::mt19937 rng(42);
  for (size_t len = 0; len <= 300; ++len) {
    std::string s(len, '\0');
    for (auto& c : s)
      c = static_cast<char>(rng());
    auto dec = base64_decode(base64_encode(s));
    REQUIRE(dec.ok());
    REQUIRE(*dec == s);
  }
}
