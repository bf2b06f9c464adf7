// POST /v1/requests: request/reply over HTTP. The body is one CloudEvent
// (structured or binary); the bus publishes it as a request and the first
// reply comes back as the response, a CloudEvent in structured mode.
// Timeout is 504, no responder 503, both with a JSON error naming the
// request. `?capability=NAME` sends the request to an instance that
// discovery picks (ApiContext::request_by_capability); until discovery
// provides it, 501.
#include <fmt/core.h>

#include "api/api_context.h"
#include "api/cloudevents_http.h"
#include "api/query.h"
#include "api/router.h"
#include "api/routes.h"
#include "bus/event_bus.h"
#include "core/cloudevents.h"
#include "core/text.h"

namespace chorus::api {
namespace {

Response reply_response(Result<EventPtr> r, const std::string& what,
                        std::chrono::milliseconds timeout) {
  if (r.ok()) {
    Response resp;
    resp.content_type = "application/cloudevents+json";
    append_cloudevent_json(**r, resp.body);
    return resp;
  }
  const Status& s = r.error();
  if (s.is(StatusCode::kTimeout))
    return error_response(504, "timeout",
                          fmt::format("{}: no reply within {}ms", what, timeout.count()));
  if (s.is(StatusCode::kNoResponders))
    return error_response(503, "no_responders",
                          fmt::format("{}: no subscriber takes this type ({})", what, s.message()));
  return error_response(s.with_context(what));
}

}  // namespace

void add_request_routes(Router& router, const ApiContext& ctx) {
  router.add(Method::kPost, "/v1/requests", Access::kToken, [ctx](Request& req, Reply reply) {
    auto q = QueryParams::parse(req.query);
    if (!q.ok()) return reply.send(error_response(400, "invalid_argument", q.error().message()));
    if (Status s = check_known_params(*q, {"timeout", "capability"}); !s.ok())
      return reply.send(error_response(400, "invalid_argument", s.message()));
    const auto options = ctx.options->get();
    auto timeout = q->duration("timeout");
    if (!timeout.ok())
      return reply.send(error_response(400, "invalid_argument", timeout.error().message()));
    const std::chrono::milliseconds t = timeout->value_or(options->request_default_timeout);
    if (t.count() <= 0 || t > options->request_max_timeout)
      return reply.send(error_response(
          400, "invalid_argument",
          fmt::format("query parameter 'timeout': {}ms is out of range (expected 1ms to "
                      "api.requests.max_timeout, {}ms)",
                      t.count(), options->request_max_timeout.count())));

    auto mode = cloudevents_mode(req);
    if (!mode.ok())
      return reply.send(error_response(415, "unsupported_media_type", mode.error().message()));
    if (*mode == CloudEventsMode::kBatch)
      return reply.send(
          error_response(400, "invalid_argument",
                         "a request is one CloudEvent (structured or binary mode), not a batch"));
    auto events = decode_cloudevents(req, *mode);
    if (!events.ok()) return reply.send(error_response(events.error()));
    EventPtr request = std::move(events->front());
    const std::string what =
        fmt::format("request '{}' (id {})", request->type(), request->id().to_string());

    if (auto capability = q->get("capability")) {
      // The spot for requests by capability through discovery.
      if (!ctx.request_by_capability)
        return reply.send(error_response(
            501, "not_supported",
            fmt::format("requests by capability ('{}') need discovery, which this host does not "
                        "run yet; send the request by type instead",
                        printable(*capability))));
      ctx.request_by_capability(std::string(*capability), std::move(request), t,
                                [reply, what, t](Result<EventPtr> r) {
                                  reply.send(reply_response(std::move(r), what, t));
                                });
      return;
    }
    ctx.bus->request(std::move(request), t, [reply, what, t](Result<EventPtr> r) {
      reply.send(reply_response(std::move(r), what, t));
    });
  });
}

}  // namespace chorus::api
