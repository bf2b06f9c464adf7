// EventBus implementation: subscription table and trie (reader/writer lock),
// per-thread match caches, offer/enqueue with overflow policies, drains on
// subscriber strands, the invoke path with guard, middleware, breaker and
// retries, dead letters, request/reply and shutdown.
#include "bus/event_bus.h"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <shared_mutex>
#include <unordered_map>

#include <boost/asio/post.hpp>
#include <fmt/core.h>

#include "bus/durable_subscriber.h"
#include "bus/handler_call.h"
#include "bus/match_cache.h"
#include "bus/request_table.h"
#include "bus/retry.h"
#include "bus/subscriber.h"
#include "bus/topic_trie.h"
#include "core/clock.h"
#include "core/hash.h"
#include "core/log.h"
#include "core/text.h"
#include "core/topic.h"

namespace chorus::bus {

namespace asio = boost::asio;

namespace {

constexpr size_t kDrainBatch = 32;    // events popped per lock of the queue
constexpr size_t kDrainSlice = 1024;  // events per drain before yielding the thread
constexpr size_t kMaxTrackedTopics = 10'000;
// Publishes nested through inline handlers on one thread. Deeper means a
// handler (re)publishes what it receives: refused instead of a stack overflow.
constexpr int kMaxPublishDepth = 64;
thread_local int tl_publish_depth = 0;
constexpr std::string_view kBusSource = "chorus.bus";

int64_t steady_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::atomic<uint64_t> g_next_bus_id{1};

// The subscribers whose handlers this thread is inside (innermost last), so
// an unsubscribe from inside a handler does not wait for itself. Nesting is
// bounded by kMaxPublishDepth (plus retries and drains, which do not nest).
constexpr int kMaxActive = 2 * 64 + 8;
thread_local const Subscriber* tl_active[kMaxActive];
thread_local int tl_active_count = 0;

struct ActiveScope {
  explicit ActiveScope(const Subscriber* s) {
    if (tl_active_count < kMaxActive) tl_active[tl_active_count] = s;
    ++tl_active_count;
  }
  ~ActiveScope() { --tl_active_count; }
};

uint32_t own_calls(const Subscriber* s) {
  uint32_t n = 0;
  for (int i = 0; i < std::min(tl_active_count, kMaxActive); ++i)
    n += tl_active[i] == s;
  return n;
}

// Per-thread pointers to this thread's cache in each bus it has published
// on, keyed by the bus's never-reused id (a dead bus's entry is never
// dereferenced).
struct TlCacheRef {
  uint64_t bus_id;
  ThreadMatchCache* cache;
};
thread_local std::vector<TlCacheRef> tl_caches;
thread_local TlCacheRef tl_last_cache{0, nullptr};  // the most recent hit

// One spare match result per thread: a cache miss refills it instead of
// allocating a result and its vector (only when nobody else holds it).
thread_local std::shared_ptr<MatchResult> tl_spare_result;

std::shared_ptr<MatchResult> fresh_result() {
  if (tl_spare_result && tl_spare_result.use_count() == 1) return std::move(tl_spare_result);
  return std::make_shared<MatchResult>();
}

void recycle_result(std::shared_ptr<const MatchResult>&& r) {
  if (!r || r.use_count() != 1) return;
  auto m = std::const_pointer_cast<MatchResult>(std::move(r));
  m->keep.reset();  // do not keep an old subscriber snapshot alive
  m->subs.clear();
  m->groups.clear();
  m->topic = nullptr;
  m->persistent = false;
  tl_spare_result = std::move(m);
}

std::string check_subscriber_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxEventFieldBytes)  // it may be an event's `target`
    return fmt::format("must be 1 to {} bytes", kMaxEventFieldBytes);
  for (char ch : id) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) return "contains a control character";
  }
  if (!is_valid_utf8(id)) return "is not valid UTF-8";
  return {};
}

}  // namespace

struct EventBus::Impl : std::enable_shared_from_this<EventBus::Impl> {
  Impl(asio::io_context& io_, const BusOptions& o, std::unique_ptr<DeadLetterStore> dl)
      : io(io_),
        options(o),
        dead(dl ? std::move(dl) : std::make_unique<MemoryDeadLetterStore>(o.dead_letter_capacity)),
        bus_id(g_next_bus_id.fetch_add(1)) {}

  asio::io_context& io;
  const BusOptions options;
  std::unique_ptr<DeadLetterStore> dead;
  const uint64_t bus_id;
  std::shared_ptr<spdlog::logger> log = log::get("bus");

  // Subscriptions: the table and trie change under `subs_mu` (exclusive);
  // cache misses read the trie under it (shared).
  mutable std::shared_mutex subs_mu;
  std::unordered_map<SubscriptionId, SubscriberPtr> by_sid;
  std::unordered_map<std::string, SubscriptionId> by_name;
  TopicTrie<Subscriber> trie;
  std::shared_ptr<const SubscriberSet> live_set = std::make_shared<SubscriberSet>();
  std::atomic<uint64_t> generation{1};
  size_t dead_in_set = 0;  // unsubscribed subscribers still held by live_set

  // REQUIRES: subs_mu held exclusively.
  void add_to_live_set(const SubscriberPtr& s) {
    auto next = std::make_shared<SubscriberSet>(*live_set);
    if (!next->chunks.empty() && next->chunks.back()->size() < SubscriberSet::kChunk) {
      auto last = std::make_shared<SubscriberSet::Chunk>(*next->chunks.back());
      last->push_back(s);
      next->chunks.back() = std::move(last);
    } else {
      next->chunks.push_back(std::make_shared<const SubscriberSet::Chunk>(SubscriberSet::Chunk{s}));
    }
    live_set = std::move(next);
    generation.fetch_add(1, std::memory_order_acq_rel);
  }

  // REQUIRES: subs_mu held exclusively.
  void remove_from_live_set() {
    if (++dead_in_set > by_sid.size() && dead_in_set > SubscriberSet::kChunk) {
      auto next = std::make_shared<SubscriberSet>();
      SubscriberSet::Chunk chunk;
      for (const auto& [sid, sub] : by_sid) {
        chunk.push_back(sub);
        if (chunk.size() == SubscriberSet::kChunk) {
          next->chunks.push_back(std::make_shared<const SubscriberSet::Chunk>(std::move(chunk)));
          chunk.clear();
        }
      }
      if (!chunk.empty())
        next->chunks.push_back(std::make_shared<const SubscriberSet::Chunk>(std::move(chunk)));
      live_set = std::move(next);
      dead_in_set = 0;
    }
    generation.fetch_add(1, std::memory_order_acq_rel);
  }

  SubscriptionId next_sid = 1;
  std::map<std::string, std::unique_ptr<std::atomic<uint64_t>>, std::less<>> group_counters;

  // Per-topic counters (bounded) and the per-thread caches.
  struct TopicHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return hash_bytes(s); }
  };
  std::mutex topics_mu;
  std::unordered_map<std::string, std::unique_ptr<TopicCounters>, TopicHash, std::equal_to<>>
      topics;
  TopicCounters other_topics{"(other)"};
  std::mutex caches_mu;
  std::vector<std::unique_ptr<ThreadMatchCache>> caches;

  // Middleware chains: immutable snapshots, swapped on add; old ones kept
  // until the bus goes away (hooks are added at setup, rarely).
  struct Chains {
    std::vector<std::pair<std::string, BeforePublishHook>> before;
    std::vector<std::pair<std::string, AroundDeliverHook>> around;
  };
  std::mutex chains_mu;
  std::vector<std::unique_ptr<Chains>> chain_history;
  std::atomic<const Chains*> chains{nullptr};

  // Publishes a changed copy of the chains; readers keep using the old one
  // until they load the pointer again (it stays alive with the bus).
  template <typename Change>
  void update_chains(Change&& change) {
    std::lock_guard lock(chains_mu);
    const Chains* cur = chains.load(std::memory_order_acquire);
    auto next = std::make_unique<Chains>(cur ? *cur : Chains{});
    change(*next);
    chains.store(next.get(), std::memory_order_release);
    chain_history.push_back(std::move(next));
  }

  RequestTable requests;

  // Durability: set once before publishing (set_durable_log).
  std::shared_ptr<DurableLog> durable;
  std::vector<std::string> persist_patterns;  // under subs_mu
  // Whether persist_patterns has any: lets a publish skip the persistence
  // lookup when nothing is persistent (read without the lock, like `durable`).
  bool persist_any = false;
  Strand persist_strand{asio::make_strand(io)};  // delivers committed events in commit order
  std::unordered_map<SubscriptionId, std::unique_ptr<DurableSubscriber>> durables;  // under subs_mu
  std::mutex retired_mu;
  std::vector<std::unique_ptr<DurableSubscriber>> retired_durables;  // unsubscribed from inside

  std::atomic<bool> stopping{false};
  // (published and no_subscribers are the sums of the per-topic counters)
  std::atomic<uint64_t> publish_errors{0}, replies_late{0};
  std::atomic<uint64_t> persisted{0}, persist_duplicates{0};
  std::atomic<uint64_t> pending_retries{0};
  // Shutdown waits on this for queues to drain.
  std::mutex drain_mu;
  std::condition_variable drained;
  std::vector<SubscriberPtr> still_running;  // handlers busy past the shutdown deadline

  // For the destructor: the bus object is going away, so handlers that may
  // use it must have returned.
  void wait_for_running_handlers() {
    std::vector<SubscriberPtr> busy;
    {
      std::lock_guard lock(drain_mu);
      busy.swap(still_running);
    }
    for (auto& s : busy) {
      s->guard.wait(own_calls(s.get()));
      s->handler = nullptr;
      s->filter = nullptr;
    }
  }

  // ---- matching ----

  ThreadMatchCache* thread_cache() {
    if (tl_last_cache.bus_id == bus_id) return tl_last_cache.cache;
    for (const auto& ref : tl_caches) {
      if (ref.bus_id == bus_id) {
        tl_last_cache = ref;
        return ref.cache;
      }
    }
    if (options.match_cache_size == 0) return nullptr;
    auto cache = std::make_unique<ThreadMatchCache>(options.match_cache_size);
    ThreadMatchCache* raw = cache.get();
    {
      std::lock_guard lock(caches_mu);
      caches.push_back(std::move(cache));
    }
    if (tl_caches.size() >= 16) tl_caches.erase(tl_caches.begin());
    tl_caches.push_back({bus_id, raw});
    tl_last_cache = tl_caches.back();
    return raw;
  }

  TopicCounters* counters_for(std::string_view type) {
    std::lock_guard lock(topics_mu);
    auto it = topics.find(type);
    if (it != topics.end()) return it->second.get();
    if (topics.size() >= kMaxTrackedTopics) return &other_topics;
    auto [ins, ok] =
        topics.emplace(std::string(type), std::make_unique<TopicCounters>(std::string(type)));
    return ins->second.get();
  }

  // REQUIRES: subs_mu held (shared or exclusive).
  std::shared_ptr<MatchResult> compute_match(std::string_view type) {
    thread_local std::vector<Subscriber*> found;
    found.clear();
    trie.match(type, found);
    // A subscriber with several patterns may be found more than once, and
    // group members need a stable order for round robin; only then is the
    // result sorted (by subscription, so the order survives recomputation).
    bool sort = false;
    for (const Subscriber* s : found)
      sort |= s->patterns.size() > 1 || !s->group.empty();
    if (sort) {
      std::sort(found.begin(), found.end(),
                [](const Subscriber* a, const Subscriber* b) { return a->sid < b->sid; });
      found.erase(std::unique(found.begin(), found.end()), found.end());
    }
    auto r = fresh_result();
    r->keep = live_set;
    for (const auto& p : persist_patterns)
      r->persistent |= topic_matches(p, type);
    r->subs.reserve(found.size());
    for (Subscriber* s : found) {
      if (s->group.empty()) {
        r->subs.push_back(s);
        continue;
      }
      auto g = std::find_if(r->groups.begin(), r->groups.end(),
                            [&](const MatchResult::Group& x) { return x.name == s->group; });
      if (g == r->groups.end()) {
        r->groups.push_back(
            MatchResult::Group{s->group, {}, group_counters.find(s->group)->second.get()});
        g = r->groups.end() - 1;
      }
      g->members.push_back(s);
    }
    return r;
  }

  // The match result for `ev`'s type. `hold` keeps a result alive that is
  // not owned by the cache.
  const MatchResult* lookup(const Event& ev, ThreadMatchCache* cache,
                            std::shared_ptr<const MatchResult>& hold) {
    const uint64_t gen = generation.load(std::memory_order_acquire);
    if (cache) {
      if (const MatchResult* hit = cache->find(ev.type_hash(), ev.type(), gen)) {
        cache->hits.fetch_add(1, std::memory_order_relaxed);
        return hit;
      }
      cache->misses.fetch_add(1, std::memory_order_relaxed);
    }
    std::shared_ptr<MatchResult> r;
    uint64_t gen_now;
    {
      std::shared_lock lock(subs_mu);
      gen_now = generation.load(std::memory_order_acquire);
      r = compute_match(ev.type());
    }
    r->topic = counters_for(ev.type());
    if (cache && cache->depth == 1) {
      std::shared_ptr<const MatchResult> evicted;
      const MatchResult* stored =
          cache->store(ev.type_hash(), ev.type(), gen_now, std::move(r), evicted);
      recycle_result(std::move(evicted));
      return stored;
    }
    hold = std::move(r);
    return hold.get();
  }

  // ---- publishing ----

  // What every publish checks first.
  Status check_publishable(const EventPtr& ev) const {
    if (!ev) return Status::InvalidArgument("publish: null event");
    if (stopping.load(std::memory_order_acquire))
      return Status::Unavailable(fmt::format("publish '{}': the bus is shutting down", ev->type()));
    return Status::OK();
  }

  // Runs the before-publish hooks of `c` on `ev` (they may replace it); a
  // rejection counts as a publish error.
  Status run_before_hooks(const Chains& c, EventPtr& ev) {
    for (const auto& [name, hook] : c.before) {
      Status s = run_before_hook(name, hook, ev);
      if (!s.ok()) {
        publish_errors.fetch_add(1, std::memory_order_relaxed);
        return s;
      }
    }
    return Status::OK();
  }

  // After a persistent event's append: its error (with context), OK for an
  // id stored before (delivered then: an idempotent retry), else delivery.
  Status after_append(const EventPtr& ev, const Status& appended, bool duplicate) {
    if (!appended.ok()) {
      publish_errors.fetch_add(1, std::memory_order_relaxed);
      return appended.with_context(fmt::format("publish '{}': not stored", ev->type()));
    }
    persisted.fetch_add(1, std::memory_order_relaxed);
    if (duplicate) {
      persist_duplicates.fetch_add(1, std::memory_order_relaxed);
      return Status::OK();
    }
    return dispatch(ev);
  }

  Status publish(const EventPtr& original) {
    CHORUS_RETURN_IF_ERROR(check_publishable(original));
    const Chains* c = chains.load(std::memory_order_acquire);
    if (c && !c->before.empty()) {
      EventPtr ev = original;  // hooks may replace it
      CHORUS_RETURN_IF_ERROR(run_before_hooks(*c, ev));
      return route(ev);
    }
    return route(original);
  }

  // fn(const MatchResult&) on this thread's (cached) match of `ev`; for
  // questions about the match, not for delivering (dispatch has its own).
  template <typename Fn>
  auto with_match(const Event& ev, Fn&& fn) {
    ThreadMatchCache* cache = thread_cache();
    if (cache) ++cache->depth;
    std::shared_ptr<const MatchResult> hold;
    auto out = fn(*lookup(ev, cache, hold));
    if (cache) --cache->depth;
    recycle_result(std::move(hold));
    return out;
  }

  bool is_persistent(const Event& ev) {
    return with_match(ev, [](const MatchResult& r) { return r.persistent; });
  }

  // A persistent type is appended first; delivered only once stored.
  Status route(const EventPtr& ev) {
    if (durable && persist_any && is_persistent(*ev)) {
      bool duplicate = false;
      Status s = durable->append(ev, duplicate);
      return after_append(ev, s, duplicate);
    }
    return dispatch(ev);
  }

  void publish_async(const EventPtr& original, std::function<void(const Status&)> done) {
    if (Status s = check_publishable(original); !s.ok()) return done(s);
    EventPtr ev = original;
    if (const Chains* c = chains.load(std::memory_order_acquire); c && !c->before.empty()) {
      if (Status s = run_before_hooks(*c, ev); !s.ok()) return done(s);
    }
    if (!durable || !persist_any || !is_persistent(*ev)) return done(dispatch(ev));
    durable->append_async(ev, [self = shared_from_this(), ev, done = std::move(done)](
                                  const Status& s, bool duplicate) {
      // On the log's thread: hand over to the persist strand, which delivers
      // in commit order.
      asio::post(self->persist_strand,
                 [self, ev, done, s, duplicate] { done(self->after_append(ev, s, duplicate)); });
    });
  }

  Status set_durable_log(std::shared_ptr<DurableLog> log, std::vector<std::string> persist) {
    for (const auto& p : persist) {
      Status s = validate_pattern(p);
      if (!s.ok()) return s.with_context("store.persist");
    }
    std::unique_lock lock(subs_mu);
    durable = std::move(log);
    persist_patterns = std::move(persist);
    persist_any = !persist_patterns.empty();
    generation.fetch_add(1, std::memory_order_acq_rel);  // cached results carry `persistent`
    return Status::OK();
  }

  Result<SubscriptionId> subscribe_durable(std::string_view group, std::string_view pattern,
                                           Handler handler, DurableOptions o) {
    if (stopping.load(std::memory_order_acquire))
      return Status::Unavailable("subscribe_durable: the bus is shutting down");
    const std::string who = fmt::format("subscribe_durable '{}'", printable(group));
    if (!durable)
      return Status::FailedPrecondition(
          fmt::format("{}: no durable log (the host runs without a store)", who));
    if (!handler) return Status::InvalidArgument(fmt::format("{}: the handler is empty", who));
    CHORUS_RETURN_IF_ERROR(validate_pattern(pattern).with_context(who));
    if (!o.subscriber_id.empty()) {
      std::string why = check_subscriber_id(o.subscriber_id);
      if (!why.empty())
        return Status::InvalidArgument(fmt::format("{}: subscriber id {}", who, why));
    }
    if (o.batch == 0)
      return Status::InvalidArgument(fmt::format("{}: batch must be at least 1", who));
    auto g = durable->open_group(group, pattern, o.from_beginning);
    if (!g.ok()) return g.error().with_context(who);
    std::unique_lock lock(subs_mu);
    const SubscriptionId sid = next_sid++;
    std::string id = o.subscriber_id.empty() ? fmt::format("durable-{}", sid) : o.subscriber_id;
    if (by_name.count(id))
      return Status::AlreadyExists(
          fmt::format("{}: subscriber id '{}' is already in use", who, id));
    auto ds = std::make_unique<DurableSubscriber>(sid, id, std::string(group), std::string(pattern),
                                                  std::move(handler), std::move(o), std::move(*g));
    ds->start();
    by_name.emplace(std::move(id), sid);
    durables.emplace(sid, std::move(ds));
    return sid;
  }

  // Stops a durable subscriber taken out of the table.
  void retire(std::unique_ptr<DurableSubscriber> ds) {
    ds->stop();
    if (ds->on_own_thread()) {  // from inside its handler: join it later
      std::lock_guard lock(retired_mu);
      retired_durables.push_back(std::move(ds));
    }
  }

  Status dispatch(const EventPtr& ev) {
    if (is_reply(*ev)) complete_reply(ev);

    if (tl_publish_depth >= kMaxPublishDepth) {
      publish_errors.fetch_add(1, std::memory_order_relaxed);
      return Status::ResourceExhausted(fmt::format(
          "publish '{}': nested {} deep through inline handlers (does an inline handler publish "
          "what it receives?)",
          ev->type(), kMaxPublishDepth));
    }
    ThreadMatchCache* cache = thread_cache();
    struct Depth {
      ThreadMatchCache* c;
      explicit Depth(ThreadMatchCache* c_) : c(c_) {
        ++tl_publish_depth;
        if (c) ++c->depth;
      }
      ~Depth() {
        --tl_publish_depth;
        if (c) --c->depth;
      }
    } depth(cache);
    std::shared_ptr<const MatchResult> hold;
    const MatchResult* r = lookup(*ev, cache, hold);
    r->topic->published.fetch_add(1, std::memory_order_relaxed);

    Status result;
    bool taken = false;
    for (Subscriber* s : r->subs) {
      if (!s->accepts_target(*ev)) continue;
      taken = true;
      Status st = offer(*s, ev, true);
      if (!st.ok() && result.ok()) result = std::move(st);
    }
    for (const MatchResult::Group& g : r->groups) {
      const size_t n = g.members.size();
      const uint64_t start = g.next->fetch_add(1, std::memory_order_relaxed);
      for (size_t i = 0; i < n; ++i) {
        Subscriber* m = g.members[(start + i) % n];
        if (!m->accepts_target(*ev) || m->guard.closed()) continue;
        if (!passes_filter(*m, *ev)) continue;
        taken = true;
        Status st = offer(*m, ev, false);
        if (!st.ok() && result.ok()) result = std::move(st);
        break;
      }
    }
    if (!taken) {
      r->topic->no_subscribers.fetch_add(1, std::memory_order_relaxed);
    }
    if (!result.ok()) publish_errors.fetch_add(1, std::memory_order_relaxed);
    recycle_result(std::move(hold));
    return result;
  }

  Status run_before_hook(const std::string& name, const BeforePublishHook& hook, EventPtr& ev) {
    try {
      Status s = hook(ev);
      if (!s.ok())
        return s.with_context(fmt::format("publish '{}' rejected by '{}'", ev->type(), name));
      if (!ev)
        return Status::Internal(fmt::format("before-publish hook '{}' cleared the event", name));
      return s;
    } catch (const std::exception& e) {
      return Status::Internal(fmt::format("before-publish hook '{}' threw: {}", name, e.what()));
    } catch (...) {
      return Status::Internal(
          fmt::format("before-publish hook '{}' threw a non-standard exception", name));
    }
  }

  // Runs the filter inside the subscriber's guard: close() releases it, so
  // it must not be running then. A closed subscriber passes nothing.
  bool passes_filter(Subscriber& s, const Event& ev) {
    if (!s.filter) return true;
    if (!s.guard.enter()) return false;
    bool pass = false;
    try {
      pass = s.filter(ev);
    } catch (const std::exception& e) {
      log->warn("filter of subscriber '{}' threw on '{}': {}", s.id, ev.type(), e.what());
    } catch (...) {
      log->warn("filter of subscriber '{}' threw a non-standard exception on '{}'", s.id,
                ev.type());
    }
    s.guard.exit();
    if (!pass) s.filtered.fetch_add(1, std::memory_order_relaxed);
    return pass;
  }

  // Hands `ev` to `s`: inline call, or enqueue with the overflow policy.
  Status offer(Subscriber& s, const EventPtr& ev, bool filter) {
    if (filter && !passes_filter(s, *ev)) return Status::OK();
    if (s.mode == DeliveryMode::kInline) {
      deliver_now(s, ev, 1, 0);
      return Status::OK();
    }
    bool schedule = false;
    Delivery evicted;
    switch (s.queue.push(Delivery{ev, steady_ns(), 1}, schedule, &evicted)) {
      case DeliveryQueue::PushResult::kQueued:
        break;
      case DeliveryQueue::PushResult::kDroppedOldest:
        s.dropped.fetch_add(1, std::memory_order_relaxed);
        break;
      case DeliveryQueue::PushResult::kDroppedNewest:
        s.dropped.fetch_add(1, std::memory_order_relaxed);
        return Status::OK();
      case DeliveryQueue::PushResult::kRejected:
        s.rejected.fetch_add(1, std::memory_order_relaxed);
        return Status::ResourceExhausted(
            fmt::format("publish '{}': queue of subscriber '{}' is full ({} events)", ev->type(),
                        s.id, s.queue.bound()));
      case DeliveryQueue::PushResult::kTimedOut:
        s.rejected.fetch_add(1, std::memory_order_relaxed);
        return Status::Timeout(fmt::format(
            "publish '{}': queue of subscriber '{}' stayed full ({} events) for the block timeout",
            ev->type(), s.id, s.queue.bound()));
      case DeliveryQueue::PushResult::kClosed:
        return Status::OK();
    }
    if (schedule) post_drain(s.shared_from_this());
    return Status::OK();
  }

  void post_drain(const SubscriberPtr& s) {
    asio::post(s->strand, [self = shared_from_this(), s] { self->drain(s); });
  }

  // Runs on s->strand. Delivers queued events in batches; yields the thread
  // after kDrainSlice events (re-posting itself) so subscribers sharing the
  // workers take turns. With options.idle_spin, an emptied queue is polled
  // that long before the drain ends.
  void drain(const SubscriberPtr& s) {
    const bool linger = options.idle_spin.count() > 0;
    size_t done = 0;
    while (done < kDrainSlice) {
      s->batch.clear();
      size_t n = s->queue.pop_batch(s->batch, kDrainBatch, linger);
      if (n == 0 && linger) {
        const auto deadline = std::chrono::steady_clock::now() + options.idle_spin;
        while (s->queue.approx_size() == 0 && !stopping.load(std::memory_order_relaxed) &&
               std::chrono::steady_clock::now() < deadline) {
#if defined(__x86_64__)
          __builtin_ia32_pause();
#endif
        }
        n = s->queue.pop_batch(s->batch, kDrainBatch, false);  // marks idle if still empty
      }
      if (n == 0) {
        if (stopping.load(std::memory_order_acquire)) {
          std::lock_guard lock(drain_mu);
          drained.notify_all();
        }
        return;
      }
      const int64_t now = steady_ns();
      LatencyHistogram& hist = s->latency_histogram();
      for (Delivery& d : s->batch) {
        hist.record(static_cast<uint64_t>(std::max<int64_t>(0, now - d.enqueued_ns)));
        deliver_now(*s, d.event, d.attempt, d.enqueued_ns);
      }
      done += n;
    }
    s->batch.clear();
    post_drain(s);  // more queued: yield to other subscribers, then continue
  }

  // Calls the handler (through the around-deliver chain) inside the guard.
  // `entered` is false when the subscriber was closed: nothing was called.
  Status invoke(Subscriber& s, const EventPtr& ev, uint32_t attempt, bool& entered) {
    entered = s.guard.enter();
    if (!entered) return Status::OK();
    ActiveScope scope(&s);
    Status st = call_catching([&]() -> Status {
      const Chains* c = chains.load(std::memory_order_acquire);
      if (!c || c->around.empty()) return s.handler(ev);
      const DeliveryInfo info{s.id, attempt};
      std::function<Status(size_t)> step = [&](size_t i) -> Status {
        if (i == c->around.size()) return s.handler(ev);
        return c->around[i].second(ev, info, [&] { return step(i + 1); });
      };
      return step(0);
    });
    s.guard.exit();
    return st;
  }

  // Delivers one event now: on the strand (async) or the publisher's thread
  // (inline); handles breaker, failure, retry and dead letter. The event is
  // passed by reference: the common, successful path copies nothing.
  void deliver_now(Subscriber& s, const EventPtr& ev, uint32_t attempt, int64_t enqueued_ns) {
    std::optional<CircuitBreaker::Transition> t;
    if (s.breaker.state() != CircuitBreaker::State::kClosed && !s.breaker.allow(steady_ns(), t)) {
      dead_letter(s, ev, "circuit open", attempt - 1);
      return;
    }
    if (t) announce(s, *t);
    bool entered = false;
    Status st = invoke(s, ev, attempt, entered);
    if (!entered) {
      s.dropped.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    t.reset();
    s.breaker.record_lazy(st.ok(), steady_ns, t);
    if (t) announce(s, *t);
    if (st.ok()) {
      s.delivered.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    s.failed.fetch_add(1, std::memory_order_relaxed);
    log->debug("subscriber '{}' failed '{}' (attempt {}): {}", s.id, ev->type(), attempt,
               st.to_string());
    if (attempt < static_cast<uint32_t>(s.retry.max_attempts) &&
        !stopping.load(std::memory_order_acquire)) {
      schedule_retry(s.shared_from_this(), Delivery{ev, enqueued_ns, attempt});
    } else {
      dead_letter(s, ev, st.to_string(), attempt);
    }
  }

  // Arms a timer for the next attempt. Registering the timer, starting its
  // wait and checking `stopping` happen under timers_mu, the lock shutdown()
  // and close() cancel under: a retry is either cancelled by them or sees
  // that the bus is stopping, never missed.
  void schedule_retry(const SubscriberPtr& s, Delivery d) {
    const auto delay = retry_delay(s->retry, d.attempt + 1, random01());
    d.attempt += 1;
    {
      std::lock_guard lock(s->timers_mu);
      if (!stopping.load(std::memory_order_acquire)) {
        auto timer = std::make_shared<asio::steady_timer>(s->strand, delay);
        const uint64_t key = s->next_timer++;
        s->timers.emplace(key, timer);
        pending_retries.fetch_add(1, std::memory_order_acq_rel);
        s->retried.fetch_add(1, std::memory_order_relaxed);
        timer->async_wait([self = shared_from_this(), s, key,
                           d = std::move(d)](const boost::system::error_code& ec) {
          self->on_retry_timer(s, key, d, ec);
        });
        return;
      }
    }
    dead_letter(*s, d.event, "shutdown before retry", d.attempt - 1);
  }

  // Runs on the subscriber's strand when a retry timer fires or is cancelled.
  void on_retry_timer(const SubscriberPtr& s, uint64_t key, const Delivery& d,
                      const boost::system::error_code& ec) {
    {
      std::lock_guard lock(s->timers_mu);
      s->timers.erase(key);
    }
    if (stopping.load(std::memory_order_acquire)) {
      dead_letter(*s, d.event, "shutdown before retry", d.attempt - 1);
    } else if (ec || s->guard.closed()) {  // unsubscribed meanwhile
      s->dropped.fetch_add(1, std::memory_order_relaxed);
    } else {
      deliver_now(*s, d.event, d.attempt, d.enqueued_ns);
    }
    pending_retries.fetch_sub(1, std::memory_order_acq_rel);
    if (stopping.load(std::memory_order_acquire)) {
      std::lock_guard lock(drain_mu);
      drained.notify_all();
    }
  }

  void dead_letter(Subscriber& s, const EventPtr& ev, std::string reason, uint32_t attempts) {
    s.dead_lettered.fetch_add(1, std::memory_order_relaxed);
    // While a breaker is open every event lands here: those go to debug, the
    // breaker's own transitions are logged at info.
    log->log(attempts == 0 && reason == "circuit open" ? spdlog::level::debug : spdlog::level::warn,
             "dead letter: '{}' ({}) for subscriber '{}' after {} attempt{}: {}", ev->type(),
             ev->id().to_string(), s.id, attempts, attempts == 1 ? "" : "s", reason);
    auto r = dead->add(DeadLetter{0, ev, s.id, std::move(reason), attempts, wall_clock_ns()});
    if (!r.ok()) log->error("dead letter store refused an entry: {}", r.error().to_string());
  }

  // Publishes a breaker transition as system.breaker.<state>.
  void announce(const Subscriber& s, const CircuitBreaker::Transition& t) {
    const char* type = t.to == CircuitBreaker::State::kOpen       ? "system.breaker.opened"
                       : t.to == CircuitBreaker::State::kHalfOpen ? "system.breaker.half_opened"
                                                                  : "system.breaker.closed";
    log->info("circuit breaker of subscriber '{}' is now {}: {}", s.id, breaker_state_name(t.to),
              t.reason);
    std::string data = "{\"subscriber\":";
    append_json_string(data, s.id);
    data += ",\"state\":\"";
    data += breaker_state_name(t.to);
    data += "\",\"reason\":";
    append_json_string(data, t.reason);
    data += "}";
    auto ev = EventBuilder(type).source(kBusSource).priority(Priority::kHigh).data(data).build();
    if (ev.ok() && !stopping.load(std::memory_order_acquire)) (void)publish(*ev);
  }

  static void append_json_string(std::string& out, std::string_view s) {
    out.push_back('"');
    for (char ch : s) {
      auto c = static_cast<unsigned char>(ch);
      if (c == '"' || c == '\\') {
        out.push_back('\\');
        out.push_back(ch);
      } else if (c < 0x20) {
        out += fmt::format("\\u{:04x}", c);
      } else {
        out.push_back(ch);
      }
    }
    out.push_back('"');
  }

  // ---- request/reply ----

  // A reply that matches no waiting request (it came after the timeout, or
  // answers a request this bus did not send) is counted and then delivered
  // like any event.
  void complete_reply(const EventPtr& ev) {
    if (requests.size() > 0) {
      auto id = Uuid::parse(ev->causation_id());
      if (id.ok() && requests.complete(*id, ev)) return;
    }
    replies_late.fetch_add(1, std::memory_order_relaxed);
  }

  bool has_responders(const Event& ev) {
    return with_match(ev, [&](const MatchResult& r) {
      for (const Subscriber* s : r.subs)
        if (s->accepts_target(ev)) return true;
      for (const auto& g : r.groups)
        for (const Subscriber* m : g.members)
          if (m->accepts_target(ev)) return true;
      return false;
    });
  }

  void request(EventPtr req, std::chrono::milliseconds timeout, ReplyCallback done) {
    if (!req) return done(Status::InvalidArgument("request: null event"));
    if (stopping.load(std::memory_order_acquire))
      return done(
          Status::Unavailable(fmt::format("request '{}': the bus is shutting down", req->type())));
    if (!has_responders(*req))
      return done(Status::NoResponders(fmt::format("request '{}': no responders", req->type())));
    auto timer = std::make_shared<asio::steady_timer>(io, timeout);
    const Uuid id = req->id();
    if (!requests.add(id, done, timer))
      return done(Status::AlreadyExists(
          fmt::format("request '{}': a request with id {} is already waiting for its reply",
                      req->type(), id.to_string())));
    timer->async_wait([self = shared_from_this(), id, type = std::string(req->type()),
                       timeout](const boost::system::error_code& ec) {
      if (ec) return;  // cancelled: completed by a reply or shutdown
      self->requests.complete(id, Status::Timeout(fmt::format("request '{}': no reply within {}ms",
                                                              type, timeout.count())));
    });
    Status st = publish(req);
    if (!st.ok()) requests.complete(id, st);
  }

  // ---- subscribe / unsubscribe ----

  Result<SubscriptionId> subscribe(const std::vector<std::string>& patterns, Handler handler,
                                   SubscribeOptions o) {
    if (stopping.load(std::memory_order_acquire))
      return Status::Unavailable("subscribe: the bus is shutting down");
    const std::string who = o.subscriber_id.empty()
                                ? "subscribe"
                                : fmt::format("subscribe '{}'", printable(o.subscriber_id));
    if (!handler) return Status::InvalidArgument(fmt::format("{}: the handler is empty", who));
    if (patterns.empty()) return Status::InvalidArgument(fmt::format("{}: no pattern given", who));
    for (const auto& p : patterns) {
      Status s = validate_pattern(p);
      if (!s.ok()) return s.with_context(who);
    }
    if (!o.subscriber_id.empty()) {
      std::string why = check_subscriber_id(o.subscriber_id);
      if (!why.empty())
        return Status::InvalidArgument(fmt::format("{}: subscriber id {}", who, why));
    }
    if (o.queue_bound && *o.queue_bound == 0)
      return Status::InvalidArgument(fmt::format("{}: queue_bound must be at least 1", who));
    if (o.retry && o.retry->max_attempts < 1)
      return Status::InvalidArgument(fmt::format("{}: retry.max_attempts must be at least 1", who));

    std::unique_lock lock(subs_mu);
    const SubscriptionId sid = next_sid++;
    std::string id = o.subscriber_id.empty() ? fmt::format("sub-{}", sid) : o.subscriber_id;
    if (by_name.count(id))
      return Status::AlreadyExists(
          fmt::format("subscribe: subscriber id '{}' is already in use", id));
    if (!o.queue_group.empty() && !group_counters.count(o.queue_group))
      group_counters.emplace(o.queue_group, std::make_unique<std::atomic<uint64_t>>(0));
    auto s = std::make_shared<Subscriber>(io, sid, id, patterns, std::move(handler), o, options);
    for (const auto& p : s->patterns)
      trie.insert(p, s.get());
    by_sid.emplace(sid, s);
    by_name.emplace(std::move(id), sid);
    add_to_live_set(s);
    return sid;
  }

  Status unsubscribe(SubscriptionId sid) {
    SubscriberPtr s;
    {
      std::unique_lock lock(subs_mu);
      if (auto d = durables.find(sid); d != durables.end()) {
        std::unique_ptr<DurableSubscriber> ds = std::move(d->second);
        durables.erase(d);
        by_name.erase(ds->id);
        lock.unlock();
        retire(std::move(ds));
        return Status::OK();
      }
      auto it = by_sid.find(sid);
      if (it == by_sid.end())
        return Status::NotFound(fmt::format("unsubscribe: no subscription {}", sid));
      s = it->second;
      for (const auto& p : s->patterns)
        trie.remove(p, s.get());
      by_name.erase(s->id);
      by_sid.erase(it);
      remove_from_live_set();
    }
    close(*s, false);
    return Status::OK();
  }

  // Stops `s` for good. Its queue is emptied first (dropped, or dead-lettered
  // at shutdown) and its retry timers cancelled; then the calls in progress
  // are waited for, until `deadline`. When this returns true, no handler call
  // is in progress or will start (except the calling thread's own, when
  // called from inside the handler).
  bool close(Subscriber& s, bool shutting_down,
             std::chrono::steady_clock::time_point deadline =
                 std::chrono::steady_clock::time_point::max()) {
    s.guard.close();
    std::vector<Delivery> left;
    s.queue.close(&left);
    for (auto& d : left) {
      if (shutting_down) {
        dead_letter(s, d.event, "shutdown: not delivered within the shutdown timeout", 0);
      } else {
        s.dropped.fetch_add(1, std::memory_order_relaxed);
      }
    }
    {
      std::lock_guard lock(s.timers_mu);
      for (auto& [key, timer] : s.timers)
        timer->cancel();
    }
    const uint32_t own = own_calls(&s);
    if (!s.guard.wait(own, deadline)) return false;
    // Release the handler's captured state now, unless this thread is inside
    // it (then the last reference releases it).
    if (own == 0) {
      s.handler = nullptr;
      s.filter = nullptr;
    }
    return true;
  }

  // ---- shutdown ----

  std::vector<SubscriberPtr> all_subscribers() const {
    std::shared_lock lock(subs_mu);
    std::vector<SubscriberPtr> out;
    out.reserve(by_sid.size());
    for (const auto& [sid, s] : by_sid)
      out.push_back(s);
    return out;
  }

  Status shutdown(std::chrono::milliseconds timeout) {
    if (stopping.exchange(true, std::memory_order_acq_rel)) return Status::OK();
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    // Durable subscribers first: what they have not acked comes back after a
    // restart (at least once), so there is nothing to drain.
    std::unordered_map<SubscriptionId, std::unique_ptr<DurableSubscriber>> durable_subs;
    {
      std::unique_lock lock(subs_mu);
      durable_subs.swap(durables);
      for (const auto& [sid, ds] : durable_subs)
        by_name.erase(ds->id);
    }
    for (auto& [sid, ds] : durable_subs)
      retire(std::move(ds));
    {
      std::lock_guard lock(retired_mu);
      for (auto& ds : retired_durables)
        ds->join();
    }
    auto subs = all_subscribers();
    // Retries waiting on a timer are not worth waiting for: fire them now,
    // their handlers dead-letter the events ("shutdown before retry").
    for (auto& s : subs) {
      std::lock_guard lock(s->timers_mu);
      for (auto& [key, timer] : s->timers)
        timer->cancel();
    }
    {
      std::unique_lock lock(drain_mu);
      drained.wait_until(lock, deadline, [&] {
        if (pending_retries.load(std::memory_order_acquire) != 0) return false;
        for (const auto& s : subs)
          if (s->queue.size() != 0) return false;
        return true;
      });
    }
    size_t left = 0, busy = 0;
    for (auto& s : subs)
      left += s->queue.size();
    for (auto& s : subs) {
      // Handlers still running past the deadline are left to finish on their
      // own (the destructor waits for them); nothing new starts.
      if (!close(*s, true, deadline)) {
        ++busy;
        std::lock_guard lock(drain_mu);
        still_running.push_back(s);
      }
    }
    requests.fail_all(Status::Unavailable("request: the bus shut down before a reply"));
    if (left > 0)
      log->warn("bus shut down with {} undelivered event{} (dead-lettered)", left,
                left == 1 ? "" : "s");
    if (busy > 0)
      log->warn("bus shut down with {} handler{} still running past the deadline", busy,
                busy == 1 ? "" : "s");
    return Status::OK();
  }
};

// ---- EventBus ----

EventBus::EventBus(asio::io_context& io, const BusOptions& options,
                   std::unique_ptr<DeadLetterStore> dead_letters)
    : impl_(std::make_shared<Impl>(io, options, std::move(dead_letters))) {}

EventBus::~EventBus() {
  (void)impl_->shutdown(impl_->options.shutdown_timeout);
  impl_->wait_for_running_handlers();
}

Result<SubscriptionId> EventBus::subscribe(std::string_view pattern, Handler handler,
                                           SubscribeOptions options) {
  return impl_->subscribe({std::string(pattern)}, std::move(handler), std::move(options));
}

Result<SubscriptionId> EventBus::subscribe(const std::vector<std::string>& patterns,
                                           Handler handler, SubscribeOptions options) {
  return impl_->subscribe(patterns, std::move(handler), std::move(options));
}

Status EventBus::unsubscribe(SubscriptionId id) {
  return impl_->unsubscribe(id);
}

Status EventBus::publish(const EventPtr& event) {
  return impl_->publish(event);
}

Status EventBus::publish_batch(std::span<const EventPtr> events) {
  Status first;
  for (const EventPtr& e : events) {
    Status s = impl_->publish(e);
    if (!s.ok() && first.ok()) first = std::move(s);
  }
  return first;
}

void EventBus::publish_async(const EventPtr& event, std::function<void(const Status&)> done) {
  impl_->publish_async(event, std::move(done));
}

Status EventBus::set_durable_log(std::shared_ptr<DurableLog> log,
                                 std::vector<std::string> persist) {
  return impl_->set_durable_log(std::move(log), std::move(persist));
}

Result<SubscriptionId> EventBus::subscribe_durable(std::string_view group, std::string_view pattern,
                                                   Handler handler, DurableOptions options) {
  return impl_->subscribe_durable(group, pattern, std::move(handler), std::move(options));
}

void EventBus::request(EventPtr request, std::chrono::milliseconds timeout, ReplyCallback done) {
  impl_->request(std::move(request), timeout, std::move(done));
}

std::future<Result<EventPtr>> EventBus::request(EventPtr request,
                                                std::chrono::milliseconds timeout) {
  auto promise = std::make_shared<std::promise<Result<EventPtr>>>();
  auto fut = promise->get_future();
  impl_->request(std::move(request), timeout,
                 [promise](Result<EventPtr> r) { promise->set_value(std::move(r)); });
  return fut;
}

Status EventBus::reply(const Event& request, EventBuilder reply) {
  reply.caused_by(request).target(request.source()).metadata(kReplyMetadataKey, "true");
  CHORUS_ASSIGN_OR_RETURN(EventPtr ev, reply.build());
  return impl_->publish(std::move(ev));
}

bool EventBus::is_reply(const Event& e) noexcept {
  if (e.metadata().empty() || e.causation_id().empty()) return false;
  auto v = e.find_metadata(kReplyMetadataKey);
  return v && *v == "true";
}

void EventBus::add_before_publish(std::string name, BeforePublishHook hook) {
  impl_->update_chains(
      [&](Impl::Chains& c) { c.before.emplace_back(std::move(name), std::move(hook)); });
}

void EventBus::add_around_deliver(std::string name, AroundDeliverHook hook) {
  impl_->update_chains(
      [&](Impl::Chains& c) { c.around.emplace_back(std::move(name), std::move(hook)); });
}

DeadLetterStore& EventBus::dead_letters() {
  return *impl_->dead;
}

Status EventBus::replay_dead_letter(uint64_t id, ReplayTarget target) {
  auto dl = impl_->dead->get(id);
  if (!dl) return Status::NotFound(fmt::format("dead letter {} does not exist", id));
  if (target == ReplayTarget::kRepublish) {
    CHORUS_RETURN_IF_ERROR(impl_->publish(dl->event));
    impl_->dead->take(id);
    return Status::OK();
  }
  SubscriberPtr s;
  {
    std::shared_lock lock(impl_->subs_mu);
    auto it = impl_->by_name.find(dl->subscriber_id);
    if (it != impl_->by_name.end()) {
      // A durable subscription's name maps to no bus subscriber (by_sid):
      // its failures are its consumer group's, not replayable here.
      auto sub = impl_->by_sid.find(it->second);
      if (sub != impl_->by_sid.end()) s = sub->second;
    }
  }
  if (!s)
    return Status::NotFound(
        fmt::format("dead letter {}: subscriber '{}' is gone", id, dl->subscriber_id));
  if (impl_->stopping.load()) return Status::Unavailable("replay: the bus is shutting down");
  CHORUS_RETURN_IF_ERROR(impl_->offer(*s, dl->event, false));
  impl_->dead->take(id);
  return Status::OK();
}

Status EventBus::drop_dead_letter(uint64_t id) {
  if (!impl_->dead->take(id))
    return Status::NotFound(fmt::format("dead letter {} does not exist", id));
  return Status::OK();
}

BusStats EventBus::stats() const {
  const Impl& m = *impl_;
  BusStats out;
  out.publish_errors = m.publish_errors.load();
  out.dead_letters = m.dead->size();
  out.dead_letters_evicted = m.dead->evicted();
  out.requests_pending = impl_->requests.size();
  out.replies_late = m.replies_late.load();
  {
    std::lock_guard lock(impl_->caches_mu);
    for (const auto& c : m.caches) {
      out.match_cache_hits += c->hits.load(std::memory_order_relaxed);
      out.match_cache_misses += c->misses.load(std::memory_order_relaxed);
    }
  }
  {
    std::lock_guard lock(impl_->topics_mu);
    for (const auto& [name, c] : m.topics)
      out.topics.push_back({name, c->published.load(), c->no_subscribers.load()});
    if (m.other_topics.published.load() > 0)
      out.topics.push_back({m.other_topics.topic, m.other_topics.published.load(),
                            m.other_topics.no_subscribers.load()});
  }
  std::sort(out.topics.begin(), out.topics.end(),
            [](const TopicStats& a, const TopicStats& b) { return a.topic < b.topic; });
  for (const TopicStats& t : out.topics) {
    out.published += t.published;
    out.no_subscribers += t.no_subscribers;
  }
  std::array<uint64_t, LatencyHistogram::kBuckets> totals{};
  uint64_t sum = 0, max = 0;
  auto subs = m.all_subscribers();
  std::sort(subs.begin(), subs.end(), [](const auto& a, const auto& b) { return a->sid < b->sid; });
  for (const auto& s : subs) {
    SubscriberStats st;
    st.subscription = s->sid;
    st.id = s->id;
    st.patterns = s->patterns;
    st.queue_group = s->group;
    st.mode = s->mode;
    st.delivered = s->delivered.load();
    st.filtered = s->filtered.load();
    st.failed = s->failed.load();
    st.retried = s->retried.load();
    st.dead_lettered = s->dead_lettered.load();
    st.dropped = s->dropped.load();
    st.rejected = s->rejected.load();
    st.queue_depth = s->queue.size();
    st.queue_bound = s->queue.bound();
    st.breaker_state = std::string(breaker_state_name(s->breaker.state()));
    if (const LatencyHistogram* h = s->latency.load(std::memory_order_acquire)) {
      st.latency = h->summary();
      h->add_to(totals, sum, max);
    }
    out.subscribers.push_back(std::move(st));
  }
  {
    std::shared_lock lock(impl_->subs_mu);
    std::vector<const DurableSubscriber*> ds;
    for (const auto& [sid, d] : m.durables)
      ds.push_back(d.get());
    std::sort(ds.begin(), ds.end(), [](auto* a, auto* b) { return a->sid < b->sid; });
    for (const DurableSubscriber* d : ds) {
      SubscriberStats st;
      st.subscription = d->sid;
      st.id = d->id;
      st.patterns = {d->pattern};
      st.queue_group = d->group;
      st.durable = true;
      st.delivered = d->delivered.load();
      st.failed = d->failed.load();
      st.breaker_state = "closed";
      out.subscribers.push_back(std::move(st));
    }
    out.subscriptions = subs.size() + ds.size();
  }
  out.persisted = m.persisted.load();
  out.persist_duplicates = m.persist_duplicates.load();
  out.latency = LatencyHistogram::summarize(totals, sum, max);
  return out;
}

size_t EventBus::count_matching(const Event& e) {
  return impl_->with_match(
      e, [](const MatchResult& r) -> size_t { return r.subs.size() + r.groups.size(); });
}

Status EventBus::shutdown(std::optional<std::chrono::milliseconds> timeout) {
  return impl_->shutdown(timeout.value_or(impl_->options.shutdown_timeout));
}

bool EventBus::stopping() const noexcept {
  return impl_->stopping.load(std::memory_order_acquire);
}

}  // namespace chorus::bus
