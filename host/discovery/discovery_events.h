// The events the registry publishes on the bus (docs/discovery.md
// "Events"): `discovery.service.registered`, `.unregistered`, `.healthy`,
// `.unhealthy`, `.removed`, with the service id, capabilities and status in
// JSON data. EventPublisher publishes them in the order they were queued,
// on a strand of the io_context, so the registry can queue them under its
// lock without ever calling the bus there.
//
// Threading: publish() is thread-safe. Lifetime: the bus and io_context
// must outlive the publisher until close() returned; after close() nothing
// more reaches the bus (queued events are dropped).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "discovery/service.h"

namespace boost::asio {
class io_context;
}
namespace chorus::bus {
class EventBus;
}

namespace chorus::discovery {

enum class ServiceEvent : uint8_t { kRegistered, kUnregistered, kHealthy, kUnhealthy, kRemoved };

// "discovery.service.registered", ...
std::string_view event_type(ServiceEvent e) noexcept;

// The event's JSON data (built with RapidJSON).
std::string event_data(const ServiceSpec& spec, Origin origin, ServiceStatus status,
                       ServiceStatus previous, std::string_view reason);

class EventPublisher {
 public:
  EventPublisher(boost::asio::io_context& io, bus::EventBus& bus);
  ~EventPublisher();  // close()
  EventPublisher(const EventPublisher&) = delete;
  EventPublisher& operator=(const EventPublisher&) = delete;

  void publish(ServiceEvent e, std::string data);
  // Waits for a publish in progress, then drops everything else.
  void close();

  struct State;  // private

 private:
  std::shared_ptr<State> state_;
};

}  // namespace chorus::discovery
