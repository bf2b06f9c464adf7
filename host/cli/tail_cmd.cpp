// `chorus tail PATTERN...`: the live events of a running host matching the
// patterns (GET /v1/tail, a WebSocket), one line each (coloured on a
// terminal), or the CloudEvents JSON with --json. Runs until Ctrl-C,
// --count events, or the host closes the tail (too slow: exit 1; host
// stopping: exit 4).
#include <cstdio>

#include <fmt/core.h>

#include "api/cloudevents_http.h"
#include "api/query.h"
#include "cli/commands.h"
#include "cli/live_common.h"
#include "core/cloudevents.h"
#include "core/topic.h"

namespace chorus::cli {

int cmd_tail(const TailOptions& o) {
  std::string target = "/v1/tail?batch=true";
  for (size_t i = 0; i < o.patterns.size(); ++i) {
    if (Status s = validate_pattern(o.patterns[i], "PATTERN"); !s.ok()) return report(s);
    target += "&pattern=" + api::percent_encode(o.patterns[i]);
  }
  auto endpoint = resolve_endpoint(o.connect);
  if (!endpoint.ok()) return report(endpoint.error());
  ApiClient client(*endpoint);
  const bool colour = !o.json && stdout_is_tty();
  uint64_t seen = 0;
  int refused = 0;
  auto end = client.tail(
      target,
      [&] {
        std::string patterns;
        for (const auto& p : o.patterns)
          patterns += (patterns.empty() ? "" : " ") + p;
        fmt::print(stderr, "tailing {} on {} (Ctrl-C to stop)\n", patterns, endpoint->address());
      },
      [&](std::string_view text) {
        // Batches (JSON arrays) keep up with busy hosts; one line per event.
        std::vector<std::string_view> items{text};
        if (!text.empty() && text.front() == '[') {
          auto split = api::split_json_array(text);
          if (split.ok()) items = std::move(*split);
        }
        for (std::string_view item : items) {
          if (o.json) {
            std::fwrite(item.data(), 1, item.size(), stdout);
            std::fputc('\n', stdout);
          } else if (auto e = parse_cloudevent_json(item); e.ok()) {
            fmt::print("{}\n", event_line(**e, colour));
          } else {
            fmt::print("{}\n", item);
          }
          if (o.count != 0 && ++seen >= o.count) break;
        }
        std::fflush(stdout);
        return o.count == 0 || seen < o.count;
      },
      &refused);
  if (!end.ok()) {
    if (refused != 0) return report_http(refused, end.error().message(), *endpoint);
    return report(end.error());
  }
  if (end->code == 1000) return kExitOk;
  fmt::print(stderr, "chorus: the host closed the tail ({}): {}\n", end->code, end->reason);
  return end->code == 1001 ? kExitUnavailable : kExitFailure;
}

}  // namespace chorus::cli
