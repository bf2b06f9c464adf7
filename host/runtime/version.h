// The version compiled into the binary: the project version and the git
// revision at configure time (set by CMake on version.cpp).
#pragma once

#include <string>
#include <string_view>

namespace chorus::runtime {

std::string_view version_number();  // "0.1.0"
std::string_view git_revision();    // "abcdef1234", "abcdef1234-dirty" or "unknown"
std::string version_string();       // "0.1.0 (git abcdef1234)"

}  // namespace chorus::runtime
