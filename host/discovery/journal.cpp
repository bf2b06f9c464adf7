// Loading and writing the registry's journal (journal.h).
#include "discovery/journal.h"

#include <map>

#include <fmt/core.h>

#include "core/event.h"
#include "discovery/discovery_log.h"
#include "discovery/validate.h"
#include "store/event_store.h"

namespace chorus::discovery {
namespace {

// Records per append: one transaction each, bounded so that a burst of
// registrations does not make one huge commit.
constexpr size_t kMaxBatch = 1'000;
constexpr size_t kReadPage = 1'000;

class Folder {
 public:
  explicit Folder(LoadedJournal& out) : out_(out) {}

  Status snapshot(const store::Snapshot& snap) {
    auto services = decode_snapshot(snap.state);
    if (!services.ok()) {
      const Status s = services.error().with_context(fmt::format(
          "registry stream '{}' snapshot at version {}", kRegistryStream, snap.version));
      if (s.is(StatusCode::kNotSupported)) return s;
      discovery_log().error("{}; folding the records from the start instead", s.message());
      return Status::Corruption(s.message());
    }
    for (ServiceRecord& r : *services) {
      if (Status v = normalize_spec(r.spec); !v.ok()) {
        discovery_log().error("registry stream '{}' snapshot at version {}: {}; skipped",
                              kRegistryStream, snap.version, v.message());
        ++out_.skipped;
        continue;
      }
      std::string id = r.spec.id;
      services_[std::move(id)] = std::move(r);
    }
    out_.snapshot_version = snap.version;
    return Status::OK();
  }

  // NotSupported stops the load; anything else malformed is skipped.
  Status record(const store::StoredEvent& se) {
    const Event& e = *se.event;
    const uint64_t v = se.stream_version;
    if (e.source() != kRegistrySource || e.content_type() != kRegistryContentType)
      return skip(v, fmt::format("an event of type '{}' from '{}' is not a registry record",
                                 e.type(), e.source()));
    Status s;
    if (e.type() == kRecordRegistered) {
      s = registered(e.data());
    } else if (e.type() == kRecordStatus) {
      s = status(e.data(), v);
    } else if (e.type() == kRecordUnregistered) {
      s = unregistered(e.data());
    } else if (e.type() == kRecordHeartbeats) {
      s = heartbeats(e.data(), v);
    } else {
      return skip(v, fmt::format("unknown record type '{}'", e.type()));
    }
    if (s.is(StatusCode::kNotSupported))
      return s.with_context(fmt::format("registry stream '{}' version {}", kRegistryStream, v));
    if (!s.ok()) return skip(v, s.message());
    ++out_.records;
    return Status::OK();
  }

  void finish() {
    for (auto& [id, r] : services_)
      out_.services.push_back(std::move(r));
  }

 private:
  Status skip(uint64_t version, const std::string& why) {
    discovery_log().warn("registry stream '{}' version {}: {}; skipped", kRegistryStream, version,
                         why);
    ++out_.skipped;
    return Status::OK();
  }
  Status registered(std::string_view bytes) {
    CHORUS_ASSIGN_OR_RETURN(ServiceRecord r, decode_registered(bytes));
    CHORUS_RETURN_IF_ERROR(normalize_spec(r.spec));
    std::string id = r.spec.id;
    services_[std::move(id)] = std::move(r);
    return Status::OK();
  }
  Status status(std::string_view bytes, uint64_t) {
    CHORUS_ASSIGN_OR_RETURN(StatusRecord r, decode_status(bytes));
    auto it = services_.find(r.id);
    if (it == services_.end())
      return Status::NotFound(fmt::format("status record of '{}', which is not registered", r.id));
    it->second.status = r.status;
    it->second.check_state = r.check_state;
    it->second.override_status = r.override_status;
    it->second.status_since_ns = r.status_since_ns;
    it->second.last_heartbeat_ns = r.last_heartbeat_ns;
    return Status::OK();
  }
  Status unregistered(std::string_view bytes) {
    CHORUS_ASSIGN_OR_RETURN(UnregisteredRecord r, decode_unregistered(bytes));
    services_.erase(r.id);  // an unknown id: already gone, nothing to do
    return Status::OK();
  }
  Status heartbeats(std::string_view bytes, uint64_t) {
    CHORUS_ASSIGN_OR_RETURN(HeartbeatsRecord r, decode_heartbeats(bytes));
    for (const auto& [id, ns] : r.beats) {
      auto it = services_.find(id);
      if (it != services_.end() && ns > it->second.last_heartbeat_ns)
        it->second.last_heartbeat_ns = ns;
    }
    return Status::OK();
  }

  LoadedJournal& out_;
  std::map<std::string, ServiceRecord> services_;
};

}  // namespace

Result<LoadedJournal> load_journal(store::EventStore& store) {
  LoadedJournal out;
  auto info = store.stream_info(kRegistryStream);
  if (!info.ok()) {
    if (info.error().is(StatusCode::kNotFound)) return out;  // a new store
    return info.error();
  }
  out.version = info->version;
  Folder folder(out);
  uint64_t from = 1;
  auto snap = store.load_snapshot(kRegistryStream);
  if (!snap.ok() && !snap.error().is(StatusCode::kNotFound)) return snap.error();
  if (snap.ok() && snap->has_value()) {
    Status s = folder.snapshot(**snap);
    if (s.is(StatusCode::kNotSupported)) return s;
    if (s.ok()) from = (*snap)->version + 1;
  }
  bool first = true;
  for (;;) {
    auto page = store.read_stream(kRegistryStream, from, store::Direction::kForward, kReadPage);
    if (!page.ok()) {
      if (page.error().is(StatusCode::kNotFound)) break;
      return page.error();
    }
    for (const store::StoredEvent& se : page->events) {
      if (first && se.stream_version > from)
        discovery_log().warn(
            "registry stream '{}': records {} to {} were deleted (retention?); the registry is "
            "rebuilt from what is left",
            kRegistryStream, from, se.stream_version - 1);
      first = false;
      CHORUS_RETURN_IF_ERROR(folder.record(se));
    }
    if (page->end || page->events.empty()) break;
    from = page->next;
  }
  folder.finish();
  return out;
}

// ---- Journal ----

Journal::Journal(store::EventStore& store, uint64_t version)
    : store_(store), version_(version), thread_([this] { run(); }) {}

Journal::~Journal() {
  stop();
}

void Journal::append(std::string_view type, std::string value) {
  std::lock_guard l(mu_);
  if (stopping_) return;
  queue_.push_back(Item{std::string(type), std::move(value)});
  ++queued_;
  ++since_snapshot_;
  cv_.notify_one();
}

void Journal::snapshot(std::string state) {
  std::lock_guard l(mu_);
  if (stopping_) return;
  queue_.push_back(Item{std::string(), std::move(state)});
  ++queued_;
  since_snapshot_ = 0;
  cv_.notify_one();
}

uint64_t Journal::since_snapshot() const {
  std::lock_guard l(mu_);
  return since_snapshot_;
}

Status Journal::flush() {
  std::unique_lock l(mu_);
  if (stopped_) return Status::Unavailable("registry journal: stopped");
  const uint64_t target = queued_;
  done_cv_.wait(l, [&] { return processed_ >= target || stopped_; });
  return Status::OK();
}

void Journal::stop() {
  {
    std::lock_guard l(mu_);
    stopping_ = true;
    cv_.notify_one();
  }
  // Only the registry's shutdown (run once) and the destructor call this.
  if (thread_.joinable()) thread_.join();
}

JournalCounters Journal::counters() const {
  std::lock_guard l(mu_);
  return counters_;
}

void Journal::run() {
  std::unique_lock l(mu_);
  for (;;) {
    cv_.wait(l, [&] { return !queue_.empty() || stopping_; });
    if (queue_.empty()) break;  // stopping, and everything is written
    std::deque<Item> items;
    items.swap(queue_);
    l.unlock();
    std::vector<Item> batch;
    for (Item& it : items) {
      if (it.type.empty()) {
        write_records(batch);
        save_snapshot(it.bytes);
      } else {
        batch.push_back(std::move(it));
        if (batch.size() >= kMaxBatch) write_records(batch);
      }
    }
    write_records(batch);
    l.lock();
    processed_ += items.size();
    done_cv_.notify_all();
  }
  stopped_ = true;
  done_cv_.notify_all();
}

void Journal::write_records(std::vector<Item>& batch) {
  if (batch.empty()) return;
  std::vector<EventPtr> events;
  events.reserve(batch.size());
  uint64_t bad = 0;
  for (const Item& it : batch) {
    auto e = EventBuilder(it.type)
                 .source(kRegistrySource)
                 .stream(kRegistryStream)
                 .data(it.bytes, kRegistryContentType)
                 .build();
    if (e.ok()) {
      events.push_back(std::move(*e));
    } else {
      ++bad;
      discovery_log().error("registry journal: cannot build a '{}' record: {}", it.type,
                            e.error().message());
    }
  }
  batch.clear();
  store::AppendResult r;
  if (!events.empty()) r = store_.append(kRegistryStream, events);
  std::lock_guard l(mu_);
  counters_.errors += bad;
  if (events.empty()) return;
  if (r.ok()) {
    version_ = r.stream_version;
    counters_.records += events.size();
  } else {
    counters_.errors += events.size();
    discovery_log().error(
        "registry journal: appending {} record{} to '{}' failed: {} (the next snapshot holds "
        "the whole registry again)",
        events.size(), events.size() == 1 ? "" : "s", kRegistryStream, r.status.to_string());
  }
}

void Journal::save_snapshot(const std::string& state) {
  uint64_t version;
  {
    std::lock_guard l(mu_);
    version = version_;
  }
  if (version == 0) return;  // nothing written yet: nothing to snapshot against
  Status s = store_.save_snapshot(kRegistryStream, version, state);
  std::lock_guard l(mu_);
  if (s.ok()) {
    ++counters_.snapshots;
  } else {
    ++counters_.errors;
    discovery_log().error("registry journal: snapshot of '{}' at version {} failed: {}",
                          kRegistryStream, version, s.to_string());
  }
}

}  // namespace chorus::discovery
