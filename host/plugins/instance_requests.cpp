// An instance's publishes, replies and requests (instance.h).
//
// Requests: the bus completes a request on whatever thread published the
// reply (perhaps inside another plugin's callback) or on a worker at the
// timeout; the completion is posted to a worker so that the plugin's
// callback never runs nested inside someone else's. Each pending request
// is in the instance's table; whoever takes it out (the completion, or
// unload's cancel) calls the plugin, so its callback runs exactly once.
//
// Error replies: a request subscription whose handler returns an error
// answers the requester with an event of type "<request type>.error" (or
// "request.error" when that is not a valid type), data
// {"error": message, "code": status name} and metadata
// chorusstatus=<status name> (sdk/ABI.md "Requests").
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <fmt/core.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "bus/event_bus.h"
#include "core/topic.h"
#include "plugins/callback_scope.h"
#include "plugins/event_view.h"
#include "plugins/instance.h"
#include "plugins/plugins_log.h"
#include "plugins/status_codes.h"

namespace chorus::plugins {

Status Instance::publish(const EventPtr& event) {
  Status st = links_.bus->publish(event);
  (st.ok() ? published_ : publish_errors_).fetch_add(1, std::memory_order_relaxed);
  return st;
}

Status Instance::reply(const Event& request, EventBuilder reply) {
  Status st = links_.bus->reply(request, std::move(reply));
  (st.ok() ? published_ : publish_errors_).fetch_add(1, std::memory_order_relaxed);
  return st;
}

uint64_t Instance::begin_request(chorus_reply_fn done, void* ctx) {
  std::lock_guard t(table_mu_);
  if (requests_closed_) return 0;
  const uint64_t rid = next_id_++;
  requests_.emplace(rid, PendingRequest{done, ctx});
  return rid;
}

std::function<void(Result<EventPtr>)> Instance::request_completion(uint64_t rid) {
  boost::asio::io_context* io = links_.io;
  return [self = weak_from_this(), rid, io](Result<EventPtr> reply) {
    boost::asio::post(*io, [self, rid, reply = std::move(reply)]() mutable {
      if (auto in = self.lock()) in->complete_request(rid, std::move(reply));
    });
  };
}

Status Instance::request(EventPtr request, std::chrono::milliseconds timeout, chorus_reply_fn done,
                         void* ctx) {
  const uint64_t rid = begin_request(done, ctx);
  if (rid == 0)
    return Status::FailedPrecondition(
        fmt::format("{}: request: the plugin is being unloaded", name()));
  published_.fetch_add(1, std::memory_order_relaxed);
  links_.bus->request(std::move(request), timeout, request_completion(rid));
  return Status::OK();
}

void Instance::complete_request(uint64_t rid, Result<EventPtr> reply) {
  std::lock_guard lock(callback_mu_);
  PendingRequest pending;
  {
    std::lock_guard t(table_mu_);
    auto it = requests_.find(rid);
    if (it == requests_.end()) return;  // cancelled by unload
    pending = it->second;
    requests_.erase(it);
  }
  CallbackScope scope(this);
  if (!reply.ok()) {
    const Status& e = reply.error();
    pending.done(pending.ctx, to_abi(e.code()), nullptr, to_str(e.message()));
    return;
  }
  const Event& ev = **reply;
  chorus_event_view v;
  fill_view(ev, v);
  int32_t code = CHORUS_OK;
  std::string message;
  if (auto status = ev.find_metadata(kStatusMetadataKey)) {
    code = to_abi(status_code_from_name(*status));
    rapidjson::Document d;
    d.Parse(ev.data().data(), ev.data().size());
    if (!d.HasParseError() && d.IsObject() && d.HasMember("error") && d["error"].IsString())
      message = d["error"].GetString();
    else
      message = fmt::format("error reply from '{}' ({})", ev.source(), *status);
  }
  pending.done(pending.ctx, code, &v, to_str(message));
}

uint64_t Instance::cancel_all_requests() {
  std::lock_guard lock(callback_mu_);
  std::unordered_map<uint64_t, PendingRequest> all;
  {
    std::lock_guard t(table_mu_);
    requests_closed_ = true;
    all.swap(requests_);
  }
  CallbackScope scope(this);
  static constexpr std::string_view kWhy = "the plugin is being unloaded";
  for (auto& [rid, p] : all)
    p.done(p.ctx, CHORUS_CANCELLED, nullptr, to_str(kWhy));
  return all.size();
}

void Instance::send_error_reply(const Event& request, const Status& error) {
  std::string type = fmt::format("{}.error", request.type());
  if (!validate_topic(type).ok()) type = "request.error";
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("error");
  w.String(error.message().data(), static_cast<rapidjson::SizeType>(error.message().size()));
  w.Key("code");
  const std::string_view code = status_code_name(error.code());
  w.String(code.data(), static_cast<rapidjson::SizeType>(code.size()));
  w.EndObject();
  EventBuilder b(type);
  b.source(name())
      .priority(request.priority())
      .data(std::string_view(buf.GetString(), buf.GetSize()))
      .metadata(kStatusMetadataKey, code);
  if (Status st = links_.bus->reply(request, std::move(b)); !st.ok())
    plugins_log().warn("{}: error reply to '{}' ({}) failed: {}", name(), request.type(),
                       request.id().to_string(), st.to_string());
}

}  // namespace chorus::plugins
