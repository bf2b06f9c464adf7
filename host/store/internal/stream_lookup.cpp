// Stream records and stream information (stream_lookup.h).
#include "store/internal/stream_lookup.h"

#include <algorithm>

#include <fmt/core.h>

#include "core/text.h"
#include "store/internal/event_lookup.h"
#include "store/internal/index_scan.h"
#include "store/internal/mdb.h"

namespace chorus::store {

Result<std::optional<StreamRecord>> find_stream_record(const TxnView& v, std::string_view stream) {
  MDB_val k = to_val(stream), d;
  const int rc = mdb_get(v.txn, v.dbs.streams, &k, &d);
  if (rc == MDB_NOTFOUND) return std::optional<StreamRecord>();
  if (rc != 0) return mdb_status(rc, v.path, fmt::format("read stream '{}'", printable(stream)));
  auto r = decode_stream_record(to_view(d), stream);
  if (!r.ok()) return r.error().with_context(fmt::format("store {}", v.path));
  return std::optional<StreamRecord>(*r);
}

Status no_such_stream(const TxnView& v, std::string_view stream) {
  return Status::NotFound(
      fmt::format("store {}: stream '{}' does not exist", v.path, printable(stream)));
}

Result<StreamInfo> read_stream_info(const TxnView& v, std::string_view stream, EventTimes times) {
  CHORUS_ASSIGN_OR_RETURN(std::optional<StreamRecord> rec, find_stream_record(v, stream));
  if (!rec) return no_such_stream(v, stream);
  StreamInfo info;
  info.name = std::string(stream);
  info.stream_id = rec->stream_id;
  info.deleted = rec->deleted();
  info.truncate_before = rec->truncate_before;
  info.created_ns = rec->created_ns;
  info.version = rec->truncate_before > 0 ? rec->truncate_before - 1 : 0;
  Hits last;
  CHORUS_RETURN_IF_ERROR(
      stream_hits(v, rec->stream_id, 0, kEnd, Direction::kBackward, 1, kEnd, last));
  if (last.list.empty()) return info;
  const Hit newest = last.list[0];
  info.version = std::max(info.version, newest.version);
  // Readable events: the versions at or above truncate_before.
  const uint64_t floor = std::max<uint64_t>(rec->truncate_before, 1);
  if (newest.version < floor) return info;
  Hits first;
  CHORUS_RETURN_IF_ERROR(stream_hits(v, rec->stream_id, rec->truncate_before, floor,
                                     Direction::kForward, 1, kEnd, first));
  if (first.list.empty()) return info;
  const Hit oldest = first.list[0];
  info.first_version = oldest.version;
  info.event_count = newest.version - oldest.version + 1;
  if (times == EventTimes::kSkip) return info;
  for (auto [hit, out] :
       {std::pair{oldest, &info.first_time_ns}, std::pair{newest, &info.last_time_ns}}) {
    CHORUS_ASSIGN_OR_RETURN(std::optional<EventPeek> p, peek_event(v, hit.seq, Crc::kVerify));
    if (p) *out = p->record.time_ns;
  }
  return info;
}

}  // namespace chorus::store
