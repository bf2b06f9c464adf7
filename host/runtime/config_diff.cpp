// Settings diff (config_diff.h): a merge walk over two sorted maps.
#include "runtime/config_diff.h"

#include <fmt/core.h>

#include "core/text.h"

namespace chorus::runtime {

namespace {

// Values of keys like api.tokens never reach the log.
bool secret(std::string_view key) {
  for (std::string_view word : {"token", "secret", "password"})
    if (key.find(word) != std::string_view::npos) return true;
  return false;
}

}  // namespace

std::string SettingChange::to_string() const {
  const bool hide = secret(key);
  auto show = [&](const std::optional<std::string>& v) {
    if (!v) return std::string("(default)");
    return hide ? std::string("(hidden)") : printable(*v);
  };
  return fmt::format("{}: {} -> {}", key, show(before), show(after));
}

std::vector<SettingChange> diff_settings(const std::map<std::string, std::string>& before,
                                         const std::map<std::string, std::string>& after) {
  std::vector<SettingChange> out;
  auto a = before.begin();
  auto b = after.begin();
  while (a != before.end() || b != after.end()) {
    if (b == after.end() || (a != before.end() && a->first < b->first)) {
      out.push_back({a->first, a->second, std::nullopt});
      ++a;
    } else if (a == before.end() || b->first < a->first) {
      out.push_back({b->first, std::nullopt, b->second});
      ++b;
    } else {
      if (a->second != b->second) out.push_back({a->first, a->second, b->second});
      ++a;
      ++b;
    }
  }
  return out;
}

}  // namespace chorus::runtime
