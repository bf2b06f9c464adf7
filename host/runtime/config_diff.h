// What a reload changes: the difference between two configurations' settings
// (config::Config::settings, every key a file set, by key path), in key
// order. A key left out of a file is at its default, shown as "(default)".
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace chorus::runtime {

struct SettingChange {
  std::string key;                    // "log.level"
  std::optional<std::string> before;  // nullopt: not set (the default)
  std::optional<std::string> after;

  // "log.level: info -> debug", "bus.queue_bound: (default) -> 20000";
  // values of keys naming a token, secret or password show as "(hidden)".
  std::string to_string() const;
};

std::vector<SettingChange> diff_settings(const std::map<std::string, std::string>& before,
                                         const std::map<std::string, std::string>& after);

}  // namespace chorus::runtime
