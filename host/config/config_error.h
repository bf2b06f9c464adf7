// Configuration errors: where (file:line:col), which key, and what is wrong.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace chorus::config {

struct ConfigError {
  std::string file;
  int line = 0;         // 1-based; 0 when unknown
  int column = 0;       // 1-based; 0 when unknown
  std::string path;     // "host.workers", "bus.retry.max_attempts"; empty for the file itself
  std::string message;  // "unknown key (expected one of ...)"

  // "file:line:col: path: message" (parts that are unknown are left out).
  std::string to_string() const;
};

// All errors of one load, in file order. to_status() joins them, one per line.
struct ConfigErrors {
  std::vector<ConfigError> errors;

  bool empty() const { return errors.empty(); }
  Status to_status() const;
};

}  // namespace chorus::config
