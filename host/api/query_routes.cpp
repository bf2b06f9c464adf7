// Reads of the store through the API: GET /v1/events (a query by type,
// correlation id, stream and time), GET /v1/streams/{id} (one stream in
// version order) and GET /v1/correlation/{id} (the timeline of one
// operation, with its causation links as a tree). Reads are short LMDB read
// transactions on the io thread; every page is bounded (limit, and a scan
// budget for filtered queries) and ends with a cursor to continue from.
#include <algorithm>
#include <charconv>
#include <limits>
#include <map>
#include <unordered_map>

#include <fmt/core.h>

#include "api/api_context.h"
#include "api/json_body.h"
#include "api/query.h"
#include "api/router.h"
#include "api/routes.h"
#include "core/text.h"
#include "core/topic.h"
#include "store/event_store.h"

namespace chorus::api {
namespace {

using store::Direction;
using store::ReadPage;
using store::StoredEvent;

constexpr uint64_t kDefaultLimit = 100;
constexpr uint64_t kMaxLimit = 1000;
constexpr size_t kScanBudget = 10'000;  // events examined per filtered query
constexpr uint64_t kMaxTimeline = 10'000;

Response bad_request(const Status& s) {
  return error_response(400, "invalid_argument", s.message());
}

Result<Direction> direction_of(const QueryParams& q) {
  auto d = q.get("direction");
  if (!d || *d == "forward") return Direction::kForward;
  if (*d == "backward") return Direction::kBackward;
  return Status::InvalidArgument(
      fmt::format("query parameter 'direction': '{}' is not valid (expected forward or backward)",
                  printable(*d)));
}

// The cursor of GET /v1/events: "<position>" for the seq- and
// version-ordered indexes, "<time_ns>.<seq>" for the time index.
struct Cursor {
  uint64_t position = 0;
  int64_t time_ns = 0;
};

std::string format_cursor(const Cursor& c, bool by_time) {
  return by_time ? fmt::format("{}.{}", c.time_ns, c.position) : fmt::format("{}", c.position);
}

Result<Cursor> parse_cursor(std::string_view text, bool by_time) {
  Cursor c;
  auto bad = [&] {
    return Status::InvalidArgument(fmt::format(
        "query parameter 'cursor': '{}' is not a cursor of this query (pass back 'next' "
        "unchanged, with the same filters)",
        printable(text)));
  };
  std::string_view pos = text;
  if (by_time) {
    const size_t dot = text.find('.');
    if (dot == std::string_view::npos) return bad();
    auto [p, ec] = std::from_chars(text.data(), text.data() + dot, c.time_ns);
    if (ec != std::errc() || p != text.data() + dot) return bad();
    pos = text.substr(dot + 1);
  }
  auto [p, ec] = std::from_chars(pos.data(), pos.data() + pos.size(), c.position);
  if (pos.empty() || ec != std::errc() || p != pos.data() + pos.size()) return bad();
  return c;
}

void write_page(JsonBody& j, const std::vector<StoredEvent>& events, bool end,
                const std::string& next) {
  j.key("events");
  j.w.StartArray();
  for (const StoredEvent& e : events)
    j.stored_event(e);
  j.w.EndArray();
  j.key("end");
  j.w.Bool(end);
  if (!end) j.member("next", next);
}

// GET /v1/events.
void query_events(const ApiContext& ctx, Request& req, const Reply& reply) {
  auto q = QueryParams::parse(req.query);
  if (!q.ok()) return reply.send(bad_request(q.error()));
  if (Status s = check_known_params(
          *q, {"type", "correlation", "stream", "since", "until", "limit", "direction", "cursor"});
      !s.ok())
    return reply.send(bad_request(s));
  const std::string type(q->get("type").value_or(""));
  const std::string correlation(q->get("correlation").value_or(""));
  const std::string stream(q->get("stream").value_or(""));
  if (!type.empty())
    if (Status s = validate_pattern(type, "query parameter 'type':"); !s.ok())
      return reply.send(bad_request(s));
  auto since = q->time("since");
  auto until = q->time("until");
  auto limit = q->uint("limit", 1, kMaxLimit);
  auto dir = direction_of(*q);
  for (const Status& s : {since.status(), until.status(), limit.status(), dir.status()})
    if (!s.ok()) return reply.send(bad_request(s));
  const int64_t from_ns = since->value_or(std::numeric_limits<int64_t>::min());
  const int64_t to_ns = until->value_or(std::numeric_limits<int64_t>::max());
  const uint64_t want = limit->value_or(kDefaultLimit);
  const bool fwd = *dir == Direction::kForward;

  // The most selective index answers; the other filters apply to its pages.
  enum class By { kCorrelation, kStream, kType, kTime, kAll };
  const By by = !correlation.empty()                         ? By::kCorrelation
                : !stream.empty()                            ? By::kStream
                : !type.empty()                              ? By::kType
                : (since->has_value() || until->has_value()) ? By::kTime
                                                             : By::kAll;
  const bool by_time = by == By::kTime;
  Cursor cur;
  if (auto c = q->get("cursor")) {
    auto parsed = parse_cursor(*c, by_time);
    if (!parsed.ok()) return reply.send(bad_request(parsed.error()));
    cur = *parsed;
  } else if (by_time) {
    cur.time_ns = fwd ? from_ns : std::numeric_limits<int64_t>::max();
    cur.position = fwd ? 0 : store::kEnd;
  } else {
    cur.position = fwd ? (by == By::kStream ? 1 : 0) : store::kEnd;
  }

  auto keep = [&](const StoredEvent& e) {
    const Event& ev = *e.event;
    if (!correlation.empty() && ev.correlation_id() != correlation) return false;
    if (!stream.empty() && ev.stream() != stream) return false;
    if (!type.empty() && !topic_matches(type, ev.type())) return false;
    return ev.time_ns() >= from_ns && ev.time_ns() < to_ns;
  };

  std::vector<StoredEvent> out;
  size_t scanned = 0;
  bool end = false;
  store::EventStore& st = *ctx.store;
  while (out.size() < want) {
    const size_t page_limit =
        std::min<size_t>(std::max<size_t>(want - out.size(), 100), kScanBudget - scanned);
    Result<ReadPage> page = Status::Internal("unset");
    switch (by) {
      case By::kCorrelation:
        page = st.read_correlation(correlation, cur.position, *dir, page_limit);
        break;
      case By::kStream:
        page = st.read_stream(stream, cur.position, *dir, page_limit);
        break;
      case By::kType:
        page = st.read_types(type, cur.position, *dir, page_limit);
        break;
      case By::kTime:
        page = st.read_time(from_ns, to_ns, cur.time_ns, cur.position, *dir, page_limit);
        break;
      case By::kAll:
        page = st.read_all(cur.position, *dir, page_limit);
        break;
    }
    if (!page.ok()) {
      if (page.error().is(StatusCode::kNotFound) && by == By::kStream) {
        end = true;  // a stream that never existed has no events
        break;
      }
      return reply.send(error_response(page.error()));
    }
    size_t used = 0;
    for (const StoredEvent& e : page->events) {
      ++used;
      // The position just past this event, should the page stop here.
      if (by == By::kStream)
        cur.position = fwd ? e.stream_version + 1 : e.stream_version - 1;
      else
        cur.position = fwd ? e.seq + 1 : e.seq - 1;
      cur.time_ns = e.event->time_ns();
      if (keep(e)) out.push_back(e);
      if (out.size() >= want) break;
    }
    scanned += used;
    if (used == page->events.size()) {
      cur.position = page->next;
      cur.time_ns = page->next_time_ns;
      if (page->end || page->events.empty()) {
        end = true;
        break;
      }
    }
    if (scanned >= kScanBudget) break;
  }
  JsonBody j;
  j.w.StartObject();
  write_page(j, out, end, format_cursor(cur, by_time));
  j.w.EndObject();
  reply.send(json_response(200, j.take()));
}

// GET /v1/streams/{id}.
void read_stream(const ApiContext& ctx, Request& req, const Reply& reply) {
  auto q = QueryParams::parse(req.query);
  if (!q.ok()) return reply.send(bad_request(q.error()));
  if (Status s = check_known_params(*q, {"from", "limit", "direction"}); !s.ok())
    return reply.send(bad_request(s));
  auto from = q->uint("from", 0, std::numeric_limits<uint64_t>::max());
  auto limit = q->uint("limit", 1, kMaxLimit);
  auto dir = direction_of(*q);
  for (const Status& s : {from.status(), limit.status(), dir.status()})
    if (!s.ok()) return reply.send(bad_request(s));
  const bool fwd = *dir == Direction::kForward;
  uint64_t start = from->value_or(0);
  if (start == 0) start = fwd ? 1 : store::kEnd;
  const std::string stream(req.param("id"));
  auto page = ctx.store->read_stream(stream, start, *dir, limit->value_or(kDefaultLimit));
  if (!page.ok()) return reply.send(error_response(page.error()));
  JsonBody j;
  j.w.StartObject();
  j.member("stream", stream);
  write_page(j, page->events, page->end, fmt::format("{}", page->next));
  j.w.EndObject();
  reply.send(json_response(200, j.take()));
}

// GET /v1/correlation/{id}: every stored event of the operation in seq
// order, each with its parent (the event its causation id names, when that
// event is in the timeline) and depth, and the tree of ids.
void timeline(const ApiContext& ctx, Request& req, const Reply& reply) {
  auto q = QueryParams::parse(req.query);
  if (!q.ok()) return reply.send(bad_request(q.error()));
  if (Status s = check_known_params(*q, {"limit"}); !s.ok()) return reply.send(bad_request(s));
  auto limit = q->uint("limit", 1, kMaxTimeline);
  if (!limit.ok()) return reply.send(bad_request(limit.error()));
  const uint64_t want = limit->value_or(kMaxTimeline);
  const std::string correlation(req.param("id"));

  std::vector<StoredEvent> events;
  bool end = false;
  uint64_t from = 0;
  while (events.size() < want) {
    auto page = ctx.store->read_correlation(correlation, from, Direction::kForward,
                                            static_cast<size_t>(want - events.size()));
    if (!page.ok()) return reply.send(error_response(page.error()));
    for (StoredEvent& e : page->events)
      events.push_back(std::move(e));
    from = page->next;
    if (page->end || page->events.empty()) {
      end = true;
      break;
    }
  }
  if (events.empty())
    return reply.send(error_response(
        404, "not_found",
        fmt::format("no stored event has correlation id '{}' (only events of persistent types, "
                    "store.persist, are stored)",
                    printable(correlation))));

  // Parents and depths: an event's parent is the stored event its causation
  // id names, if that event is earlier in this timeline.
  const size_t n = events.size();
  std::unordered_map<Uuid, size_t, UuidHash> index;
  index.reserve(n);
  std::vector<int64_t> parent(n, -1);
  std::vector<uint32_t> depth(n, 0);
  std::vector<std::vector<size_t>> children(n);
  std::vector<size_t> roots;
  for (size_t i = 0; i < n; ++i) {
    const Event& ev = *events[i].event;
    index.emplace(ev.id(), i);
    auto cause = Uuid::parse(ev.causation_id());
    auto it = cause.ok() ? index.find(*cause) : index.end();
    if (it != index.end() && it->second != i) {
      parent[i] = static_cast<int64_t>(it->second);
      depth[i] = depth[it->second] + 1;
      children[it->second].push_back(i);
    } else {
      roots.push_back(i);
    }
  }
  JsonBody j;
  j.w.StartObject();
  j.member("correlation", correlation);
  j.key("count");
  j.w.Uint64(n);
  j.key("end");
  j.w.Bool(end);
  j.key("events");
  j.w.StartArray();
  char id[36];
  for (size_t i = 0; i < n; ++i) {
    j.w.StartObject();
    j.key("seq");
    j.w.Uint64(events[i].seq);
    if (events[i].stream_version != 0) {
      j.key("version");
      j.w.Uint64(events[i].stream_version);
    }
    j.key("depth");
    j.w.Uint(depth[i]);
    j.key("parent");
    if (parent[i] >= 0) {
      events[static_cast<size_t>(parent[i])].event->id().format_to(id);
      j.string(std::string_view(id, 36));
    } else {
      j.w.Null();
    }
    j.key("event");
    j.event(*events[i].event);
    j.w.EndObject();
  }
  j.w.EndArray();
  // The tree, iteratively (a chain of causes may be as deep as the timeline).
  j.key("tree");
  j.w.StartArray();
  struct Frame {
    size_t node;
    size_t next_child;
  };
  std::vector<Frame> stack;
  for (size_t r : roots) {
    stack.push_back({r, 0});
    j.w.StartObject();
    events[r].event->id().format_to(id);
    j.member("id", std::string_view(id, 36));
    j.key("children");
    j.w.StartArray();
    while (!stack.empty()) {
      Frame& f = stack.back();
      if (f.next_child == children[f.node].size()) {
        j.w.EndArray();
        j.w.EndObject();
        stack.pop_back();
        continue;
      }
      const size_t c = children[f.node][f.next_child++];
      j.w.StartObject();
      events[c].event->id().format_to(id);
      j.member("id", std::string_view(id, 36));
      j.key("children");
      j.w.StartArray();
      stack.push_back({c, 0});
    }
  }
  j.w.EndArray();
  j.w.EndObject();
  reply.send(json_response(200, j.take()));
}

}  // namespace

void add_query_routes(Router& router, const ApiContext& ctx) {
  router.add(Method::kGet, "/v1/events", Access::kToken,
             [ctx](Request& req, Reply reply) { query_events(ctx, req, reply); });
  router.add(Method::kGet, "/v1/streams/{id}", Access::kToken,
             [ctx](Request& req, Reply reply) { read_stream(ctx, req, reply); });
  router.add(Method::kGet, "/v1/correlation/{id}", Access::kToken,
             [ctx](Request& req, Reply reply) { timeline(ctx, req, reply); });
}

}  // namespace chorus::api
