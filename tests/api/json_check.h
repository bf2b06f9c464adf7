// JSON checks shared by the API and CLI tests: parse an answer's body or a
// command's output (the test fails, showing the text, when it is not JSON)
// and read the error object of an API answer ({"error": {code, message}}).
#pragma once

#include <string>

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "wire_client.h"

namespace chorus::test {

inline rapidjson::Document json(const std::string& s) {
  rapidjson::Document d;
  d.Parse(s.c_str());
  INFO(s);
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

inline std::string error_code(const HttpResponse& r) {
  auto d = json(r.body);
  REQUIRE(d.HasMember("error"));
  return d["error"]["code"].GetString();
}

inline std::string error_message(const HttpResponse& r) {
  auto d = json(r.body);
  REQUIRE(d.HasMember("error"));
  return d["error"]["message"].GetString();
}

}  // namespace chorus::test
