// `chorus request TYPE --data JSON [--timeout 5s]`: request/reply through a
// running host (POST /v1/requests). Prints the reply's data (its type and
// source on stderr); --json prints the reply CloudEvent. No reply in time
// exits 1, no responder 4.
#include <fmt/core.h>

#include "api/query.h"
#include "cli/commands.h"
#include "cli/live_common.h"
#include "core/cloudevents.h"
#include "core/text.h"
#include "core/units.h"

namespace chorus::cli {

int cmd_request(const RequestOptions& o) {
  auto event = event_from_flags(o.event);
  if (!event.ok()) return report(event.error());
  std::string target = "/v1/requests";
  std::chrono::milliseconds wait{0};
  if (!o.timeout.empty()) {
    auto t = parse_duration(o.timeout);
    if (!t || t->count() <= 0)
      return report(Status::InvalidArgument(
          fmt::format("--timeout '{}' is not a duration like 500ms or 5s", printable(o.timeout))));
    wait = std::chrono::duration_cast<std::chrono::milliseconds>(*t);
    target += "?timeout=" + api::percent_encode(o.timeout);
  }
  auto endpoint = resolve_endpoint(o.connect);
  if (!endpoint.ok()) return report(endpoint.error());
  // The HTTP deadline outlasts the reply's.
  ApiClient client(*endpoint, std::chrono::seconds(30) + wait);
  auto r = client.request("POST", target, {{"Content-Type", "application/cloudevents+json"}},
                          to_cloudevent_json(**event));
  if (!r.ok()) return report(r.error());
  if (r->status != 200) return report_http(*r, *endpoint);
  if (o.json) {
    fmt::print("{}\n", r->body);
    return kExitOk;
  }
  auto reply = parse_cloudevent_json(r->body);
  if (!reply.ok()) return report(reply.error());
  fmt::print(stderr, "reply {} from {} ({})\n", (*reply)->type(), (*reply)->source(),
             (*reply)->id().to_string());
  fmt::print("{}\n", (*reply)->data());
  return kExitOk;
}

}  // namespace chorus::cli
