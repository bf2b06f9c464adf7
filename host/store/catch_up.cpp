// Catch-up subscriptions: history from the store, then live commits, with
// the hand-over described in catch_up.h.
#include "store/catch_up.h"

#include <fmt/core.h>

#include "core/log.h"
#include "core/text.h"
#include "store/internal/env.h"
#include "store/internal/reader.h"
#include "store/internal/writer.h"

namespace chorus::store {
namespace {

// Commits queued while the subscription is busy; beyond this it drops the
// queue and reads the missed events from the store instead.
constexpr size_t kMaxQueuedBatches = 1024;

}  // namespace

CatchUpSubscription::CatchUpSubscription(Env& env, Writer& writer, CatchUpOptions options)
    : env_(env), writer_(writer), options_(std::move(options)) {
  position_.store(options_.after, std::memory_order_release);
}

CatchUpSubscription::~CatchUpSubscription() {
  stop();
}

void CatchUpSubscription::start() {
  // The listener first: every commit from here on reaches the queue.
  listener_ = writer_.add_listener(
      [this](const std::shared_ptr<const CommittedBatch>& b) { on_commit(b); });
  thread_ = std::thread([this] { run(); });
}

void CatchUpSubscription::stop() {
  if (listener_) {
    writer_.remove_listener(listener_);
    listener_ = 0;
  }
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    if (thread_.get_id() == std::this_thread::get_id()) {
      thread_.detach();  // stop() from a handler: the thread ends on return
    } else {
      thread_.join();
    }
  }
}

void CatchUpSubscription::on_commit(const std::shared_ptr<const CommittedBatch>& batch) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    if (queue_.size() >= kMaxQueuedBatches) {
      queue_.clear();
      overflowed_ = true;
    } else {
      queue_.push_back(batch);
    }
  }
  cv_.notify_one();
}

void CatchUpSubscription::fail(const Status& s) {
  log::get("store")->error(
      "catch-up subscription{}: {}",
      options_.stream.empty() ? std::string() : fmt::format(" to '{}'", printable(options_.stream)),
      s.message());
  if (options_.on_error) options_.on_error(s);
}

bool CatchUpSubscription::deliver(const StoredEvent& e) {
  options_.on_event(e);
  position_.store(options_.stream.empty() ? e.seq : e.stream_version, std::memory_order_release);
  std::lock_guard lock(mu_);
  return !stopping_;
}

bool CatchUpSubscription::read_history(uint64_t upto) {
  Reader reader(env_);
  const bool whole_log = options_.stream.empty();
  for (;;) {
    const uint64_t from = position() + 1;
    auto page = whole_log ? reader.read_all(from, Direction::kForward, options_.page, upto)
                          : reader.read_stream(options_.stream, from, Direction::kForward,
                                               options_.page, upto);
    if (!page.ok()) {
      // A stream that does not exist yet has no history: go live.
      if (!whole_log && page.error().is(StatusCode::kNotFound)) return true;
      fail(page.error());
      return false;
    }
    for (const StoredEvent& e : page->events)
      if (!deliver(e)) return false;
    if (page->end) return true;
  }
}

void CatchUpSubscription::run() {
  if (!read_history(writer_.durable_seq())) return;
  live_.store(true, std::memory_order_release);
  if (options_.on_live) options_.on_live();
  const bool whole_log = options_.stream.empty();
  for (;;) {
    std::shared_ptr<const CommittedBatch> batch;
    bool overflowed = false;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || overflowed_ || !queue_.empty(); });
      if (stopping_) return;
      if (overflowed_) {
        overflowed = true;
        overflowed_ = false;
      } else {
        batch = std::move(queue_.front());
        queue_.pop_front();
      }
    }
    if (overflowed) {
      if (!read_history(writer_.durable_seq())) return;
      continue;
    }
    if (whole_log) {
      const uint64_t pos = position();
      if (batch->last_seq <= pos) continue;
      if (batch->first_seq > pos + 1 && !read_history(batch->first_seq - 1)) return;
      for (const StoredEvent& e : batch->events)
        if (e.seq > position() && !deliver(e)) return;
    } else {
      for (const StoredEvent& e : batch->events) {
        if (e.stream_version == 0 || e.event->stream() != options_.stream) continue;
        if (e.stream_version <= position()) continue;
        if (e.stream_version > position() + 1 && !read_history(e.seq - 1)) return;
        if (e.stream_version > position() && !deliver(e)) return;
      }
    }
  }
}

}  // namespace chorus::store
