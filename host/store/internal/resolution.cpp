// Dead-letter resolutions: the writer op and the decoder (resolution.h).
#include "store/internal/resolution.h"

#include <span>

#include <fmt/core.h>

#include "store/internal/append.h"
#include "store/internal/event_lookup.h"
#include "store/internal/records.h"
#include "store/internal/store_format.h"
#include "store/internal/write_txn.h"

namespace chorus::store {

Status check_resolution(uint64_t dead_letter_version, Resolution how, std::string_view note) {
  if (dead_letter_version == 0 || dead_letter_version > kMaxResolvableVersion)
    return Status::InvalidArgument(fmt::format(
        "resolve dead letter: version {} is out of range (1 to 2^62-1)", dead_letter_version));
  const auto code = static_cast<uint8_t>(how);
  if (code == 0 || code > kMaxResolutionCode)
    return Status::InvalidArgument(
        fmt::format("resolve dead letter {}: unknown resolution {}", dead_letter_version, code));
  if (!valid_resolution_note(note))
    return Status::InvalidArgument(fmt::format(
        "resolve dead letter {}: the note must be UTF-8 without control characters, at most {} "
        "bytes ({} given)",
        dead_letter_version, kMaxResolutionNoteBytes, note.size()));
  return Status::OK();
}

ResolveOp::ResolveOp(uint64_t dead_letter_version, Resolution how, std::string_view note)
    : version_(dead_letter_version), how_(how), note_(note) {}

Status ResolveOp::apply(WriteTxn& w) {
  auto not_found = [&] {
    result_ = Status::NotFound(fmt::format("store {}: no dead letter at version {} of '{}'",
                                           w.path(), version_, kDeadLetterStream));
    return Status::OK();
  };
  // The dead letter: its seq through the stream index, then its id and
  // correlation for the resolution's causation and correlation.
  CHORUS_ASSIGN_OR_RETURN(StreamState * ss, w.stream_state(kDeadLetterStream));
  if (!ss->exists || version_ < ss->truncate_before || version_ > ss->version) return not_found();
  const Key16 key(ss->stream_id, version_);
  std::string_view value;
  bool found = false;
  CHORUS_RETURN_IF_ERROR(w.get(w.dbs.stream_index, key.view(), value, found));
  if (!found) return not_found();
  if (value.size() != 8)
    return Status::Corruption(fmt::format("store {}: '{}' entry of {} version {} has {} bytes",
                                          w.path(), db::kStreamIndex, kDeadLetterStream, version_,
                                          value.size()));
  const uint64_t seq = get_be64(value.data());
  CHORUS_ASSIGN_OR_RETURN(std::optional<EventPeek> dl, peek_event(w.view(), seq, Crc::kSkip));
  if (!dl)
    return Status::Corruption(
        fmt::format("store {}: {} version {} points at seq {}, which is absent", w.path(),
                    kDeadLetterStream, version_, seq));

  EventBuilder b{std::string(kDeadLetterResolvedType)};
  b.id(resolution_event_id(version_))
      .source(kDeadLetterSource)
      .stream(kResolvedDeadLetterStream)
      .time_ns(w.now_ns)
      .causation_id(dl->record.id.to_string())
      .data(encode_resolution_value(static_cast<uint8_t>(how_), version_, seq, note_),
            kResolutionContentType);
  if (!dl->record.correlation_id.empty()) b.correlation_id(dl->record.correlation_id);
  auto event = b.build();
  if (!event.ok()) {
    result_ = event.error().with_context("resolve dead letter");
    return Status::OK();
  }
  AppendSpec spec;
  if (Status s = prepare_append(kResolvedDeadLetterStream, std::span<const EventPtr>(&*event, 1),
                                ExpectedVersion::any(), SystemStreams::kAllow, spec);
      !s.ok()) {
    result_ = std::move(s);
    return Status::OK();
  }
  AppendResult r;
  CHORUS_RETURN_IF_ERROR(apply_append(w, spec, r));
  if (!r.ok()) {
    result_ = r.status;
  } else {
    result_ = r.duplicates > 0 ? ResolveOutcome::kAlreadyResolved : ResolveOutcome::kResolved;
  }
  return Status::OK();
}

void ResolveOp::complete(const Status& txn_status) {
  if (!txn_status.ok()) result_ = txn_status;
  done_.signal();
}

Result<ResolveOutcome> ResolveOp::wait() {
  done_.wait();
  return result_;
}

Result<DeadLetterResolution> decode_resolution(const std::string& path, const StoredEvent& e) {
  const Event& ev = *e.event;
  if (ev.type() != kDeadLetterResolvedType)
    return Status::Corruption(
        fmt::format("store {}: stream '{}' version {}: an event of type '{}', not a resolution",
                    path, kResolvedDeadLetterStream, e.stream_version, ev.type()));
  auto v = decode_resolution_value(ev.data(), e.stream_version);
  if (!v.ok()) return v.error().with_context(fmt::format("store {}", path));
  DeadLetterResolution out;
  out.dead_letter_version = v->dead_letter_version;
  out.dead_letter_seq = v->dead_letter_seq;
  out.how = static_cast<Resolution>(v->resolution);
  out.note = std::string(v->note);
  out.resolved_ns = ev.time_ns();
  out.version = e.stream_version;
  return out;
}

}  // namespace chorus::store
