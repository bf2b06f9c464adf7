// Host functions for the registry (service discovery): discover, select,
// release and request_by_capability (host_api.h, plugin.h).
//
// STUBS. Discovery (host/discovery, issue 8) is not part of this host yet:
// each function checks its arguments as the ABI requires and returns
// CHORUS_UNAVAILABLE with the message "discovery is not available in this
// host". Wiring discovery in replaces the bodies in this one file (the
// instance gives the plugin's name, for request targets and leases).
#include <fmt/core.h>

#include "plugins/event_view.h"
#include "plugins/host_api.h"
#include "plugins/instance.h"

namespace chorus::plugins::api {
namespace {

constexpr std::string_view kUnavailable = "discovery is not available in this host";
constexpr size_t kQueryMin = offsetof(chorus_service_query, strategy) + sizeof(chorus_str);

int32_t unavailable(Instance& in, std::string_view what) {
  return fail(Status::Unavailable(fmt::format("{}: {}: {}", in.name(), what, kUnavailable)));
}

Status check_query(const chorus_service_query* q, std::string_view what) {
  chorus_service_query query;
  CHORUS_RETURN_IF_ERROR(copy_in(q, query, kQueryMin, "chorus_service_query"));
  if (query.tag_count > 0 && !query.tags)
    return Status::InvalidArgument(
        fmt::format("{}: query.tags is NULL but tag_count is {}", what, query.tag_count));
  return Status::OK();
}

}  // namespace

int32_t discover(chorus_host* h, const chorus_service_query* q, chorus_service_fn each, void*) {
  Instance* in = instance_of(h);
  if (!in) return CHORUS_INVALID_ARGUMENT;
  if (Status st = check_query(q, "discover"); !st.ok()) return fail(st);
  if (!each) return fail(Status::InvalidArgument("discover: each is NULL"));
  return unavailable(*in, "discover");
}

int32_t select(chorus_host* h, const chorus_service_query* q, chorus_service_fn chosen, void*,
               uint64_t* out_lease) {
  Instance* in = instance_of(h);
  if (!in) return CHORUS_INVALID_ARGUMENT;
  if (Status st = check_query(q, "select"); !st.ok()) return fail(st);
  if (!chosen) return fail(Status::InvalidArgument("select: chosen is NULL"));
  if (out_lease) *out_lease = 0;
  return unavailable(*in, "select");
}

int32_t release(chorus_host* h, uint64_t lease, chorus_status, uint64_t) {
  Instance* in = instance_of(h);
  if (!in) return CHORUS_INVALID_ARGUMENT;
  if (lease == 0) return fail(Status::InvalidArgument("release: lease 0 is not a lease"));
  return unavailable(*in, "release");
}

int32_t request_by_capability(chorus_host* h, chorus_str capability, const chorus_publish* p,
                              uint32_t, chorus_reply_fn done, void*) {
  Instance* in = instance_of(h);
  if (!in) return CHORUS_INVALID_ARGUMENT;
  auto cap = view_of(capability, "request_by_capability capability");
  if (!cap.ok()) return fail(cap.error());
  if (cap->empty())
    return fail(Status::InvalidArgument("request_by_capability: the capability is empty"));
  if (!p || !done)
    return fail(Status::InvalidArgument("request_by_capability: request or done is NULL"));
  return unavailable(*in, "request_by_capability");
}

}  // namespace chorus::plugins::api
