// `chorus version`: the version compiled in (runtime/version.h).
#include "runtime/version.h"

#include <cstdio>

#include <fmt/core.h>

#include "cli/commands.h"
#include "cli/json_output.h"

namespace chorus::cli {

int cmd_version(bool json) {
  if (json) {
    JsonOutput out;
    out.w.StartObject();
    out.w.Key("version");
    out.string(runtime::version_number());
    out.w.Key("git");
    out.string(runtime::git_revision());
    out.w.EndObject();
    out.print();
  } else {
    fmt::print("chorus {}\n", runtime::version_string());
  }
  return kExitOk;
}

}  // namespace chorus::cli
