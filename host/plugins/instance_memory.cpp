// What an instance holds on the host's heap (instance.h): memory taken
// through mem_alloc (a 32-byte header links each block into the instance's
// list, so the count is exact and leftovers can be freed after destroy),
// and events it retained (a count per event). Both are reported per
// instance in stats and heartbeats, and cleaned up at unload.
#include <cstdlib>

#include <fmt/core.h>

#include "plugins/event_view.h"
#include "plugins/instance.h"
#include "plugins/plugins_log.h"

namespace chorus::plugins {

struct Instance::Block {
  Block* prev;
  Block* next;
  size_t size;
  uint64_t magic;  // kBlockMagic ^ the owner's address: catches a free by another instance
};

namespace {

constexpr uint64_t kBlockMagic = 0x63686f7275736d61ULL;  // "chorusma"
constexpr size_t kMaxAlloc = size_t{1} << 40;
// Retained-event counts at which a warning is logged: 1000, then each doubling.
constexpr uint64_t kRetainedWarnFirst = 1000;

}  // namespace

void* Instance::mem_alloc(size_t size) {
  static_assert(sizeof(Block) % 16 == 0, "blocks must keep 16-byte alignment");
  if (size > kMaxAlloc) return nullptr;
  auto* b = static_cast<Block*>(std::malloc(sizeof(Block) + size));  // 16-byte aligned
  if (!b) return nullptr;
  b->size = size;
  b->magic = kBlockMagic ^ reinterpret_cast<uintptr_t>(this);
  b->prev = nullptr;
  std::lock_guard l(mem_mu_);
  b->next = blocks_;
  if (blocks_) blocks_->prev = b;
  blocks_ = b;
  mem_bytes_ += size;
  ++mem_blocks_;
  return b + 1;
}

void Instance::mem_free(void* p) {
  if (!p) return;
  Block* b = static_cast<Block*>(p) - 1;
  if (b->magic != (kBlockMagic ^ reinterpret_cast<uintptr_t>(this))) {
    plugins_log().error(
        "{}: mem_free of a pointer that mem_alloc of this instance did not return "
        "(ignored)",
        name());
    return;
  }
  {
    std::lock_guard l(mem_mu_);
    if (b->prev)
      b->prev->next = b->next;
    else
      blocks_ = b->next;
    if (b->next) b->next->prev = b->prev;
    mem_bytes_ -= b->size;
    --mem_blocks_;
  }
  b->magic = 0;
  std::free(b);
}

chorus_event* Instance::retain(const Event* e) {
  if (!e) return nullptr;
  EventPtr::retain_raw(e).release_raw();  // the plugin's reference
  uint64_t count;
  {
    std::lock_guard t(table_mu_);
    ++retained_[e];
    count = retained_count_.fetch_add(1, std::memory_order_relaxed) + 1;
    if (count >= kRetainedWarnFirst && count >= 2 * retained_warned_) {
      retained_warned_ = count;
    } else {
      count = 0;
    }
  }
  if (count)
    plugins_log().warn(
        "{}: {} events retained and not released (each keeps its event in memory; "
        "give them back with event_release)",
        name(), count);
  return const_cast<chorus_event*>(to_handle(e));
}

void Instance::release(chorus_event* h) {
  const Event* e = from_handle(h);
  if (!e) return;
  {
    std::lock_guard t(table_mu_);
    auto it = retained_.find(e);
    if (it == retained_.end()) {
      plugins_log().error(
          "{}: event_release of an event it does not hold (released twice, or "
          "never retained): ignored",
          name());
      return;
    }
    if (--it->second == 0) retained_.erase(it);
    retained_count_.fetch_sub(1, std::memory_order_relaxed);
  }
  EventPtr::adopt_raw(e);  // drops the plugin's reference
}

void Instance::release_leftovers(UnloadReport& report) {
  std::unordered_map<const Event*, uint32_t> retained;
  {
    std::lock_guard t(table_mu_);
    retained.swap(retained_);
    retained_count_.store(0, std::memory_order_relaxed);
    subs_.clear();
    timers_.clear();
  }
  for (const auto& [e, n] : retained) {
    report.retained_released += n;
    for (uint32_t i = 0; i < n; ++i)
      EventPtr::adopt_raw(e);
  }
  std::lock_guard l(mem_mu_);
  while (blocks_) {
    Block* b = blocks_;
    blocks_ = b->next;
    report.leaked_bytes += b->size;
    ++report.leaked_blocks;
    std::free(b);
  }
  mem_bytes_ = mem_blocks_ = 0;
}

}  // namespace chorus::plugins
