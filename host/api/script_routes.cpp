// Scripts through the API: list (GET /v1/scripts: every configured script,
// loaded or not, with its counters) and reload (POST
// /v1/scripts/{name}/reload: from its file now, transactionally), over
// lua::ScriptHost. A reload compiles and swaps under the script's executor,
// so it runs on the AdminWorker.
#include <fmt/core.h>

#include "api/admin_worker.h"
#include "api/api_context.h"
#include "api/json_body.h"
#include "api/router.h"
#include "api/routes.h"
#include "lua/script_host.h"

namespace chorus::api {
namespace {

Response no_scripts() {
  return error_response(503, "unavailable", "the Lua runtime is not running in this host");
}

void write_script(JsonBody& j, const lua::ScriptInfo& s) {
  auto n = [&](std::string_view k, uint64_t v) {
    j.key(k);
    j.w.Uint64(v);
  };
  j.w.StartObject();
  j.member("name", s.name);
  j.member("path", s.path);
  j.key("loaded");
  j.w.Bool(s.loaded);
  j.key("trusted");
  j.w.Bool(s.trusted);
  j.member("hash", s.hash);
  n("generation", s.generation);
  n("subscriptions", s.subscriptions);
  n("waiting", s.waiting);
  n("retiring", s.retiring);
  n("memory_bytes", s.memory_bytes);
  n("invocations", s.invocations);
  n("errors", s.errors);
  n("limit_hits", s.limit_hits);
  n("reloads", s.reloads);
  n("load_failures", s.load_failures);
  if (!s.last_error.empty()) j.member("last_error", s.last_error);
  j.w.EndObject();
}

}  // namespace

void add_script_routes(Router& router, const ApiContext& ctx) {
  router.add(Method::kGet, "/v1/scripts", Access::kToken, [ctx](Request&, Reply reply) {
    if (!ctx.scripts) return reply.send(no_scripts());
    JsonBody j;
    j.w.StartObject();
    j.key("scripts");
    j.w.StartArray();
    for (const lua::ScriptInfo& s : ctx.scripts->scripts())
      write_script(j, s);
    j.w.EndArray();
    j.w.EndObject();
    reply.send(json_response(200, j.take()));
  });

  router.add(
      Method::kPost, "/v1/scripts/{name}/reload", Access::kToken, [ctx](Request& req, Reply reply) {
        if (!ctx.scripts) return reply.send(no_scripts());
        ctx.worker->post(
            [ctx, reply, name = std::string(req.param("name"))] {
              Status s = ctx.scripts->reload(name);
              if (s.is(StatusCode::kNotFound))
                return reply.send(error_response(
                    404, "not_found",
                    fmt::format("{} (GET /v1/scripts lists the configured scripts)", s.message())));
              // The new version did not load: the previous one keeps running.
              if (!s.ok()) return reply.send(error_response(422, "load_failed", s.message()));
              JsonBody j;
              j.w.StartObject();
              j.member("reloaded", name);
              for (const lua::ScriptInfo& info : ctx.scripts->scripts())
                if (info.name == name) {
                  j.key("script");
                  write_script(j, info);
                }
              j.w.EndObject();
              reply.send(json_response(200, j.take()));
            },
            [reply] { reply.send(error_response(503, "unavailable", "the API is stopping")); });
      });
}

}  // namespace chorus::api
