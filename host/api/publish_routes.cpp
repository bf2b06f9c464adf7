// POST /v1/events: publish CloudEvents (structured, batch or binary) on the
// bus. Every event is validated before any is published, so a bad batch
// publishes nothing. Events of persistent types (store.persist) are
// answered once their commit met the durability policy, with their stored
// sequence numbers; others as soon as the bus took them.
#include <atomic>
#include <memory>
#include <vector>

#include <fmt/core.h>

#include "api/api_context.h"
#include "api/api_metrics.h"
#include "api/cloudevents_http.h"
#include "api/json_body.h"
#include "api/router.h"
#include "api/routes.h"
#include "api/seq_tracker.h"
#include "bus/event_bus.h"
#include "core/topic.h"

namespace chorus::api {
namespace {

bool is_persistent(const ApiOptions& o, std::string_view type) {
  for (const std::string& p : o.persist)
    if (topic_matches(p, type)) return true;
  return false;
}

// One publish request in flight: the events, what became of each, and the
// reply once the last one completed (on whichever thread completed it).
struct Publish {
  std::vector<EventPtr> events;
  std::vector<bool> persistent;
  std::vector<Status> results;
  std::vector<uint64_t> seqs;
  std::atomic<size_t> pending{0};
  std::shared_ptr<SeqTracker> tracker;
  Reply reply;

  explicit Publish(Reply r) : reply(std::move(r)) {}

  void done(size_t i, const Status& s) {
    results[i] = s;
    if (persistent[i] && tracker) seqs[i] = tracker->take(events[i]->id());
    if (pending.fetch_sub(1, std::memory_order_acq_rel) == 1) finish();
  }

  void finish() {
    const Status* first_error = nullptr;
    for (const Status& s : results)
      if (!s.ok()) {
        first_error = &s;
        break;
      }
    JsonBody j;
    j.w.StartObject();
    if (first_error) {
      j.key("error");
      j.w.StartObject();
      j.member("code", status_code_name(first_error->code()));
      j.member("message", first_error->message());
      j.w.EndObject();
    }
    j.key("events");
    j.w.StartArray();
    char id[36];
    for (size_t i = 0; i < events.size(); ++i) {
      j.w.StartObject();
      events[i]->id().format_to(id);
      j.member("id", std::string_view(id, 36));
      if (results[i].ok()) {
        if (persistent[i]) {
          j.key("persisted");
          j.w.Bool(true);
          if (seqs[i] != 0) {
            j.key("seq");
            j.w.Uint64(seqs[i]);
          }
        }
      } else {
        j.key("error");
        j.w.StartObject();
        j.member("code", status_code_name(results[i].code()));
        j.member("message", results[i].message());
        j.w.EndObject();
      }
      j.w.EndObject();
    }
    j.w.EndArray();
    j.w.EndObject();
    reply.send(json_response(first_error ? http_status_of(first_error->code()) : 200, j.take()));
  }
};

}  // namespace

void add_publish_routes(Router& router, const ApiContext& ctx) {
  router.add(Method::kPost, "/v1/events", Access::kToken, [ctx](Request& req, Reply reply) {
    auto mode = cloudevents_mode(req);
    if (!mode.ok())
      return reply.send(error_response(415, "unsupported_media_type", mode.error().message()));
    auto events = decode_cloudevents(req, *mode);
    if (!events.ok()) return reply.send(error_response(events.error()));

    const auto options = ctx.options->get();
    auto p = std::make_shared<Publish>(std::move(reply));
    p->events = std::move(*events);
    const size_t n = p->events.size();
    p->persistent.resize(n);
    p->results.resize(n);
    p->seqs.resize(n);
    p->tracker = ctx.seqs;
    p->pending.store(n, std::memory_order_relaxed);
    for (size_t i = 0; i < n; ++i) {
      p->persistent[i] = is_persistent(*options, p->events[i]->type());
      if (p->persistent[i] && p->tracker) p->tracker->expect(p->events[i]->id());
    }
    ctx.api_metrics->published.fetch_add(n, std::memory_order_relaxed);
    // In order: persistent events are appended in this order, so their
    // seqs ascend within the request.
    for (size_t i = 0; i < n; ++i)
      ctx.bus->publish_async(p->events[i], [p, i](const Status& s) { p->done(i, s); });
  });
}

}  // namespace chorus::api
