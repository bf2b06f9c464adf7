// `chorus registry list|show|register|heartbeat|unregister|select`: the
// service registry of a running host (/v1/registry/..., docs/api.md
// "Registry"). `register` builds the service object from flags (with
// RapidJSON). --json prints the host's answer.
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

void print_service(const rapidjson::Value& s) {
  std::string where = s["host"].GetString();
  if (s["port"].GetUint() != 0) where += fmt::format(":{}", s["port"].GetUint());
  fmt::print("{}  {}  {}  agent {}  capabilities {}  tags {}{}{}\n", s["id"].GetString(),
             s["status"].GetString(), s["type"].GetString(), s["agent_id"].GetString(),
             joined(s["capabilities"]), joined(s["tags"]), where.empty() ? "" : "  ", where);
}

// The service object of `register` from its flags; InvalidArgument names
// the flag.
Result<std::string> service_json(const RegistryOptions& o) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  auto str = [&](const char* key, const std::string& v) {
    if (v.empty()) return;
    w.Key(key);
    w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
  };
  auto list = [&](const char* key, const std::vector<std::string>& v) {
    if (v.empty()) return;
    w.Key(key);
    w.StartArray();
    for (const std::string& e : v)
      w.String(e.c_str(), static_cast<rapidjson::SizeType>(e.size()));
    w.EndArray();
  };
  w.StartObject();
  str("id", o.id);
  str("agent_id", o.agent);
  str("name", o.name);
  str("type", o.type);
  str("host", o.host);
  str("protocol", o.protocol);
  str("version", o.version);
  str("ttl", o.ttl);
  if (o.port) {
    w.Key("port");
    w.Uint(o.port);
  }
  if (o.weight) {
    w.Key("weight");
    w.Uint(o.weight);
  }
  list("capabilities", o.capabilities);
  list("tags", o.tags);
  if (!o.meta.empty()) {
    w.Key("metadata");
    w.StartObject();
    for (const std::string& kv : o.meta) {
      const size_t eq = kv.find('=');
      if (eq == std::string::npos || eq == 0)
        return Status::InvalidArgument(fmt::format("--meta '{}' is not key=value", printable(kv)));
      w.Key(kv.c_str(), static_cast<rapidjson::SizeType>(eq));
      w.String(kv.c_str() + eq + 1, static_cast<rapidjson::SizeType>(kv.size() - eq - 1));
    }
    w.EndObject();
  }
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace

int cmd_registry(const RegistryOptions& o) {
  auto endpoint = resolve_endpoint(o.connect);
  if (!endpoint.ok()) return report(endpoint.error());
  ApiClient client(*endpoint);
  const std::string item = "/v1/registry/services/" + api::percent_encode(o.id);
  auto tags = [&] {
    std::string q;
    for (const std::string& t : o.tags)
      q += "&tag=" + api::percent_encode(t);
    return q;
  };
  Result<HttpResult> r = Status::Internal("unset");
  if (o.action == "list") {
    std::string target =
        "/v1/registry/services?health=" + std::string(o.healthy ? "healthy" : "any");
    if (!o.type.empty()) target += "&type=" + api::percent_encode(o.type);
    if (!o.capability.empty()) target += "&capability=" + api::percent_encode(o.capability);
    r = client.request("GET", target + tags());
  } else if (o.action == "show") {
    r = client.request("GET", item);
  } else if (o.action == "register") {
    auto body = service_json(o);
    if (!body.ok()) return report(body.error());
    r = client.request("POST",
                       std::string("/v1/registry/services") + (o.replace ? "?replace=true" : ""),
                       {{"Content-Type", "application/json"}}, *body);
  } else if (o.action == "heartbeat") {
    r = client.request("POST", item + "/heartbeat");
  } else if (o.action == "unregister") {
    r = client.request("DELETE", item);
  } else {
    std::string target = "/v1/registry/select?capability=" + api::percent_encode(o.capability);
    if (!o.strategy.empty()) target += "&strategy=" + api::percent_encode(o.strategy);
    r = client.request("POST", target + tags());
  }
  rapidjson::Document d;
  if (auto done = take_answer(r, *endpoint, o.json, d, {200, 201})) return *done;
  if (o.action == "list") {
    const uint64_t n = d["count"].GetUint64();
    fmt::print("{} service{}\n", n, n == 1 ? "" : "s");
    for (const auto& s : d["services"].GetArray())
      print_service(s);
  } else if (o.action == "unregister") {
    fmt::print("unregistered {}\n", o.id);
  } else if (o.action == "select") {
    print_service(d["service"]);
  } else {
    if (o.action == "register") fmt::print("registered {}\n", o.id);
    print_service(d);
  }
  return kExitOk;
}

}  // namespace chorus::cli
