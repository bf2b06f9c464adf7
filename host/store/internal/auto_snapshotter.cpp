// Automatic snapshots: jobs queued from commit notifications, taken on one
// background thread (auto_snapshotter.h).
#include "store/internal/auto_snapshotter.h"

#include <algorithm>

#include "core/text.h"
#include "store/internal/log.h"
#include "store/internal/snapshots.h"
#include "store/internal/writer.h"
#include "store/names.h"

namespace chorus::store {

AutoSnapshotter::AutoSnapshotter(Env& env, Writer& writer) : env_(env), writer_(writer) {
  listener_ = writer_.add_listener(
      [this](const std::shared_ptr<const CommittedBatch>& b) { on_commit(b); });
  thread_ = std::thread([this] { run(); });
}

AutoSnapshotter::~AutoSnapshotter() {
  stop();
}

void AutoSnapshotter::add_rule(std::string glob, uint64_t every, Fold fold) {
  std::lock_guard lock(mu_);
  rules_.push_back(Rule{std::move(glob), std::max<uint64_t>(every, 1), std::move(fold)});
}

void AutoSnapshotter::stop() {
  if (listener_) {
    writer_.remove_listener(listener_);
    listener_ = 0;
  }
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void AutoSnapshotter::drain() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return (jobs_.empty() && !busy_) || stopping_; });
}

void AutoSnapshotter::on_commit(const std::shared_ptr<const CommittedBatch>& batch) {
  std::lock_guard lock(mu_);
  if (rules_.empty()) return;
  bool added = false;
  for (const StoredEvent& e : batch->events) {
    if (e.stream_version == 0) continue;
    for (size_t r = 0; r < rules_.size(); ++r) {
      if (e.stream_version % rules_[r].every != 0) continue;
      if (!glob_match(rules_[r].glob, e.event->stream())) continue;
      jobs_.push_back(Job{std::string(e.event->stream()), e.stream_version, r});
      added = true;
      break;
    }
  }
  if (added) cv_.notify_all();
}

void AutoSnapshotter::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
    if (stopping_) return;
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    Fold fold = rules_[job.rule].fold;
    busy_ = true;
    lock.unlock();
    Status s;
    auto state = state_as_of(env_, job.stream, job.version, fold);
    if (!state.ok()) {
      s = state.error();
    } else if (state->events_folded > 0) {
      SaveSnapshotOp op(job.stream, job.version, std::move(state->state));
      writer_.submit(&op);
      s = op.wait();
    }
    if (!s.ok())
      store_log()->warn("automatic snapshot of '{}' at version {}: {}", printable(job.stream),
                        job.version, s.message());
    lock.lock();
    busy_ = false;
    cv_.notify_all();
  }
}

}  // namespace chorus::store
