// `chorus version`: the version compiled in by CMake (project version and git
// revision at configure time).
#include <cstdio>

#include <fmt/core.h>

#include "cli/commands.h"

#ifndef CHORUS_VERSION
#define CHORUS_VERSION "0.0.0"
#endif
#ifndef CHORUS_GIT_REV
#define CHORUS_GIT_REV "unknown"
#endif

namespace chorus::cli {

std::string version_string() { return fmt::format("{} (git {})", CHORUS_VERSION, CHORUS_GIT_REV); }

int cmd_version(bool json) {
  if (json) {
    fmt::print("{{\"version\":\"{}\",\"git\":\"{}\"}}\n", CHORUS_VERSION, CHORUS_GIT_REV);
  } else {
    fmt::print("chorus {}\n", version_string());
  }
  return kExitOk;
}

}  // namespace chorus::cli
