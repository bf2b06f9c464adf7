// The service registry through the API (discovery::Registry): list
// (GET /v1/registry/services?type=&capability=&tag=&health=), show (GET
// /v1/registry/services/{id}), register (POST /v1/registry/services, a
// service object; ?replace=true replaces a dynamic record with the same
// id), heartbeat (POST /v1/registry/services/{id}/heartbeat), unregister
// (DELETE /v1/registry/services/{id}) and select (POST
// /v1/registry/select?capability=&tag=&strategy=: picks an instance as a
// request would, and releases it at once). The registry is thread-safe and
// quick: handlers call it on the io thread.
#include <fmt/core.h>

#include "api/api_context.h"
#include "api/json_body.h"
#include "api/query.h"
#include "api/router.h"
#include "api/routes.h"
#include "api/service_json.h"
#include "core/text.h"
#include "discovery/registry.h"

namespace chorus::api {
namespace {

Response no_registry() {
  return error_response(503, "unavailable", "discovery is not running in this host");
}

Response bad_request(const Status& s) {
  return error_response(400, "invalid_argument", s.message());
}

// Registry errors: NotFound 404, AlreadyExists 409, FailedPrecondition 409
// (a configured service), NoHealthyInstance 503, ResourceExhausted 429,
// InvalidArgument 400 (http_status_of).
Response registry_error(const Status& s) {
  return error_response(s);
}

const discovery::ServiceStats* stats_of(const discovery::RegistryStats& st, const std::string& id) {
  for (const discovery::ServiceStats& s : st.per_service)
    if (s.id == id) return &s;
  return nullptr;
}

void list(const ApiContext& ctx, Request& req, const Reply& reply) {
  auto q = QueryParams::parse(req.query);
  if (!q.ok()) return reply.send(bad_request(q.error()));
  if (Status s = check_known_params(*q, {"type", "capability", "tag", "health", "limit"}); !s.ok())
    return reply.send(bad_request(s));
  discovery::Query query;
  query.type = std::string(q->get("type").value_or(""));
  query.capability = std::string(q->get("capability").value_or(""));
  for (std::string_view t : q->all("tag"))
    query.tags.emplace_back(t);
  const std::string_view health = q->get("health").value_or("any");
  if (health == "any")
    query.health = discovery::HealthFilter::kAny;
  else if (health == "healthy")
    query.health = discovery::HealthFilter::kHealthyOnly;
  else
    return reply.send(bad_request(Status::InvalidArgument(
        fmt::format("query parameter 'health': '{}' is not valid (expected any or healthy)",
                    printable(health)))));
  auto limit = q->uint("limit", 1, 100'000);
  if (!limit.ok()) return reply.send(bad_request(limit.error()));
  query.limit = static_cast<size_t>(limit->value_or(0));
  const std::vector<discovery::ServiceInfo> found = ctx.registry->discover(query);
  const discovery::RegistryStats st = ctx.registry->stats();
  JsonBody j;
  j.w.StartObject();
  j.key("count");
  j.w.Uint64(found.size());
  j.key("services");
  j.w.StartArray();
  for (const discovery::ServiceInfo& s : found)
    write_service(j, s, stats_of(st, s.id()));
  j.w.EndArray();
  j.w.EndObject();
  reply.send(json_response(200, j.take()));
}

void show(const ApiContext& ctx, const std::string& id, int status, const Reply& reply) {
  auto info = ctx.registry->get(id);
  if (!info.ok()) return reply.send(registry_error(info.error()));
  const discovery::RegistryStats st = ctx.registry->stats();
  JsonBody j;
  write_service(j, *info, stats_of(st, id));
  reply.send(json_response(status, j.take()));
}

void register_service(const ApiContext& ctx, Request& req, const Reply& reply) {
  auto q = QueryParams::parse(req.query);
  if (!q.ok()) return reply.send(bad_request(q.error()));
  if (Status s = check_known_params(*q, {"replace"}); !s.ok()) return reply.send(bad_request(s));
  const std::string_view replace = q->get("replace").value_or("false");
  if (replace != "true" && replace != "false")
    return reply.send(bad_request(Status::InvalidArgument(
        fmt::format("query parameter 'replace': '{}' is not valid (expected true or false)",
                    printable(replace)))));
  auto spec = service_spec_from_json(req.body);
  if (!spec.ok()) return reply.send(bad_request(spec.error()));
  const std::string id = spec->id;
  discovery::RegisterOptions o;
  o.on_existing =
      replace == "true" ? discovery::OnExisting::kReplace : discovery::OnExisting::kFail;
  if (Status s = ctx.registry->register_service(std::move(*spec), o); !s.ok())
    return reply.send(registry_error(s));
  show(ctx, id, 201, reply);
}

void select(const ApiContext& ctx, Request& req, const Reply& reply) {
  auto q = QueryParams::parse(req.query);
  if (!q.ok()) return reply.send(bad_request(q.error()));
  if (Status s = check_known_params(*q, {"capability", "tag", "strategy"}); !s.ok())
    return reply.send(bad_request(s));
  const auto capability = q->get("capability");
  if (!capability || capability->empty())
    return reply.send(bad_request(Status::InvalidArgument(
        "query parameter 'capability' is required (the capability to pick an instance for)")));
  discovery::SelectOptions o;
  for (std::string_view t : q->all("tag"))
    o.tags.emplace_back(t);
  if (auto strategy = q->get("strategy")) {
    auto parsed = discovery::parse_strategy(*strategy);
    if (!parsed.ok())
      return reply.send(bad_request(parsed.error().with_context("query parameter 'strategy'")));
    o.strategy = *parsed;
  }
  auto picked = ctx.registry->select(*capability, o);
  if (!picked.ok()) {
    if (picked.error().is(StatusCode::kNoHealthyInstance))
      return reply.send(error_response(503, "no_healthy_instance", picked.error().message()));
    return reply.send(registry_error(picked.error()));
  }
  // Nothing is sent to it: the connection select() counted ends now.
  ctx.registry->release(*picked);
  JsonBody j;
  j.w.StartObject();
  j.member("capability", *capability);
  j.key("service");
  write_service(j, *picked);
  j.w.EndObject();
  reply.send(json_response(200, j.take()));
}

}  // namespace

void add_registry_routes(Router& router, const ApiContext& ctx) {
  // Every route needs the registry; one guard for all.
  auto guarded = [ctx](void (*fn)(const ApiContext&, Request&, const Reply&)) {
    return [ctx, fn](Request& req, Reply reply) {
      if (!ctx.registry) return reply.send(no_registry());
      fn(ctx, req, reply);
    };
  };
  router.add(Method::kGet, "/v1/registry/services", Access::kToken, guarded(list));
  router.add(Method::kPost, "/v1/registry/services", Access::kToken, guarded(register_service));
  router.add(Method::kGet, "/v1/registry/services/{id}", Access::kToken,
             guarded([](const ApiContext& c, Request& req, const Reply& reply) {
               show(c, std::string(req.param("id")), 200, reply);
             }));
  router.add(Method::kPost, "/v1/registry/services/{id}/heartbeat", Access::kToken,
             guarded([](const ApiContext& c, Request& req, const Reply& reply) {
               const std::string id(req.param("id"));
               if (Status s = c.registry->heartbeat(id); !s.ok())
                 return reply.send(registry_error(s));
               show(c, id, 200, reply);
             }));
  router.add(Method::kDelete, "/v1/registry/services/{id}", Access::kToken,
             guarded([](const ApiContext& c, Request& req, const Reply& reply) {
               const std::string id(req.param("id"));
               if (Status s = c.registry->unregister(id); !s.ok())
                 return reply.send(registry_error(s));
               JsonBody j;
               j.w.StartObject();
               j.member("unregistered", id);
               j.w.EndObject();
               reply.send(json_response(200, j.take()));
             }));
  router.add(Method::kPost, "/v1/registry/select", Access::kToken, guarded(select));
}

}  // namespace chorus::api
