// Dead letters through the API: list (GET /v1/dead-letters), show
// (GET /v1/dead-letters/{id}), replay (POST /v1/dead-letters/{id}/replay)
// and drop (DELETE /v1/dead-letters/{id}), over the bus's dead-letter store
// (durable in the host: the `$dead-letters` stream).
#include <charconv>
#include <limits>

#include <fmt/core.h>

#include "api/api_context.h"
#include "api/json_body.h"
#include "api/query.h"
#include "api/router.h"
#include "api/routes.h"
#include "bus/event_bus.h"
#include "core/text.h"

namespace chorus::api {
namespace {

constexpr uint64_t kDefaultLimit = 100;
constexpr uint64_t kMaxLimit = 1000;

Response bad_request(const Status& s) {
  return error_response(400, "invalid_argument", s.message());
}

Result<uint64_t> id_of(const Request& req) {
  const std::string_view text = req.param("id");
  uint64_t id = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || p != text.data() + text.size() || id == 0)
    return Status::InvalidArgument(
        fmt::format("dead letter id '{}' is not a positive integer", printable(text)));
  return id;
}

Response not_found(uint64_t id) {
  return error_response(404, "not_found",
                        fmt::format("dead letter {} does not exist (replayed or dropped "
                                    "already?)",
                                    id));
}

void list(const ApiContext& ctx, Request& req, const Reply& reply) {
  auto q = QueryParams::parse(req.query);
  if (!q.ok()) return reply.send(bad_request(q.error()));
  if (Status s = check_known_params(*q, {"subscriber", "after", "limit"}); !s.ok())
    return reply.send(bad_request(s));
  auto after = q->uint("after", 0, std::numeric_limits<uint64_t>::max());
  auto limit = q->uint("limit", 1, kMaxLimit);
  for (const Status& s : {after.status(), limit.status()})
    if (!s.ok()) return reply.send(bad_request(s));
  bus::DeadLetterQuery dq;
  dq.subscriber_id = std::string(q->get("subscriber").value_or(""));
  dq.after_id = after->value_or(0);
  // One more than asked: tells whether there is a next page.
  dq.limit = static_cast<size_t>(limit->value_or(kDefaultLimit)) + 1;
  std::vector<bus::DeadLetter> items = ctx.bus->dead_letters().list(dq);
  const bool end = items.size() < dq.limit;
  if (!end) items.pop_back();
  JsonBody j;
  j.w.StartObject();
  j.key("count");
  j.w.Uint64(ctx.bus->dead_letters().size());
  j.key("dead_letters");
  j.w.StartArray();
  for (const bus::DeadLetter& dl : items)
    j.dead_letter(dl);
  j.w.EndArray();
  j.key("end");
  j.w.Bool(end);
  if (!end && !items.empty()) {
    j.key("next");
    j.w.Uint64(items.back().id);
  }
  j.w.EndObject();
  reply.send(json_response(200, j.take()));
}

}  // namespace

void add_dead_letter_routes(Router& router, const ApiContext& ctx) {
  router.add(Method::kGet, "/v1/dead-letters", Access::kToken,
             [ctx](Request& req, Reply reply) { list(ctx, req, reply); });

  router.add(Method::kGet, "/v1/dead-letters/{id}", Access::kToken,
             [ctx](Request& req, Reply reply) {
               auto id = id_of(req);
               if (!id.ok()) return reply.send(bad_request(id.error()));
               auto dl = ctx.bus->dead_letters().get(*id);
               if (!dl) return reply.send(not_found(*id));
               JsonBody j;
               j.dead_letter(*dl);
               reply.send(json_response(200, j.take()));
             });

  router.add(Method::kPost, "/v1/dead-letters/{id}/replay", Access::kToken,
             [ctx](Request& req, Reply reply) {
               auto id = id_of(req);
               if (!id.ok()) return reply.send(bad_request(id.error()));
               auto q = QueryParams::parse(req.query);
               if (!q.ok()) return reply.send(bad_request(q.error()));
               if (Status s = check_known_params(*q, {"to"}); !s.ok())
                 return reply.send(bad_request(s));
               const std::string_view to = q->get("to").value_or("subscriber");
               bus::ReplayTarget target;
               if (to == "subscriber")
                 target = bus::ReplayTarget::kOriginalSubscriber;
               else if (to == "all")
                 target = bus::ReplayTarget::kRepublish;
               else
                 return reply.send(bad_request(Status::InvalidArgument(fmt::format(
                     "query parameter 'to': '{}' is not valid (expected subscriber: the one "
                     "that failed it, or all: publish it again)",
                     printable(to)))));
               Status s = ctx.bus->replay_dead_letter(*id, target);
               if (s.is(StatusCode::kNotFound))
                 return reply.send(error_response(404, "not_found", s.message()));
               if (!s.ok()) return reply.send(error_response(s));
               JsonBody j;
               j.w.StartObject();
               j.key("replayed");
               j.w.Uint64(*id);
               j.member("to", to);
               j.w.EndObject();
               reply.send(json_response(200, j.take()));
             });

  router.add(Method::kDelete, "/v1/dead-letters/{id}", Access::kToken,
             [ctx](Request& req, Reply reply) {
               auto id = id_of(req);
               if (!id.ok()) return reply.send(bad_request(id.error()));
               Status s = ctx.bus->drop_dead_letter(*id);
               if (s.is(StatusCode::kNotFound)) return reply.send(not_found(*id));
               if (!s.ok()) return reply.send(error_response(s));
               JsonBody j;
               j.w.StartObject();
               j.key("dropped");
               j.w.Uint64(*id);
               j.w.EndObject();
               reply.send(json_response(200, j.take()));
             });
}

}  // namespace chorus::api
