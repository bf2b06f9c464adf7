// The admin API address of a `chorus run` started by a test: its log names
// the address it listens on (the tests' configs use port 0), then `ready`.
#pragma once

#include <chrono>
#include <regex>
#include <string>

#include <catch2/catch.hpp>

#include "support/subprocess.h"

namespace chorus::test {

// Waits (20 s each) for the "api listening on" line and then for "ready";
// returns "127.0.0.1:PORT". The test fails, with the host's stderr, if either
// does not come.
inline std::string wait_for_api(Subprocess& host) {
  using namespace std::chrono_literals;
  auto line = host.wait_for_line("api listening on ", 20s);
  INFO(host.err());
  REQUIRE(line);
  std::smatch m;
  REQUIRE(std::regex_search(*line, m, std::regex("listening on (127\\.0\\.0\\.1:[0-9]+)")));
  std::string addr = m[1];
  REQUIRE(host.wait_for_line("ready", 20s));
  return addr;
}

}  // namespace chorus::test
