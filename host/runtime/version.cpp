// Version strings (version.h); CHORUS_VERSION and CHORUS_GIT_REV come from
// host/runtime/CMakeLists.txt.
#include "runtime/version.h"

#include <fmt/core.h>

#ifndef CHORUS_VERSION
#define CHORUS_VERSION "0.0.0"
#endif
#ifndef CHORUS_GIT_REV
#define CHORUS_GIT_REV "unknown"
#endif

namespace chorus::runtime {

std::string_view version_number() {
  return CHORUS_VERSION;
}
std::string_view git_revision() {
  return CHORUS_GIT_REV;
}
std::string version_string() {
  return fmt::format("{} (git {})", CHORUS_VERSION, CHORUS_GIT_REV);
}

}  // namespace chorus::runtime
