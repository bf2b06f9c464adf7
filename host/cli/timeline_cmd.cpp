// `chorus timeline ID`: the stored events of one operation (correlation
// id) from a running host (GET /v1/correlation/ID), as a tree: each event
// under the event that caused it, in order. --json prints the host's answer.
#include <map>
#include <vector>

#include <fmt/core.h>

#include "api/query.h"
#include "cli/commands.h"
#include "cli/live_common.h"
#include "core/cloudevents.h"
#include "core/text.h"
#include "core/time_format.h"

namespace chorus::cli {

int cmd_timeline(const TimelineOptions& o) {
  auto endpoint = resolve_endpoint(o.connect);
  if (!endpoint.ok()) return report(endpoint.error());
  ApiClient client(*endpoint);
  auto r = client.request("GET", "/v1/correlation/" + api::percent_encode(o.correlation));
  rapidjson::Document d;
  if (auto done = take_answer(r, *endpoint, o.json, d)) return *done;
  // The events by id, then the tree walked depth first (iteratively).
  std::map<std::string, const rapidjson::Value*> by_id;
  for (const auto& e : d["events"].GetArray())
    by_id[e["event"]["id"].GetString()] = &e;
  const bool colour = stdout_is_tty();
  fmt::print("timeline {} ({} event{})\n", printable(o.correlation), d["count"].GetUint64(),
             d["count"].GetUint64() == 1 ? "" : "s");
  struct Frame {
    const rapidjson::Value* node;
    size_t depth;
  };
  std::vector<Frame> stack;
  const auto& tree = d["tree"].GetArray();
  for (auto it = tree.End(); it != tree.Begin();)
    stack.push_back({&*--it, 0});
  while (!stack.empty()) {
    const Frame f = stack.back();
    stack.pop_back();
    const rapidjson::Value& e = *by_id.at((*f.node)["id"].GetString());
    auto ev = parse_cloudevent_json(to_json(e["event"]));
    if (!ev.ok()) return report(ev.error());
    const std::string indent(2 * f.depth, ' ');
    fmt::print("{}{}{}  {}\n", indent, f.depth ? "└ " : "", event_line(**ev, colour),
               (*ev)->id().to_string());
    const auto& children = (*f.node)["children"].GetArray();
    for (auto it = children.End(); it != children.Begin();)
      stack.push_back({&*--it, f.depth + 1});
  }
  if (!d["end"].GetBool())
    fmt::print(stderr, "(the timeline was cut at {} events)\n", d["count"].GetUint64());
  return kExitOk;
}

}  // namespace chorus::cli
