// Building and publishing the registry's bus events (discovery_events.h).
#include "discovery/discovery_events.h"

#include <mutex>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "bus/event_bus.h"
#include "core/event.h"
#include "discovery/discovery_log.h"
#include "discovery/registry_records.h"

namespace chorus::discovery {

namespace asio = boost::asio;

std::string_view event_type(ServiceEvent e) noexcept {
  switch (e) {
    case ServiceEvent::kRegistered:
      return "discovery.service.registered";
    case ServiceEvent::kUnregistered:
      return "discovery.service.unregistered";
    case ServiceEvent::kHealthy:
      return "discovery.service.healthy";
    case ServiceEvent::kUnhealthy:
      return "discovery.service.unhealthy";
    case ServiceEvent::kRemoved:
      return "discovery.service.removed";
  }
  return "discovery.service.registered";
}

std::string event_data(const ServiceSpec& spec, Origin origin, ServiceStatus status,
                       ServiceStatus previous, std::string_view reason) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  auto str = [&](std::string_view s) {
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  };
  w.StartObject();
  w.Key("service_id");
  str(spec.id);
  w.Key("agent_id");
  str(spec.agent_id);
  w.Key("name");
  str(spec.name);
  w.Key("type");
  str(spec.type);
  w.Key("capabilities");
  w.StartArray();
  for (const auto& c : spec.capabilities)
    str(c);
  w.EndArray();
  w.Key("tags");
  w.StartArray();
  for (const auto& t : spec.tags)
    str(t);
  w.EndArray();
  w.Key("status");
  str(status_name(status));
  w.Key("previous_status");
  str(status_name(previous));
  if (!reason.empty()) {
    w.Key("reason");
    str(reason);
  }
  w.Key("static");
  w.Bool(origin == Origin::kStatic);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

struct EventPublisher::State {
  State(asio::io_context& io, bus::EventBus& b) : strand(asio::make_strand(io)), bus(&b) {}
  asio::strand<asio::io_context::executor_type> strand;
  std::mutex mu;       // held while publishing; close() takes it
  bus::EventBus* bus;  // null once closed
};

EventPublisher::EventPublisher(asio::io_context& io, bus::EventBus& bus)
    : state_(std::make_shared<State>(io, bus)) {}

EventPublisher::~EventPublisher() {
  close();
}

void EventPublisher::publish(ServiceEvent e, std::string data) {
  asio::post(state_->strand, [state = state_, e, data = std::move(data)] {
    std::lock_guard l(state->mu);
    if (!state->bus) return;
    auto ev = EventBuilder(event_type(e)).source(kRegistrySource).data(data).build();
    if (!ev.ok()) {
      discovery_log().error("cannot build '{}': {}", event_type(e), ev.error().message());
      return;
    }
    if (Status s = state->bus->publish(*ev); !s.ok())
      discovery_log().debug("publishing '{}' failed: {}", event_type(e), s.to_string());
  });
}

void EventPublisher::close() {
  std::lock_guard l(state_->mu);
  state_->bus = nullptr;
}

}  // namespace chorus::discovery
