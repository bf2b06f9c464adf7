// Events across the ABI: a chorus_event_view of an Event (views into it, no
// copy), the handle mapping (a chorus_event* is the Event*), and an Event
// from a chorus_publish (everything copied and validated, the source set to
// the instance's name).
#pragma once

#include <cstring>
#include <string_view>

#include "chorus/plugin.h"
#include "core/event.h"
#include "core/status.h"

namespace chorus::plugins {

inline const Event* from_handle(const chorus_event* h) noexcept {
  return reinterpret_cast<const Event*>(h);
}
inline const chorus_event* to_handle(const Event* e) noexcept {
  return reinterpret_cast<const chorus_event*>(e);
}
inline chorus_str to_str(std::string_view s) noexcept {
  return {s.data(), s.size()};
}

// Fills every field of `out` (the host's own struct; a plugin built for an
// older minor reads only the prefix it knows).
void fill_view(const Event& e, chorus_event_view& out) noexcept;

// Copies a plugin's struct of type T into a zero-filled host struct: only
// the bytes inside its struct_size; InvalidArgument when that is smaller
// than `min_size` (the ABI 1.0 size of T). `what` names T in messages.
template <typename T>
Status copy_in(const T* in, T& out, size_t min_size, std::string_view what);
Status struct_too_small(std::string_view what, uint32_t got, size_t min_size);

// A chorus_str as a view; InvalidArgument when data is NULL with len > 0.
Result<std::string_view> view_of(const chorus_str& s, std::string_view field);

// The event described by `p`, with source `source`. Errors name the field
// ("chorus_publish.type: ...").
Result<EventPtr> build_event(const chorus_publish& p, std::string_view source);
// The same for a reply: no target/causation/correlation (the bus sets them).
Result<EventBuilder> builder_of(const chorus_publish& p, std::string_view source);

// ---- inline ----

template <typename T>
Status copy_in(const T* in, T& out, size_t min_size, std::string_view what) {
  out = T{};
  if (!in) return Status::InvalidArgument(std::string(what) + " is NULL");
  const uint32_t size = in->struct_size;
  if (size < min_size) return struct_too_small(what, size, min_size);
  const size_t n = size < sizeof(T) ? size : sizeof(T);
  std::memcpy(static_cast<void*>(&out), in, n);
  return Status::OK();
}

}  // namespace chorus::plugins
