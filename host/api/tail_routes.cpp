// GET /v1/tail?pattern=P[&pattern=Q][&batch=true]: checks the patterns and
// asks the server to upgrade the connection to a WebSocket tail of them
// (ws_tail.cpp streams the events: one CloudEvent per message, or with
// batch=true a JSON array of the events queued at that moment). A request
// without the upgrade gets 426.
#include <fmt/core.h>

#include "api/api_context.h"
#include "api/query.h"
#include "api/router.h"
#include "api/routes.h"
#include "core/topic.h"

namespace chorus::api {

void add_tail_routes(Router& router, const ApiContext&) {
  router.add(Method::kGet, "/v1/tail", Access::kToken, [](Request& req, Reply reply) {
    auto q = QueryParams::parse(req.query);
    if (!q.ok()) return reply.send(error_response(400, "invalid_argument", q.error().message()));
    if (Status s = check_known_params(*q, {"pattern", "batch"}); !s.ok())
      return reply.send(error_response(400, "invalid_argument", s.message()));
    std::vector<std::string> patterns;
    for (std::string_view p : q->all("pattern")) {
      if (Status s = validate_pattern(p, "query parameter 'pattern':"); !s.ok())
        return reply.send(error_response(400, "invalid_argument", s.message()));
      patterns.emplace_back(p);
    }
    const std::string_view batch = q->get("batch").value_or("false");
    if (batch != "true" && batch != "false")
      return reply.send(error_response(
          400, "invalid_argument",
          fmt::format("query parameter 'batch': '{}' is not valid (expected true or false)",
                      batch.substr(0, 20))));
    if (patterns.empty())
      return reply.send(
          error_response(400, "invalid_argument",
                         "query parameter 'pattern' is required (e.g. /v1/tail?pattern=task.**)"));
    if (!req.websocket_upgrade) {
      Response r = error_response(
          426, "upgrade_required",
          "GET /v1/tail is a WebSocket: send Connection: Upgrade and Upgrade: websocket "
          "(e.g. `chorus tail PATTERN`)");
      r.headers.push_back({"upgrade", "websocket"});
      return reply.send(std::move(r));
    }
    Response r;
    r.status = 101;
    r.tail_patterns = std::move(patterns);
    r.tail_batch = batch == "true";
    reply.send(std::move(r));
  });
}

}  // namespace chorus::api
