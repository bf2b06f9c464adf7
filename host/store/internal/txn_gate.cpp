// The shared/exclusive transaction gate (txn_gate.h).
#include "store/internal/txn_gate.h"

namespace chorus::store {

void TxnGate::enter_shared() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !exclusive_ && waiting_exclusive_ == 0; });
  ++active_;
}

void TxnGate::exit_shared() {
  std::lock_guard lock(mu_);
  if (--active_ == 0 && waiting_exclusive_ > 0) cv_.notify_all();
}

void TxnGate::enter_exclusive() {
  std::unique_lock lock(mu_);
  ++waiting_exclusive_;
  cv_.wait(lock, [&] { return active_ == 0 && !exclusive_; });
  --waiting_exclusive_;
  exclusive_ = true;
}

void TxnGate::exit_exclusive() {
  {
    std::lock_guard lock(mu_);
    exclusive_ = false;
  }
  cv_.notify_all();
}

}  // namespace chorus::store
