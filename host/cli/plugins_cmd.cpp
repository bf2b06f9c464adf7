// `chorus plugins [list]|load FILE|unload NAME|reload NAME`: the plugins of
// a running host (GET|POST /v1/plugins, DELETE /v1/plugins/NAME, POST
// /v1/plugins/NAME/reload). --json prints the host's answer.
#include <fmt/core.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "api/query.h"
#include "cli/commands.h"
#include "cli/live_common.h"
#include "core/text.h"

namespace chorus::cli {
namespace {

std::string joined(const rapidjson::Value& array) {
  std::string out;
  for (const auto& v : array.GetArray()) {
    if (!out.empty()) out += ",";
    out += v.GetString();
  }
  return out.empty() ? "-" : out;
}

void print_plugin(const rapidjson::Value& p) {
  const auto& s = p["stats"];
  fmt::print("{}  {} {}  {}\n", p["name"].GetString(), p["plugin"].GetString(),
             p["version"].GetString(), p["file"].GetString());
  fmt::print("    capabilities: {}  delivered {}  failed {}  published {}  memory {} B  since {}\n",
             joined(p["capabilities"]), s["delivered"].GetUint64(), s["failed"].GetUint64(),
             s["published"].GetUint64(), s["memory_bytes"].GetUint64(), p["loaded"].GetString());
  for (const auto& w : p["warnings"].GetArray())
    fmt::print("    warning: {}\n", w.GetString());
}

}  // namespace

int cmd_plugins(const PluginsOptions& o) {
  auto endpoint = resolve_endpoint(o.connect);
  if (!endpoint.ok()) return report(endpoint.error());
  ApiClient client(*endpoint);
  const std::string item = "/v1/plugins/" + api::percent_encode(o.name);
  Result<HttpResult> r = Status::Internal("unset");
  if (o.action == "list") {
    r = client.request("GET", "/v1/plugins");
  } else if (o.action == "load") {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    w.Key("file");
    w.String(o.name.c_str(), static_cast<rapidjson::SizeType>(o.name.size()));
    w.EndObject();
    r = client.request("POST", "/v1/plugins", {{"Content-Type", "application/json"}},
                       std::string_view(buf.GetString(), buf.GetSize()));
  } else if (o.action == "unload") {
    r = client.request("DELETE", item);
  } else {
    r = client.request("POST", item + "/reload");
  }
  rapidjson::Document d;
  if (auto done = take_answer(r, *endpoint, o.json, d, {200, 201})) return *done;
  if (o.action == "list") {
    const auto& plugins = d["plugins"];
    fmt::print("{} plugin instance{} running\n", plugins.Size(), plugins.Size() == 1 ? "" : "s");
    for (const auto& p : plugins.GetArray())
      print_plugin(p);
    for (const auto& f : d["failures"].GetArray())
      fmt::print("FAILED {} ({}{}): {}\n", f["file"].GetString(), f["stage"].GetString(),
                 f["still_running"].GetBool() ? "; the previous version runs" : "",
                 printable(f["error"].GetString(), 200));
    return kExitOk;
  }
  if (o.action == "unload") {
    fmt::print("unloaded {}\n", o.name);
    return kExitOk;
  }
  fmt::print("{} {}\n", o.action == "load" ? "loaded" : "reloaded", o.name);
  for (const auto& p : d["plugins"].GetArray())
    print_plugin(p);
  return kExitOk;
}

}  // namespace chorus::cli
