// Dead letters as stored events: an event that could not be handled (by a
// consumer group after its maximum deliveries, or by a bus subscriber after
// its retries) is appended to the system stream `$dead-letters` as a new
// event that carries the original (CloudEvents JSON in its data) and why it
// was given up (metadata). docs/store.md "Dead letters" shows one.
//
// Taking one out (replay, republish, drop) resolves it: a resolution
// record in the system stream `$dead-letters-resolved`
// (EventStore::resolve_dead_letter; docs/store-format.md "dead-letter
// resolution").
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "core/status.h"

namespace chorus::store {

// The system stream that receives dead letters.
inline constexpr std::string_view kDeadLetterStream = "$dead-letters";
// The system stream of resolutions (one event per dead letter taken out).
inline constexpr std::string_view kResolvedDeadLetterStream = "$dead-letters-resolved";
inline constexpr std::string_view kDeadLetterResolvedType = "chorus.dead_letter.resolved";
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
// not a dead letter. The original's JSON is read with raw control characters
// taken as escaped: dead letters stored before the encoder escaped
// U+001A..U+001F stay readable.
Result<StoredDeadLetter> parse_dead_letter(const Event& event);

// How a dead letter left the dead letters (the codes are stored:
// docs/store-format.md "dead-letter resolution").
enum class Resolution : uint8_t {
  kReplayed = 1,     // handed back to its subscriber
  kRepublished = 2,  // published again
  kDropped = 3,      // discarded
  kRemoved = 4,      // taken out by a caller that did not say which (bus::DeadLetterStore::take)
};
// "replayed", "republished", "dropped", "removed".
std::string_view resolution_name(Resolution how) noexcept;

// Resolution notes: UTF-8 without control characters, at most this long.
inline constexpr size_t kMaxResolutionNoteBytes = 1024;

// What resolve_dead_letter() did.
enum class ResolveOutcome : uint8_t {
  kResolved,         // this call resolved it
  kAlreadyResolved,  // it was resolved before; nothing was written
};

// One resolution read back from $dead-letters-resolved.
struct DeadLetterResolution {
  uint64_t dead_letter_version = 0;  // the dead letter's version in $dead-letters
  uint64_t dead_letter_seq = 0;      // and its seq
  Resolution how = Resolution::kRemoved;
  std::string note;         // who or why, as given to resolve_dead_letter()
  int64_t resolved_ns = 0;  // when (the resolution event's time)
  uint64_t version = 0;     // the resolution's own version in $dead-letters-resolved
};

// A page of resolutions; continue with `from = next` until `end`.
struct ResolutionPage {
  std::vector<DeadLetterResolution> resolutions;
  bool end = false;
  uint64_t next = 0;
};

}  // namespace chorus::store
