// Building and parsing dead-letter events.
#include "store/dead_letter.h"

#include <charconv>

#include <fmt/core.h>

#include "core/cloudevents.h"
#include "core/text.h"

namespace chorus::store {
namespace {

// Metadata values must be UTF-8 without control characters, <= 4096 bytes.
std::string metadata_text(std::string_view s) {
  std::string out;
  if (!is_valid_utf8(s)) {
    out = printable(s, kMaxMetadataValueBytes / 4);
  } else {
    out.assign(s.substr(0, kMaxMetadataValueBytes));
    // Do not cut inside a UTF-8 sequence.
    while (!out.empty() && !is_valid_utf8(out))
      out.pop_back();
  }
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = ' ';
  }
  return out;
}

}  // namespace

Result<EventPtr> make_dead_letter(const Event& original, const DeadLetterInfo& info) {
  EventBuilder b{std::string(kDeadLetterType)};
  b.source(kDeadLetterSource)
      .stream(kDeadLetterStream)
      .causation_id(original.id().to_string())
      .priority(original.priority())
      .data(to_cloudevent_json(original), kDeadLetterContentType)
      .metadata("reason", metadata_text(info.reason.empty() ? "unknown" : info.reason))
      .metadata("attempts", std::to_string(info.attempts));
  if (!original.correlation_id().empty()) b.correlation_id(original.correlation_id());
  if (!info.subscriber.empty()) b.metadata("subscriber", metadata_text(info.subscriber));
  if (info.original_seq != 0) b.metadata("originalseq", std::to_string(info.original_seq));
  return b.build();
}

Result<StoredDeadLetter> parse_dead_letter(const Event& event) {
  if (event.type() != kDeadLetterType)
    return Status::InvalidArgument(fmt::format("event {} of type '{}' is not a dead letter",
                                               event.id().to_string(), event.type()));
  StoredDeadLetter dl;
  // This host wrote the text; builds before issue 13 left U+001A..U+001F raw.
  CloudEventDecodeOptions options;
  options.raw_control_characters = RawControlCharacters::kEscape;
  auto original = parse_cloudevent_json(event.data(), options);
  if (!original.ok())
    return original.error().with_context(
        fmt::format("dead letter {}: the original event", event.id().to_string()));
  dl.original = std::move(*original);
  auto num = [](std::optional<std::string_view> v, auto& out) {
    if (v) std::from_chars(v->data(), v->data() + v->size(), out);
  };
  if (auto r = event.find_metadata("reason")) dl.info.reason = std::string(*r);
  if (auto s = event.find_metadata("subscriber")) dl.info.subscriber = std::string(*s);
  num(event.find_metadata("attempts"), dl.info.attempts);
  num(event.find_metadata("originalseq"), dl.info.original_seq);
  return dl;
}

std::string_view resolution_name(Resolution how) noexcept {
  switch (how) {
    case Resolution::kReplayed:
      return "replayed";
    case Resolution::kRepublished:
      return "republished";
    case Resolution::kDropped:
      return "dropped";
    case Resolution::kRemoved:
      return "removed";
  }
  return "unknown";
}

}  // namespace chorus::store
