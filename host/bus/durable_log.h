// What the bus needs from a durable event log, as an interface so that the
// bus does not depend on the store (they are siblings; the runtime, the
// composition root, implements this over the store).
//
//  - Persistent types (config `store.persist`): a publish is appended first
//    and delivered only after its commit met the durability policy.
//  - Durable subscriptions: a named consumer group over an event-type
//    pattern; at-least-once, acked after the handler succeeds, redelivered
//    after a failure or an ack timeout, dead-lettered after max deliveries.
//
// Implementations must be thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "core/status.h"

namespace chorus::bus {

struct DurableMessage {
  uint64_t seq = 0;         // position in the log (the ack/nack key)
  uint32_t deliveries = 1;  // 1 on the first delivery
  EventPtr event;
};

// One member's view of a consumer group.
class DurableGroup {
 public:
  virtual ~DurableGroup() = default;
  // Acks `acks`, then returns up to `max` messages for `consumer`, waiting
  // up to `wait` when there are none (an empty result is not an error).
  virtual Result<std::vector<DurableMessage>> ack_and_read(std::span<const uint64_t> acks,
                                                           std::string_view consumer, size_t max,
                                                           std::chrono::milliseconds wait) = 0;
  // Gives messages back for redelivery (a handler failed), with the reason.
  virtual Status nack(std::span<const uint64_t> seqs, std::string_view reason) = 0;
};

// `duplicate`: the event's id was already stored (an idempotent retry).
using DurableAppendCallback = std::function<void(const Status& status, bool duplicate)>;

class DurableLog {
 public:
  virtual ~DurableLog() = default;
  // Appends `event` to its stream (or the global log); returns once the
  // commit met the durability policy.
  virtual Status append(const EventPtr& event, bool& duplicate) = 0;
  // The same; `done` runs once the commit met the policy, on a thread of the
  // log's (it must be quick and must not block).
  virtual void append_async(const EventPtr& event, DurableAppendCallback done) = 0;
  // Creates or opens the consumer group `group` over events whose type
  // matches `pattern`. A new group starts after the last stored event, or at
  // the first one with `from_beginning`; an existing group resumes.
  virtual Result<std::unique_ptr<DurableGroup>> open_group(std::string_view group,
                                                           std::string_view pattern,
                                                           bool from_beginning) = 0;
};

}  // namespace chorus::bus
