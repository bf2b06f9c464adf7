// Index scans and decoding of stored events (docs/store-format.md "Named
// databases" gives every key layout used here).
#include "store/reader.h"

#include <algorithm>

#include <fmt/core.h>

#include "core/event_codec.h"
#include "core/text.h"
#include "core/topic.h"
#include "store/store_format.h"

namespace chorus::store {
namespace rd {
namespace {

// Type patterns matching more types than this are answered by scanning the
// log instead of merging per-type index ranges.
constexpr size_t kMaxMergedTypes = 16;

class CursorGuard {
 public:
  explicit CursorGuard(MDB_cursor* c) : c_(c) {}
  CursorGuard(const CursorGuard&) = delete;
  CursorGuard& operator=(const CursorGuard&) = delete;
  ~CursorGuard() {
    if (c_) mdb_cursor_close(c_);
  }
  MDB_cursor* get() const { return c_; }

 private:
  MDB_cursor* c_;
};

Result<MDB_cursor*> open_cursor(const View& v, MDB_dbi dbi) {
  MDB_cursor* c = nullptr;
  const int rc = mdb_cursor_open(v.txn, dbi, &c);
  if (rc != 0) return mdb_status(rc, v.path, "open a cursor");
  return c;
}

// Positions `c` at the first key >= start (forward) or the last key <= start
// (backward). Returns the LMDB code.
int position(MDB_cursor* c, std::string_view start, Direction dir, MDB_val& k, MDB_val& d) {
  if (start.empty())  // LMDB refuses empty keys: start at an end
    return mdb_cursor_get(c, &k, &d, dir == Direction::kForward ? MDB_FIRST : MDB_LAST);
  k = to_val(start);
  int rc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE);
  if (dir == Direction::kForward) return rc;
  if (rc == 0) {
    if (to_view(k) != start) rc = mdb_cursor_get(c, &k, &d, MDB_PREV);
  } else if (rc == MDB_NOTFOUND) {
    rc = mdb_cursor_get(c, &k, &d, MDB_LAST);
  }
  return rc;
}

// Calls fn(key, value) for keys with `prefix` from `start` in `dir` until fn
// returns false.
template <typename Fn>
Status scan(const View& v, MDB_dbi dbi, std::string_view prefix, std::string_view start,
            Direction dir, const char* what, Fn&& fn) {
  CHORUS_ASSIGN_OR_RETURN(MDB_cursor * raw, open_cursor(v, dbi));
  CursorGuard c(raw);
  MDB_val k, d;
  int rc = position(raw, start, dir, k, d);
  while (rc == 0) {
    const std::string_view key = to_view(k);
    if (key.size() < prefix.size() || key.substr(0, prefix.size()) != prefix) break;
    if (!fn(key, to_view(d))) break;
    rc = mdb_cursor_get(raw, &k, &d, dir == Direction::kForward ? MDB_NEXT : MDB_PREV);
  }
  if (rc != 0 && rc != MDB_NOTFOUND) return mdb_status(rc, v.path, fmt::format("scan '{}'", what));
  return Status::OK();
}

Status bad_key(const View& v, const char* db, size_t size) {
  return Status::Corruption(fmt::format("store {}: '{}' has a key of {} bytes", v.path, db, size));
}

}  // namespace

Status load_value(const View& v, uint64_t seq, std::string_view& value, bool& found) {
  Key8 key(seq);
  MDB_val k = to_val(key.view()), d;
  const int rc = mdb_get(v.txn, v.dbs.events, &k, &d);
  found = rc == 0;
  if (rc == MDB_NOTFOUND) return Status::OK();
  if (rc != 0) return mdb_status(rc, v.path, fmt::format("read event seq {}", seq));
  value = to_view(d);
  return Status::OK();
}

Result<StoredEvent> decode_stored(const View& v, uint64_t seq, std::string_view value) {
  auto ev = decode_event_value(value, seq);
  if (!ev.ok()) return ev.error().with_context(fmt::format("store {}", v.path));
  auto e = decode_event(ev->record);
  if (!e.ok())
    return Status(e.error().is(StatusCode::kNotSupported) ? StatusCode::kNotSupported
                                                          : StatusCode::kCorruption,
                  fmt::format("store {}: event seq {}: {}", v.path, seq, e.error().message()));
  return StoredEvent{seq, ev->stream_version, std::move(*e)};
}

Result<StoredEvent> load_event(const View& v, uint64_t seq) {
  std::string_view value;
  bool found = false;
  CHORUS_RETURN_IF_ERROR(load_value(v, seq, value, found));
  if (!found) return Status::NotFound(fmt::format("store {}: no event at seq {}", v.path, seq));
  return decode_stored(v, seq, value);
}

Status stream_record(const View& v, std::string_view stream, StreamRecord& out, bool& found) {
  MDB_val k = to_val(stream), d;
  const int rc = mdb_get(v.txn, v.dbs.streams, &k, &d);
  found = rc == 0;
  if (rc == MDB_NOTFOUND) return Status::OK();
  if (rc != 0) return mdb_status(rc, v.path, fmt::format("read stream '{}'", printable(stream)));
  auto r = decode_stream_record(to_view(d), stream);
  if (!r.ok()) return r.error().with_context(fmt::format("store {}", v.path));
  out = *r;
  return Status::OK();
}

Status stream_hits(const View& v, uint64_t stream_id, uint64_t truncate_before, uint64_t from,
                   Direction dir, size_t limit, uint64_t max_seq, std::vector<Hit>& out,
                   bool& more) {
  more = false;
  const uint64_t floor = std::max<uint64_t>(truncate_before, 1);
  if (dir == Direction::kForward) from = std::max(from, floor);
  if (dir == Direction::kBackward && from < floor) return Status::OK();
  Key8 prefix(stream_id);
  Key16 start(stream_id, from);
  Status bad;
  CHORUS_RETURN_IF_ERROR(scan(v, v.dbs.stream_index, prefix.view(), start.view(), dir,
                              db::kStreamIndex, [&](std::string_view key, std::string_view val) {
                                if (key.size() != 16 || val.size() != 8) {
                                  bad = bad_key(v, db::kStreamIndex, key.size());
                                  return false;
                                }
                                const uint64_t version = get_be64(key.data() + 8),
                                               seq = get_be64(val.data());
                                if (version < floor)
                                  return false;  // backward: reached the deleted part
                                if (seq > max_seq)
                                  return dir == Direction::kBackward;  // not yet visible
                                if (out.size() >= limit) {
                                  more = true;
                                  return false;
                                }
                                out.push_back(Hit{seq, version, 0});
                                return true;
                              }));
  return bad;
}

Status log_hits(const View& v, uint64_t from, Direction dir, size_t limit, uint64_t max_seq,
                std::vector<Hit>& out, bool& more) {
  more = false;
  Key8 start(from);
  Status bad;
  CHORUS_RETURN_IF_ERROR(scan(v, v.dbs.events, {}, start.view(), dir, db::kEvents,
                              [&](std::string_view key, std::string_view) {
                                if (key.size() != 8) {
                                  bad = bad_key(v, db::kEvents, key.size());
                                  return false;
                                }
                                const uint64_t seq = get_be64(key.data());
                                if (seq > max_seq) return dir == Direction::kBackward;
                                if (out.size() >= limit) {
                                  more = true;
                                  return false;
                                }
                                out.push_back(Hit{seq, 0, 0});
                                return true;
                              }));
  return bad;
}

Status correlation_hits(const View& v, std::string_view correlation, uint64_t from, Direction dir,
                        size_t limit, std::vector<Hit>& out, bool& more) {
  more = false;
  if (correlation.empty()) return Status::InvalidArgument("correlation id is empty");
  std::string prefix(correlation);
  prefix.push_back('\0');
  const std::string start = correlation_key(correlation, from);
  Status bad;
  CHORUS_RETURN_IF_ERROR(scan(v, v.dbs.correlation_index, prefix, start, dir, db::kCorrelationIndex,
                              [&](std::string_view key, std::string_view) {
                                if (key.size() != prefix.size() + 8) {
                                  bad = bad_key(v, db::kCorrelationIndex, key.size());
                                  return false;
                                }
                                if (out.size() >= limit) {
                                  more = true;
                                  return false;
                                }
                                out.push_back(Hit{get_be64(key.data() + prefix.size()), 0, 0});
                                return true;
                              }));
  return bad;
}

Status matching_types(const View& v, std::string_view pattern, std::vector<uint32_t>& ids,
                      std::vector<std::string>* names) {
  ids.clear();
  if (!pattern_has_wildcards(pattern)) {
    MDB_val k = to_val(pattern), d;
    const int rc = mdb_get(v.txn, v.dbs.types, &k, &d);
    if (rc == MDB_NOTFOUND) return Status::OK();
    if (rc != 0) return mdb_status(rc, v.path, "read 'types'");
    if (d.mv_size != 4) return bad_key(v, db::kTypes, d.mv_size);
    ids.push_back(get_be32(static_cast<const char*>(d.mv_data)));
    if (names) names->emplace_back(pattern);
    return Status::OK();
  }
  // Only names sharing the pattern's literal prefix can match.
  const size_t star = pattern.find('*');
  const std::string_view literal = pattern.substr(0, star);
  Status bad;
  CHORUS_RETURN_IF_ERROR(scan(v, v.dbs.types, literal, literal, Direction::kForward, db::kTypes,
                              [&](std::string_view key, std::string_view val) {
                                if (val.size() != 4) {
                                  bad = bad_key(v, db::kTypes, val.size());
                                  return false;
                                }
                                if (validate_topic(key).ok() && topic_matches(pattern, key)) {
                                  ids.push_back(get_be32(val.data()));
                                  if (names) names->emplace_back(key);
                                }
                                return true;
                              }));
  return bad;
}

Status type_hits(const View& v, std::string_view pattern, uint64_t from, Direction dir,
                 size_t limit, uint64_t max_seq, std::vector<Hit>& out, bool& more) {
  more = false;
  CHORUS_RETURN_IF_ERROR(validate_pattern(pattern));
  std::vector<uint32_t> ids;
  CHORUS_RETURN_IF_ERROR(matching_types(v, pattern, ids));
  if (ids.empty()) return Status::OK();
  const bool fwd = dir == Direction::kForward;

  if (ids.size() > kMaxMergedTypes) {
    // Many types: scan the log, reading only each record's type.
    Key8 start(from);
    Status bad;
    CHORUS_RETURN_IF_ERROR(scan(v, v.dbs.events, {}, start.view(), dir, db::kEvents,
                                [&](std::string_view key, std::string_view val) {
                                  if (key.size() != 8) {
                                    bad = bad_key(v, db::kEvents, key.size());
                                    return false;
                                  }
                                  const uint64_t seq = get_be64(key.data());
                                  if (seq > max_seq) return !fwd;
                                  auto ev = decode_event_value(val, seq);
                                  if (!ev.ok()) {
                                    bad = ev.error().with_context(fmt::format("store {}", v.path));
                                    return false;
                                  }
                                  auto type = peek_record_type(ev->record, seq);
                                  if (!type.ok()) {
                                    bad =
                                        type.error().with_context(fmt::format("store {}", v.path));
                                    return false;
                                  }
                                  if (!topic_matches(pattern, *type)) return true;
                                  if (out.size() >= limit) {
                                    more = true;
                                    return false;
                                  }
                                  out.push_back(Hit{seq, ev->stream_version, 0});
                                  return true;
                                }));
    return bad;
  }

  // A few types: merge their type_index ranges by seq.
  struct Source {
    Source(MDB_cursor* c, uint32_t t) : cursor(c), tid(t) {}
    CursorGuard cursor;
    uint32_t tid;
    uint64_t seq = 0;
    bool valid = false;
  };
  std::vector<std::unique_ptr<Source>> src;
  auto read_key = [&](Source& s, const MDB_val& k, int rc) -> Status {
    s.valid = false;
    if (rc == MDB_NOTFOUND) return Status::OK();
    if (rc != 0) return mdb_status(rc, v.path, "scan 'type_index'");
    if (k.mv_size != 12) return bad_key(v, db::kTypeIndex, k.mv_size);
    const char* p = static_cast<const char*>(k.mv_data);
    if (get_be32(p) != s.tid) return Status::OK();
    s.seq = get_be64(p + 4);
    s.valid = true;
    return Status::OK();
  };
  for (uint32_t tid : ids) {
    CHORUS_ASSIGN_OR_RETURN(MDB_cursor * c, open_cursor(v, v.dbs.type_index));
    src.push_back(std::make_unique<Source>(c, tid));
    Key12 start(tid, from);
    MDB_val k, d;
    const int rc = position(c, start.view(), dir, k, d);
    CHORUS_RETURN_IF_ERROR(read_key(*src.back(), k, rc));
  }
  for (;;) {
    Source* best = nullptr;
    for (auto& s : src) {
      if (!s->valid) continue;
      if (fwd && s->seq > max_seq) s->valid = false;
      if (!s->valid) continue;
      if (!best || (fwd ? s->seq < best->seq : s->seq > best->seq)) best = s.get();
    }
    if (!best) break;
    if (!fwd && best->seq > max_seq) {
      // Not yet visible: skip it.
    } else {
      if (out.size() >= limit) {
        more = true;
        break;
      }
      out.push_back(Hit{best->seq, 0, 0});
    }
    MDB_val k, d;
    const int rc = mdb_cursor_get(best->cursor.get(), &k, &d, fwd ? MDB_NEXT : MDB_PREV);
    CHORUS_RETURN_IF_ERROR(read_key(*best, k, rc));
  }
  return Status::OK();
}

Status time_hits(const View& v, int64_t from_ns, int64_t to_ns, int64_t start_ns,
                 uint64_t start_seq, Direction dir, size_t limit, std::vector<Hit>& out,
                 bool& more) {
  more = false;
  if (from_ns >= to_ns) return Status::OK();
  const bool fwd = dir == Direction::kForward;
  if (fwd) {
    if (start_ns < from_ns) start_ns = from_ns, start_seq = 0;
  } else if (start_ns > to_ns) {
    start_ns = to_ns, start_seq = 0;
  }
  Key16 start(time_key(start_ns), start_seq);
  Status bad;
  CHORUS_RETURN_IF_ERROR(scan(v, v.dbs.time_index, {}, start.view(), dir, db::kTimeIndex,
                              [&](std::string_view key, std::string_view) {
                                if (key.size() != 16) {
                                  bad = bad_key(v, db::kTimeIndex, key.size());
                                  return false;
                                }
                                const int64_t t = time_from_key(get_be64(key.data()));
                                if (fwd ? t >= to_ns : t < from_ns) return false;
                                if (!fwd && t >= to_ns) return true;
                                if (out.size() >= limit) {
                                  more = true;
                                  return false;
                                }
                                out.push_back(Hit{get_be64(key.data() + 8), 0, t});
                                return true;
                              }));
  return bad;
}

Result<StreamInfo> stream_info(const View& v, std::string_view stream) {
  StreamRecord rec;
  bool found = false;
  CHORUS_RETURN_IF_ERROR(stream_record(v, stream, rec, found));
  if (!found)
    return Status::NotFound(
        fmt::format("store {}: stream '{}' does not exist", v.path, printable(stream)));
  StreamInfo info;
  info.name = std::string(stream);
  info.stream_id = rec.stream_id;
  info.deleted = rec.deleted();
  info.truncate_before = rec.truncate_before;
  info.created_ns = rec.created_ns;
  info.version = rec.truncate_before > 0 ? rec.truncate_before - 1 : 0;
  std::vector<Hit> last;
  bool more = false;
  CHORUS_RETURN_IF_ERROR(
      stream_hits(v, rec.stream_id, 0, kEnd, Direction::kBackward, 1, kEnd, last, more));
  if (!last.empty()) info.version = std::max(info.version, last[0].version);
  // Readable events: the versions at or above truncate_before.
  const uint64_t floor = std::max<uint64_t>(rec.truncate_before, 1);
  if (!last.empty() && last[0].version >= floor) {
    std::vector<Hit> firstr;
    CHORUS_RETURN_IF_ERROR(stream_hits(v, rec.stream_id, rec.truncate_before, floor,
                                       Direction::kForward, 1, kEnd, firstr, more));
    if (!firstr.empty()) {
      info.first_version = firstr[0].version;
      info.event_count = last[0].version - firstr[0].version + 1;
      for (auto [hit, out] :
           {std::pair{firstr[0], &info.first_time_ns}, std::pair{last[0], &info.last_time_ns}}) {
        std::string_view value;
        bool ok = false;
        CHORUS_RETURN_IF_ERROR(load_value(v, hit.seq, value, ok));
        if (!ok) continue;
        auto ev = decode_event_value(value, hit.seq);
        if (!ev.ok()) return ev.error().with_context(fmt::format("store {}", v.path));
        auto p = peek_record(ev->record, hit.seq, true);
        if (!p.ok()) return p.error().with_context(fmt::format("store {}", v.path));
        *out = p->time_ns;
      }
    }
  }
  return info;
}

}  // namespace rd

// ---- Reader ----

namespace {

size_t clamp_limit(size_t limit) {
  return std::clamp<size_t>(limit, 1, kMaxReadLimit);
}

}  // namespace

Result<ReadPage> Reader::materialize(const rd::View& v, const std::vector<rd::Hit>& hits, bool more,
                                     Direction dir, bool by_version) {
  ReadPage page;
  page.events.reserve(hits.size());
  // One cursor for every lookup: hits are close together (often on the
  // same page), and LMDB skips the root-to-leaf search then.
  MDB_cursor* c = nullptr;
  if (!hits.empty()) {
    const int rc = mdb_cursor_open(v.txn, v.dbs.events, &c);
    if (rc != 0) return mdb_status(rc, v.path, "open a cursor on 'events'");
  }
  struct Closer {
    MDB_cursor* c;
    ~Closer() {
      if (c) mdb_cursor_close(c);
    }
  } closer{c};
  uint64_t at = 0;  // the seq the cursor is on (0: not positioned)
  for (const rd::Hit& h : hits) {
    Key8 key(h.seq);
    MDB_val k = to_val(key.view()), d;
    int rc;
    if (at != 0 && h.seq > at && h.seq - at <= 16) {
      // Close ahead: stepping is cheaper than a search from the root.
      do {
        rc = mdb_cursor_get(c, &k, &d, MDB_NEXT);
        at = rc == 0 && k.mv_size == 8 ? get_be64(static_cast<const char*>(k.mv_data)) : UINT64_MAX;
      } while (rc == 0 && at < h.seq);
      if (rc == 0 && at != h.seq) rc = MDB_NOTFOUND;
    } else {
      rc = mdb_cursor_get(c, &k, &d, MDB_SET_KEY);
      at = rc == 0 ? h.seq : 0;
    }
    if (rc != 0) at = 0;
    if (rc == MDB_NOTFOUND)
      return Status::Corruption(
          fmt::format("store {}: an index points at seq {}, which holds no event", v.path, h.seq));
    if (rc != 0) return mdb_status(rc, v.path, fmt::format("read event seq {}", h.seq));
    CHORUS_ASSIGN_OR_RETURN(StoredEvent se, rd::decode_stored(v, h.seq, to_view(d)));
    page.events.push_back(std::move(se));
  }
  page.end = !more;
  if (!hits.empty()) {
    const uint64_t last = by_version ? hits.back().version : hits.back().seq;
    page.next = dir == Direction::kForward ? last + 1 : last - 1;
    page.next_time_ns = hits.back().time_ns;
  }
  return page;
}

Result<ReadPage> Reader::read_stream(std::string_view stream, uint64_t from, Direction dir,
                                     size_t limit, uint64_t max_seq) {
  CHORUS_ASSIGN_OR_RETURN(Env::ReadTxn txn, env_.begin_read());
  rd::View v{txn.get(), env_.dbs(), env_.path()};
  StreamRecord rec;
  bool found = false;
  CHORUS_RETURN_IF_ERROR(rd::stream_record(v, stream, rec, found));
  if (!found)
    return Status::NotFound(
        fmt::format("store {}: stream '{}' does not exist", env_.path(), printable(stream)));
  std::vector<rd::Hit> hits;
  bool more = false;
  CHORUS_RETURN_IF_ERROR(rd::stream_hits(v, rec.stream_id, rec.truncate_before, from, dir,
                                         clamp_limit(limit), max_seq, hits, more));
  auto page = materialize(v, hits, more, dir, true);
  if (page.ok() && hits.empty()) page->next = from;
  return page;
}

Result<ReadPage> Reader::read_all(uint64_t from, Direction dir, size_t limit, uint64_t max_seq) {
  CHORUS_ASSIGN_OR_RETURN(Env::ReadTxn txn, env_.begin_read());
  rd::View v{txn.get(), env_.dbs(), env_.path()};
  std::vector<rd::Hit> hits;
  bool more = false;
  CHORUS_RETURN_IF_ERROR(rd::log_hits(v, from, dir, clamp_limit(limit), max_seq, hits, more));
  auto page = materialize(v, hits, more, dir, false);
  if (page.ok() && hits.empty()) page->next = from;
  return page;
}

Result<ReadPage> Reader::read_correlation(std::string_view correlation, uint64_t from,
                                          Direction dir, size_t limit) {
  CHORUS_ASSIGN_OR_RETURN(Env::ReadTxn txn, env_.begin_read());
  rd::View v{txn.get(), env_.dbs(), env_.path()};
  std::vector<rd::Hit> hits;
  bool more = false;
  CHORUS_RETURN_IF_ERROR(
      rd::correlation_hits(v, correlation, from, dir, clamp_limit(limit), hits, more));
  auto page = materialize(v, hits, more, dir, false);
  if (page.ok() && hits.empty()) page->next = from;
  return page;
}

Result<ReadPage> Reader::read_types(std::string_view pattern, uint64_t from, Direction dir,
                                    size_t limit, uint64_t max_seq) {
  CHORUS_ASSIGN_OR_RETURN(Env::ReadTxn txn, env_.begin_read());
  rd::View v{txn.get(), env_.dbs(), env_.path()};
  std::vector<rd::Hit> hits;
  bool more = false;
  CHORUS_RETURN_IF_ERROR(
      rd::type_hits(v, pattern, from, dir, clamp_limit(limit), max_seq, hits, more));
  auto page = materialize(v, hits, more, dir, false);
  if (page.ok() && hits.empty()) page->next = from;
  return page;
}

Result<ReadPage> Reader::read_time(int64_t from_ns, int64_t to_ns, int64_t start_ns,
                                   uint64_t start_seq, Direction dir, size_t limit) {
  CHORUS_ASSIGN_OR_RETURN(Env::ReadTxn txn, env_.begin_read());
  rd::View v{txn.get(), env_.dbs(), env_.path()};
  std::vector<rd::Hit> hits;
  bool more = false;
  CHORUS_RETURN_IF_ERROR(
      rd::time_hits(v, from_ns, to_ns, start_ns, start_seq, dir, clamp_limit(limit), hits, more));
  auto page = materialize(v, hits, more, dir, false);
  if (page.ok() && hits.empty()) {
    page->next = start_seq;
    page->next_time_ns = start_ns;
  }
  return page;
}

Result<StreamInfo> Reader::stream_info(std::string_view stream) {
  CHORUS_ASSIGN_OR_RETURN(Env::ReadTxn txn, env_.begin_read());
  rd::View v{txn.get(), env_.dbs(), env_.path()};
  return rd::stream_info(v, stream);
}

Result<uint64_t> Reader::scan_raw(
    uint64_t from, size_t limit,
    const std::function<void(uint64_t, uint64_t, std::string_view)>& fn) {
  CHORUS_ASSIGN_OR_RETURN(Env::ReadTxn txn, env_.begin_read());
  MDB_cursor* c = nullptr;
  int rc = mdb_cursor_open(txn.get(), env_.dbs().events, &c);
  if (rc != 0) return mdb_status(rc, env_.path(), "open a cursor on 'events'");
  Key8 start(from);
  MDB_val k = to_val(start.view()), d;
  uint64_t next = from;
  size_t n = 0;
  Status bad;
  for (rc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE); rc == 0 && n < limit;
       rc = mdb_cursor_get(c, &k, &d, MDB_NEXT), ++n) {
    if (k.mv_size != 8 || d.mv_size < kEventValueHeader) {
      bad = Status::Corruption(fmt::format("store {}: malformed 'events' entry", env_.path()));
      break;
    }
    const char* val = static_cast<const char*>(d.mv_data);
    const uint64_t seq = get_be64(static_cast<const char*>(k.mv_data));
    if (static_cast<uint8_t>(val[0]) != kEventValueVersion) {
      auto ev = decode_event_value(to_view(d), seq);
      bad = ev.ok() ? Status::Internal("unexpected event value") : ev.error();
      break;
    }
    fn(seq, get_be64(val + 1),
       std::string_view(val + kEventValueHeader, d.mv_size - kEventValueHeader));
    next = seq + 1;
  }
  mdb_cursor_close(c);
  if (!bad.ok()) return bad;
  if (rc != 0 && rc != MDB_NOTFOUND) return mdb_status(rc, env_.path(), "scan 'events'");
  return next;
}

Status Reader::for_each_stream(
    const std::function<bool(std::string_view, const StreamRecord&)>& fn) {
  CHORUS_ASSIGN_OR_RETURN(Env::ReadTxn txn, env_.begin_read());
  MDB_cursor* c = nullptr;
  int rc = mdb_cursor_open(txn.get(), env_.dbs().streams, &c);
  if (rc != 0) return mdb_status(rc, env_.path(), "open a cursor on 'streams'");
  MDB_val k, d;
  Status bad;
  for (rc = mdb_cursor_get(c, &k, &d, MDB_FIRST); rc == 0;
       rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
    auto r = decode_stream_record(to_view(d), to_view(k));
    if (!r.ok()) {
      bad = r.error().with_context(fmt::format("store {}", env_.path()));
      break;
    }
    if (!fn(to_view(k), *r)) break;
  }
  mdb_cursor_close(c);
  if (!bad.ok()) return bad;
  if (rc != 0 && rc != MDB_NOTFOUND) return mdb_status(rc, env_.path(), "scan 'streams'");
  return Status::OK();
}

}  // namespace chorus::store
