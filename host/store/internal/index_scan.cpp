// The index scans of index_scan.h, each one loop over one Cursor (the type
// merge: one Cursor per type).
#include "store/internal/index_scan.h"

#include <algorithm>
#include <string>

#include <fmt/core.h>

#include "core/topic.h"
#include "store/internal/cursor.h"
#include "store/internal/event_lookup.h"
#include "store/internal/mdb.h"
#include "store/internal/store_format.h"

namespace chorus::store {
namespace {

// Type patterns matching more types than this are answered by scanning the
// log instead of merging per-type index ranges.
constexpr size_t kMaxMergedTypes = 16;

// Type ids whose name matches the pattern.
Status matching_types(const TxnView& v, std::string_view pattern, std::vector<uint32_t>& ids) {
  auto bad_id = [&](std::string_view type, size_t size) {
    return Status::Corruption(
        fmt::format("store {}: type '{}' has a {}-byte id", v.path, type, size));
  };
  ids.clear();
  if (!pattern_has_wildcards(pattern)) {
    MDB_val k = to_val(pattern), d;
    const int rc = mdb_get(v.txn, v.dbs.types, &k, &d);
    if (rc == MDB_NOTFOUND) return Status::OK();
    if (rc != 0) return mdb_status(rc, v.path, "read 'types'");
    if (d.mv_size != 4) return bad_id(pattern, d.mv_size);
    ids.push_back(get_be32(static_cast<const char*>(d.mv_data)));
    return Status::OK();
  }
  // Only names sharing the pattern's literal prefix can match.
  const std::string_view literal = pattern.substr(0, pattern.find('*'));
  CHORUS_ASSIGN_OR_RETURN(Cursor c, Cursor::open(v, v.dbs.types, db::kTypes));
  return scan_prefix(c, literal, literal, Direction::kForward,
                     [&](std::string_view key, std::string_view val) -> Result<bool> {
                       if (val.size() != 4) return bad_id(key, val.size());
                       if (validate_topic(key).ok() && topic_matches(pattern, key))
                         ids.push_back(get_be32(val.data()));
                       return true;
                     });
}

// Many types: the log, reading only each record's type.
Status type_hits_by_log(const TxnView& v, std::string_view pattern, uint64_t from, Direction dir,
                        size_t limit, uint64_t max_seq, Hits& out) {
  CHORUS_ASSIGN_OR_RETURN(Cursor c, Cursor::open(v, v.dbs.events, db::kEvents));
  const Key8 start(from);
  return scan_prefix(c, {}, start.view(), dir,
                     [&](std::string_view key, std::string_view val) -> Result<bool> {
                       if (key.size() != 8) return c.bad_key();
                       const uint64_t seq = get_be64(key.data());
                       if (seq > max_seq) return dir == Direction::kBackward;
                       auto ev = decode_event_value(val, seq);
                       if (!ev.ok())
                         return ev.error().with_context(fmt::format("store {}", v.path));
                       auto type = peek_record_type(ev->record, seq);
                       if (!type.ok())
                         return type.error().with_context(fmt::format("store {}", v.path));
                       if (!topic_matches(pattern, *type)) return true;
                       return out.add(Hit{seq, ev->stream_version, 0}, limit);
                     });
}

// A few types: their type_index ranges merged by seq.
Status type_hits_by_index(const TxnView& v, const std::vector<uint32_t>& ids, uint64_t from,
                          Direction dir, size_t limit, uint64_t max_seq, Hits& out) {
  const bool fwd = dir == Direction::kForward;
  struct Source {
    Cursor cursor;
    uint32_t tid;
    uint64_t seq = 0;
    bool valid = false;
  };
  // Reads the source's position: valid while the cursor is on its type.
  auto read = [&](Source& s) -> Status {
    s.valid = false;
    if (!s.cursor.on()) return s.cursor.status();
    const std::string_view k = s.cursor.key();
    if (k.size() != 12) return s.cursor.bad_key();
    if (get_be32(k.data()) != s.tid) return Status::OK();
    s.seq = get_be64(k.data() + 4);
    s.valid = true;
    return Status::OK();
  };
  std::vector<Source> src;
  src.reserve(ids.size());
  for (uint32_t tid : ids) {
    CHORUS_ASSIGN_OR_RETURN(Cursor c, Cursor::open(v, v.dbs.type_index, db::kTypeIndex));
    src.push_back(Source{std::move(c), tid});
    const Key12 start(tid, from);
    src.back().cursor.seek(start.view(), dir);
    CHORUS_RETURN_IF_ERROR(read(src.back()));
  }
  for (;;) {
    Source* best = nullptr;
    for (Source& s : src) {
      if (s.valid && fwd && s.seq > max_seq) s.valid = false;
      if (!s.valid) continue;
      if (!best || (fwd ? s.seq < best->seq : s.seq > best->seq)) best = &s;
    }
    if (!best) return Status::OK();
    // Backward, seqs above max_seq are not yet visible: skipped.
    if (best->seq <= max_seq && !out.add(Hit{best->seq, 0, 0}, limit)) return Status::OK();
    best->cursor.step(dir);
    CHORUS_RETURN_IF_ERROR(read(*best));
  }
}

}  // namespace

Status stream_hits(const TxnView& v, uint64_t stream_id, uint64_t truncate_before, uint64_t from,
                   Direction dir, size_t limit, uint64_t max_seq, Hits& out) {
  const uint64_t floor = std::max<uint64_t>(truncate_before, 1);
  if (dir == Direction::kForward) from = std::max(from, floor);
  if (dir == Direction::kBackward && from < floor) return Status::OK();
  CHORUS_ASSIGN_OR_RETURN(Cursor c, Cursor::open(v, v.dbs.stream_index, db::kStreamIndex));
  const Key8 prefix(stream_id);
  const Key16 start(stream_id, from);
  return scan_prefix(c, prefix.view(), start.view(), dir,
                     [&](std::string_view key, std::string_view val) -> Result<bool> {
                       if (key.size() != 16) return c.bad_key();
                       if (val.size() != 8) return c.bad_value();
                       const uint64_t version = get_be64(key.data() + 8);
                       const uint64_t seq = get_be64(val.data());
                       if (version < floor) return false;  // backward: the deleted part
                       if (seq > max_seq) return dir == Direction::kBackward;  // not yet visible
                       return out.add(Hit{seq, version, 0}, limit);
                     });
}

Status log_hits(const TxnView& v, uint64_t from, Direction dir, size_t limit, uint64_t max_seq,
                Hits& out) {
  CHORUS_ASSIGN_OR_RETURN(Cursor c, Cursor::open(v, v.dbs.events, db::kEvents));
  const Key8 start(from);
  return scan_prefix(c, {}, start.view(), dir,
                     [&](std::string_view key, std::string_view) -> Result<bool> {
                       if (key.size() != 8) return c.bad_key();
                       const uint64_t seq = get_be64(key.data());
                       if (seq > max_seq) return dir == Direction::kBackward;
                       return out.add(Hit{seq, 0, 0}, limit);
                     });
}

Status correlation_hits(const TxnView& v, std::string_view correlation, uint64_t from,
                        Direction dir, size_t limit, Hits& out) {
  if (correlation.empty()) return Status::InvalidArgument("correlation id is empty");
  std::string prefix(correlation);
  prefix.push_back('\0');
  const std::string start = correlation_key(correlation, from);
  CHORUS_ASSIGN_OR_RETURN(Cursor c,
                          Cursor::open(v, v.dbs.correlation_index, db::kCorrelationIndex));
  return scan_prefix(c, prefix, start, dir,
                     [&](std::string_view key, std::string_view) -> Result<bool> {
                       if (key.size() != prefix.size() + 8) return c.bad_key();
                       return out.add(Hit{get_be64(key.data() + prefix.size()), 0, 0}, limit);
                     });
}

Status type_hits(const TxnView& v, std::string_view pattern, uint64_t from, Direction dir,
                 size_t limit, uint64_t max_seq, Hits& out) {
  CHORUS_RETURN_IF_ERROR(validate_pattern(pattern));
  std::vector<uint32_t> ids;
  CHORUS_RETURN_IF_ERROR(matching_types(v, pattern, ids));
  if (ids.empty()) return Status::OK();
  if (ids.size() > kMaxMergedTypes)
    return type_hits_by_log(v, pattern, from, dir, limit, max_seq, out);
  return type_hits_by_index(v, ids, from, dir, limit, max_seq, out);
}

Status time_hits(const TxnView& v, int64_t from_ns, int64_t to_ns, int64_t start_ns,
                 uint64_t start_seq, Direction dir, size_t limit, Hits& out) {
  if (from_ns >= to_ns) return Status::OK();
  const bool fwd = dir == Direction::kForward;
  if (fwd) {
    if (start_ns < from_ns) start_ns = from_ns, start_seq = 0;
  } else if (start_ns > to_ns) {
    start_ns = to_ns, start_seq = 0;
  }
  CHORUS_ASSIGN_OR_RETURN(Cursor c, Cursor::open(v, v.dbs.time_index, db::kTimeIndex));
  const Key16 start(time_key(start_ns), start_seq);
  return scan_prefix(c, {}, start.view(), dir,
                     [&](std::string_view key, std::string_view) -> Result<bool> {
                       if (key.size() != 16) return c.bad_key();
                       const int64_t t = time_from_key(get_be64(key.data()));
                       if (fwd ? t >= to_ns : t < from_ns) return false;
                       if (!fwd && t >= to_ns) return true;
                       return out.add(Hit{get_be64(key.data() + 8), 0, t}, limit);
                     });
}

}  // namespace chorus::store
