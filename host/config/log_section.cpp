// Parsing of the `log:` section.
#include "config/log_section.h"

#include "config/yaml_reader.h"

namespace chorus::config {

void parse_log_section(MapReader& r, LogSection& out) {
  r.one_of("level", out.level,
           {{"trace", LogLevel::kTrace},
            {"debug", LogLevel::kDebug},
            {"info", LogLevel::kInfo},
            {"warn", LogLevel::kWarn},
            {"error", LogLevel::kError},
            {"critical", LogLevel::kCritical},
            {"off", LogLevel::kOff}});
  r.one_of("format", out.format, {{"text", LogFormat::kText}, {"json", LogFormat::kJson}});
  r.finish();
}

}  // namespace chorus::config
