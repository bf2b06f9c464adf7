// request_by_capability: select, request over the bus, release, time, fail
// over (docs/discovery.md "Requests by capability"). One CapabilityRequest
// lives from the call until `done`; each attempt's bus callback holds it.
#include <fmt/core.h>

#include "bus/event_bus.h"
#include "discovery/discovery_log.h"
#include "discovery/registry_core.h"

namespace chorus::discovery {
namespace {

constexpr uint32_t kMaxAttempts = 100;

class CapabilityRequest final : public std::enable_shared_from_this<CapabilityRequest> {
 public:
  CapabilityRequest(std::shared_ptr<Registry::Core> core, std::string capability, EventPtr request,
                    std::chrono::milliseconds timeout, uint32_t attempts, SelectOptions select,
                    ReplyCallback done)
      : core_(std::move(core)),
        capability_(std::move(capability)),
        request_(std::move(request)),
        timeout_(timeout),
        attempts_(attempts),
        select_(std::move(select)),
        done_(std::move(done)) {}

  void attempt() {
    ++attempt_;
    select_.avoid = last_id_;
    auto picked = core_->select(capability_, select_);
    if (!picked.ok()) {
      if (attempt_ == 1) return finish(picked.error());
      return finish(all_failed(fmt::format("then {}", picked.error().message())));
    }
    const std::string id = picked->id();
    EventBuilder b = EventBuilder::copy_of(*request_);
    b.target(picked->agent_id());
    if (attempt_ > 1) b.id(new_uuid_v7());  // a new request: the bus matches replies by id
    auto ev = b.build();
    if (!ev.ok()) {
      core_->release(*picked);
      return finish(
          ev.error().with_context(fmt::format("request_by_capability '{}'", capability_)));
    }
    last_id_ = id;
    if (!core_->bus_calls.enter()) {
      core_->release(*picked);
      return finish(Status::Unavailable("request_by_capability: the registry is shut down"));
    }
    const auto start = std::chrono::steady_clock::now();
    core_->env.bus->request(
        std::move(*ev), timeout_,
        [self = shared_from_this(), picked = std::move(*picked), start](Result<EventPtr> r) {
          self->answered(picked, start, std::move(r));
        });
    core_->bus_calls.exit();
  }

 private:
  void answered(const ServiceInfo& picked, std::chrono::steady_clock::time_point start,
                Result<EventPtr> r) {
    const auto took = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - start);
    const std::string& id = picked.id();
    core_->release(picked);
    // A timeout counts as a (very slow) response, so response_time moves away
    // from an instance that does not answer; NoResponders says nothing of speed.
    if (r.ok() || r.error().is(StatusCode::kTimeout)) core_->record_response_time(id, took);
    if (r.ok()) return finish(std::move(r));
    last_error_ = r.error();
    bool closed;
    {
      std::lock_guard l(core_->mu);
      closed = core_->closed;
    }
    if (attempt_ >= attempts_ || closed) return finish(all_failed(""));
    ++core_->request_failovers;
    discovery_log().debug(
        "request_by_capability '{}': attempt {} on '{}' failed ({}); failing over", capability_,
        attempt_, id, last_error_.to_string());
    attempt();
  }

  Status all_failed(std::string_view then) const {
    return Status(last_error_.code(),
                  fmt::format("request_by_capability '{}': {} attempt{} failed{}{}; last ({}): {}",
                              capability_, attempt_ - (then.empty() ? 0 : 1),
                              attempt_ - (then.empty() ? 0 : 1) == 1 ? "" : "s",
                              then.empty() ? "" : ", ", then, last_id_, last_error_.to_string()));
  }

  void finish(Result<EventPtr> r) {
    if (!r.ok()) ++core_->request_failures;
    ReplyCallback done = std::move(done_);
    done_ = nullptr;
    if (done) done(std::move(r));
  }

  std::shared_ptr<Registry::Core> core_;
  std::string capability_;
  EventPtr request_;
  std::chrono::milliseconds timeout_;
  uint32_t attempts_;
  SelectOptions select_;
  ReplyCallback done_;
  uint32_t attempt_ = 0;
  std::string last_id_;
  Status last_error_;
};

}  // namespace

void start_capability_request(std::shared_ptr<Registry::Core> core, std::string capability,
                              EventPtr request, RequestOptions o, ReplyCallback done) {
  if (!done) done = [](Result<EventPtr>) {};
  if (!request) return done(Status::InvalidArgument("request_by_capability: null event"));
  if (!core->env.bus)
    return done(Status::FailedPrecondition("request_by_capability: the registry has no bus"));
  std::chrono::milliseconds timeout;
  uint32_t attempts;
  {
    std::lock_guard l(core->mu);
    if (core->closed)
      return done(Status::Unavailable("request_by_capability: the registry is shut down"));
    timeout = o.timeout.value_or(core->options.request_timeout);
    attempts = o.attempts.value_or(core->options.request_attempts);
  }
  if (attempts < 1 || attempts > kMaxAttempts)
    return done(Status::InvalidArgument(
        fmt::format("request_by_capability: attempts {} is out of range (expected 1 to {})",
                    attempts, kMaxAttempts)));
  if (timeout.count() <= 0)
    return done(Status::InvalidArgument(
        fmt::format("request_by_capability: timeout {}ms is out of range (expected at least 1ms)",
                    timeout.count())));
  ++core->requests;
  SelectOptions select;
  select.tags = std::move(o.tags);
  select.strategy = o.strategy;
  auto req = std::make_shared<CapabilityRequest>(std::move(core), std::move(capability),
                                                 std::move(request), timeout, attempts,
                                                 std::move(select), std::move(done));
  req->attempt();
}

}  // namespace chorus::discovery
