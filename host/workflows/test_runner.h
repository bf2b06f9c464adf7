// `chorus test`: runs `*_test.lua` files against real workflow scripts
// (docs/lua.md "Testing workflows"). Each test case gets a fresh host in a
// temporary directory: a real store (every event stored), the bus, the
// scripts it loads and the workflow engine with a virtual clock (timers
// fire when the test calls h:advance()); requests are answered by Lua
// functions the test registers (h:respond). Failures name the test file
// and line.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace chorus::workflows {

struct TestSummary {
  size_t files = 0, passed = 0, failed = 0;
};

// Runs the test files in `paths` (files, or folders searched for
// *_test.lua). `out` gets one line per case and per file error.
TestSummary run_test_files(const std::vector<std::string>& paths,
                           const std::function<void(std::string_view)>& out);

}  // namespace chorus::workflows
