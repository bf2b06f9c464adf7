// One append batch: validation on the caller's thread, then idempotency,
// the expected-version check and the writes on the writer thread
// (docs/store.md "Appends", docs/store-format.md "Transactions").
#include "store/internal/append.h"

#include <algorithm>
#include <cstring>

#include <fmt/core.h>

#include "core/event_codec.h"
#include "core/text.h"
#include "store/internal/event_lookup.h"
#include "store/internal/records.h"
#include "store/internal/store_format.h"
#include "store/internal/write_txn.h"
#include "store/names.h"

namespace chorus::store {

std::string ExpectedVersion::to_string() const {
  switch (kind) {
    case Kind::kAny:
      return "any";
    case Kind::kNoStream:
      return "no_stream";
    case Kind::kStreamExists:
      return "stream_exists";
    case Kind::kExact:
      return std::to_string(version);
  }
  return "any";
}

Status prepare_append(std::string_view stream, std::span<const EventPtr> events,
                      ExpectedVersion expected, SystemStreams system, AppendSpec& out) {
  if (events.empty()) return Status::InvalidArgument("append: no events");
  if (events.size() > kMaxAppendEvents)
    return Status::InvalidArgument(fmt::format("append: {} events in one batch (at most {})",
                                               events.size(), kMaxAppendEvents));
  if (!stream.empty()) {
    CHORUS_RETURN_IF_ERROR(validate_stream_name(stream, system));
  } else if (expected.kind != ExpectedVersion::Kind::kAny) {
    return Status::InvalidArgument(
        fmt::format("append: expected version {} needs a stream (the global log takes only 'any')",
                    expected.to_string()));
  }
  out.stream.assign(stream);
  out.expected = expected;
  out.events.clear();
  out.events.reserve(events.size());
  size_t bytes = 0;
  for (const EventPtr& e : events) {
    if (!e) return Status::InvalidArgument("append: null event");
    if (e->stream() == stream) {
      out.events.push_back(e);
    } else if (e->stream().empty()) {
      // The stored record always names its stream (docs/store-format.md "event value").
      auto rebuilt = EventBuilder::copy_of(*e).stream(stream).build();
      if (!rebuilt.ok()) return rebuilt.error().with_context("append");
      out.events.push_back(std::move(*rebuilt));
    } else if (stream.empty()) {
      return Status::InvalidArgument(
          fmt::format("append: event {} names stream '{}'; append it to that stream",
                      e->id().to_string(), printable(e->stream())));
    } else {
      return Status::InvalidArgument(
          fmt::format("append: event {} names stream '{}' but is appended to stream '{}'",
                      e->id().to_string(), printable(e->stream()), printable(stream)));
    }
    bytes += encoded_event_size(*out.events.back());
  }
  if (bytes > kMaxAppendBytes)
    return Status::InvalidArgument(
        fmt::format("append: the batch encodes to {} bytes (at most {})", bytes, kMaxAppendBytes));
  // The same id twice in one batch cannot be stored twice, nor skipped sensibly.
  if (out.events.size() > 1) {
    std::vector<Uuid> ids;
    ids.reserve(out.events.size());
    for (const EventPtr& e : out.events)
      ids.push_back(e->id());
    std::sort(ids.begin(), ids.end());
    auto dup = std::adjacent_find(ids.begin(), ids.end());
    if (dup != ids.end())
      return Status::InvalidArgument(
          fmt::format("append: event id {} appears twice in the batch", dup->to_string()));
  }
  out.ends.clear();
  out.ends.reserve(out.events.size());
  // Encode into a per-thread buffer, then inline in the op when it fits.
  thread_local std::string scratch;
  std::string& buf = bytes <= AppendSpec::kInlineRecords ? scratch : out.heap_records;
  buf.clear();
  buf.reserve(bytes);
  for (const EventPtr& e : out.events) {
    encode_event(*e, buf);
    out.ends.push_back(static_cast<uint32_t>(buf.size()));
  }
  out.records_size = buf.size();
  if (&buf == &scratch) std::memcpy(out.inline_records, scratch.data(), scratch.size());
  return Status::OK();
}

namespace {

std::string stream_label(std::string_view stream) {
  return stream.empty() ? std::string("the global log")
                        : fmt::format("stream '{}'", printable(stream));
}

// Where an already stored id lives: its seq and stream (empty: the global log).
struct Existing {
  uint64_t seq = 0;
  uint64_t version = 0;
  std::string stream;
};

// Finds `id` among the events written earlier in this transaction or on
// disk. seq = 0 when it is new.
Status find_existing(WriteTxn& w, const Uuid& id, Existing& out) {
  out = Existing{};
  const bool beyond_disk = id > w.st.max_id;
  if (beyond_disk && (w.batch_ids.empty() || id > w.batch_max_id)) return Status::OK();
  if (const uint64_t seq = w.batch_ids.find(id); seq != 0) {
    const StoredEvent& se = w.appended[seq - w.appended.front().seq];
    out.seq = seq;
    out.version = se.stream_version;
    out.stream = std::string(se.event->stream());
    return Status::OK();
  }
  if (beyond_disk) return Status::OK();
  std::string_view value;
  bool found = false;
  CHORUS_RETURN_IF_ERROR(
      w.get(w.dbs.event_ids, {reinterpret_cast<const char*>(id.bytes.data()), 16}, value, found));
  if (!found) return Status::OK();
  if (value.size() != 8)
    return Status::Corruption(fmt::format("store {}: event_ids entry of {} has {} bytes", w.path(),
                                          id.to_string(), value.size()));
  const uint64_t seq = get_be64(value.data());
  CHORUS_ASSIGN_OR_RETURN(std::optional<EventPeek> p, peek_event(w.view(), seq, Crc::kSkip));
  if (!p)
    return Status::Corruption(fmt::format("store {}: event id {} points at seq {}, which is absent",
                                          w.path(), id.to_string(), seq));
  out.seq = seq;
  out.version = p->stream_version;
  out.stream = std::string(p->record.stream);
  return Status::OK();
}

Status check_expected(const AppendSpec& spec, const StreamState* ss, AppendResult& out) {
  if (!ss) return Status::OK();
  Status s = check_expected_version(spec.stream, spec.expected, *ss);
  if (!s.ok()) out.actual_version = ss->version;
  return s;
}

// The checks of apply_append: nothing is written until all pass.
Status check_batch(WriteTxn& w, const AppendSpec& spec, StreamState*& ss,
                   std::vector<uint64_t>& dup_seq, AppendResult& out) {
  if (!spec.stream.empty()) {
    CHORUS_ASSIGN_OR_RETURN(ss, w.stream_state(spec.stream));
  }
  Existing ex;
  for (size_t i = 0; i < spec.events.size(); ++i) {
    const Event& e = *spec.events[i];
    CHORUS_RETURN_IF_ERROR(find_existing(w, e.id(), ex));
    if (ex.seq == 0) continue;
    if (ex.stream != spec.stream)
      return Status::AlreadyExists(fmt::format(
          "event id {} is already stored at seq {} in {}, not in {}", e.id().to_string(), ex.seq,
          stream_label(ex.stream), stream_label(spec.stream)));
    if (dup_seq.empty()) dup_seq.assign(spec.events.size(), 0);
    dup_seq[i] = ex.seq;
  }
  const size_t dups = static_cast<size_t>(
      std::count_if(dup_seq.begin(), dup_seq.end(), [](uint64_t s) { return s != 0; }));
  if (dups == spec.events.size()) return Status::OK();  // an idempotent retry: no version check
  return check_expected(spec, ss, out);
}

}  // namespace

Status check_expected_version(std::string_view stream, const ExpectedVersion& expected,
                              const StreamState& ss) {
  bool ok = true;
  switch (expected.kind) {
    case ExpectedVersion::Kind::kAny:
      break;
    case ExpectedVersion::Kind::kNoStream:
      ok = !ss.exists;
      break;
    case ExpectedVersion::Kind::kStreamExists:
      ok = ss.exists;
      break;
    case ExpectedVersion::Kind::kExact:
      ok = ss.version == expected.version;
      break;
  }
  if (ok) return Status::OK();
  const std::string actual_text =
      ss.exists ? fmt::format("{}{}", ss.version, ss.flags & kStreamFlagDeleted ? " (deleted)" : "")
                : std::string("no stream");
  return Status::Conflict(fmt::format("stream '{}': expected version {}, actual version {}",
                                      printable(stream), expected.to_string(), actual_text));
}

Status apply_append(WriteTxn& w, const AppendSpec& spec, AppendResult& out) {
  out = AppendResult{};
  StreamState* ss = nullptr;
  std::vector<uint64_t> dup_seq;  // empty: no duplicates
  if (Status s = check_batch(w, spec, ss, dup_seq, out); !s.ok()) {
    if (w.rc() != 0) return s;  // the transaction failed
    out.status = std::move(s);  // this batch failed; nothing was written
    return Status::OK();
  }
  const size_t n = spec.events.size();
  size_t dups = 0;
  if (!dup_seq.empty()) {
    uint64_t lo = UINT64_MAX, hi = 0;
    for (uint64_t s : dup_seq) {
      if (s == 0) continue;
      ++dups;
      lo = std::min(lo, s);
      hi = std::max(hi, s);
    }
    if (dups == n) {
      out.first_seq = lo;
      out.last_seq = hi;
      out.stream_version = ss ? ss->version : 0;
      out.duplicates = static_cast<uint32_t>(n);
      return Status::OK();
    }
  }

  if (ss && (!ss->exists || (ss->flags & kStreamFlagDeleted))) {
    if (!ss->exists) {
      ss->exists = true;
      ss->stream_id = w.new_stream_id();
      ss->created_ns = w.now_ns;
    }
    ss->flags &= static_cast<uint8_t>(~kStreamFlagDeleted);
    CHORUS_RETURN_IF_ERROR(w.put_stream_record(spec.stream, *ss));
  }
  CHORUS_ASSIGN_OR_RETURN(Cursor * events, w.cursor(w.dbs.events, db::kEvents));
  for (size_t i = 0; i < n; ++i) {
    if (!dup_seq.empty() && dup_seq[i] != 0) continue;
    const EventPtr& ep = spec.events[i];
    const Event& e = *ep;
    const uint64_t seq = w.st.next_seq++;
    const uint64_t version = ss ? ++ss->version : 0;
    const std::string_view rec = spec.record(i);
    Key8 key(seq);
    MDB_val k{8, key.b}, v{kEventValueHeader + rec.size(), nullptr};
    const int rc = mdb_cursor_put(events->get(), &k, &v, MDB_APPEND | MDB_RESERVE);
    if (rc != 0) return w.fail(rc, fmt::format("append event seq {}", seq));
    char* dst = static_cast<char*>(v.mv_data);
    encode_event_value_header(dst, version);
    std::memcpy(dst + kEventValueHeader, rec.data(), rec.size());

    w.indexes.event_id(e.id(), seq);
    if (w.batch_ids.empty() || e.id() > w.batch_max_id) w.batch_max_id = e.id();
    w.batch_ids.insert(e.id(), seq);
    CHORUS_ASSIGN_OR_RETURN(uint32_t tid, w.type_id(e.type()));
    w.indexes.type(tid, seq);
    w.indexes.time(e.time_ns(), seq);
    if (!e.correlation_id().empty()) w.indexes.correlation(e.correlation_id(), seq);
    if (ss) w.indexes.stream(ss->stream_id, version, seq);
    w.appended.push_back(StoredEvent{seq, version, ep});
    if (out.first_seq == 0) out.first_seq = seq;
    out.last_seq = seq;
  }
  out.stream_version = ss ? ss->version : 0;
  out.written = static_cast<uint32_t>(n - dups);
  out.duplicates = static_cast<uint32_t>(dups);
  return Status::OK();
}

void AppendOp::complete(const Status& txn_status) {
  if (!txn_status.ok()) {
    result = AppendResult{};
    result.status = txn_status;
  }
  if (waiter) {
    waiter->signal();  // the op lives on the waiter's stack: not touched after this
  } else {
    if (callback) callback(result);
    delete this;
  }
}

}  // namespace chorus::store
