// `chorus scripts [list]|reload NAME`: the Lua scripts of a running host
// (GET /v1/scripts, POST /v1/scripts/NAME/reload). --json prints the
// host's answer.
#include <fmt/core.h>

#include "api/query.h"
#include "cli/commands.h"
#include "cli/live_common.h"
#include "core/text.h"

namespace chorus::cli {
namespace {

void print_script(const rapidjson::Value& s) {
  fmt::print("{}  {}  {}  version {}\n", s["name"].GetString(),
             s["loaded"].GetBool() ? "loaded" : "NOT LOADED", s["path"].GetString(),
             s["generation"].GetUint64());
  fmt::print(
      "    invocations {}  errors {}  limit hits {}  reloads {}  failed loads {}  memory {} B\n",
      s["invocations"].GetUint64(), s["errors"].GetUint64(), s["limit_hits"].GetUint64(),
      s["reloads"].GetUint64(), s["load_failures"].GetUint64(), s["memory_bytes"].GetUint64());
  if (s.HasMember("last_error"))
    fmt::print("    last error: {}\n", printable(s["last_error"].GetString(), 300));
}

}  // namespace

int cmd_scripts(const ScriptsOptions& o) {
  auto endpoint = resolve_endpoint(o.connect);
  if (!endpoint.ok()) return report(endpoint.error());
  ApiClient client(*endpoint);
  Result<HttpResult> r =
      o.action == "list"
          ? client.request("GET", "/v1/scripts")
          : client.request("POST", "/v1/scripts/" + api::percent_encode(o.name) + "/reload");
  rapidjson::Document d;
  if (auto done = take_answer(r, *endpoint, o.json, d)) return *done;
  if (o.action == "list") {
    const auto& scripts = d["scripts"];
    fmt::print("{} script{}\n", scripts.Size(), scripts.Size() == 1 ? "" : "s");
    for (const auto& s : scripts.GetArray())
      print_script(s);
    return kExitOk;
  }
  fmt::print("reloaded {}\n", o.name);
  if (d.HasMember("script")) print_script(d["script"]);
  return kExitOk;
}

}  // namespace chorus::cli
