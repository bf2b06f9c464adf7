// Host functions for the bus: publish, subscribe, unsubscribe, request,
// reply (host_api.h, plugin.h).
#include <fmt/core.h>

#include "plugins/event_view.h"
#include "plugins/host_api.h"
#include "plugins/instance.h"

namespace chorus::plugins::api {
namespace {

// The ABI 1.0 sizes of the structs these functions read.
constexpr size_t kPublishMin = offsetof(chorus_publish, id) + sizeof(chorus_str);
constexpr size_t kSubscribeMin = offsetof(chorus_subscribe, handler_ctx) + sizeof(void*);
constexpr std::chrono::milliseconds kDefaultRequestTimeout{5'000};

// Reads a chorus_publish and checks its type against the allowed patterns.
Result<chorus_publish> read_publish(Instance& in, const chorus_publish* p, std::string_view what) {
  chorus_publish out;
  CHORUS_RETURN_IF_ERROR(copy_in(p, out, kPublishMin, "chorus_publish"));
  CHORUS_ASSIGN_OR_RETURN(auto type, view_of(out.type, "chorus_publish.type"));
  CHORUS_RETURN_IF_ERROR(in.check_publish(type, what));
  return out;
}

}  // namespace

int32_t publish(chorus_host* h, const chorus_publish* p, chorus_id* out_id) {
  Instance* in = instance_of(h);
  if (!in) return CHORUS_INVALID_ARGUMENT;
  if (Status st = in->allow(Instance::Op::kPublish, "publish"); !st.ok()) return fail(st);
  auto msg = read_publish(*in, p, "publish");
  if (!msg.ok()) return fail(msg.error());
  auto ev = build_event(*msg, in->name());
  if (!ev.ok()) return fail(ev.error().with_context(fmt::format("{}: publish", in->name())));
  if (Status st = in->publish(*ev); !st.ok())
    return fail(st.with_context(fmt::format("{}: publish '{}'", in->name(), (*ev)->type())));
  if (out_id) {
    (*ev)->id().format_to(out_id->text);
    out_id->text[36] = '\0';
  }
  return CHORUS_OK;
}

int32_t subscribe(chorus_host* h, const chorus_subscribe* s, uint64_t* out_id) {
  Instance* in = instance_of(h);
  if (!in) return CHORUS_INVALID_ARGUMENT;
  chorus_subscribe sub;
  if (Status st = copy_in(s, sub, kSubscribeMin, "chorus_subscribe"); !st.ok()) return fail(st);
  Instance::SubscribeArgs args;
  auto pattern = view_of(sub.pattern, "chorus_subscribe.pattern");
  auto group = view_of(sub.queue_group, "chorus_subscribe.queue_group");
  auto durable = view_of(sub.durable_group, "chorus_subscribe.durable_group");
  for (const auto* r : {&pattern, &group, &durable})
    if (!r->ok()) return fail(r->error());
  args.pattern = std::string(*pattern);
  args.queue_group = std::string(*group);
  args.durable_group = std::string(*durable);
  args.flags = sub.flags;
  args.filter = sub.filter;
  args.filter_ctx = sub.filter_ctx;
  args.handler = sub.handler;
  args.handler_ctx = sub.handler_ctx;
  auto id = in->subscribe(std::move(args));
  if (!id.ok()) return fail(id.error());
  if (out_id) *out_id = *id;
  return CHORUS_OK;
}

int32_t unsubscribe(chorus_host* h, uint64_t id) {
  Instance* in = instance_of(h);
  if (!in) return CHORUS_INVALID_ARGUMENT;
  Status st = in->unsubscribe(id);
  return st.ok() ? CHORUS_OK : fail(st);
}

int32_t request(chorus_host* h, const chorus_publish* p, uint32_t timeout_ms, chorus_reply_fn done,
                void* ctx) {
  Instance* in = instance_of(h);
  if (!in) return CHORUS_INVALID_ARGUMENT;
  if (Status st = in->allow(Instance::Op::kRequest, "request"); !st.ok()) return fail(st);
  if (!done)
    return fail(Status::InvalidArgument(fmt::format("{}: request: done is NULL", in->name())));
  auto msg = read_publish(*in, p, "request");
  if (!msg.ok()) return fail(msg.error());
  auto ev = build_event(*msg, in->name());
  if (!ev.ok()) return fail(ev.error().with_context(fmt::format("{}: request", in->name())));
  const auto timeout =
      timeout_ms == 0 ? kDefaultRequestTimeout : std::chrono::milliseconds(timeout_ms);
  Status st = in->request(std::move(*ev), timeout, done, ctx);
  return st.ok() ? CHORUS_OK : fail(st);
}

int32_t reply(chorus_host* h, const chorus_event* request, const chorus_publish* p) {
  Instance* in = instance_of(h);
  if (!in) return CHORUS_INVALID_ARGUMENT;
  if (Status st = in->allow(Instance::Op::kPublish, "reply"); !st.ok()) return fail(st);
  if (!request)
    return fail(Status::InvalidArgument(fmt::format("{}: reply: request is NULL", in->name())));
  auto msg = read_publish(*in, p, "reply");
  if (!msg.ok()) return fail(msg.error());
  auto b = builder_of(*msg, in->name());
  if (!b.ok()) return fail(b.error().with_context(fmt::format("{}: reply", in->name())));
  Status st = in->reply(*from_handle(request), std::move(*b));
  return st.ok() ? CHORUS_OK : fail(st.with_context(fmt::format("{}: reply", in->name())));
}

}  // namespace chorus::plugins::api
