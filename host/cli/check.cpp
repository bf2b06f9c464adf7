// `chorus check CONFIG`: validate the configuration without starting
// anything or touching the data directory. Prints every error, exits 1 if any.
#include <cstdio>

#include <fmt/core.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "cli/commands.h"
#include "config/config.h"

namespace chorus::cli {

int cmd_check(const CheckOptions& options) {
  config::ConfigErrors errors;
  auto cfg = config::load_config(options.config_path, {}, &errors);
  if (options.json) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    w.Key("ok");
    w.Bool(cfg.ok());
    w.Key("file");
    w.String(options.config_path);
    w.Key("errors");
    w.StartArray();
    for (const auto& e : errors.errors) {
      w.StartObject();
      w.Key("file");
      w.String(e.file);
      w.Key("line");
      w.Int(e.line);
      w.Key("column");
      w.Int(e.column);
      w.Key("path");
      w.String(e.path);
      w.Key("message");
      w.String(e.message);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    fmt::print("{}\n", std::string_view(buf.GetString(), buf.GetSize()));
    return cfg.ok() ? kExitOk : kExitFailure;
  }
  if (!cfg.ok()) {
    for (const auto& e : errors.errors)
      fmt::print(stderr, "{}\n", e.to_string());
    fmt::print(stderr, "{}: {} error{}\n", options.config_path, errors.errors.size(),
               errors.errors.size() == 1 ? "" : "s");
    return kExitFailure;
  }
  fmt::print("{}: ok\n", options.config_path);
  return kExitOk;
}

}  // namespace chorus::cli
