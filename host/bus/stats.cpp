// stats(): a snapshot of the bus's counters: totals summed from the
// per-topic counters, match-cache hits and misses from every thread's cache,
// and one entry per subscriber (bus subscribers, then durable ones) with
// the latency histograms merged into the bus-wide summary.
#include <algorithm>
#include <array>

#include "bus/bus_impl.h"

namespace chorus::bus {

namespace {

SubscriberStats stats_of(const Subscriber& s) {
  SubscriberStats st;
  st.subscription = s.sid;
  st.id = s.id;
  st.patterns = s.patterns;
  st.queue_group = s.group;
  st.mode = s.mode;
  st.delivered = s.delivered.load();
  st.filtered = s.filtered.load();
  st.failed = s.failed.load();
  st.retried = s.retried.load();
  st.dead_lettered = s.dead_lettered.load();
  st.dropped = s.dropped.load();
  st.rejected = s.rejected.load();
  st.queue_depth = s.queue.size();
  st.queue_bound = s.queue.bound();
  st.breaker_state = std::string(breaker_state_name(s.breaker.state()));
  return st;
}

SubscriberStats stats_of(const DurableSubscriber& d) {
  SubscriberStats st;
  st.subscription = d.sid;
  st.id = d.id;
  st.patterns = {d.pattern};
  st.queue_group = d.group;
  st.durable = true;
  st.delivered = d.delivered.load();
  st.failed = d.failed.load();
  st.breaker_state = "closed";
  return st;
}

}  // namespace

BusStats EventBus::Impl::stats() const {
  BusStats out;
  out.publish_errors = publish_errors.load();
  out.dead_letters = dead_letters->size();
  out.dead_letters_evicted = dead_letters->evicted();
  out.requests_pending = requests.size();
  out.replies_late = replies_late.load();
  {
    std::lock_guard lock(caches_mu);
    for (const auto& c : caches) {
      out.match_cache_hits += c->hits.load(std::memory_order_relaxed);
      out.match_cache_misses += c->misses.load(std::memory_order_relaxed);
    }
  }
  {
    std::lock_guard lock(topics_mu);
    for (const auto& [name, c] : topics)
      out.topics.push_back({name, c->published.load(), c->no_subscribers.load()});
    if (other_topics.published.load() > 0)
      out.topics.push_back(
          {other_topics.topic, other_topics.published.load(), other_topics.no_subscribers.load()});
  }
  std::sort(out.topics.begin(), out.topics.end(),
            [](const TopicStats& a, const TopicStats& b) { return a.topic < b.topic; });
  for (const TopicStats& t : out.topics) {
    out.published += t.published;
    out.no_subscribers += t.no_subscribers;
  }
  std::array<uint64_t, LatencyHistogram::kBuckets> totals{};
  uint64_t sum = 0, max = 0;
  auto subs = all_subscribers();
  std::sort(subs.begin(), subs.end(), [](const auto& a, const auto& b) { return a->sid < b->sid; });
  for (const auto& s : subs) {
    SubscriberStats st = stats_of(*s);
    if (const LatencyHistogram* h = s->latency.load(std::memory_order_acquire)) {
      st.latency = h->summary();
      h->add_to(totals, sum, max);
    }
    out.subscribers.push_back(std::move(st));
  }
  {
    std::shared_lock lock(subs_mu);
    std::vector<const DurableSubscriber*> ds;
    for (const auto& [sid, d] : durable_subscribers)
      ds.push_back(d.get());
    std::sort(ds.begin(), ds.end(), [](auto* a, auto* b) { return a->sid < b->sid; });
    for (const DurableSubscriber* d : ds)
      out.subscribers.push_back(stats_of(*d));
    out.subscriptions = subs.size() + ds.size();
  }
  out.persisted = persisted.load();
  out.persist_duplicates = persist_duplicates.load();
  out.latency = LatencyHistogram::summarize(totals, sum, max);
  return out;
}

}  // namespace chorus::bus
