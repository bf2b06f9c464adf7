// GET /healthz (liveness: the API answers), GET /readyz (every readiness
// check passes) and GET /metrics (every collector, Prometheus text 0.0.4).
#include "api/api_context.h"
#include "api/json_body.h"
#include "api/metrics_registry.h"
#include "api/readiness.h"
#include "api/router.h"
#include "api/routes.h"

namespace chorus::api {

void add_health_routes(Router& router, const ApiContext& ctx) {
  router.add(Method::kGet, "/healthz", Access::kPublic,
             [](Request&, Reply reply) { reply.send(json_response(200, R"({"status":"ok"})")); });

  router.add(Method::kGet, "/readyz", Access::kToken, [ctx](Request&, Reply reply) {
    const std::vector<Readiness::Outcome> checks = ctx.readiness->run();
    bool ready = true;
    JsonBody j;
    j.w.StartObject();
    j.key("checks");
    j.w.StartArray();
    for (const Readiness::Outcome& c : checks) {
      ready = ready && c.status.ok();
      j.w.StartObject();
      j.member("name", c.name);
      j.key("ok");
      j.w.Bool(c.status.ok());
      if (!c.status.ok()) j.member("message", c.status.message());
      j.w.EndObject();
    }
    j.w.EndArray();
    j.key("ready");
    j.w.Bool(ready);
    j.w.EndObject();
    reply.send(json_response(ready ? 200 : 503, j.take()));
  });

  router.add(Method::kGet, "/metrics", Access::kToken, [ctx](Request&, Reply reply) {
    Response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = ctx.metrics->render();
    reply.send(std::move(r));
  });
}

}  // namespace chorus::api
