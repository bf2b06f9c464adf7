// `chorus store stat|read|events|export|import`: the store from the command
// line (docs/cli.md "store"). Every command but import opens the store
// read-only, so it works while a host runs (LMDB readers never block the
// writer); import takes the data-directory lock, so it refuses to run
// beside a host. Output: text by default, --json for scripts; export writes
// CloudEvents JSON lines, which import reads.
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <new>
#include <vector>

#include <fmt/core.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "cli/commands.h"
#include "cli/load_config.h"
#include "core/clock.h"
#include "core/cloudevents.h"
#include "core/text.h"
#include "core/time_format.h"
#include "core/topic.h"
#include "core/units.h"
#include "runtime/data_dir.h"
#include "runtime/options_from_config.h"
#include "store/event_store.h"
#include "store/reader.h"

namespace chorus::cli {
namespace {

using store::Direction;
using store::EventStore;
using store::StoredEvent;

// Export adds each stream event's version under this CloudEvents extension;
// import checks it (expected version) and removes it again.
constexpr std::string_view kVersionAttr = "streamversion";
constexpr size_t kPage = 1000;

// An error whose message is empty was already printed (config errors).
int fail(const Status& s) {
  if (!s.message().empty()) fmt::print(stderr, "chorus: {}\n", s.message());
  return kExitFailure;
}

Result<config::Config> config_of(const StoreLocation& where) {
  auto cfg = load_config_or_report(where.config_path, "store not opened");
  if (!cfg) return Status::InvalidArgument("");
  return std::move(*cfg);
}

Result<std::unique_ptr<EventStore>> open_store(const StoreLocation& where, bool read_only) {
  CHORUS_ASSIGN_OR_RETURN(config::Config cfg, config_of(where));
  store::StoreOptions o = runtime::store_options_from(cfg, where.data_dir);
  o.read_only = read_only;
  o.retention.clear();  // the host enforces retention, not the CLI
  return EventStore::open(o);
}

std::string human_bytes(uint64_t n) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{} B", n) : fmt::format("{:.1f} {}", v, units[u]);
}

// "2026-11-23T05:54:28Z", or a duration ago: "90s", "15m", "2h", "7d".
Result<int64_t> parse_time(std::string_view text, std::string_view flag) {
  if (auto t = parse_rfc3339(text); t.ok()) return *t;
  const auto ago = parse_duration(text);
  if (!ago)
    return Status::InvalidArgument(
        fmt::format("{} '{}' is neither an RFC 3339 time nor a duration like 15m, 2h or 7d", flag,
                    printable(text)));
  return wall_clock_ns() - ago->count();
}

// One event as a JSON object: {"seq":..,"version":..,"event":{CloudEvent}}.
void write_json_event(rapidjson::Writer<rapidjson::StringBuffer>& w, const StoredEvent& e,
                      std::string& scratch) {
  w.StartObject();
  w.Key("seq");
  w.Uint64(e.seq);
  w.Key("version");
  w.Uint64(e.stream_version);
  w.Key("event");
  scratch.clear();
  append_cloudevent_json(*e.event, scratch);
  w.RawValue(scratch.data(), scratch.size(), rapidjson::kObjectType);
  w.EndObject();
}

// Prints events as text lines or as one JSON array, streamed.
class EventPrinter {
 public:
  EventPrinter(bool json, bool with_stream) : json_(json), with_stream_(with_stream) {
    if (json_) std::fputs("[", stdout);
  }
  void print(const StoredEvent& e) {
    if (json_) {
      buf_.Clear();
      rapidjson::Writer<rapidjson::StringBuffer> w(buf_);
      write_json_event(w, e, scratch_);
      std::fputs(count_ == 0 ? "\n" : ",\n", stdout);
      std::fwrite(buf_.GetString(), 1, buf_.GetSize(), stdout);
    } else {
      const Event& ev = *e.event;
      if (with_stream_) {
        const std::string where =
            ev.stream().empty() ? std::string("-")
                                : fmt::format("{}@{}", printable(ev.stream()), e.stream_version);
        fmt::print("{:>8}  {}  {}  {}  {}\n", e.seq, format_rfc3339(ev.time_ns()), ev.type(), where,
                   ev.id().to_string());
      } else {
        fmt::print("{:>6}  {:>8}  {}  {}  {}\n", e.stream_version, e.seq,
                   format_rfc3339(ev.time_ns()), ev.type(), ev.id().to_string());
      }
    }
    ++count_;
  }
  void finish() {
    if (json_) std::fputs(count_ == 0 ? "]\n" : "\n]\n", stdout);
    std::fflush(stdout);
  }

 private:
  bool json_, with_stream_;
  size_t count_ = 0;
  rapidjson::StringBuffer buf_;
  std::string scratch_;
};

// The exported line of one event: its CloudEvent plus `streamversion`.
void export_line(const StoredEvent& e, std::string& line) {
  line.clear();
  const IntegerAttribute version{kVersionAttr, e.stream_version};
  const bool with_version = e.stream_version != 0 && !e.event->find_metadata(kVersionAttr);
  append_cloudevent_json(
      *e.event, line, with_version ? std::span(&version, 1) : std::span<const IntegerAttribute>());
  line.push_back('\n');
}

}  // namespace

int cmd_store_stat(const StoreStatOptions& options) {
  auto s = open_store(options.where, true);
  if (!s.ok()) return fail(s.error());
  auto st = (*s)->stats();
  if (!st.ok()) return fail(st.error());
  auto find = [&](std::string_view name) -> const store::DatabaseStats& {
    for (const auto& d : st->databases)
      if (d.name == name) return d;
    return st->databases.front();
  };
  if (options.json) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    w.Key("path");
    w.String(st->path);
    w.Key("format");
    w.Uint(st->format_version);
    w.Key("map_size");
    w.Uint64(st->map_size);
    w.Key("map_used");
    w.Uint64(st->map_used);
    w.Key("file_size");
    w.Uint64(st->file_size);
    w.Key("page_size");
    w.Uint(st->page_size);
    w.Key("last_seq");
    w.Uint64(st->last_seq);
    w.Key("events");
    w.Uint64(find("events").entries);
    w.Key("streams");
    w.Uint64(find("streams").entries);
    w.Key("types");
    w.Uint64(find("types").entries);
    w.Key("groups");
    w.Uint64(find("groups").entries);
    w.Key("pending");
    w.Uint64(find("group_pending").entries);
    w.Key("readers_used");
    w.Uint(st->readers_used);
    w.Key("readers_max");
    w.Uint(st->readers_max);
    w.Key("databases");
    w.StartObject();
    for (const auto& d : st->databases) {
      w.Key(d.name.c_str(), static_cast<rapidjson::SizeType>(d.name.size()));
      w.StartObject();
      w.Key("entries");
      w.Uint64(d.entries);
      w.Key("pages");
      w.Uint64(d.pages);
      w.Key("depth");
      w.Uint(d.depth);
      w.EndObject();
    }
    w.EndObject();
    w.EndObject();
    fmt::print("{}\n", std::string_view(buf.GetString(), buf.GetSize()));
    return kExitOk;
  }
  const double pct =
      st->map_size ? 100.0 * static_cast<double>(st->map_used) / static_cast<double>(st->map_size)
                   : 0;
  fmt::print("store     {} (format {})\n", st->path, st->format_version);
  fmt::print("map       {} used of {} ({:.0f}%); file {}; page {} bytes\n",
             human_bytes(st->map_used), human_bytes(st->map_size), pct, human_bytes(st->file_size),
             st->page_size);
  fmt::print("events    {} (last seq {})\n", find("events").entries, st->last_seq);
  fmt::print("streams   {}\n", find("streams").entries);
  fmt::print("types     {}\n", find("types").entries);
  fmt::print("groups    {} ({} pending)\n", find("groups").entries, find("group_pending").entries);
  fmt::print("readers   {} of {} slots\n\n", st->readers_used, st->readers_max);
  fmt::print("{:<18} {:>12} {:>10} {:>6}\n", "database", "entries", "pages", "depth");
  for (const auto& d : st->databases)
    fmt::print("{:<18} {:>12} {:>10} {:>6}\n", d.name, d.entries, d.pages, d.depth);
  return kExitOk;
}

int cmd_store_read(const StoreReadOptions& options) {
  auto s = open_store(options.where, true);
  if (!s.ok()) return fail(s.error());
  const Direction dir = options.backward ? Direction::kBackward : Direction::kForward;
  uint64_t from = options.from;
  if (from == 0) from = options.backward ? store::kEnd : 1;
  EventPrinter out(options.json, false);
  uint64_t printed = 0;
  for (;;) {
    size_t want = kPage;
    if (options.limit)
      want = static_cast<size_t>(std::min<uint64_t>(kPage, options.limit - printed));
    auto page = (*s)->read_stream(options.stream, from, dir, want);
    if (!page.ok()) {
      out.finish();
      return fail(page.error());
    }
    for (const auto& e : page->events)
      out.print(e);
    printed += page->events.size();
    if (page->end || page->events.empty() || (options.limit && printed >= options.limit)) break;
    from = page->next;
  }
  out.finish();
  return kExitOk;
}

int cmd_store_events(const StoreEventsOptions& o) {
  if (!o.type.empty()) {
    if (Status v = validate_pattern(o.type, "--type"); !v.ok()) {
      fmt::print(stderr, "chorus: {}\n", v.message());
      return kExitUsage;
    }
  }
  int64_t since = INT64_MIN, until = INT64_MAX;
  if (!o.since.empty()) {
    auto t = parse_time(o.since, "--since");
    if (!t.ok()) {
      fmt::print(stderr, "chorus: {}\n", t.error().message());
      return kExitUsage;
    }
    since = *t;
  }
  if (!o.until.empty()) {
    auto t = parse_time(o.until, "--until");
    if (!t.ok()) {
      fmt::print(stderr, "chorus: {}\n", t.error().message());
      return kExitUsage;
    }
    until = *t;
  }
  auto s = open_store(o.where, true);
  if (!s.ok()) return fail(s.error());
  EventStore& st = **s;
  // The most selective index answers; the other filters apply to its pages.
  enum {
    kCorrelation,
    kType,
    kTime,
    kAll
  } by = !o.correlation.empty()                   ? kCorrelation
         : !o.type.empty()                        ? kType
         : (!o.since.empty() || !o.until.empty()) ? kTime
                                                  : kAll;
  auto keep = [&](const StoredEvent& e) {
    const Event& ev = *e.event;
    if (e.seq < o.from) return false;
    if (!o.correlation.empty() && ev.correlation_id() != o.correlation) return false;
    if (!o.type.empty() && !topic_matches(o.type, ev.type())) return false;
    return ev.time_ns() >= since && ev.time_ns() < until;
  };
  EventPrinter out(o.json, true);
  uint64_t printed = 0, next = o.from;
  int64_t next_time = since;
  for (;;) {
    Result<store::ReadPage> page = Status::Internal("unset");
    switch (by) {
      case kCorrelation:
        page = st.read_correlation(o.correlation, next, Direction::kForward, kPage);
        break;
      case kType:
        page = st.read_types(o.type, next, Direction::kForward, kPage);
        break;
      case kTime:
        page = st.read_time(since, until, next_time, next, Direction::kForward, kPage);
        break;
      case kAll:
        page = st.read_all(next, Direction::kForward, kPage);
        break;
    }
    if (!page.ok()) {
      out.finish();
      return fail(page.error());
    }
    for (const auto& e : page->events) {
      if (!keep(e)) continue;
      out.print(e);
      if (o.limit && ++printed >= o.limit) break;
    }
    if (page->end || page->events.empty() || (o.limit && printed >= o.limit)) break;
    next = page->next;
    next_time = page->next_time_ns;
  }
  out.finish();
  return kExitOk;
}

int cmd_store_export(const StoreExportOptions& o) {
  auto s = open_store(o.where, true);
  if (!s.ok()) return fail(s.error());
  FILE* f = stdout;
  if (!o.output.empty() && o.output != "-") {
    f = std::fopen(o.output.c_str(), "wb");
    if (!f)
      return fail(Status::IOError(
          fmt::format("export: cannot write {}: {}", o.output, std::strerror(errno))));
  }
  std::string line;
  uint64_t n = 0, next = o.from;
  if (!o.stream.empty() && next == 0) next = 1;
  Status status;
  for (;;) {
    auto page = o.stream.empty() ? (*s)->read_all(next, Direction::kForward, kPage)
                                 : (*s)->read_stream(o.stream, next, Direction::kForward, kPage);
    if (!page.ok()) {
      status = page.error();
      break;
    }
    for (const auto& e : page->events) {
      export_line(e, line);
      if (std::fwrite(line.data(), 1, line.size(), f) != line.size()) {
        status = Status::IOError(fmt::format("export: write failed: {}", std::strerror(errno)));
        break;
      }
      ++n;
    }
    if (!status.ok() || page->end || page->events.empty()) break;
    next = page->next;
  }
  if (std::fflush(f) != 0 && status.ok())
    status = Status::IOError(fmt::format("export: write failed: {}", std::strerror(errno)));
  if (f != stdout) std::fclose(f);
  if (!status.ok()) return fail(status);
  fmt::print(stderr, "exported {} event{}\n", n, n == 1 ? "" : "s");
  return kExitOk;
}

namespace {

// One imported line: the event without the version attribute, and it.
struct ImportEvent {
  EventPtr event;
  uint64_t version = 0;  // from streamversion; 0: absent
  uint64_t line = 0;
};

Result<ImportEvent> parse_import_line(std::string_view text, uint64_t line) {
  auto e = parse_cloudevent_json(text);
  if (!e.ok()) return e.error().with_context(fmt::format("line {}", line));
  ImportEvent out{*e, 0, line};
  auto v = (*e)->find_metadata(kVersionAttr);
  if (!v) return out;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out.version);
  if (ec != std::errc() || p != v->data() + v->size() || out.version == 0)
    return Status::InvalidArgument(fmt::format("line {}: {} '{}' is not a version (1, 2, ...)",
                                               line, kVersionAttr, printable(*v)));
  if ((*e)->stream().empty())
    return Status::InvalidArgument(fmt::format("line {}: {} without a stream", line, kVersionAttr));
  // Rebuild the event without the attribute.
  const Event& ev = **e;
  EventFields f;
  f.id = ev.id();
  f.time_ns = ev.time_ns();
  f.priority = ev.priority();
  f.type = ev.type();
  f.source = ev.source();
  f.target = ev.target();
  f.correlation_id = ev.correlation_id();
  f.causation_id = ev.causation_id();
  f.stream = ev.stream();
  f.content_type = ev.content_type();
  f.data = ev.data();
  auto md = std::make_unique<MetadataViews>();
  size_t n = 0;
  for (auto kv : ev.metadata())
    if (kv.first != kVersionAttr) new (&(*md)[n++]) MetadataViews::Entry(kv);
  f.metadata = md->data();
  f.metadata_count = n;
  f.metadata_sorted = true;
  auto rebuilt = make_event(f);
  if (!rebuilt.ok()) return rebuilt.error().with_context(fmt::format("line {}", line));
  out.event = std::move(*rebuilt);
  return out;
}

}  // namespace

int cmd_store_import(const StoreImportOptions& o) {
  if (o.expected != "any" && o.expected != "no_stream") {
    fmt::print(stderr, "chorus: --expected '{}' is not valid (expected any or no_stream)\n",
               printable(o.expected));
    return kExitUsage;
  }
  auto cfg = config_of(o.where);
  if (!cfg.ok()) return fail(cfg.error());
  const std::string data_dir = o.where.data_dir.empty() ? cfg->host.data_dir : o.where.data_dir;
  // Import writes: it must be the only writer, so it takes the host's lock.
  auto lock = runtime::DataDirLock::acquire(data_dir);
  if (!lock.ok())
    return fail(Status(lock.error().code(),
                       fmt::format("import: {}; stop the host first (import writes to the store)",
                                   lock.error().message())));
  std::ifstream file;
  std::istream* in = &std::cin;
  if (o.input != "-") {
    file.open(o.input, std::ios::binary);
    if (!file)
      return fail(Status::IOError(
          fmt::format("import: cannot read {}: {}", o.input, std::strerror(errno))));
    in = &file;
  }
  store::StoreOptions so = runtime::store_options_from(*cfg, data_dir);
  so.retention.clear();
  auto opened = EventStore::open(so);
  if (!opened.ok()) return fail(opened.error());
  EventStore& st = **opened;

  uint64_t lines = 0, written = 0, duplicates = 0;
  std::map<std::string, uint64_t> reached;  // stream -> version reached in this import
  std::vector<ImportEvent> batch;
  Status status;
  auto flush = [&]() -> Status {
    if (batch.empty()) return Status::OK();
    const std::string stream(batch.front().event->stream());
    store::ExpectedVersion expected = store::ExpectedVersion::any();
    if (!stream.empty()) {
      if (batch.front().version != 0) {
        expected = store::ExpectedVersion::exact(batch.front().version - 1);
      } else if (auto it = reached.find(stream); it != reached.end()) {
        expected = store::ExpectedVersion::exact(it->second);
      } else if (o.expected == "no_stream") {
        expected = store::ExpectedVersion::no_stream();
      }
    }
    std::vector<EventPtr> events;
    for (auto& e : batch)
      events.push_back(e.event);
    auto r = st.append(stream, events, expected);
    const uint64_t first_line = batch.front().line;
    batch.clear();
    if (!r.ok()) return r.status.with_context(fmt::format("import: line {}", first_line));
    written += r.written;
    duplicates += r.duplicates;
    if (!stream.empty()) reached[stream] = r.stream_version;
    return Status::OK();
  };
  std::string text;
  while (status.ok() && std::getline(*in, text)) {
    ++lines;
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto e = parse_import_line(text, lines);
    if (!e.ok()) {
      status = e.error().with_context("import");
      break;
    }
    // A batch holds consecutive events of one stream with consecutive versions.
    if (!batch.empty()) {
      const ImportEvent& last = batch.back();
      const bool same = last.event->stream() == e->event->stream() && batch.size() < kPage &&
                        (e->version == 0 ? last.version == 0
                                         : last.version != 0 && e->version == last.version + 1);
      if (!same) status = flush();
    }
    if (status.ok()) batch.push_back(std::move(*e));
  }
  if (status.ok() && in->bad())
    status = Status::IOError(fmt::format("import: reading {} failed", o.input));
  if (status.ok()) status = flush();
  st.close();
  if (o.json) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    w.Key("ok");
    w.Bool(status.ok());
    w.Key("lines");
    w.Uint64(lines);
    w.Key("written");
    w.Uint64(written);
    w.Key("duplicates");
    w.Uint64(duplicates);
    if (!status.ok()) {
      w.Key("error");
      w.String(status.message());
    }
    w.EndObject();
    fmt::print("{}\n", std::string_view(buf.GetString(), buf.GetSize()));
    return status.ok() ? kExitOk : kExitFailure;
  }
  if (!status.ok()) {
    fmt::print(stderr, "chorus: {}\n", status.message());
    fmt::print(stderr, "imported {} event{} before the error ({} already stored)\n", written,
               written == 1 ? "" : "s", duplicates);
    return kExitFailure;
  }
  fmt::print("imported {} event{} ({} already stored) from {} line{}\n", written,
             written == 1 ? "" : "s", duplicates, lines, lines == 1 ? "" : "s");
  return kExitOk;
}

}  // namespace chorus::cli
