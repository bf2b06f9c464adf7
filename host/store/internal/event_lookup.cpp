// Loading, decoding and peeking stored events by seq (event_lookup.h).
#include "store/internal/event_lookup.h"

#include <fmt/core.h>

#include "core/event_codec.h"
#include "store/internal/mdb.h"
#include "store/internal/store_format.h"

namespace chorus::store {

Result<std::optional<std::string_view>> find_event_value(const TxnView& v, uint64_t seq) {
  const Key8 key(seq);
  MDB_val k = to_val(key.view()), d;
  const int rc = mdb_get(v.txn, v.dbs.events, &k, &d);
  if (rc == MDB_NOTFOUND) return std::optional<std::string_view>();
  if (rc != 0) return mdb_status(rc, v.path, fmt::format("read event seq {}", seq));
  return std::optional<std::string_view>(to_view(d));
}

Result<StoredEvent> decode_stored(const std::string& path, uint64_t seq, std::string_view value) {
  auto ev = decode_event_value(value, seq);
  if (!ev.ok()) return ev.error().with_context(fmt::format("store {}", path));
  auto e = decode_event(ev->record);
  if (!e.ok())
    return Status(e.error().is(StatusCode::kNotSupported) ? StatusCode::kNotSupported
                                                          : StatusCode::kCorruption,
                  fmt::format("store {}: event seq {}: {}", path, seq, e.error().message()));
  return StoredEvent{seq, ev->stream_version, std::move(*e)};
}

Result<StoredEvent> load_event(const TxnView& v, uint64_t seq) {
  CHORUS_ASSIGN_OR_RETURN(std::optional<std::string_view> value, find_event_value(v, seq));
  if (!value) return Status::NotFound(fmt::format("store {}: no event at seq {}", v.path, seq));
  return decode_stored(v.path, seq, *value);
}

Result<EventPeek> peek_event_value(const std::string& path, uint64_t seq, std::string_view value,
                                   Crc crc) {
  auto ev = decode_event_value(value, seq);
  if (!ev.ok()) return ev.error().with_context(fmt::format("store {}", path));
  auto p = peek_record(ev->record, seq, crc);
  if (!p.ok()) return p.error().with_context(fmt::format("store {}", path));
  return EventPeek{ev->stream_version, *p};
}

Result<std::optional<EventPeek>> peek_event(const TxnView& v, uint64_t seq, Crc crc) {
  CHORUS_ASSIGN_OR_RETURN(std::optional<std::string_view> value, find_event_value(v, seq));
  if (!value) return std::optional<EventPeek>();
  CHORUS_ASSIGN_OR_RETURN(EventPeek p, peek_event_value(v.path, seq, *value, crc));
  return std::optional<EventPeek>(p);
}

}  // namespace chorus::store
