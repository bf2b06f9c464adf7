// Module loggers over one shared stderr sink, and the JSON-lines formatter.
#include "core/log.h"

#include <map>
#include <mutex>
#include <string>

#include <spdlog/details/log_msg.h>
#include <spdlog/formatter.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include "core/time_format.h"

namespace chorus::log {
namespace {

constexpr const char* kTextPattern = "%Y-%m-%dT%H:%M:%S.%e%z %^%-5l%$ [%n] %v";

void json_escape(std::string_view s, spdlog::memory_buf_t& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out.append(std::string_view("\\\""));
        break;
      case '\\':
        out.append(std::string_view("\\\\"));
        break;
      case '\n':
        out.append(std::string_view("\\n"));
        break;
      case '\r':
        out.append(std::string_view("\\r"));
        break;
      case '\t':
        out.append(std::string_view("\\t"));
        break;
      default:
        if (c < 0x20) {
          const char esc[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
          out.append(esc, esc + 6);
        } else {
          out.push_back(ch);
        }
    }
  }
}

// {"time":"...","level":"info","logger":"cli","msg":"..."} per line.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(msg.time.time_since_epoch());
    const std::string t = format_rfc3339(ns.count());
    dest.append(std::string_view("{\"time\":\""));
    dest.append(t);
    dest.append(std::string_view("\",\"level\":\""));
    const auto lvl = spdlog::level::to_string_view(msg.level);
    dest.append(lvl.data(), lvl.data() + lvl.size());
    dest.append(std::string_view("\",\"logger\":\""));
    json_escape(std::string_view(msg.logger_name.data(), msg.logger_name.size()), dest);
    dest.append(std::string_view("\",\"msg\":\""));
    json_escape(std::string_view(msg.payload.data(), msg.payload.size()), dest);
    dest.append(std::string_view("\"}\n"));
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

struct Registry {
  std::mutex mu;
  std::shared_ptr<spdlog::sinks::stderr_color_sink_mt> sink =
      std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  std::map<std::string, std::shared_ptr<spdlog::logger>, std::less<>> loggers;
  spdlog::level::level_enum level = spdlog::level::info;

  Registry() { sink->set_pattern(kTextPattern); }
};

Registry& registry() {
  static Registry* r = new Registry();  // never destroyed: loggers may run during exit
  return *r;
}

}  // namespace

std::shared_ptr<spdlog::logger> get(std::string_view module) {
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  auto it = r.loggers.find(module);
  if (it != r.loggers.end()) return it->second;
  auto logger = std::make_shared<spdlog::logger>(std::string(module), r.sink);
  logger->set_level(r.level);
  logger->flush_on(spdlog::level::info);
  r.loggers.emplace(std::string(module), logger);
  return logger;
}

void configure(spdlog::level::level_enum level, Format format) {
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  r.level = level;
  if (format == Format::kJson) {
    r.sink->set_formatter(std::make_unique<JsonFormatter>());
  } else {
    r.sink->set_pattern(kTextPattern);
  }
  for (auto& [name, logger] : r.loggers)
    logger->set_level(level);
}

}  // namespace chorus::log
