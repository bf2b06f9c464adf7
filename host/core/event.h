// The event envelope every subsystem shares, and the builder that makes one.
//
// An Event is immutable once built and shared by reference (EventPtr, an
// intrusive reference count): the bus hands the same object to every
// subscriber, the store encodes it, a plugin sees a view of it and may
// retain/release it. One allocation holds the header and every field's bytes,
// so building, copying a reference and freeing are cheap. Fields follow
// docs/event-format.md:
//
//   id              UUIDv7, time-ordered; the idempotency key in the store
//   type            the topic, validated by validate_topic()
//   source          producing agent, script or API client (required)
//   target          optional: a directed event for one agent
//   time_ns         nanoseconds since the Unix epoch, UTC
//   priority        critical=0, high=1, normal=2, low=3
//   correlation_id  optional: the operation this event belongs to
//   causation_id    optional: id of the event that caused this one
//   stream          optional: entity stream for event sourcing ("order-42")
//   data            bytes, with content_type ("application/json" by default)
//   metadata        small string map (userid, sessionid, traceparent, ...)
//
// Optional string fields are "absent" when empty. Accessors return views
// into the event, valid while a reference to it is held.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/status.h"
#include "core/uuid.h"

namespace chorus {

enum class Priority : uint8_t { kCritical = 0, kHigh = 1, kNormal = 2, kLow = 3 };
inline constexpr int kPriorityCount = 4;

// "critical", "high", "normal", "low".
std::string_view priority_name(Priority p) noexcept;
// Accepts the names above or the digits 0..3.
Result<Priority> parse_priority(std::string_view text);

// Limits checked by EventBuilder::build() (and so by every decoder).
inline constexpr size_t kMaxEventFieldBytes = 255;  // source, target, ids, stream, content type
inline constexpr size_t kMaxMetadataEntries = 64;
inline constexpr size_t kMaxMetadataKeyBytes = 64;  // [a-z0-9]+, CloudEvents attribute rules
inline constexpr size_t kMaxMetadataValueBytes = 4096;
inline constexpr size_t kMaxEventDataBytes = 64u << 20;  // 64 MiB hard limit
inline constexpr std::string_view kDefaultContentType = "application/json";

// Metadata keys may not reuse a name the CloudEvents mapping already gives a
// meaning (specversion, id, source, type, time, data, ...).
bool is_reserved_metadata_key(std::string_view key) noexcept;

class EventBuilder;
class EventPtr;
struct EventFields;

class Event {
 public:
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  const Uuid& id() const noexcept { return id_; }
  std::string_view type() const noexcept { return field(kType); }
  // hash_bytes(type()), computed once when the event is built.
  uint64_t type_hash() const noexcept { return type_hash_; }
  std::string_view source() const noexcept { return field(kSource); }
  std::string_view target() const noexcept { return field(kTarget); }
  int64_t time_ns() const noexcept { return time_ns_; }
  Priority priority() const noexcept { return priority_; }
  std::string_view correlation_id() const noexcept { return field(kCorrelationId); }
  std::string_view causation_id() const noexcept { return field(kCausationId); }
  std::string_view stream() const noexcept { return field(kStream); }
  std::string_view content_type() const noexcept { return field(kContentType); }
  std::string_view data() const noexcept { return field(kData); }

  // Metadata, sorted by key, keys unique. Iterates (key, value) pairs.
  class MetadataView {
   public:
    using value_type = std::pair<std::string_view, std::string_view>;
    class iterator {
     public:
      value_type operator*() const noexcept { return (*ev_).metadata_at(i_); }
      iterator& operator++() noexcept {
        ++i_;
        return *this;
      }
      bool operator==(const iterator& o) const noexcept { return i_ == o.i_; }
      bool operator!=(const iterator& o) const noexcept { return i_ != o.i_; }

     private:
      friend class MetadataView;
      iterator(const Event* ev, size_t i) : ev_(ev), i_(i) {}
      const Event* ev_;
      size_t i_;
    };
    size_t size() const noexcept { return ev_->md_count_; }
    bool empty() const noexcept { return ev_->md_count_ == 0; }
    value_type operator[](size_t i) const noexcept { return ev_->metadata_at(i); }
    iterator begin() const noexcept { return {ev_, 0}; }
    iterator end() const noexcept { return {ev_, ev_->md_count_}; }

   private:
    friend class Event;
    explicit MetadataView(const Event* ev) : ev_(ev) {}
    const Event* ev_;
  };
  MetadataView metadata() const noexcept { return MetadataView(this); }
  std::optional<std::string_view> find_metadata(std::string_view key) const noexcept;

  // Bytes held by this event (header and fields): for queue accounting.
  size_t memory_size() const noexcept;
  // References currently held (for tests and diagnostics).
  uint32_t ref_count() const noexcept { return refs_.load(std::memory_order_relaxed); }

  friend bool operator==(const Event& a, const Event& b) noexcept;

 private:
  friend class EventBuilder;
  friend class EventPtr;
  friend Result<EventPtr> make_event(const EventFields& fields);

  // Room for up to kMaxMetadataEntries metadata views without initialising
  // them all (callers fill only what they use).
  struct MetadataViews {
    using Entry = std::pair<std::string_view, std::string_view>;
    alignas(Entry) unsigned char storage[sizeof(Entry) * kMaxMetadataEntries];
    Entry* data() noexcept { return reinterpret_cast<Entry*>(storage); }
    Entry& operator[](size_t i) noexcept { return data()[i]; }
  };
  enum FieldIndex : uint8_t {
    kType,
    kSource,
    kTarget,
    kCorrelationId,
    kCausationId,
    kStream,
    kContentType,
    kData,
    kFieldCount
  };
  struct Span {
    uint32_t off, len;
  };
  Event() = default;

  std::string_view field(FieldIndex f) const noexcept {
    return {chars() + span_[f].off, span_[f].len};
  }
  // Metadata spans (key, value pairs) follow the header; then the bytes.
  const Span* md_spans() const noexcept { return reinterpret_cast<const Span*>(this + 1); }
  const char* chars() const noexcept {
    return reinterpret_cast<const char*>(md_spans() + 2 * md_count_);
  }
  std::pair<std::string_view, std::string_view> metadata_at(size_t i) const noexcept {
    const Span* s = md_spans() + 2 * i;
    return {{chars() + s[0].off, s[0].len}, {chars() + s[1].off, s[1].len}};
  }

  void retain() const noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release() const noexcept;

  mutable std::atomic<uint32_t> refs_{1};
  Priority priority_ = Priority::kNormal;
  uint8_t md_count_ = 0;
  uint32_t bytes_ = 0;  // size of the field bytes
  Uuid id_;
  int64_t time_ns_ = 0;
  uint64_t type_hash_ = 0;
  Span span_[kFieldCount] = {};
};

// A counted reference to an immutable Event. Copying costs one atomic
// increment; the event is freed with its last reference. Thread-safe like
// std::shared_ptr (distinct EventPtr objects may be used from any thread).
class EventPtr {
 public:
  EventPtr() noexcept = default;
  EventPtr(std::nullptr_t) noexcept {}  // NOLINT: implicit like a pointer
  EventPtr(const EventPtr& o) noexcept : p_(o.p_) {
    if (p_) p_->retain();
  }
  EventPtr(EventPtr&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  EventPtr& operator=(EventPtr o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  ~EventPtr() {
    if (p_) p_->release();
  }

  const Event* get() const noexcept { return p_; }
  const Event& operator*() const noexcept { return *p_; }
  const Event* operator->() const noexcept { return p_; }
  explicit operator bool() const noexcept { return p_ != nullptr; }
  uint32_t use_count() const noexcept { return p_ ? p_->ref_count() : 0; }

  // For the plugin C ABI: give away this reference as a raw pointer, and take
  // one back (adopt) or add one to a raw pointer (retain).
  const Event* release_raw() noexcept { return std::exchange(p_, nullptr); }
  static EventPtr adopt_raw(const Event* e) noexcept { return EventPtr(e); }
  static EventPtr retain_raw(const Event* e) noexcept {
    if (e) e->retain();
    return EventPtr(e);
  }

  friend bool operator==(const EventPtr& a, const EventPtr& b) noexcept { return a.p_ == b.p_; }
  friend bool operator==(const EventPtr& a, std::nullptr_t) noexcept { return a.p_ == nullptr; }

 private:
  explicit EventPtr(const Event* e) noexcept : p_(e) {}
  const Event* p_ = nullptr;
};

// Every field of an event as views, for code that already has the bytes
// (decoders). make_event() validates them like EventBuilder::build() and
// copies them into one new event.
struct EventFields {
  Uuid id;              // nil: a new UUIDv7
  int64_t time_ns = 0;  // 0: now
  Priority priority = Priority::kNormal;
  std::string_view type, source, target, correlation_id, causation_id, stream, content_type, data;
  const std::pair<std::string_view, std::string_view>* metadata = nullptr;
  size_t metadata_count = 0;
  bool metadata_sorted = false;  // keys already strictly ascending (skips a sort)
};
Result<EventPtr> make_event(const EventFields& fields);

// Room for up to kMaxMetadataEntries metadata views without initialising
// them all (callers fill only what they use).
struct MetadataViews {
  using Entry = std::pair<std::string_view, std::string_view>;
  alignas(Entry) unsigned char storage[sizeof(Entry) * kMaxMetadataEntries];
  Entry* data() noexcept { return reinterpret_cast<Entry*>(storage); }
  Entry& operator[](size_t i) noexcept { return data()[i]; }
};

// Builds validated events. Setters copy their argument, so temporaries are
// fine. Not thread-safe. build() leaves the builder unchanged: building again
// makes another event (with a fresh id and time unless those were set).
//
//   auto ev = EventBuilder("task.created").source("planner").data(R"({"id":1})").build();
class EventBuilder {
 public:
  EventBuilder() = default;
  explicit EventBuilder(std::string_view type) { type_(type); }
  EventBuilder(const EventBuilder& o) { *this = o; }
  EventBuilder& operator=(const EventBuilder& o);
  ~EventBuilder() = default;
  // Starts from a copy of every field of `e` (id and time included).
  static EventBuilder copy_of(const Event& e);

  EventBuilder& id(const Uuid& v) {
    id_ = v;
    return *this;
  }
  EventBuilder& type(std::string_view v) { return type_(v); }
  EventBuilder& source(std::string_view v) { return set(Event::kSource, v); }
  EventBuilder& target(std::string_view v) { return set(Event::kTarget, v); }
  EventBuilder& time_ns(int64_t v) {
    time_ns_ = v;
    return *this;
  }
  EventBuilder& priority(Priority v) {
    priority_ = v;
    return *this;
  }
  EventBuilder& correlation_id(std::string_view v) { return set(Event::kCorrelationId, v); }
  EventBuilder& causation_id(std::string_view v) { return set(Event::kCausationId, v); }
  EventBuilder& stream(std::string_view v) { return set(Event::kStream, v); }
  // Sets the payload; an empty content type means "application/json".
  EventBuilder& data(std::string_view bytes, std::string_view content_type = {});
  EventBuilder& content_type(std::string_view v) { return set(Event::kContentType, v); }
  // Adds or replaces one metadata entry.
  EventBuilder& metadata(std::string_view key, std::string_view value);
  // Marks this event as caused by `parent`: causation_id = parent.id, and the
  // correlation id is inherited (or, when the parent has none, the parent's
  // id, so that the whole chain shares one timeline).
  EventBuilder& caused_by(const Event& parent);

  // Validates and returns a new event; InvalidArgument names the field whose
  // value breaks a rule. Time and id are filled from one clock read when unset.
  Result<EventPtr> build() const;

 private:
  using Span = Event::Span;
  static constexpr size_t kInline = 512;

  EventBuilder& type_(std::string_view v) { return set(Event::kType, v); }
  EventBuilder& set(Event::FieldIndex f, std::string_view v) {
    span_[f] = append(v);
    return *this;
  }
  std::string_view view(Span s) const noexcept { return {buf() + s.off, s.len}; }
  Span append(std::string_view v);
  const char* buf() const noexcept { return heap_ ? heap_.get() : inline_; }
  char* buf() noexcept { return heap_ ? heap_.get() : inline_; }

  Uuid id_{};
  int64_t time_ns_ = 0;
  Priority priority_ = Priority::kNormal;
  Span span_[Event::kFieldCount] = {};
  uint32_t md_count_ = 0;
  struct MdSpan {
    Span key, value;
  };
  MdSpan md_[kMaxMetadataEntries];
  bool md_overflow_ = false;  // a 65th key was added: build() reports it
  // Field bytes: inline up to kInline, then on the heap.
  size_t size_ = 0, cap_ = kInline;
  std::unique_ptr<char[]> heap_;
  char inline_[kInline];
};

}  // namespace chorus
