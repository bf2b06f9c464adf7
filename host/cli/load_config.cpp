// load_config_or_report (load_config.h).
#include "cli/load_config.h"

#include <cstdio>

#include <fmt/core.h>

namespace chorus::cli {

std::optional<config::Config> load_config_or_report(const std::string& path,
                                                    std::string_view refused) {
  if (path.empty()) return config::default_config();
  config::ConfigErrors errors;
  auto loaded = config::load_config(path, {}, &errors);
  if (loaded.ok()) return std::move(*loaded);
  for (const auto& e : errors.errors)
    fmt::print(stderr, "{}\n", e.to_string());
  const size_t n = errors.errors.size();
  if (refused.empty())
    fmt::print(stderr, "{}: {} error{}\n", path, n, n == 1 ? "" : "s");
  else
    fmt::print(stderr, "chorus: {}: {} has {} error{}\n", refused, path, n, n == 1 ? "" : "s");
  return std::nullopt;
}

}  // namespace chorus::cli
