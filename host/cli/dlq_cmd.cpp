// `chorus dlq list|show|replay|drop`: the dead letters of a running host
// (GET /v1/dead-letters, GET|DELETE /v1/dead-letters/ID,
// POST /v1/dead-letters/ID/replay). --json prints the host's answer.
#include <fmt/core.h>

#include "api/query.h"
#include "cli/commands.h"
#include "cli/live_common.h"
#include "core/cloudevents.h"
#include "core/text.h"

namespace chorus::cli {
namespace {

void print_dead_letter(const rapidjson::Value& dl, bool colour) {
  std::string line =
      fmt::format("{:>6}  {}  {}  attempts {}  {}", dl["id"].GetUint64(), dl["time"].GetString(),
                  dl["subscriber"].GetString(), dl["attempts"].GetUint(),
                  printable(dl["reason"].GetString(), 100));
  fmt::print("{}\n", line);
  if (dl["event"].IsObject()) {
    auto ev = parse_cloudevent_json(to_json(dl["event"]));
    if (ev.ok()) fmt::print("        {}  {}\n", event_line(**ev, colour), (*ev)->id().to_string());
  }
}

}  // namespace

int cmd_dlq(const DlqOptions& o) {
  auto endpoint = resolve_endpoint(o.connect);
  if (!endpoint.ok()) return report(endpoint.error());
  ApiClient client(*endpoint);
  const std::string item = "/v1/dead-letters/" + std::to_string(o.id);
  Result<HttpResult> r = Status::Internal("unset");
  if (o.action == "list") {
    std::string target = "/v1/dead-letters?limit=" + std::to_string(o.limit);
    if (!o.subscriber.empty()) target += "&subscriber=" + api::percent_encode(o.subscriber);
    r = client.request("GET", target);
  } else if (o.action == "show") {
    r = client.request("GET", item);
  } else if (o.action == "replay") {
    if (o.to != "subscriber" && o.to != "all")
      return report(Status::InvalidArgument(
          fmt::format("--to '{}' is not valid (expected subscriber or all)", printable(o.to))));
    r = client.request("POST", item + "/replay?to=" + o.to);
  } else {
    r = client.request("DELETE", item);
  }
  rapidjson::Document d;
  if (auto done = take_answer(r, *endpoint, o.json, d)) return *done;
  const bool colour = stdout_is_tty();
  if (o.action == "list") {
    fmt::print("{} dead letter{}\n", d["count"].GetUint64(),
               d["count"].GetUint64() == 1 ? "" : "s");
    for (const auto& dl : d["dead_letters"].GetArray())
      print_dead_letter(dl, colour);
    if (!d["end"].GetBool()) fmt::print(stderr, "(more: raise --limit)\n");
  } else if (o.action == "show") {
    print_dead_letter(d, colour);
  } else if (o.action == "replay") {
    fmt::print("replayed dead letter {} to {}\n", o.id,
               o.to == "all" ? "every current subscriber" : "its subscriber");
  } else {
    fmt::print("dropped dead letter {}\n", o.id);
  }
  return kExitOk;
}

}  // namespace chorus::cli
