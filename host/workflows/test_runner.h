// `chorus test`: runs `*_test.lua` files against real workflow scripts
// (docs/lua.md "Testing workflows"). Each test case gets a fresh host in a
// temporary directory: a real store (every event stored), the bus, the
// scripts it loads and the workflow engine with a virtual clock (timers
// fire when the test calls h:advance()); requests are answered by Lua
// functions the test registers (h:respond). Failures name the test file
// and line. With the crash matrix (crash_matrix.h) each case that wrote
// workflow history runs again once per crash point, restarting its host
// from the store a SIGKILL there would leave, and must end the same way.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace chorus::workflows {

struct TestOptions {
  // Every case that writes workflow history also runs its crash matrix
  // (a case's `crash_matrix = false` opts out; `true` opts in without this).
  bool crash_matrix = false;
};

struct TestSummary {
  size_t files = 0, passed = 0, failed = 0;
  size_t crash_runs = 0;  // reruns of the crash matrix
};

// Runs the test files in `paths` (files, or folders searched for
// *_test.lua). `out` gets one line per case and per file error, and one per
// failed crash point.
TestSummary run_test_files(const std::vector<std::string>& paths, const TestOptions& options,
                           const std::function<void(std::string_view)>& out);

}  // namespace chorus::workflows
