// The `log:` section: level and output format of the host's log.
#pragma once

namespace chorus::config {

class MapReader;

enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError, kCritical, kOff };
enum class LogFormat { kText, kJson };

struct LogSection {
  LogLevel level = LogLevel::kInfo;
  LogFormat format = LogFormat::kText;  // json: one JSON object per line

  friend bool operator==(const LogSection&, const LogSection&) = default;
};

void parse_log_section(MapReader& r, LogSection& out);

}  // namespace chorus::config
