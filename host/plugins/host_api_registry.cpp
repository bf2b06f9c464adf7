// Host functions for the registry (service discovery): discover, select,
// release and request_by_capability (host_api.h, plugin.h, sdk/ABI.md
// "Registry"), over the host's discovery::Registry (InstanceLinks::registry).
// Without a registry (a host built without discovery, some tests) each
// returns CHORUS_UNAVAILABLE "discovery is not available in this host".
//
// Views handed to `each`/`chosen` point into the registry's immutable spec
// (held by the ServiceInfo copy for the call) and into arrays built here;
// they are valid for that call only, as the ABI says.
#include <fmt/core.h>

#include "discovery/registry.h"
#include "plugins/event_view.h"
#include "plugins/host_api.h"
#include "plugins/instance.h"

namespace chorus::plugins::api {
namespace {

constexpr std::string_view kUnavailable = "discovery is not available in this host";
constexpr size_t kQueryMin = offsetof(chorus_service_query, strategy) + sizeof(chorus_str);
constexpr size_t kPublishMin = offsetof(chorus_publish, id) + sizeof(chorus_str);

int32_t unavailable(Instance& in, std::string_view what) {
  return fail(Status::Unavailable(fmt::format("{}: {}: {}", in.name(), what, kUnavailable)));
}

// A plugin's query, decoded and checked.
struct QueryArgs {
  uint32_t flags = 0;
  std::string capability, type;
  std::vector<std::string> tags;
  std::optional<discovery::Strategy> strategy;
};

Result<QueryArgs> read_query(const chorus_service_query* q, std::string_view what) {
  chorus_service_query query;
  CHORUS_RETURN_IF_ERROR(copy_in(q, query, kQueryMin, "chorus_service_query"));
  if (query.tag_count > 0 && !query.tags)
    return Status::InvalidArgument(
        fmt::format("{}: query.tags is NULL but tag_count is {}", what, query.tag_count));
  QueryArgs out;
  out.flags = query.flags;
  CHORUS_ASSIGN_OR_RETURN(auto cap, view_of(query.capability, "chorus_service_query.capability"));
  CHORUS_ASSIGN_OR_RETURN(auto type, view_of(query.type, "chorus_service_query.type"));
  CHORUS_ASSIGN_OR_RETURN(auto strategy, view_of(query.strategy, "chorus_service_query.strategy"));
  out.capability = std::string(cap);
  out.type = std::string(type);
  for (size_t i = 0; i < query.tag_count; ++i) {
    CHORUS_ASSIGN_OR_RETURN(
        auto tag, view_of(query.tags[i], fmt::format("chorus_service_query.tags[{}]", i)));
    out.tags.emplace_back(tag);
  }
  if (!strategy.empty()) {
    auto s = discovery::parse_strategy(strategy);
    if (!s.ok()) return s.error().with_context(fmt::format("{}: query.strategy", what));
    out.strategy = *s;
  }
  return out;
}

// Calls `fn` with a view of `s`; returns what it returned.
int32_t call_with_view(const discovery::ServiceInfo& s, chorus_service_fn fn, void* ctx) {
  const discovery::ServiceSpec& spec = *s.spec;
  std::vector<chorus_str> caps, tags;
  caps.reserve(spec.capabilities.size());
  for (const auto& c : spec.capabilities)
    caps.push_back(to_str(c));
  tags.reserve(spec.tags.size());
  for (const auto& t : spec.tags)
    tags.push_back(to_str(t));
  const std::string address =
      spec.host.empty() ? std::string() : fmt::format("{}:{}", spec.host, spec.port);
  chorus_service_view v{};
  v.struct_size = sizeof v;
  v.weight = spec.weight;
  v.id = to_str(spec.id);
  v.agent_id = to_str(spec.agent_id);
  v.name = to_str(spec.name);
  v.type = to_str(spec.type);
  v.status = to_str(discovery::status_name(s.status));
  v.version = to_str(spec.version);
  v.address = to_str(address);
  v.capabilities = caps.data();
  v.capability_count = caps.size();
  v.tags = tags.data();
  v.tag_count = tags.size();
  return fn(ctx, &v);
}

}  // namespace

int32_t discover(chorus_host* h, const chorus_service_query* q, chorus_service_fn each, void* ctx) {
  Instance* in = instance_of(h);
  if (!in) return CHORUS_INVALID_ARGUMENT;
  if (Status st = in->allow(Instance::Op::kStoreRead, "discover"); !st.ok()) return fail(st);
  auto query = read_query(q, "discover");
  if (!query.ok()) return fail(query.error().with_context(in->name()));
  if (!each)
    return fail(Status::InvalidArgument(fmt::format("{}: discover: each is NULL", in->name())));
  discovery::Registry* registry = in->links().registry;
  if (!registry) return unavailable(*in, "discover");
  discovery::Query rq;
  rq.type = std::move(query->type);
  rq.capability = std::move(query->capability);
  rq.tags = std::move(query->tags);
  rq.health = (query->flags & CHORUS_DISCOVER_HEALTHY_ONLY) ? discovery::HealthFilter::kHealthyOnly
                                                            : discovery::HealthFilter::kAny;
  for (const discovery::ServiceInfo& s : registry->discover(rq))
    if (call_with_view(s, each, ctx) != 0) break;
  return CHORUS_OK;
}

int32_t select(chorus_host* h, const chorus_service_query* q, chorus_service_fn chosen, void* ctx,
               uint64_t* out_lease) {
  Instance* in = instance_of(h);
  if (!in) return CHORUS_INVALID_ARGUMENT;
  if (out_lease) *out_lease = 0;
  if (Status st = in->allow(Instance::Op::kRequest, "select"); !st.ok()) return fail(st);
  auto query = read_query(q, "select");
  if (!query.ok()) return fail(query.error().with_context(in->name()));
  if (!chosen)
    return fail(Status::InvalidArgument(fmt::format("{}: select: chosen is NULL", in->name())));
  if (query->capability.empty())
    return fail(Status::InvalidArgument(fmt::format(
        "{}: select: query.capability is empty (select picks by capability)", in->name())));
  if (!query->type.empty())
    return fail(Status::NotSupported(fmt::format(
        "{}: select: query.type is not used by select (it picks by capability and tags)",
        in->name())));
  discovery::Registry* registry = in->links().registry;
  if (!registry) return unavailable(*in, "select");
  discovery::SelectOptions so;
  so.tags = std::move(query->tags);
  so.strategy = query->strategy;
  auto picked = registry->select(query->capability, so);
  if (!picked.ok()) return fail(picked.error().with_context(fmt::format("{}: select", in->name())));
  if (!out_lease) {
    // Nowhere to return a lease: a pick without holding a connection.
    registry->release(*picked);
    (void)call_with_view(*picked, chosen, ctx);
    return CHORUS_OK;
  }
  const discovery::ServiceInfo info = *picked;
  auto lease = in->hold_lease(std::move(*picked));
  if (!lease.ok()) {
    registry->release(info);
    return fail(lease.error());
  }
  *out_lease = *lease;
  (void)call_with_view(info, chosen, ctx);
  return CHORUS_OK;
}

int32_t release(chorus_host* h, uint64_t lease, chorus_status outcome, uint64_t latency_us) {
  Instance* in = instance_of(h);
  if (!in) return CHORUS_INVALID_ARGUMENT;
  if (lease == 0)
    return fail(
        Status::InvalidArgument(fmt::format("{}: release: lease 0 is not a lease", in->name())));
  // Only a call that succeeded says how fast the service answers.
  const auto elapsed =
      outcome == CHORUS_OK ? std::chrono::microseconds(latency_us) : std::chrono::microseconds(0);
  Status st = in->release_lease(lease, elapsed);
  return st.ok() ? CHORUS_OK : fail(st);
}

int32_t request_by_capability(chorus_host* h, chorus_str capability, const chorus_publish* p,
                              uint32_t timeout_ms, chorus_reply_fn done, void* ctx) {
  Instance* in = instance_of(h);
  if (!in) return CHORUS_INVALID_ARGUMENT;
  if (Status st = in->allow(Instance::Op::kRequest, "request_by_capability"); !st.ok())
    return fail(st);
  auto cap = view_of(capability, "request_by_capability capability");
  if (!cap.ok()) return fail(cap.error());
  if (cap->empty())
    return fail(Status::InvalidArgument(
        fmt::format("{}: request_by_capability: the capability is empty", in->name())));
  if (!done)
    return fail(Status::InvalidArgument(
        fmt::format("{}: request_by_capability: done is NULL", in->name())));
  chorus_publish msg;
  if (Status st = copy_in(p, msg, kPublishMin, "chorus_publish"); !st.ok()) return fail(st);
  auto type = view_of(msg.type, "chorus_publish.type");
  if (!type.ok()) return fail(type.error());
  if (Status st = in->check_publish(*type, "request_by_capability"); !st.ok()) return fail(st);
  auto ev = build_event(msg, in->name());
  if (!ev.ok())
    return fail(ev.error().with_context(fmt::format("{}: request_by_capability", in->name())));
  if (!in->links().registry) return unavailable(*in, "request_by_capability");
  std::optional<std::chrono::milliseconds> timeout;
  if (timeout_ms > 0) timeout = std::chrono::milliseconds(timeout_ms);
  Status st = in->request_by_capability(*cap, std::move(*ev), timeout, done, ctx);
  return st.ok() ? CHORUS_OK : fail(st);
}

}  // namespace chorus::plugins::api
