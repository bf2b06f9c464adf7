// Parsing of the `scripts:` section (keys in docs/config.md "scripts").
#include "config/scripts_section.h"

#include <fmt/core.h>

#include "config/yaml_reader.h"
#include "core/event.h"
#include "core/text.h"
#include "core/topic.h"

namespace chorus::config {
namespace {

using std::chrono::milliseconds;

constexpr uint64_t kMinMemory = 1ull << 20;
constexpr uint64_t kMaxMemory = 1ull << 40;

// Script names become event sources and subscriber ids; "." separates a
// script from a function in filter names.
std::string check_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return "a script name must be 1 to 64 characters";
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok)
      return fmt::format("'{}' is not a script name (expected letters, digits, '_' and '-')",
                         printable(name));
  }
  return {};
}

std::string check_pattern(const std::string& p) {
  Status s = validate_pattern(p, "pattern");
  return s.ok() ? std::string() : s.message();
}

std::string check_identifier(const std::string& v) {
  auto ident = [](std::string_view s) {
    if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
    for (const char c : s)
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
        return false;
    return true;
  };
  if (!ident(v)) return fmt::format("'{}' is not a Lua function name", printable(v));
  return {};
}

std::string check_filter(const std::string& v) {
  const auto dot = v.find('.');
  if (dot == std::string::npos) return check_identifier(v);
  if (std::string why = check_name(v.substr(0, dot)); !why.empty())
    return fmt::format("'{}' is not a filter (expected function or script.function)", printable(v));
  return check_identifier(v.substr(dot + 1));
}

std::string check_priority(const std::string& v) {
  auto p = parse_priority(v);
  return p.ok() ? std::string()
                : fmt::format("'{}' is not a priority (expected critical, high, normal or low)",
                              printable(v));
}

std::string check_group(const std::string& v) {
  if (v.empty() || v.size() > 128) return "a group name must be 1 to 128 characters";
  return {};
}

void parse_subscription(MapReader& r, ScriptSubscriptionConfig& s) {
  s.origin = r.origin();
  r.strings("on", s.on, check_pattern);
  r.string("handler", s.handler, check_identifier);
  r.string("filter", s.filter, check_filter);
  r.string("queue_group", s.queue_group, check_group);
  r.string("durable", s.durable, check_group);
  r.string("priority", s.priority, check_priority);
  if (!r.has("on")) r.bad_value("", "has no 'on' (expected the event types it subscribes to)");
  if (!r.has("handler"))
    r.bad_value("", "has no 'handler' (expected the name of a function of the script)");
  if (!s.queue_group.empty() && !s.durable.empty())
    r.bad_value("durable", "a subscription is either in a queue group or durable, not both");
  if (!s.durable.empty() && s.on.size() > 1)
    r.bad_value("on", "a durable subscription takes one pattern");
  r.finish();
}

}  // namespace

void parse_scripts_section(MapReader& r, ScriptsSection& out) {
  r.string("folder", out.folder, [](const std::string& v) {
    return v.empty() ? std::string("the scripts folder must not be empty") : std::string();
  });
  r.boolean("watch", out.watch);
  r.duration("request_timeout", out.request_timeout, milliseconds(1), milliseconds(3'600'000));
  if (auto limits = r.map("limits")) {
    limits->bytes("memory", out.memory_limit, kMinMemory, kMaxMemory);
    limits->duration("cpu", out.cpu_limit, milliseconds(1), milliseconds(600'000));
    limits->finish();
  }
  std::vector<ScriptEntryConfig> entries;
  r.each_map("entries", [&](const std::string& name, MapReader& e) {
    ScriptEntryConfig entry;
    entry.name = name;
    entry.origin = e.origin();
    e.note("(entry)");
    if (std::string why = check_name(name); !why.empty()) e.bad_value("", why);
    entry.file = name + ".lua";
    e.string("file", entry.file, [](const std::string& v) {
      return v.empty() ? std::string("a script's file must not be empty") : std::string();
    });
    e.boolean("trusted", entry.trusted);
    if (auto limits = e.map("limits")) {
      uint64_t memory = out.memory_limit;
      milliseconds cpu = out.cpu_limit;
      limits->bytes("memory", memory, kMinMemory, kMaxMemory);
      limits->duration("cpu", cpu, milliseconds(1), milliseconds(600'000));
      if (limits->has("memory")) entry.memory_limit = memory;
      if (limits->has("cpu")) entry.cpu_limit = cpu;
      limits->finish();
    }
    e.json("config", entry.config_json);
    e.each_item("subscriptions", [&](size_t, MapReader& s) {
      ScriptSubscriptionConfig sub;
      parse_subscription(s, sub);
      entry.subscriptions.push_back(std::move(sub));
    });
    e.finish();
    entries.push_back(std::move(entry));
  });
  out.entries = std::move(entries);
  r.finish();
}

}  // namespace chorus::config
