// Formatting of configuration errors.
#include "config/config_error.h"

#include <fmt/core.h>

namespace chorus::config {

std::string ConfigError::to_string() const {
  std::string out = file;
  if (line > 0) out += fmt::format(":{}:{}", line, column);
  out += ": ";
  if (!path.empty()) out += path + ": ";
  out += message;
  return out;
}

Status ConfigErrors::to_status() const {
  if (errors.empty()) return Status::OK();
  std::string msg;
  for (const auto& e : errors) {
    if (!msg.empty()) msg += '\n';
    msg += e.to_string();
  }
  return Status::InvalidArgument(std::move(msg));
}

}  // namespace chorus::config
