// EventBus: in-process publish/subscribe with topic patterns, priorities,
// per-subscriber strands, request/reply, retries, dead letters, circuit
// breakers and backpressure. docs/bus.md describes the semantics; this header
// is the contract.
//
// Delivery
//  - A subscription has one or more patterns (`*` one segment, `**` one or
//    more trailing segments) and an optional filter run after the topic
//    matches, on the publisher's thread (so it must be thread-safe and cheap).
//  - Async subscribers (the default) get events through a bounded queue and
//    run on their own Asio strand: one subscriber never runs concurrently with
//    itself and sees events in publish order within a priority; queued events
//    of higher priority are delivered first. Inline subscribers run on the
//    publisher's thread during publish() (for cheap, non-blocking handlers;
//    they may run concurrently from several publishers).
//  - Delivery is at most once per subscription for the first attempt; a
//    failed handler (error Status or any exception) is retried per its retry
//    policy (retries may overtake later events), then dead-lettered.
//  - An event with a `target` goes only to the subscriber whose id equals the
//    target, and to subscriptions with observe_all (taps such as `tail`).
//  - Queue groups: subscriptions sharing a group name share the events that
//    match them: each event goes to one member, round robin.
//
// Threading: every member function is thread-safe. Handlers may publish,
// subscribe and unsubscribe (also themselves). When unsubscribe() returns,
// that subscription's handler will never be called again.
//
// Lifetime: the io_context must outlive the bus. shutdown() (also run by the
// destructor) stops publishing, drains queues up to a deadline and
// dead-letters whatever is left.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bus/bus_options.h"
#include "bus/dead_letters.h"
#include "bus/durable_log.h"
#include "bus/latency_histogram.h"
#include "core/event.h"
#include "core/status.h"

namespace boost::asio {
class io_context;
}

namespace chorus::bus {

// Returns OK, or an error that counts as a failed delivery.
using Handler = std::function<Status(const EventPtr& event)>;
// True to deliver. Runs on the publisher's thread after the topic matched.
using Filter = std::function<bool(const Event& event)>;

enum class DeliveryMode { kAsync, kInline };

struct SubscribeOptions {
  std::string subscriber_id;  // unique per bus; default "sub-<n>"
  Filter filter;
  DeliveryMode mode = DeliveryMode::kAsync;
  std::string queue_group;  // non-empty: share events with the group's other members
  // A tap: also receives events whose target is another subscriber, and
  // never counts as taking an event (BusStats::no_subscribers).
  bool observe_all = false;
  // Unset: the bus's defaults (BusOptions).
  std::optional<size_t> queue_bound;
  std::optional<OverflowPolicy> overflow;
  std::optional<std::chrono::milliseconds> block_timeout;
  std::optional<RetryPolicy> retry;
  std::optional<BreakerPolicy> breaker;
};

using SubscriptionId = uint64_t;

// Middleware. A before-publish hook may reject the event (the publisher gets
// the Status) or replace it (e.g. add tracing metadata).
using BeforePublishHook = std::function<Status(EventPtr& event)>;
struct DeliveryInfo {
  std::string_view subscriber_id;
  uint32_t attempt;  // 1 for the first delivery
};
// An around-deliver hook wraps each handler call; it must call next() to
// deliver (or return an error without calling it to fail the delivery).
using AroundDeliverHook = std::function<Status(const EventPtr& event, const DeliveryInfo& info,
                                               const std::function<Status()>& next)>;

// Completion of a request: the reply event, or Timeout / NoResponders /
// Unavailable (bus shutting down) / the publish error.
using ReplyCallback = std::function<void(Result<EventPtr> reply)>;

// Metadata key that marks a reply (value "true"); see EventBus::reply().
inline constexpr std::string_view kReplyMetadataKey = "chorusreply";

struct SubscriberStats {
  SubscriptionId subscription = 0;
  std::string id;
  std::vector<std::string> patterns;
  std::string queue_group;
  DeliveryMode mode = DeliveryMode::kAsync;
  uint64_t delivered = 0;  // handler calls that succeeded
  uint64_t filtered = 0;   // matched, but the filter said no
  uint64_t failed = 0;     // handler calls that failed (each attempt)
  uint64_t retried = 0;    // retries scheduled
  uint64_t dead_lettered = 0;
  uint64_t dropped = 0;   // overflow drops, and events queued at unsubscribe
  uint64_t rejected = 0;  // overflow rejects and block timeouts (publisher told)
  size_t queue_depth = 0;
  size_t queue_bound = 0;
  std::string breaker_state;  // closed, open, half_open
  LatencySummary latency;     // publish-to-handler, async deliveries
  bool durable = false;       // a durable subscription (queue_group is its consumer group)
};

struct TopicStats {
  std::string topic;  // "(other)" collects topics beyond the tracked maximum
  uint64_t published = 0;
  uint64_t no_subscribers = 0;
};

struct BusStats {
  uint64_t published = 0;
  // Published events that no subscriber took: none that is not a tap
  // (observe_all) accepted it, filter included (docs/bus.md, "No subscriber").
  uint64_t no_subscribers = 0;
  uint64_t publish_errors = 0;  // publishes that returned an error
  uint64_t dead_letters = 0;    // currently stored
  uint64_t dead_letters_evicted = 0;
  uint64_t requests_pending = 0;
  uint64_t replies_late = 0;        // replies that matched no waiting request (late, or not ours)
  uint64_t persisted = 0;           // publishes appended to the durable log
  uint64_t persist_duplicates = 0;  // ... whose id was already stored (not delivered again)
  uint64_t match_cache_hits = 0, match_cache_misses = 0;
  size_t subscriptions = 0;
  LatencySummary latency;  // all async deliveries
  std::vector<TopicStats> topics;
  std::vector<SubscriberStats> subscribers;
};

// Options of a durable subscription (subscribe_durable).
struct DurableOptions {
  std::string subscriber_id;  // unique per bus; default "durable-<n>"
  std::string consumer;       // this member's name in the group; default: the subscriber id
  size_t batch = 256;         // messages fetched per read
  // How long one read waits for new messages; also bounds how long
  // unsubscribe() waits for the reader to notice.
  std::chrono::milliseconds poll{200};
  // A new group starts after the last stored event unless this is set (then
  // at the first); an existing group always resumes where it was.
  bool from_beginning = false;
};

enum class ReplayTarget {
  kOriginalSubscriber,  // queue it for the subscriber that failed it (fresh attempts)
  kRepublish,           // publish it again to every current subscriber
};

class EventBus {
 public:
  // Async deliveries, retries and timeouts run on `io`. `dead_letters`
  // replaces the in-memory store (capacity from options) when given.
  // The destructor shuts the bus down (see shutdown()); no other thread may
  // still be inside a call on the bus when it runs (an io thread that is
  // returning from publish() counts: stop or join it first).
  explicit EventBus(boost::asio::io_context& io, const BusOptions& options = {},
                    std::unique_ptr<DeadLetterStore> dead_letters = nullptr);
  ~EventBus();
  EventBus(const EventBus&) = delete;
  EventBus& operator=(const EventBus&) = delete;

  // InvalidArgument for a bad pattern/option (naming it), AlreadyExists for a
  // subscriber id in use, Unavailable while shutting down.
  Result<SubscriptionId> subscribe(std::string_view pattern, Handler handler,
                                   SubscribeOptions options = {});
  Result<SubscriptionId> subscribe(const std::vector<std::string>& patterns, Handler handler,
                                   SubscribeOptions options = {});
  // When this returns, the handler will never be called again. Events still
  // queued for it are dropped (counted). NotFound for an unknown id.
  Status unsubscribe(SubscriptionId id);

  // Hands `event` to every matching subscriber. OK also when nothing matched
  // (counted). Errors: Unavailable while shutting down, a before-publish
  // hook's rejection, ResourceExhausted / Timeout when a subscriber's full
  // queue rejected it (the others still got it).
  Status publish(const EventPtr& event);
  // Publishes in order; returns the first error (the rest are still tried).
  Status publish_batch(std::span<const EventPtr> events);
  // publish() without waiting: `done` gets what publish() would return. For
  // a persistent type it runs after the commit met the durability policy and
  // the event was handed to subscribers (on an io thread); otherwise at once.
  void publish_async(const EventPtr& event, std::function<void(const Status&)> done);

  // Delivers an event the caller has already stored (the workflow engine
  // writes a published event together with its history record in one store
  // transaction): like publish(), but never appended to the durable log,
  // also when its type is persistent, and without the before-publish hooks
  // (the delivered event must be the stored one). Durable subscriptions
  // read it from the store as usual. Errors as publish().
  Status deliver_stored(const EventPtr& event);

  // Durability (docs/bus.md "Persistent types and durable subscriptions").
  // Events whose type matches one of `persist` are appended to `log` before
  // they are delivered (in commit order); a publish then completes only after
  // its commit met the log's durability policy, and an event id already
  // stored is not delivered again. Call before publishing. InvalidArgument
  // for a bad pattern.
  Status set_durable_log(std::shared_ptr<DurableLog> log, std::vector<std::string> persist);
  // A durable subscription: a member of consumer group `group` over events
  // whose type matches `pattern`, read from the durable log on a thread of
  // its own (so the handler never runs concurrently with itself). A message
  // is acked after the handler succeeds and nacked (redelivered, and after
  // the group's max deliveries dead-lettered by the log) when it fails.
  // A handler that returns Cancelled is going away (its owner unsubscribes
  // next): that message and the rest of its batch are given back at once,
  // and the member reads nothing more until unsubscribed (or for `poll`).
  // At least once: a crash between handling and ack redelivers. Unsubscribe
  // with unsubscribe(); FailedPrecondition without a durable log.
  Result<SubscriptionId> subscribe_durable(std::string_view group, std::string_view pattern,
                                           Handler handler, DurableOptions options = {});

  // Publishes `request` and completes `done` with the first reply (an event
  // whose causation_id is the request's id and that carries
  // kReplyMetadataKey). NoResponders at once when no subscription matches the
  // request's type; Timeout at the deadline; later replies are ignored.
  // `done` runs on the thread that published the reply, or on an io thread.
  void request(EventPtr request, std::chrono::milliseconds timeout, ReplyCallback done);
  std::future<Result<EventPtr>> request(EventPtr request, std::chrono::milliseconds timeout);
  // Publishes `reply` as the reply to `request`: causation and correlation
  // set from it, target = the request's source, marked as a reply.
  Status reply(const Event& request, EventBuilder reply);
  static bool is_reply(const Event& e) noexcept;

  void add_before_publish(std::string name, BeforePublishHook hook);
  void add_around_deliver(std::string name, AroundDeliverHook hook);

  DeadLetterStore& dead_letters();
  // NotFound for an unknown id or (kOriginalSubscriber) a subscriber that is
  // gone; on success the dead letter is removed.
  Status replay_dead_letter(uint64_t id, ReplayTarget target);
  Status drop_dead_letter(uint64_t id);

  BusStats stats() const;
  // How many subscriptions `e` would be offered to (groups count once),
  // through the same cached match as publish(). For diagnostics and tests.
  size_t count_matching(const Event& e);

  // Stops accepting publishes and subscriptions, lets queued events drain
  // until `timeout` (default: options.shutdown_timeout), then dead-letters
  // what is left (reason "shutdown") and fails pending requests. Idempotent.
  Status shutdown(std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  bool stopping() const noexcept;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace chorus::bus
