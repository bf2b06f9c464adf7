// `chorus publish TYPE --data JSON`: one event to a running host, as a
// structured CloudEvent (POST /v1/events). Prints the event's id (and its
// stored seq for a persistent type); --json prints the host's answer.
#include <fmt/core.h>

#include "cli/commands.h"
#include "cli/live_common.h"
#include "core/cloudevents.h"

namespace chorus::cli {

int cmd_publish(const PublishOptions& o) {
  auto event = event_from_flags(o.event);
  if (!event.ok()) return report(event.error());
  auto endpoint = resolve_endpoint(o.connect);
  if (!endpoint.ok()) return report(endpoint.error());
  ApiClient client(*endpoint);
  auto r = client.request("POST", "/v1/events", {{"Content-Type", "application/cloudevents+json"}},
                          to_cloudevent_json(**event));
  rapidjson::Document d;
  if (auto done = take_answer(r, *endpoint, o.json, d)) return *done;
  const auto& e = d["events"][0];
  if (e.HasMember("seq"))
    fmt::print("published {} {} (seq {})\n", (*event)->type(), e["id"].GetString(),
               e["seq"].GetUint64());
  else
    fmt::print("published {} {}\n", (*event)->type(), e["id"].GetString());
  return kExitOk;
}

}  // namespace chorus::cli
