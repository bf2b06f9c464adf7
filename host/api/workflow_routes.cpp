// Workflow instances through the API (docs/api.md "Workflows"): list
// (GET /v1/workflows), show one with its history (GET /v1/workflows/{id}),
// cancel (POST /v1/workflows/{id}/cancel) and the live upgrade of a
// workflow's open instances (POST /v1/workflow-definitions/{name}/upgrade).
// List and show read the host's store (workflows/history_reader.h: the
// index $wf-instances and the histories), short read transactions on the io
// thread, as the other queries. Cancel and upgrade block until the engine
// has decided (compensations run, histories replayed), so they run on the
// AdminWorker and answer from there.
#include <algorithm>

#include <fmt/core.h>
#include <rapidjson/document.h>

#include "api/admin_worker.h"
#include "api/api_context.h"
#include "api/json_body.h"
#include "api/query.h"
#include "api/router.h"
#include "api/routes.h"
#include "api/workflow_json.h"
#include "core/text.h"
#include "workflows/history_reader.h"
#include "workflows/workflow_engine.h"

namespace chorus::api {
namespace {

constexpr uint64_t kDefaultLimit = 100;
constexpr uint64_t kMaxLimit = 1000;
constexpr std::string_view kDefaultReason = "cancelled through the admin API";

// The statuses an instance has (docs/workflows.md "Instances"), and the two
// groups a filter may name.
constexpr std::string_view kStatuses[] = {"running",     "suspended", "completed", "failed",
                                          "compensated", "continued", "cancelled"};

bool is_open(std::string_view status) {
  return status == "running" || status == "suspended";
}

Response no_engine() {
  return error_response(503, "unavailable", "the workflow engine is not running in this host");
}

Response stopping() {
  return error_response(503, "unavailable", "the API is stopping");
}

Response bad_request(const Status& s) {
  return error_response(400, "invalid_argument", s.message());
}

// An instance the store does not know is 404 with where to look; an
// ambiguous prefix is the caller's to lengthen (400).
Response lookup_error(const Status& s) {
  if (s.is(StatusCode::kNotFound))
    return error_response(
        404, "not_found",
        fmt::format("{} (GET /v1/workflows?status=all lists the instances)", s.message()));
  if (s.is(StatusCode::kInvalidArgument)) return bad_request(s);
  return error_response(s);
}

Status check_status_filter(std::string_view status) {
  if (status == "open" || status == "ended" || status == "all") return Status::OK();
  for (std::string_view s : kStatuses)
    if (s == status) return Status::OK();
  return Status::InvalidArgument(fmt::format(
      "query parameter 'status': '{}' is not a status (expected open, ended, all, running, "
      "suspended, completed, failed, compensated, continued or cancelled)",
      printable(status)));
}

bool status_matches(std::string_view filter, std::string_view status) {
  if (filter == "all") return true;
  if (filter == "open") return is_open(status);
  if (filter == "ended") return !is_open(status);
  return filter == status;
}

void list(const ApiContext& ctx, const Request& req, const Reply& reply) {
  auto q = QueryParams::parse(req.query);
  if (!q.ok()) return reply.send(bad_request(q.error()));
  if (Status s = check_known_params(*q, {"name", "status", "limit", "direction"}); !s.ok())
    return reply.send(bad_request(s));
  const std::string name(q->get("name").value_or(""));
  const std::string status(q->get("status").value_or("open"));
  if (Status s = check_status_filter(status); !s.ok()) return reply.send(bad_request(s));
  auto limit = q->uint("limit", 1, kMaxLimit);
  if (!limit.ok()) return reply.send(bad_request(limit.error()));
  const std::string_view direction = q->get("direction").value_or("backward");
  if (direction != "backward" && direction != "forward")
    return reply.send(bad_request(Status::InvalidArgument(fmt::format(
        "query parameter 'direction': '{}' is not valid (expected backward, newest first, or "
        "forward)",
        printable(direction)))));

  // Ended instances need only the index; open ones also read their history.
  const auto which = status == "open" || status == "running" || status == "suspended"
                         ? workflows::Which::kOpen
                         : workflows::Which::kAll;
  auto all = workflows::list_instances(*ctx.store, which);
  if (!all.ok()) return reply.send(error_response(all.error()));
  std::vector<const workflows::InstanceSummary*> matching;
  for (const auto& s : *all)
    if ((name.empty() || s.workflow == name) && status_matches(status, s.status))
      matching.push_back(&s);
  // The index is in start order: newest first unless asked otherwise.
  if (direction == "backward") std::reverse(matching.begin(), matching.end());
  const size_t n = std::min<size_t>(matching.size(), limit->value_or(kDefaultLimit));

  reply.send(json_response(200, instance_list_json(matching, n)));
}

void show(const ApiContext& ctx, const Request& req, const Reply& reply) {
  const std::string id(req.param("id"));
  auto s = workflows::show_instance(*ctx.store, id);
  if (!s.ok()) return reply.send(lookup_error(s.error()));
  auto history = workflows::instance_history(*ctx.store, s->id);
  if (!history.ok()) return reply.send(error_response(history.error()));
  reply.send(json_response(200, instance_detail_json(*s, *history)));
}

// The optional body of a cancel: nothing, or {"reason": "..."}.
Result<std::string> reason_from_body(const Request& req) {
  if (req.body.empty()) return std::string(kDefaultReason);
  rapidjson::Document d;
  d.Parse(req.body.data(), req.body.size());
  if (d.HasParseError() || !d.IsObject())
    return Status::InvalidArgument(
        "body: expected nothing, or a JSON object {\"reason\": \"why it is cancelled\"}");
  std::string reason(kDefaultReason);
  for (const auto& m : d.GetObject()) {
    const std::string_view key(m.name.GetString(), m.name.GetStringLength());
    if (key != "reason")
      return Status::InvalidArgument(
          fmt::format("body: unknown field '{}' (expected reason)", printable(key)));
    if (!m.value.IsString())
      return Status::InvalidArgument("body: field 'reason': expected a string");
    reason.assign(m.value.GetString(), m.value.GetStringLength());
  }
  return reason;
}

// On the AdminWorker: the id (or a unique prefix) is resolved in the store,
// so the answer names what the store knows; the engine then decides.
void cancel(const ApiContext& ctx, const std::string& id, const std::string& reason,
            const Reply& reply) {
  auto found = workflows::show_instance(*ctx.store, id);
  if (!found.ok()) return reply.send(lookup_error(found.error()));
  if (!is_open(found->status))
    return reply.send(error_response(409, "failed_precondition",
                                     fmt::format("workflow instance {} ({}) has ended already: {}",
                                                 found->id, found->workflow, found->status)));
  Status s = ctx.workflows->cancel(found->id, reason);
  if (s.is(StatusCode::kNotFound)) return reply.send(error_response(404, "not_found", s.message()));
  if (s.is(StatusCode::kFailedPrecondition))
    return reply.send(error_response(409, "failed_precondition", s.message()));
  if (!s.ok()) return reply.send(error_response(s));
  JsonBody j;
  j.w.StartObject();
  j.member("cancelled", found->id);
  j.member("reason", reason);
  // The outcome as recorded (cancelled, or failed naming a compensation).
  if (auto after = workflows::show_instance(*ctx.store, found->id); after.ok()) {
    j.key("instance");
    write_instance(j, *after);
  }
  j.w.EndObject();
  reply.send(json_response(200, j.take()));
}

void upgrade(const ApiContext& ctx, const std::string& name, const Reply& reply) {
  auto r = ctx.workflows->upgrade(name);
  if (!r.ok()) {
    const Status& s = r.error();
    if (s.is(StatusCode::kNotFound))
      return reply.send(error_response(
          404, "not_found",
          fmt::format(
              "{} (a workflow is defined by chorus.workflow{{name=...}} in a loaded script)",
              s.message())));
    if (s.is(StatusCode::kFailedPrecondition))
      return reply.send(error_response(409, "failed_precondition", s.message()));
    return reply.send(error_response(s));
  }
  reply.send(json_response(200, upgrade_json(name, *r, UpgradeMode::kLive)));
}

}  // namespace

void add_workflow_routes(Router& router, const ApiContext& ctx) {
  router.add(Method::kGet, "/v1/workflows", Access::kToken,
             [ctx](Request& req, Reply reply) { list(ctx, req, reply); });

  router.add(Method::kGet, "/v1/workflows/{id}", Access::kToken,
             [ctx](Request& req, Reply reply) { show(ctx, req, reply); });

  router.add(Method::kPost, "/v1/workflows/{id}/cancel", Access::kToken,
             [ctx](Request& req, Reply reply) {
               if (!ctx.workflows) return reply.send(no_engine());
               auto reason = reason_from_body(req);
               if (!reason.ok()) return reply.send(bad_request(reason.error()));
               ctx.worker->post([ctx, reply, id = std::string(req.param("id")),
                                 reason = *reason] { cancel(ctx, id, reason, reply); },
                                [reply] { reply.send(stopping()); });
             });

  router.add(
      Method::kPost, "/v1/workflow-definitions/{name}/upgrade", Access::kToken,
      [ctx](Request& req, Reply reply) {
        if (!ctx.workflows) return reply.send(no_engine());
        ctx.worker->post(
            [ctx, reply, name = std::string(req.param("name"))] { upgrade(ctx, name, reply); },
            [reply] { reply.send(stopping()); });
      });
}

}  // namespace chorus::api
