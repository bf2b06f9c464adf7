// Sequence numbers of the API's persistent publishes (seq_tracker.h).
#include "api/seq_tracker.h"

#include "store/event_store.h"

namespace chorus::api {

SeqTracker::SeqTracker(store::EventStore& store) : store_(&store) {
  listener_ = store_->add_commit_listener(
      [this](const std::shared_ptr<const store::CommittedBatch>& batch) {
        if (expected_.load(std::memory_order_acquire) == 0) return;
        std::lock_guard l(mu_);
        for (const store::StoredEvent& e : batch->events) {
          auto it = slots_.find(e.event->id());
          if (it != slots_.end()) it->second.seq = e.seq;
        }
      });
}

SeqTracker::~SeqTracker() {
  stop();
}

void SeqTracker::stop() {
  std::lock_guard l(stop_mu_);
  if (!store_) return;
  store_->remove_commit_listener(listener_);
  store_ = nullptr;
}

void SeqTracker::expect(const Uuid& id) {
  std::lock_guard l(mu_);
  ++slots_[id].waiters;
  expected_.fetch_add(1, std::memory_order_release);
}

uint64_t SeqTracker::take(const Uuid& id) {
  std::lock_guard l(mu_);
  auto it = slots_.find(id);
  if (it == slots_.end()) return 0;
  const uint64_t seq = it->second.seq;
  if (--it->second.waiters == 0) slots_.erase(it);
  expected_.fetch_sub(1, std::memory_order_release);
  return seq;
}

}  // namespace chorus::api
