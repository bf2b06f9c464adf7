// Plugins through the API: list (GET /v1/plugins: running instances and
// the files that failed), load (POST /v1/plugins {"file":"x.so"}), unload
// (DELETE /v1/plugins/{name}) and reload (POST /v1/plugins/{name}/reload),
// over plugins::PluginHost. Loads and unloads block (an unload drains the
// instance), so they run on the AdminWorker and answer from there.
#include <filesystem>

#include <fmt/core.h>
#include <rapidjson/document.h>

#include "api/admin_worker.h"
#include "api/api_context.h"
#include "api/json_body.h"
#include "api/router.h"
#include "api/routes.h"
#include "core/text.h"
#include "core/time_format.h"
#include "plugins/plugin_host.h"

namespace chorus::api {
namespace {

Response no_plugin_host() {
  return error_response(503, "unavailable", "the plugin host is not running in this host");
}

Response stopping() {
  return error_response(503, "unavailable", "the API is stopping");
}

// A load, init or start that failed is 422 (the request was understood;
// the plugin is what failed); the rest as their status says.
Response operation_error(const Status& s) {
  if (s.is(StatusCode::kFailedPrecondition)) return error_response(422, "load_failed", s.message());
  return error_response(s);
}

void write_plugin(JsonBody& j, const plugins::PluginInfo& p) {
  j.w.StartObject();
  j.member("name", p.agent.name);
  j.member("plugin", p.agent.plugin);
  j.member("version", p.agent.version);
  j.member("description", p.agent.description);
  j.member("file", p.agent.file);
  j.key("capabilities");
  j.w.StartArray();
  for (const std::string& c : p.agent.capabilities)
    j.string(c);
  j.w.EndArray();
  j.key("warnings");
  j.w.StartArray();
  for (const std::string& w : p.warnings)
    j.string(w);
  j.w.EndArray();
  j.member("loaded", format_rfc3339(p.loaded_ns));
  const plugins::InstanceStats& s = p.stats;
  j.key("stats");
  j.w.StartObject();
  auto n = [&](std::string_view k, uint64_t v) {
    j.key(k);
    j.w.Uint64(v);
  };
  n("delivered", s.delivered);
  n("failed", s.failed);
  n("error_replies", s.error_replies);
  n("published", s.published);
  n("publish_errors", s.publish_errors);
  n("violations", s.violations);
  n("subscriptions", s.subscriptions);
  n("timers", s.timers);
  n("pending_requests", s.pending_requests);
  n("retained_events", s.retained_events);
  n("memory_bytes", s.memory_bytes);
  j.w.EndObject();
  j.w.EndObject();
}

void list(const ApiContext& ctx, const Reply& reply) {
  JsonBody j;
  j.w.StartObject();
  j.key("plugins");
  j.w.StartArray();
  for (const plugins::PluginInfo& p : ctx.plugins->plugins())
    write_plugin(j, p);
  j.w.EndArray();
  j.key("failures");
  j.w.StartArray();
  for (const plugins::LoadFailure& f : ctx.plugins->failures()) {
    j.w.StartObject();
    j.member("file", f.file);
    j.member("stage", f.stage);
    j.member("error", f.error);
    j.key("still_running");
    j.w.Bool(f.still_running);
    j.member("time", format_rfc3339(f.time_ns));
    j.w.EndObject();
  }
  j.w.EndArray();
  j.w.EndObject();
  reply.send(json_response(200, j.take()));
}

// Whether `p` is what `name` names: an instance, a plugin, a file name or
// its stem (as PluginHost::unload and reload resolve it).
bool named(const plugins::PluginInfo& p, std::string_view name) {
  const std::filesystem::path file(p.agent.file);
  return p.agent.name == name || p.agent.plugin == name || file.filename() == name ||
         file.stem() == name;
}

// {"<action>": name, "plugins": [the instances `name` names now]}.
Response instances_of(const ApiContext& ctx, std::string_view action, std::string_view name,
                      int status) {
  JsonBody j;
  j.w.StartObject();
  j.member(action, name);
  j.key("plugins");
  j.w.StartArray();
  for (const plugins::PluginInfo& p : ctx.plugins->plugins())
    if (named(p, name)) write_plugin(j, p);
  j.w.EndArray();
  j.w.EndObject();
  return json_response(status, j.take());
}

Result<std::string> file_from_body(const Request& req) {
  rapidjson::Document d;
  d.Parse(req.body.data(), req.body.size());
  if (d.HasParseError() || !d.IsObject())
    return Status::InvalidArgument(
        "body: expected a JSON object {\"file\": \"name.so\"} (a file of the plugins folder)");
  auto it = d.FindMember("file");
  if (it == d.MemberEnd() || !it->value.IsString())
    return Status::InvalidArgument(
        "body: field 'file': expected a string (e.g. \"calculator.so\")");
  for (const auto& m : d.GetObject())
    if (std::string_view(m.name.GetString(), m.name.GetStringLength()) != "file")
      return Status::InvalidArgument(
          fmt::format("body: unknown field '{}' (expected file)", printable(m.name.GetString())));
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

}  // namespace

void add_plugin_routes(Router& router, const ApiContext& ctx) {
  router.add(Method::kGet, "/v1/plugins", Access::kToken, [ctx](Request&, Reply reply) {
    if (!ctx.plugins) return reply.send(no_plugin_host());
    list(ctx, reply);
  });

  router.add(Method::kPost, "/v1/plugins", Access::kToken, [ctx](Request& req, Reply reply) {
    if (!ctx.plugins) return reply.send(no_plugin_host());
    auto file = file_from_body(req);
    if (!file.ok())
      return reply.send(error_response(400, "invalid_argument", file.error().message()));
    ctx.worker->post(
        [ctx, reply, file = *file] {
          Status s = ctx.plugins->load(file);
          if (!s.ok()) return reply.send(operation_error(s));
          reply.send(instances_of(ctx, "loaded", file, 201));
        },
        [reply] { reply.send(stopping()); });
  });

  router.add(
      Method::kDelete, "/v1/plugins/{name}", Access::kToken, [ctx](Request& req, Reply reply) {
        if (!ctx.plugins) return reply.send(no_plugin_host());
        ctx.worker->post(
            [ctx, reply, name = std::string(req.param("name"))] {
              Status s = ctx.plugins->unload(name);
              if (s.is(StatusCode::kNotFound))
                return reply.send(error_response(
                    404, "not_found", s.message() + " (GET /v1/plugins lists the running ones)"));
              if (!s.ok()) return reply.send(operation_error(s));
              JsonBody j;
              j.w.StartObject();
              j.member("unloaded", name);
              j.w.EndObject();
              reply.send(json_response(200, j.take()));
            },
            [reply] { reply.send(stopping()); });
      });

  router.add(Method::kPost, "/v1/plugins/{name}/reload", Access::kToken,
             [ctx](Request& req, Reply reply) {
               if (!ctx.plugins) return reply.send(no_plugin_host());
               ctx.worker->post(
                   [ctx, reply, name = std::string(req.param("name"))] {
                     Status s = ctx.plugins->reload(name);
                     if (!s.ok()) return reply.send(operation_error(s));
                     reply.send(instances_of(ctx, "reloaded", name, 200));
                   },
                   [reply] { reply.send(stopping()); });
             });
}

}  // namespace chorus::api
