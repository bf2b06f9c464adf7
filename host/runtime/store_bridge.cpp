// Store adapters for the bus: appends, consumer groups, durable dead letters.
#include "runtime/store_bridge.h"

#include "core/log.h"
#include "store/dead_letter.h"

namespace chorus::runtime {
namespace {

bool only_duplicates(const store::AppendResult& r) {
  return r.ok() && r.written == 0 && r.duplicates > 0;
}

class StoreGroup final : public bus::DurableGroup {
 public:
  explicit StoreGroup(std::unique_ptr<store::ConsumerGroup> g) : g_(std::move(g)) {}

  Result<std::vector<bus::DurableMessage>> ack_and_read(std::span<const uint64_t> acks,
                                                        std::string_view consumer, size_t max,
                                                        std::chrono::milliseconds wait) override {
    if (max == 0) {
      if (!acks.empty()) {
        auto a = g_->ack(acks);
        if (!a.ok()) return a.error();
      }
      return std::vector<bus::DurableMessage>{};
    }
    auto r =
        acks.empty() ? g_->read(consumer, max, wait) : g_->ack_and_read(acks, consumer, max, wait);
    if (!r.ok()) return r.error();
    std::vector<bus::DurableMessage> out;
    out.reserve(r->size());
    for (auto& d : *r)
      out.push_back({d.event.seq, d.deliveries, std::move(d.event.event)});
    return out;
  }

  Status nack(std::span<const uint64_t> seqs, std::string_view reason) override {
    auto r = g_->nack(seqs, reason);
    return r.ok() ? Status::OK() : r.error();
  }

 private:
  std::unique_ptr<store::ConsumerGroup> g_;
};

}  // namespace

// ---- StoreDurableLog ----

Status StoreDurableLog::append(const EventPtr& event, bool& duplicate) {
  store::AppendResult r = store_.append(event);
  duplicate = only_duplicates(r);
  return r.status;
}

void StoreDurableLog::append_async(const EventPtr& event, bus::DurableAppendCallback done) {
  store_.append_async(event, [done = std::move(done)](const store::AppendResult& r) {
    done(r.status, only_duplicates(r));
  });
}

Result<std::unique_ptr<bus::DurableGroup>> StoreDurableLog::open_group(std::string_view group,
                                                                       std::string_view pattern,
                                                                       bool from_beginning) {
  store::GroupOptions o;
  o.name = std::string(group);
  o.type_pattern = std::string(pattern);
  o.start =
      from_beginning ? store::GroupOptions::Start::kBeginning : store::GroupOptions::Start::kEnd;
  auto g = store_.consumer_group(o);
  if (!g.ok()) return g.error();
  return std::unique_ptr<bus::DurableGroup>(std::make_unique<StoreGroup>(std::move(*g)));
}

// ---- StoreDeadLetters ----

Result<std::unique_ptr<StoreDeadLetters>> StoreDeadLetters::open(store::EventStore& store) {
  std::unique_ptr<StoreDeadLetters> dl(new StoreDeadLetters(store));
  for (uint64_t from = 1;;) {
    auto page = store.read_dead_letter_resolutions(from);
    if (!page.ok()) return page.error().with_context("dead letters");
    for (const store::DeadLetterResolution& r : page->resolutions)
      dl->resolved_.insert(r.dead_letter_version);
    if (page->end) break;
    from = page->next;
  }
  return dl;
}

Result<uint64_t> StoreDeadLetters::add(bus::DeadLetter dl) {
  store::DeadLetterInfo info;
  info.reason = std::move(dl.reason);
  info.subscriber = std::move(dl.subscriber_id);
  info.attempts = dl.attempts;
  store::AppendResult r = store_.append_dead_letter(*dl.event, info);
  if (!r.ok()) return r.status;
  return r.stream_version;
}

std::optional<bus::DeadLetter> StoreDeadLetters::read_one(uint64_t id) const {
  auto page = store_.read_stream(store::kDeadLetterStream, id, store::Direction::kForward, 1);
  if (!page.ok() || page->events.empty() || page->events[0].stream_version != id)
    return std::nullopt;
  const store::StoredEvent& se = page->events[0];
  auto parsed = store::parse_dead_letter(*se.event);
  if (!parsed.ok()) return std::nullopt;
  bus::DeadLetter out;
  out.id = id;
  out.event = parsed->original;
  out.subscriber_id = parsed->info.subscriber;
  out.reason = parsed->info.reason;
  out.attempts = parsed->info.attempts;
  out.time_ns = se.event->time_ns();
  return out;
}

std::vector<bus::DeadLetter> StoreDeadLetters::list(const bus::DeadLetterQuery& q) const {
  std::vector<bus::DeadLetter> out;
  uint64_t from = q.after_id + 1;
  while (out.size() < q.limit) {
    auto page = store_.read_stream(store::kDeadLetterStream, from, store::Direction::kForward, 256);
    if (!page.ok()) break;  // NotFound: no dead letter was ever written
    for (const auto& se : page->events) {
      {
        std::lock_guard lock(mu_);
        if (resolved_.count(se.stream_version)) continue;
      }
      auto parsed = store::parse_dead_letter(*se.event);
      if (!parsed.ok()) continue;
      if (!q.subscriber_id.empty() && parsed->info.subscriber != q.subscriber_id) continue;
      out.push_back({se.stream_version, parsed->original, parsed->info.subscriber,
                     parsed->info.reason, parsed->info.attempts, se.event->time_ns()});
      if (out.size() == q.limit) break;
    }
    if (page->end) break;
    from = page->next;
  }
  return out;
}

std::optional<bus::DeadLetter> StoreDeadLetters::get(uint64_t id) const {
  {
    std::lock_guard lock(mu_);
    if (resolved_.count(id)) return std::nullopt;
  }
  return read_one(id);
}

std::optional<bus::DeadLetter> StoreDeadLetters::take(uint64_t id) {
  auto dl = get(id);
  if (!dl) return std::nullopt;
  // bus::DeadLetterStore::take does not say whether it replays or drops.
  // The store decides who wins when two take one at once.
  auto r = store_.resolve_dead_letter(id, store::Resolution::kRemoved, "bus");
  if (!r.ok()) {
    log::get("bus")->error("dead letter {}: could not record its removal: {}", id,
                           r.error().to_string());
    return std::nullopt;
  }
  std::lock_guard lock(mu_);
  resolved_.insert(id);
  if (*r == store::ResolveOutcome::kAlreadyResolved) return std::nullopt;
  return dl;
}

size_t StoreDeadLetters::size() const {
  auto info = store_.stream_info(store::kDeadLetterStream);
  if (!info.ok()) return 0;
  std::lock_guard lock(mu_);
  return info->event_count > resolved_.size() ? info->event_count - resolved_.size() : 0;
}

}  // namespace chorus::runtime
