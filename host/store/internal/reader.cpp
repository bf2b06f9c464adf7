// Reader: pages of events. One helper, read_page(), holds what every read
// shares (the transaction, the limit, loading the hits, the continuation of
// an empty page); each read names only its index scan.
#include "store/internal/reader.h"

#include <algorithm>

#include <fmt/core.h>

#include "store/internal/cursor.h"
#include "store/internal/env.h"
#include "store/internal/event_lookup.h"
#include "store/internal/index_scan.h"
#include "store/internal/store_format.h"
#include "store/internal/stream_lookup.h"

namespace chorus::store {
namespace {

// What a page's `next` counts.
enum class PageBy : uint8_t { kSeq, kVersion };

// Where a read started: the continuation of a page with no events.
struct Start {
  uint64_t position = 0;  // a seq or a version
  int64_t time_ns = 0;    // time reads
};

// Loads the events of `hits` into a page. One cursor for every lookup:
// hits are close together (often on the same page), and stepping a few
// entries ahead is cheaper than a search from the root.
Result<ReadPage> load_page(const TxnView& v, const Hits& hits, Direction dir, PageBy by,
                           const Start& start) {
  ReadPage page;
  page.end = !hits.more;
  if (hits.list.empty()) {
    page.next = start.position;
    page.next_time_ns = start.time_ns;
    return page;
  }
  page.events.reserve(hits.list.size());
  CHORUS_ASSIGN_OR_RETURN(Cursor c, Cursor::open(v, v.dbs.events, db::kEvents));
  uint64_t at = 0;  // the seq the cursor is on (0: not positioned)
  for (const Hit& h : hits.list) {
    if (at != 0 && h.seq > at && h.seq - at <= 16) {
      // Close ahead: stepping is cheaper than a search from the root.
      do {
        at = c.next() && c.key().size() == 8 ? get_be64(c.key().data()) : UINT64_MAX;
      } while (c.on() && at < h.seq);
    } else {
      const Key8 key(h.seq);
      c.find(key.view());
      at = h.seq;
    }
    if (!c.on() || at != h.seq) {
      CHORUS_RETURN_IF_ERROR(c.status());
      return Status::Corruption(
          fmt::format("store {}: an index points at seq {}, which holds no event", v.path, h.seq));
    }
    CHORUS_ASSIGN_OR_RETURN(StoredEvent se, decode_stored(v.path, h.seq, c.value()));
    page.events.push_back(std::move(se));
  }
  const Hit& last = hits.list.back();
  const uint64_t pos = by == PageBy::kVersion ? last.version : last.seq;
  page.next = dir == Direction::kForward ? pos + 1 : pos - 1;
  page.next_time_ns = last.time_ns;
  return page;
}

// One page: a read transaction, `scan(view, limit, hits)`, the events.
template <typename Scan>
Result<ReadPage> read_page(Env& env, Direction dir, PageBy by, const Start& start, size_t limit,
                           Scan&& scan) {
  CHORUS_ASSIGN_OR_RETURN(Env::ReadTxn txn, env.begin_read());
  const TxnView v = txn.view();
  Hits hits;
  CHORUS_RETURN_IF_ERROR(scan(v, std::clamp<size_t>(limit, 1, kMaxReadLimit), hits));
  return load_page(v, hits, dir, by, start);
}

}  // namespace

Result<ReadPage> Reader::read_stream(std::string_view stream, uint64_t from, Direction dir,
                                     size_t limit, uint64_t max_seq) {
  return read_page(
      env_, dir, PageBy::kVersion, Start{from}, limit,
      [&](const TxnView& v, size_t n, Hits& hits) -> Status {
        CHORUS_ASSIGN_OR_RETURN(std::optional<StreamRecord> rec, find_stream_record(v, stream));
        if (!rec) return no_such_stream(v, stream);
        return stream_hits(v, rec->stream_id, rec->truncate_before, from, dir, n, max_seq, hits);
      });
}

Result<ReadPage> Reader::read_all(uint64_t from, Direction dir, size_t limit, uint64_t max_seq) {
  return read_page(env_, dir, PageBy::kSeq, Start{from}, limit,
                   [&](const TxnView& v, size_t n, Hits& hits) {
                     return log_hits(v, from, dir, n, max_seq, hits);
                   });
}

Result<ReadPage> Reader::read_correlation(std::string_view correlation, uint64_t from,
                                          Direction dir, size_t limit) {
  return read_page(env_, dir, PageBy::kSeq, Start{from}, limit,
                   [&](const TxnView& v, size_t n, Hits& hits) {
                     return correlation_hits(v, correlation, from, dir, n, hits);
                   });
}

Result<ReadPage> Reader::read_types(std::string_view pattern, uint64_t from, Direction dir,
                                    size_t limit) {
  return read_page(env_, dir, PageBy::kSeq, Start{from}, limit,
                   [&](const TxnView& v, size_t n, Hits& hits) {
                     return type_hits(v, pattern, from, dir, n, kEnd, hits);
                   });
}

Result<ReadPage> Reader::read_time(int64_t from_ns, int64_t to_ns, int64_t start_ns,
                                   uint64_t start_seq, Direction dir, size_t limit) {
  return read_page(env_, dir, PageBy::kSeq, Start{start_seq, start_ns}, limit,
                   [&](const TxnView& v, size_t n, Hits& hits) {
                     return time_hits(v, from_ns, to_ns, start_ns, start_seq, dir, n, hits);
                   });
}

Result<StreamInfo> Reader::stream_info(std::string_view stream) {
  CHORUS_ASSIGN_OR_RETURN(Env::ReadTxn txn, env_.begin_read());
  return read_stream_info(txn.view(), stream, EventTimes::kRead);
}

Result<uint64_t> Reader::last_seq() {
  CHORUS_ASSIGN_OR_RETURN(Env::ReadTxn txn, env_.begin_read());
  Hits last;
  CHORUS_RETURN_IF_ERROR(log_hits(txn.view(), kEnd, Direction::kBackward, 1, kEnd, last));
  return last.list.empty() ? 0 : last.list[0].seq;
}

Result<uint64_t> Reader::scan_raw(
    uint64_t from, size_t limit,
    const std::function<void(uint64_t, uint64_t, std::string_view)>& fn) {
  CHORUS_ASSIGN_OR_RETURN(Env::ReadTxn txn, env_.begin_read());
  const TxnView v = txn.view();
  CHORUS_ASSIGN_OR_RETURN(Cursor c, Cursor::open(v, v.dbs.events, db::kEvents));
  const Key8 start(from);
  uint64_t next = from;
  size_t n = 0;
  for (c.seek(start.view()); c.on() && n < limit; c.next(), ++n) {
    const std::string_view key = c.key(), value = c.value();
    if (key.size() != 8) return c.bad_key();
    const uint64_t seq = get_be64(key.data());
    if (value.size() < kEventValueHeader || static_cast<uint8_t>(value[0]) != kEventValueVersion) {
      auto ev = decode_event_value(value, seq);  // the error that names what is wrong
      return ev.ok() ? Status::Internal("unexpected event value")
                     : ev.error().with_context(fmt::format("store {}", v.path));
    }
    fn(seq, get_be64(value.data() + 1), value.substr(kEventValueHeader));
    next = seq + 1;
  }
  CHORUS_RETURN_IF_ERROR(c.status());
  return next;
}

Status Reader::for_each_stream(
    const std::function<bool(std::string_view, const StreamRecord&)>& fn) {
  CHORUS_ASSIGN_OR_RETURN(Env::ReadTxn txn, env_.begin_read());
  const TxnView v = txn.view();
  CHORUS_ASSIGN_OR_RETURN(Cursor c, Cursor::open(v, v.dbs.streams, db::kStreams));
  for (c.first(); c.on(); c.next()) {
    auto r = decode_stream_record(c.value(), c.key());
    if (!r.ok()) return r.error().with_context(fmt::format("store {}", v.path));
    if (!fn(c.key(), *r)) break;
  }
  return c.status();
}

}  // namespace chorus::store
