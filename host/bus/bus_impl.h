// EventBus::Impl: the state behind the EventBus facade and the functions
// that work on it, private to host/bus. The functions are grouped by concern
// and each group is defined in its own file:
//
//   event_bus.cpp       the facade (forwards here) and construction
//   subscriptions.cpp   subscribe, unsubscribe, close; the table, trie and snapshot
//   matching.cpp        per-thread match caches, match results, per-topic counters
//   dispatch.cpp        the publish path: checks, routing, fan-out, the
//                       no_subscribers rule, filters, offer to a subscriber
//   delivery.cpp        one handler call: guard, around hooks, breaker, outcome
//   drain_retry.cpp     async drains on subscriber strands, retry timers
//   dead_lettering.cpp  recording, replaying and dropping dead letters
//   middleware.cpp      the before-publish and around-deliver chains
//   persistence.cpp     the durable log: persistent types, durable subscribers
//   request_reply.cpp   requests waiting for their reply
//   stats.cpp           stats()
//   shutdown.cpp        shutdown and the destructor's wait for busy handlers
//
// Threading and lock order: host/bus/README.md. Asynchronous work (drains,
// timers, persist callbacks) holds a shared_ptr to the Impl, so the Impl
// outlives it even after the EventBus is gone.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "bus/durable_subscriber.h"
#include "bus/event_bus.h"
#include "bus/match_cache.h"
#include "bus/request_table.h"
#include "bus/subscriber.h"
#include "bus/topic_trie.h"
#include "core/hash.h"

namespace chorus::bus {

// Steady-clock nanoseconds (queue times, breaker times).
inline int64_t steady_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Empty when `id` may name a subscriber (it may be an event's `target`),
// else what is wrong with it. (subscriptions.cpp)
std::string check_subscriber_id(std::string_view id);

// How many handler calls of `s` the calling thread is inside, so that a
// handler that unsubscribes (itself or a caller up its stack) does not wait
// for its own call. (delivery.cpp)
uint32_t own_calls(const Subscriber* s);

// Gives a match result nobody else holds back to this thread's spare, so
// the next cache miss refills it instead of allocating. (matching.cpp)
void recycle_result(std::shared_ptr<const MatchResult>&& r);

// What close() does with the events still queued for the subscriber.
enum class QueuedOnClose {
  kDrop,        // unsubscribe: dropped (counted)
  kDeadLetter,  // shutdown: dead-lettered, reason "shutdown: ..."
};

struct EventBus::Impl : std::enable_shared_from_this<EventBus::Impl> {
  Impl(boost::asio::io_context& io, const BusOptions& options,
       std::unique_ptr<DeadLetterStore> dead_letters);

  boost::asio::io_context& io;
  const BusOptions options;
  std::unique_ptr<DeadLetterStore> dead_letters;
  const uint64_t bus_id;  // never reused: keys this bus's per-thread caches
  std::atomic<bool> stopping{false};

  // ---- subscriptions (subscriptions.cpp) ----
  // The table and trie change under subs_mu (exclusive); cache misses read
  // them under it (shared).
  mutable std::shared_mutex subs_mu;
  std::unordered_map<SubscriptionId, SubscriberPtr> by_sid;
  std::unordered_map<std::string, SubscriptionId> by_name;  // bus and durable subscribers
  TopicTrie<Subscriber> trie;
  // Keeps every subscriber a match result may name alive (match_cache.h).
  std::shared_ptr<const SubscriberSet> live_set = std::make_shared<SubscriberSet>();
  // Bumped on every change a match result depends on: cached results of an
  // older generation are recomputed.
  std::atomic<uint64_t> generation{1};
  size_t unsubscribed_in_set = 0;  // unsubscribed subscribers still held by live_set
  SubscriptionId next_sid = 1;
  std::map<std::string, std::unique_ptr<std::atomic<uint64_t>>, std::less<>> group_counters;

  Result<SubscriptionId> subscribe(const std::vector<std::string>& patterns, Handler handler,
                                   SubscribeOptions o);
  Status unsubscribe(SubscriptionId sid);
  // Stops `s` for good: its queue is emptied (per `queued`), its retry
  // timers cancelled, then the calls in progress are waited for, until
  // `deadline`. When this returns true, no handler call is in progress or
  // will start (except the calling thread's own, when called from inside the
  // handler).
  bool close(Subscriber& s, QueuedOnClose queued,
             std::chrono::steady_clock::time_point deadline =
                 std::chrono::steady_clock::time_point::max());
  std::vector<SubscriberPtr> all_subscribers() const;
  // The bus subscriber named `id` (not a durable one), or null.
  SubscriberPtr find_subscriber(const std::string& id) const;
  // REQUIRES: subs_mu held exclusively.
  void add_to_live_set(const SubscriberPtr& s);
  void remove_from_live_set();

  // ---- matching (matching.cpp) ----
  struct TopicHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return hash_bytes(s); }
  };
  mutable std::mutex topics_mu;  // per-topic counters (bounded)
  std::unordered_map<std::string, std::unique_ptr<TopicCounters>, TopicHash, std::equal_to<>>
      topics;
  TopicCounters other_topics{"(other)"};
  mutable std::mutex caches_mu;  // the per-thread caches, owned here
  std::vector<std::unique_ptr<ThreadMatchCache>> caches;

  // This thread's cache for this bus (made on first use); null when
  // options.match_cache_size is 0.
  ThreadMatchCache* thread_cache();
  TopicCounters* counters_for(std::string_view type);
  // REQUIRES: subs_mu held (shared or exclusive).
  std::shared_ptr<MatchResult> compute_match(std::string_view type);
  // The match result for `ev`'s type. `hold` keeps a result alive that is
  // not owned by the cache.
  const MatchResult* lookup(const Event& ev, ThreadMatchCache* cache,
                            std::shared_ptr<const MatchResult>& hold);
  size_t count_matching(const Event& ev);

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

  // ---- publishing (dispatch.cpp) ----
  // (published and no_subscribers are the sums of the per-topic counters)
  std::atomic<uint64_t> publish_errors{0};

  Status publish(const EventPtr& original);
  Status publish_batch(std::span<const EventPtr> events);
  // What every publish checks first (inline: it is on every publish; the
  // refusal is built out of line).
  Status check_publishable(const EventPtr& ev) const {
    if (ev && !stopping.load(std::memory_order_acquire)) [[likely]]
      return Status::OK();
    return refuse_publish(ev);
  }
  Status refuse_publish(const EventPtr& ev) const;
  // A persistent type is appended first, delivered only once stored.
  Status route(const EventPtr& ev);
  // Hands `ev` to every subscriber that takes it; counts it per topic.
  Status dispatch(const EventPtr& ev);
  // Runs the filter inside the subscriber's guard: close() releases it, so
  // it must not be running then. A closed subscriber passes nothing.
  bool passes_filter(Subscriber& s, const Event& ev);
  // Hands `ev` to `s` (which accepted it): an inline call, or a push with
  // the overflow policy.
  Status offer(Subscriber& s, const EventPtr& ev);

  // ---- one handler call (delivery.cpp) ----
  // Delivers one event now: on the strand (async) or the publisher's thread
  // (inline); handles breaker, failure, retry and dead letter.
  void deliver_now(Subscriber& s, const EventPtr& ev, uint32_t attempt, int64_t enqueued_ns);
  // Publishes a breaker transition as system.breaker.<state>.
  void announce(const Subscriber& s, const CircuitBreaker::Transition& t);

  // ---- drains and retries (drain_retry.cpp) ----
  std::atomic<uint64_t> pending_retries{0};
  // Shutdown waits on `drained` for queues to empty and retries to finish.
  std::mutex drain_mu;
  std::condition_variable drained;

  void post_drain(const SubscriberPtr& s);
  void drain(const SubscriberPtr& s);
  void schedule_retry(const SubscriberPtr& s, QueuedEvent d);
  void on_retry_timer(const SubscriberPtr& s, uint64_t key, const QueuedEvent& d,
                      const boost::system::error_code& ec);
  // Wakes shutdown() when it is waiting.
  void notify_drained();

  // ---- dead letters (dead_lettering.cpp) ----
  void dead_letter(Subscriber& s, const EventPtr& ev, std::string reason, uint32_t attempts);
  Status replay_dead_letter(uint64_t id, ReplayTarget target);
  Status drop_dead_letter(uint64_t id);

  // ---- middleware (middleware.cpp) ----
  // Immutable snapshots, swapped on add; old ones kept until the bus goes
  // away (hooks are added at setup, rarely), so readers need no lock.
  struct Chains {
    std::vector<std::pair<std::string, BeforePublishHook>> before;
    std::vector<std::pair<std::string, AroundDeliverHook>> around;
  };
  std::mutex chains_mu;
  std::vector<std::unique_ptr<Chains>> chain_history;
  std::atomic<const Chains*> chains{nullptr};

  void add_before_publish(std::string name, BeforePublishHook hook);
  void add_around_deliver(std::string name, AroundDeliverHook hook);
  // Runs the before-publish hooks of `c` on `ev` (they may replace it); a
  // rejection counts as a publish error.
  Status run_before_hooks(const Chains& c, EventPtr& ev);

  // ---- persistence (persistence.cpp) ----
  // Set once before publishing (set_durable_log); read without the lock.
  std::shared_ptr<DurableLog> durable_log;
  std::vector<std::string> persist_patterns;  // under subs_mu
  // Whether persist_patterns has any: lets a publish skip the persistence
  // lookup when nothing is persistent.
  bool persist_any = false;
  Strand persist_strand;  // delivers asynchronously committed events in commit order
  std::unordered_map<SubscriptionId, std::unique_ptr<DurableSubscriber>>
      durable_subscribers;  // under subs_mu
  std::mutex retired_mu;
  // Durable subscribers that unsubscribed from inside their own handler:
  // joined at shutdown.
  std::vector<std::unique_ptr<DurableSubscriber>> retired_durable_subscribers;
  std::atomic<uint64_t> persisted{0}, persist_duplicates{0};

  Status set_durable_log(std::shared_ptr<DurableLog> log, std::vector<std::string> persist);
  bool is_persistent(const Event& ev);
  // After a persistent event's append: its error (with context), OK for an
  // id stored before (delivered then: an idempotent retry), else delivery.
  Status after_append(const EventPtr& ev, const Status& appended, bool duplicate);
  void publish_async(const EventPtr& original, std::function<void(const Status&)> done);
  Result<SubscriptionId> subscribe_durable(std::string_view group, std::string_view pattern,
                                           Handler handler, DurableOptions o);
  // Stops a durable subscriber taken out of the table.
  void retire(std::unique_ptr<DurableSubscriber> ds);

  // ---- request/reply (request_reply.cpp) ----
  RequestTable requests;
  std::atomic<uint64_t> replies_late{0};

  void request(EventPtr req, std::chrono::milliseconds timeout, ReplyCallback done);
  // Completes the request `ev` answers, or counts it as late.
  void complete_reply(const EventPtr& ev);
  bool has_responders(const Event& ev);

  // ---- stats (stats.cpp) ----
  BusStats stats() const;

  // ---- shutdown (shutdown.cpp) ----
  std::vector<SubscriberPtr> still_running;  // under drain_mu: busy past the shutdown deadline

  Status shutdown(std::chrono::milliseconds timeout);
  // For the destructor: the bus object is going away, so handlers that may
  // use it must have returned.
  void wait_for_running_handlers();
};

}  // namespace chorus::bus
