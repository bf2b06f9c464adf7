// An instance's use of the discovery registry (instance.h): requests by
// capability, completed through the same pending-request table as plain
// requests (so unload cancels them and the plugin's callback runs on a
// worker, exactly once), and the leases select() hands out, which unload
// gives back so a plugin that forgets release() cannot pin a connection
// count on a service forever.
#include <fmt/core.h>

#include "discovery/registry.h"
#include "plugins/instance.h"
#include "plugins/plugins_log.h"

namespace chorus::plugins {

Status Instance::request_by_capability(std::string_view capability, EventPtr request,
                                       std::optional<std::chrono::milliseconds> timeout,
                                       chorus_reply_fn done, void* ctx) {
  discovery::Registry* registry = links_.registry;
  if (!registry)
    return Status::Unavailable(
        fmt::format("{}: request_by_capability: discovery is not available in this host", name()));
  const uint64_t rid = begin_request(done, ctx);
  if (rid == 0)
    return Status::FailedPrecondition(
        fmt::format("{}: request_by_capability: the plugin is being unloaded", name()));
  published_.fetch_add(1, std::memory_order_relaxed);
  discovery::RequestOptions o;
  o.timeout = timeout;
  // The registry may complete on this thread (nothing healthy): the
  // completion is posted either way, so the plugin's callback never runs
  // inside this host call.
  registry->request_by_capability(capability, std::move(request), std::move(o),
                                  request_completion(rid));
  return Status::OK();
}

Result<uint64_t> Instance::hold_lease(discovery::ServiceInfo selected) {
  std::lock_guard t(table_mu_);
  if (leases_closed_)
    return Status::FailedPrecondition(
        fmt::format("{}: select: the plugin is being unloaded", name()));
  const uint64_t lease = next_id_++;
  leases_.emplace(lease, std::move(selected));
  return lease;
}

Status Instance::release_lease(uint64_t lease, std::chrono::microseconds elapsed) {
  discovery::ServiceInfo held;
  {
    std::lock_guard t(table_mu_);
    auto it = leases_.find(lease);
    if (it == leases_.end())
      return Status::NotFound(fmt::format(
          "{}: release: lease {} is not held (never given, or released)", name(), lease));
    held = std::move(it->second);
    leases_.erase(it);
  }
  discovery::Registry* registry = links_.registry;
  if (!registry) return Status::OK();
  registry->release(held);
  if (elapsed.count() > 0) registry->record_response_time(held.id(), elapsed);
  return Status::OK();
}

uint64_t Instance::release_all_leases() {
  std::unordered_map<uint64_t, discovery::ServiceInfo> all;
  {
    std::lock_guard t(table_mu_);
    leases_closed_ = true;
    all.swap(leases_);
  }
  if (links_.registry)
    for (const auto& [lease, held] : all)
      links_.registry->release(held);
  if (!all.empty())
    plugins_log().warn("{}: released {} registry selection{} the plugin never released", name(),
                       all.size(), all.size() == 1 ? "" : "s");
  return all.size();
}

}  // namespace chorus::plugins
