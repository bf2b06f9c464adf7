// `chorus events [--type P] [--correlation ID] [--stream S] [--since T]
// ...`: a query of a running host's stored events (GET /v1/events). Text
// lines like `chorus store events` (which reads the store files directly,
// without a host); --json prints the host's answer page as it is (at most
// 1000 events; continue with --cursor NEXT).
#include <algorithm>

#include <fmt/core.h>

#include "api/query.h"
#include "cli/commands.h"
#include "cli/live_common.h"
#include "core/cloudevents.h"
#include "core/text.h"
#include "core/time_format.h"
#include "core/topic.h"

namespace chorus::cli {
namespace {

constexpr uint64_t kMaxPage = 1000;  // the host's largest page

void add(std::string& target, std::string_view name, const std::string& value) {
  if (value.empty()) return;
  target += target.find('?') == std::string::npos ? '?' : '&';
  target += name;
  target += '=';
  target += api::percent_encode(value);
}

}  // namespace

int cmd_events(const EventsOptions& o) {
  if (!o.type.empty())
    if (Status s = validate_pattern(o.type, "--type"); !s.ok()) return report(s);
  if (o.limit == 0) return report(Status::InvalidArgument("--limit must be at least 1"));
  std::string base = "/v1/events";
  add(base, "type", o.type);
  add(base, "correlation", o.correlation);
  add(base, "stream", o.stream);
  add(base, "since", o.since);
  add(base, "until", o.until);
  if (o.backward) add(base, "direction", "backward");
  auto endpoint = resolve_endpoint(o.connect);
  if (!endpoint.ok()) return report(endpoint.error());
  ApiClient client(*endpoint);

  std::string cursor = o.cursor;
  uint64_t printed = 0;
  for (;;) {
    std::string target = base;
    add(target, "limit", std::to_string(std::min(kMaxPage, o.limit - printed)));
    add(target, "cursor", cursor);
    auto r = client.request("GET", target);
    rapidjson::Document d;
    if (auto done = take_answer(r, *endpoint, o.json, d)) return *done;
    for (const auto& e : d["events"].GetArray()) {
      auto ev = parse_cloudevent_json(to_json(e["event"]));
      if (!ev.ok()) return report(ev.error());
      const Event& x = **ev;
      const std::string where =
          x.stream().empty() ? std::string("-")
                             : fmt::format("{}@{}", printable(x.stream()),
                                           e.HasMember("version") ? e["version"].GetUint64() : 0);
      fmt::print("{:>8}  {}  {}  {}  {}\n", e["seq"].GetUint64(), format_rfc3339(x.time_ns()),
                 x.type(), where, x.id().to_string());
      ++printed;
    }
    if (d["end"].GetBool() || printed >= o.limit) {
      if (!d["end"].GetBool())
        fmt::print(stderr, "(more: continue with --cursor {})\n", d["next"].GetString());
      return kExitOk;
    }
    cursor = d["next"].GetString();
  }
}

}  // namespace chorus::cli
