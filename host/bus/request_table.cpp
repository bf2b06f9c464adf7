// RequestTable: add/complete/fail under one mutex; callbacks run unlocked.
#include "bus/request_table.h"

#include <vector>

namespace chorus::bus {

bool RequestTable::add(const Uuid& id, const ReplyCallback& done,
                       std::shared_ptr<boost::asio::steady_timer> timer) {
  std::lock_guard lock(mu_);
  auto [it, inserted] = pending_.try_emplace(id, Pending{done, std::move(timer)});
  if (inserted) count_.fetch_add(1, std::memory_order_acq_rel);
  return inserted;
}

bool RequestTable::complete(const Uuid& id, Result<EventPtr> result) {
  Pending p;
  {
    std::lock_guard lock(mu_);
    auto it = pending_.find(id);
    if (it == pending_.end()) return false;
    p = std::move(it->second);
    pending_.erase(it);
    count_.fetch_sub(1, std::memory_order_acq_rel);
  }
  if (p.timer) p.timer->cancel();
  p.done(std::move(result));
  return true;
}

void RequestTable::fail_all(const Status& status) {
  std::vector<Pending> all;
  {
    std::lock_guard lock(mu_);
    for (auto& [id, p] : pending_)
      all.push_back(std::move(p));
    pending_.clear();
    count_.store(0, std::memory_order_release);
  }
  for (auto& p : all) {
    if (p.timer) p.timer->cancel();
    p.done(status);
  }
}

}  // namespace chorus::bus
