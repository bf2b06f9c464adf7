// Dead letters as stored events: an event that could not be handled (by a
// consumer group after its maximum deliveries, or by a bus subscriber after
// its retries) is appended to the system stream `$dead-letters` as a new
// event that carries the original (CloudEvents JSON in its data) and why it
// was given up (metadata). docs/store.md "Dead letters" shows one.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/event.h"
#include "core/status.h"

namespace chorus::store {

// The system stream that receives dead letters.
inline constexpr std::string_view kDeadLetterStream = "$dead-letters";
inline constexpr std::string_view kDeadLetterType = "chorus.dead_letter";
inline constexpr std::string_view kDeadLetterSource = "chorus.store";
inline constexpr std::string_view kDeadLetterContentType = "application/cloudevents+json";

struct DeadLetterInfo {
  std::string reason;         // "max deliveries (5) reached: ack timeout", a handler's error, ...
  std::string subscriber;     // "group:billing/consumer:w1", a bus handler's name, ...
  uint32_t attempts = 0;      // deliveries or handler attempts made
  uint64_t original_seq = 0;  // the original's seq when it is stored (0: not stored)

  friend bool operator==(const DeadLetterInfo&, const DeadLetterInfo&) = default;
};

// The dead-letter event for `original`: type chorus.dead_letter, stream
// $dead-letters, causation = the original's id, correlation = the
// original's (so it shows in that timeline), data = the original as
// CloudEvents JSON, metadata reason / subscriber / attempts / originalseq.
// Reason and subscriber are cut to the metadata limits and made printable.
Result<EventPtr> make_dead_letter(const Event& original, const DeadLetterInfo& info);

// A dead letter read back from $dead-letters (the bus has its own
// bus::DeadLetter, which the runtime maps onto this one).
struct StoredDeadLetter {
  EventPtr original;
  DeadLetterInfo info;
};
// The inverse, for readers of $dead-letters. InvalidArgument when `event` is
// not a dead letter.
Result<StoredDeadLetter> parse_dead_letter(const Event& event);

}  // namespace chorus::store
