// FilterPool: filter states for evaluating a script's functions on any thread.
#include "lua/filter_pool.h"

#include <array>
#include <chrono>

#include <fmt/core.h>

#include "lua/lua_log.h"

namespace chorus::lua {
namespace {

std::atomic<uint64_t> next_pool_id{1};

// This thread's filter states, by pool.
struct CachedState {
  uint64_t pool = 0;
  uint64_t generation = 0;
  std::shared_ptr<ScriptVersion> state;
};
thread_local std::array<CachedState, kThreadFilterStates> tls_states;
thread_local size_t tls_next = 0;

}  // namespace

FilterPool::FilterPool(std::string script)
    : script_(std::move(script)), id_(next_pool_id.fetch_add(1, std::memory_order_relaxed)) {}

void FilterPool::update(VersionSpec spec) {
  spec.mode = Mode::kFilter;
  auto s = std::make_shared<const VersionSpec>(std::move(spec));
  std::vector<std::shared_ptr<ScriptVersion>> old;
  {
    std::lock_guard lock(mu_);
    spec_ = std::move(s);
    generation_.fetch_add(1, std::memory_order_release);
    old.swap(idle_);
  }
  // `old` is destroyed here, outside the lock.
}

void FilterPool::clear() {
  std::vector<std::shared_ptr<ScriptVersion>> old;
  std::lock_guard lock(mu_);
  spec_.reset();
  generation_.fetch_add(1, std::memory_order_release);
  old.swap(idle_);
}

std::shared_ptr<ScriptVersion> FilterPool::take(uint64_t* generation, Status* error) {
  std::shared_ptr<const VersionSpec> spec;
  {
    std::lock_guard lock(mu_);
    if (!spec_) {
      *error = Status::Unavailable(fmt::format("script {} is not loaded", script_));
      return nullptr;
    }
    *generation = generation_.load(std::memory_order_relaxed);
    if (!idle_.empty()) {
      auto v = std::move(idle_.back());
      idle_.pop_back();
      return v;
    }
    spec = spec_;
  }
  LoadError e;
  auto v = ScriptVersion::load(*spec, {}, nullptr, &e);
  if (!v) *error = Status::FailedPrecondition(e.message);
  return v;
}

void FilterPool::give_back(std::shared_ptr<ScriptVersion> v, uint64_t generation) {
  std::lock_guard lock(mu_);
  if (generation == generation_ && idle_.size() < kMaxIdleFilterStates)
    idle_.push_back(std::move(v));
}

Result<bool> FilterPool::evaluate(const std::string& function, const Event& ev) {
  // The fast path: this thread's state for this pool, still current.
  const uint64_t current = generation_.load(std::memory_order_acquire);
  for (CachedState& c : tls_states) {
    if (c.pool != id_) continue;
    if (c.generation == current && c.state) return c.state->evaluate(function, ev);
    c = {};  // an older generation: freed
    break;
  }
  uint64_t gen = 0;
  Status error;
  auto v = take(&gen, &error);
  if (!v) return error;
  Result<bool> r = v->evaluate(function, ev);
  // Keep it for this thread; the state it replaces goes back to its pool.
  // (A state of another pool it replaces is freed: that pool may be gone.)
  CachedState& slot = tls_states[tls_next++ % tls_states.size()];
  slot = {id_, gen, std::move(v)};
  return r;
}

Status FilterPool::check(const std::string& function) {
  uint64_t gen = 0;
  Status error;
  auto v = take(&gen, &error);
  if (!v) return error;
  const bool ok = v->has_function(function);
  give_back(std::move(v), gen);
  if (!ok)
    return Status::NotFound(
        fmt::format("script {} defines no global function '{}'", script_, function));
  std::lock_guard lock(mu_);
  in_use_.insert(function);
  return Status::OK();
}

std::set<std::string> FilterPool::in_use() const {
  std::lock_guard lock(mu_);
  return in_use_;
}

namespace {

// Logs a failing filter at most once per window, with how often it failed.
class FilterErrors {
 public:
  void add(const std::string& who, const Status& error) {
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mu_);
    ++count_;
    if (now - last_ < std::chrono::seconds(10)) return;
    lua_log().error(
        "filter {} failed ({} time{} since the last report; the event is not "
        "delivered): {}",
        who, count_, count_ == 1 ? "" : "s", error.message());
    last_ = now;
    count_ = 0;
  }

 private:
  std::mutex mu_;
  std::chrono::steady_clock::time_point last_{};
  uint64_t count_ = 0;
};

}  // namespace

bus::Filter make_bus_filter(std::shared_ptr<FilterPool> pool, std::string function,
                            std::string who) {
  auto errors = std::make_shared<FilterErrors>();
  return [pool = std::move(pool), function = std::move(function), who = std::move(who),
          errors](const Event& ev) {
    Result<bool> r = pool->evaluate(function, ev);
    if (r.ok()) return *r;
    errors->add(who, r.error());
    return false;
  };
}

}  // namespace chorus::lua
