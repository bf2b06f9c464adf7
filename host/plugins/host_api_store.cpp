// Host functions for the store: store_append (event sourcing: append
// without delivering) and store_read (one page, on the calling thread)
// (host_api.h, plugin.h).
#include <fmt/core.h>

#include "plugins/event_view.h"
#include "plugins/host_api.h"
#include "plugins/instance.h"
#include "store/event_store.h"

namespace chorus::plugins::api {
namespace {

constexpr size_t kAppendMin = offsetof(chorus_append, count) + sizeof(size_t);
constexpr size_t kReadMin = offsetof(chorus_read, backward) + sizeof(int32_t);
constexpr size_t kPublishMin = offsetof(chorus_publish, id) + sizeof(chorus_str);
constexpr size_t kMaxAppend = 10'000;
constexpr uint32_t kDefaultReadLimit = 100;
constexpr uint32_t kMaxReadLimit = 10'000;

Result<store::ExpectedVersion> expected_of(const chorus_append& a) {
  switch (a.expected) {
    case CHORUS_EXPECT_ANY:
      return store::ExpectedVersion::any();
    case CHORUS_EXPECT_NO_STREAM:
      return store::ExpectedVersion::no_stream();
    case CHORUS_EXPECT_STREAM_EXISTS:
      return store::ExpectedVersion::stream_exists();
    case CHORUS_EXPECT_EXACT:
      return store::ExpectedVersion::exact(a.expected_version);
    default:
      return Status::InvalidArgument(
          fmt::format("chorus_append.expected: {} is not a CHORUS_EXPECT_* value", a.expected));
  }
}

template <typename T>
void copy_out(const T& v, T* out) {
  if (!out || out->struct_size == 0) return;
  const uint32_t keep = out->struct_size;
  std::memcpy(static_cast<void*>(out), &v, keep < sizeof(T) ? keep : sizeof(T));
  out->struct_size = keep;
}

}  // namespace

int32_t store_append(chorus_host* h, const chorus_append* a, chorus_append_result* out) {
  Instance* in = instance_of(h);
  if (!in) return CHORUS_INVALID_ARGUMENT;
  if (Status st = in->allow(Instance::Op::kStoreWrite, "store_append"); !st.ok()) return fail(st);
  store::EventStore* store = in->links().store;
  if (!store)
    return fail(
        Status::Unavailable(fmt::format("{}: store_append: no store in this host", in->name())));
  chorus_append app;
  if (Status st = copy_in(a, app, kAppendMin, "chorus_append"); !st.ok()) return fail(st);
  if (app.count == 0 || app.count > kMaxAppend || !app.events)
    return fail(Status::InvalidArgument(
        fmt::format("{}: store_append: count must be 1 to {} with events set (got {})", in->name(),
                    kMaxAppend, app.count)));
  auto stream = view_of(app.stream, "chorus_append.stream");
  if (!stream.ok()) return fail(stream.error());
  auto expected = expected_of(app);
  if (!expected.ok()) return fail(expected.error());
  std::vector<EventPtr> events;
  events.reserve(app.count);
  for (size_t i = 0; i < app.count; ++i) {
    chorus_publish p;
    if (Status st = copy_in(app.events[i], p, kPublishMin, "chorus_publish"); !st.ok())
      return fail(st.with_context(fmt::format("{}: store_append: event {}", in->name(), i)));
    p.stream = app.stream;
    auto type = view_of(p.type, "chorus_publish.type");
    if (!type.ok()) return fail(type.error());
    if (Status st = in->check_publish(*type, "store_append"); !st.ok()) return fail(st);
    auto ev = build_event(p, in->name());
    if (!ev.ok())
      return fail(
          ev.error().with_context(fmt::format("{}: store_append: event {}", in->name(), i)));
    events.push_back(std::move(*ev));
  }
  store::AppendResult r = store->append(*stream, events, *expected);
  chorus_append_result res{};
  res.struct_size = sizeof(res);
  res.written = r.written;
  res.first_seq = r.first_seq;
  res.last_seq = r.last_seq;
  res.stream_version = r.stream_version;
  res.actual_version = r.actual_version;
  copy_out(res, out);
  return r.ok() ? CHORUS_OK
                : fail(r.status.with_context(fmt::format("{}: store_append", in->name())));
}

int32_t store_read(chorus_host* h, const chorus_read* r, chorus_stored_fn each, void* ctx,
                   chorus_read_result* out) {
  Instance* in = instance_of(h);
  if (!in) return CHORUS_INVALID_ARGUMENT;
  if (Status st = in->allow(Instance::Op::kStoreRead, "store_read"); !st.ok()) return fail(st);
  store::EventStore* store = in->links().store;
  if (!store)
    return fail(
        Status::Unavailable(fmt::format("{}: store_read: no store in this host", in->name())));
  chorus_read rd;
  if (Status st = copy_in(r, rd, kReadMin, "chorus_read"); !st.ok()) return fail(st);
  if (!each) return fail(Status::InvalidArgument("store_read: each is NULL"));
  auto key = view_of(rd.key, "chorus_read.key");
  if (!key.ok()) return fail(key.error());
  const size_t limit = rd.limit == 0 ? kDefaultReadLimit : std::min(rd.limit, kMaxReadLimit);
  const auto dir = rd.backward ? store::Direction::kBackward : store::Direction::kForward;
  const uint64_t from = rd.from != 0 ? rd.from : (rd.backward ? store::kEnd : 0);
  Result<store::ReadPage> page = Status::Internal("unreachable");
  switch (rd.source) {
    case CHORUS_READ_STREAM:
      page = store->read_stream(*key, from, dir, limit);
      break;
    case CHORUS_READ_ALL:
      page = store->read_all(from, dir, limit);
      break;
    case CHORUS_READ_CORRELATION:
      page = store->read_correlation(*key, from, dir, limit);
      break;
    case CHORUS_READ_TYPE:
      page = store->read_types(*key, from, dir, limit);
      break;
    default:
      return fail(Status::InvalidArgument(
          fmt::format("chorus_read.source: {} is not a CHORUS_READ_* value", rd.source)));
  }
  if (!page.ok()) return fail(page.error().with_context(fmt::format("{}: store_read", in->name())));
  chorus_read_result res{};
  res.struct_size = sizeof(res);
  res.end = page->end ? 1 : 0;
  res.next = page->next;
  for (const store::StoredEvent& se : page->events) {
    if (!in->policy().may_read(se.event->type())) continue;
    chorus_event_view v;
    fill_view(*se.event, v);
    ++res.count;
    if (each(ctx, &v, se.seq, se.stream_version) != 0) {
      res.end = 0;
      res.next = rd.backward ? se.seq - 1 : se.seq + 1;
      if (rd.source == CHORUS_READ_STREAM)
        res.next = rd.backward ? se.stream_version - 1 : se.stream_version + 1;
      break;
    }
  }
  copy_out(res, out);
  return CHORUS_OK;
}

}  // namespace chorus::plugins::api
