// Environment substitution: one left-to-right pass, no recursion into the
// substituted text (a value containing "${X}" is kept as written).
#include "config/env_subst.h"

#include <cstdlib>

#include <fmt/core.h>

namespace chorus::config {
namespace {

bool name_start(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}
bool name_char(char c) {
  return name_start(c) || (c >= '0' && c <= '9');
}

}  // namespace

EnvLookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

Result<std::string> substitute_env(std::string_view text, const EnvLookup& env) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c != '$' || i + 1 >= text.size()) {
      out.push_back(c);
      ++i;
      continue;
    }
    if (text[i + 1] == '$') {
      out.push_back('$');
      i += 2;
      continue;
    }
    if (text[i + 1] != '{') {
      out.push_back(c);
      ++i;
      continue;
    }
    const size_t start = i;
    const size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos)
      return Status::InvalidArgument(fmt::format(
          "unterminated '${{' at byte {} (expected ${{NAME}} or ${{NAME:-default}})", start));
    std::string_view inner = text.substr(i + 2, close - i - 2);
    std::string_view name = inner, fallback;
    bool has_default = false;
    if (size_t sep = inner.find(":-"); sep != std::string_view::npos) {
      name = inner.substr(0, sep);
      fallback = inner.substr(sep + 2);
      has_default = true;
    }
    bool valid = !name.empty() && name_start(name[0]);
    for (char n : name)
      valid = valid && name_char(n);
    if (!valid)
      return Status::InvalidArgument(fmt::format(
          "'${{{}}}' at byte {}: invalid variable name (expected [A-Za-z_][A-Za-z0-9_]*)", inner,
          start));
    std::optional<std::string> value = env(std::string(name));
    if (value && !(has_default && value->empty())) {
      out += *value;
    } else if (has_default) {
      out += fallback;
    } else {
      return Status::InvalidArgument(fmt::format(
          "environment variable {} is not set (write ${{{}:-default}} to give a default)", name,
          name));
    }
    i = close + 1;
  }
  return out;
}

}  // namespace chorus::config
