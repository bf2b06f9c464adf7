// The one way a command gets its configuration: the file (or the built-in
// defaults when no path is given), with every error printed to stderr as
// file:line:col and a summary line naming the file.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"

namespace chorus::cli {

// nullopt after printing the errors, then "chorus: <refused>: <path> has N
// error(s)" (e.g. refused = "not started"), or "<path>: N error(s)" when
// `refused` is empty.
std::optional<config::Config> load_config_or_report(const std::string& path,
                                                    std::string_view refused);

}  // namespace chorus::cli
