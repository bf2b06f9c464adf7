// Parsing and defaults of the `host:` section.
#include "config/host_section.h"

#include <algorithm>
#include <charconv>
#include <thread>
#include <unistd.h>

#include <climits>
#include <fmt/core.h>

#include "config/yaml_reader.h"
#include "core/text.h"

namespace chorus::config {
namespace {

bool host_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

std::string check_host_name(const std::string& v) {
  if (v.empty() || v.size() > 63 || !std::all_of(v.begin(), v.end(), host_name_char))
    return fmt::format("'{}' is not a valid host name (expected 1 to 63 of A-Z a-z 0-9 . _ -)",
                       printable(v));
  return {};
}

}  // namespace

std::string default_host_name() {
  char buf[HOST_NAME_MAX + 1] = {};
  std::string name;
  if (gethostname(buf, sizeof buf - 1) == 0) {
    for (const char* p = buf; *p && name.size() < 63; ++p)
      if (host_name_char(*p)) name.push_back(*p);
  }
  return name.empty() ? "chorus" : name;
}

int resolve_workers(int configured) {
  if (configured > 0) return configured;
  return std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
}

void parse_host_section(MapReader& r, HostSection& out) {
  r.string("name", out.name, check_host_name);
  r.string("data_dir", out.data_dir, [](const std::string& v) -> std::string {
    if (v.empty()) return "is empty (expected a directory path)";
    if (v.find('\0') != std::string::npos) return "contains a NUL byte";
    return {};
  });
  std::string w;
  if (r.string("workers", w)) {
    if (w == "auto") {
      out.workers = 0;
    } else {
      int n = 0;
      auto [p, ec] = std::from_chars(w.data(), w.data() + w.size(), n);
      if (ec != std::errc() || p != w.data() + w.size() || n < 1 || n > 256) {
        r.bad_value("workers", fmt::format("'{}' is not valid (expected auto or an integer from 1 "
                                           "to 256)",
                                           printable(w)));
      } else {
        out.workers = n;
      }
    }
  }
  r.finish();
}

}  // namespace chorus::config
