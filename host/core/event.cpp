// Event storage (one allocation: header, metadata spans, field bytes), the
// builder, and the validation rules of the envelope. Validators take a fast
// pass first and build a detailed message only when something is wrong.
#include "core/event.h"

#include <algorithm>
#include <cstring>
#include <new>

#include <fmt/core.h>

#include "core/clock.h"
#include "core/hash.h"
#include "core/text.h"
#include "core/topic.h"

namespace chorus {
namespace {

constexpr std::string_view kReservedKeys[] = {
    "specversion", "id",       "source",        "type",        "time",   "datacontenttype", "data",
    "data_base64", "priority", "correlationid", "causationid", "target", "stream",
};

// UTF-8 without control characters. Eight bytes at a time for the common
// ASCII case: a word passes when no byte is < 0x20, == 0x7f or >= 0x80.
bool clean_text(std::string_view v) noexcept {
  constexpr uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  const char* p = v.data();
  size_t n = v.size();
  bool ascii = true;
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t x;
    std::memcpy(&x, p, 8);
    const uint64_t below_space = (x - kOnes * 0x20) & ~x & kHigh;
    const uint64_t y = x ^ (kOnes * 0x7f);
    const uint64_t del = (y - kOnes) & ~y & kHigh;
    if ((below_space | del | (x & kHigh)) != 0) {
      ascii = false;
      break;
    }
  }
  for (size_t i = 0; i < (ascii ? n : static_cast<size_t>(v.data() + v.size() - p)); ++i) {
    auto c = static_cast<unsigned char>(p[i]);
    if (c < 0x20 || c == 0x7f) return false;
    ascii &= c < 0x80;
  }
  return ascii || is_valid_utf8(v);
}

// Identifiers: UTF-8, no control characters, bounded.
Status check_text_field(std::string_view name, std::string_view v, bool required) {
  if (v.empty()) {
    if (required) return Status::InvalidArgument(fmt::format("event field '{}' is empty", name));
    return Status::OK();
  }
  if (v.size() <= kMaxEventFieldBytes && clean_text(v)) return Status::OK();
  if (v.size() > kMaxEventFieldBytes)
    return Status::InvalidArgument(fmt::format("event field '{}' is {} bytes long (at most {})",
                                               name, v.size(), kMaxEventFieldBytes));
  if (!is_valid_utf8(v))
    return Status::InvalidArgument(
        fmt::format("event field '{}' is not valid UTF-8: '{}'", name, printable(v)));
  return Status::InvalidArgument(
      fmt::format("event field '{}' contains a control character: '{}'", name, printable(v)));
}

Status check_content_type(std::string_view v) {
  if (v.size() > kMaxEventFieldBytes)
    return Status::InvalidArgument(fmt::format(
        "event field 'content_type' is {} bytes long (at most {})", v.size(), kMaxEventFieldBytes));
  bool slash = false;
  for (char c : v) {
    if (c < 0x20 || c > 0x7e)
      return Status::InvalidArgument(
          fmt::format("event field 'content_type' must be printable ASCII: '{}'", printable(v)));
    slash |= c == '/';
  }
  if (!v.empty() && !slash)
    return Status::InvalidArgument(
        fmt::format("event field 'content_type' '{}' is not a media type (expected type/subtype)",
                    printable(v)));
  return Status::OK();
}

Status check_metadata_entry(std::string_view k, std::string_view v) {
  if (k.empty() || k.size() > kMaxMetadataKeyBytes)
    return Status::InvalidArgument(fmt::format("event metadata key '{}' must be 1 to {} bytes",
                                               printable(k), kMaxMetadataKeyBytes));
  for (char c : k) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
      return Status::InvalidArgument(fmt::format(
          "event metadata key '{}' has invalid character '{}' (allowed: a-z, 0-9, as for "
          "CloudEvents attributes)",
          printable(k), printable(std::string_view(&c, 1))));
  }
  if (is_reserved_metadata_key(k))
    return Status::InvalidArgument(
        fmt::format("event metadata key '{}' is reserved (it names a CloudEvents attribute)", k));
  if (v.size() > kMaxMetadataValueBytes)
    return Status::InvalidArgument(fmt::format("event metadata '{}' value is {} bytes (at most {})",
                                               k, v.size(), kMaxMetadataValueBytes));
  if (!clean_text(v))
    return Status::InvalidArgument(
        fmt::format("event metadata '{}' value must be UTF-8 without control characters: '{}'", k,
                    printable(v)));
  return Status::OK();
}

}  // namespace

std::string_view priority_name(Priority p) noexcept {
  switch (p) {
    case Priority::kCritical:
      return "critical";
    case Priority::kHigh:
      return "high";
    case Priority::kNormal:
      return "normal";
    case Priority::kLow:
      return "low";
  }
  return "normal";
}

Result<Priority> parse_priority(std::string_view text) {
  if (text == "critical" || text == "0") return Priority::kCritical;
  if (text == "high" || text == "1") return Priority::kHigh;
  if (text == "normal" || text == "2") return Priority::kNormal;
  if (text == "low" || text == "3") return Priority::kLow;
  return Status::InvalidArgument(fmt::format(
      "priority '{}' is not one of critical, high, normal, low (or 0..3)", printable(text)));
}

bool is_reserved_metadata_key(std::string_view key) noexcept {
  return std::find(std::begin(kReservedKeys), std::end(kReservedKeys), key) !=
         std::end(kReservedKeys);
}

// ---- Event ----

void Event::release() const noexcept {
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    this->~Event();
    ::operator delete(const_cast<Event*>(this));
  }
}

std::optional<std::string_view> Event::find_metadata(std::string_view key) const noexcept {
  size_t lo = 0, hi = md_count_;
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    const auto [k, v] = metadata_at(mid);
    if (k == key) return v;
    if (k < key)
      lo = mid + 1;
    else
      hi = mid;
  }
  return std::nullopt;
}

size_t Event::memory_size() const noexcept {
  return sizeof(Event) + 2 * md_count_ * sizeof(Span) + bytes_;
}

bool operator==(const Event& a, const Event& b) noexcept {
  if (!(a.id_ == b.id_ && a.time_ns_ == b.time_ns_ && a.priority_ == b.priority_ &&
        a.md_count_ == b.md_count_))
    return false;
  for (int f = 0; f < Event::kFieldCount; ++f)
    if (a.field(static_cast<Event::FieldIndex>(f)) != b.field(static_cast<Event::FieldIndex>(f)))
      return false;
  for (size_t i = 0; i < a.md_count_; ++i)
    if (a.metadata_at(i) != b.metadata_at(i)) return false;
  return true;
}

// ---- EventBuilder ----

EventBuilder& EventBuilder::operator=(const EventBuilder& o) {
  if (this == &o) return *this;
  id_ = o.id_;
  time_ns_ = o.time_ns_;
  priority_ = o.priority_;
  std::copy(std::begin(o.span_), std::end(o.span_), std::begin(span_));
  md_count_ = o.md_count_;
  std::copy(o.md_, o.md_ + o.md_count_, md_);
  md_overflow_ = o.md_overflow_;
  if (o.size_ > kInline) {
    heap_ = std::make_unique<char[]>(o.size_);
    cap_ = o.size_;
  } else {
    heap_.reset();
    cap_ = kInline;
  }
  size_ = o.size_;
  std::memcpy(buf(), o.buf(), o.size_);
  return *this;
}

EventBuilder::Span EventBuilder::append(std::string_view v) {
  if (v.empty()) return Span{0, 0};
  if (size_ + v.size() > cap_) {
    // Grow; a value over the event limits still gets stored so build() can
    // report it, but sizes stay within uint32.
    size_t cap = std::max(cap_ * 2, size_ + v.size());
    auto bigger = std::make_unique<char[]>(cap);
    std::memcpy(bigger.get(), buf(), size_);
    heap_ = std::move(bigger);
    cap_ = cap;
  }
  std::memcpy(buf() + size_, v.data(), v.size());
  Span s{static_cast<uint32_t>(size_), static_cast<uint32_t>(v.size())};
  size_ += v.size();
  return s;
}

EventBuilder EventBuilder::copy_of(const Event& e) {
  EventBuilder b;
  b.id_ = e.id();
  b.time_ns_ = e.time_ns();
  b.priority_ = e.priority();
  for (int f = 0; f < Event::kFieldCount; ++f)
    b.span_[f] = b.append(e.field(static_cast<Event::FieldIndex>(f)));
  for (const auto& [k, v] : e.metadata())
    b.metadata(k, v);
  return b;
}

EventBuilder& EventBuilder::data(std::string_view bytes, std::string_view content_type) {
  span_[Event::kData] = append(bytes);
  span_[Event::kContentType] = append(content_type.empty() ? kDefaultContentType : content_type);
  return *this;
}

EventBuilder& EventBuilder::metadata(std::string_view key, std::string_view value) {
  for (uint32_t i = 0; i < md_count_; ++i) {
    if (view(md_[i].key) == key) {
      md_[i].value = append(value);
      return *this;
    }
  }
  if (md_count_ == kMaxMetadataEntries) {
    md_overflow_ = true;
    return *this;
  }
  md_[md_count_].key = append(key);
  md_[md_count_].value = append(value);
  ++md_count_;
  return *this;
}

EventBuilder& EventBuilder::caused_by(const Event& parent) {
  char id[36];
  parent.id().format_to(id);
  const std::string_view id_text(id, 36);
  set(Event::kCausationId, id_text);
  return set(Event::kCorrelationId,
             parent.correlation_id().empty() ? id_text : parent.correlation_id());
}

Result<EventPtr> EventBuilder::build() const {
  if (md_overflow_)
    return Status::InvalidArgument(
        fmt::format("event metadata has more than {} entries", kMaxMetadataEntries));
  MetadataViews md;
  for (uint32_t i = 0; i < md_count_; ++i)
    new (&md[i]) MetadataViews::Entry(view(md_[i].key), view(md_[i].value));
  EventFields f;
  f.id = id_;
  f.time_ns = time_ns_;
  f.priority = priority_;
  f.type = view(span_[Event::kType]);
  f.source = view(span_[Event::kSource]);
  f.target = view(span_[Event::kTarget]);
  f.correlation_id = view(span_[Event::kCorrelationId]);
  f.causation_id = view(span_[Event::kCausationId]);
  f.stream = view(span_[Event::kStream]);
  f.content_type = view(span_[Event::kContentType]);
  f.data = view(span_[Event::kData]);
  f.metadata = md.data();
  f.metadata_count = md_count_;
  return make_event(f);
}

Result<EventPtr> make_event(const EventFields& in) {
  using Span = Event::Span;
  CHORUS_RETURN_IF_ERROR(validate_topic(in.type, "event field 'type'"));
  // The text fields: one cheap pass for all; details only when one fails.
  const std::pair<const char*, std::string_view> text_fields[] = {
      {"source", in.source},
      {"target", in.target},
      {"correlation_id", in.correlation_id},
      {"causation_id", in.causation_id},
      {"stream", in.stream}};
  bool texts_ok = !in.source.empty();
  for (const auto& [name, v] : text_fields)
    texts_ok &= v.empty() || (v.size() <= kMaxEventFieldBytes && clean_text(v));
  if (!texts_ok) {
    for (const auto& [name, v] : text_fields)
      CHORUS_RETURN_IF_ERROR(check_text_field(name, v, v.data() == in.source.data()));
  }
  if (in.data.size() > kMaxEventDataBytes)
    return Status::InvalidArgument(fmt::format("event field 'data' is {} bytes (at most {})",
                                               in.data.size(), kMaxEventDataBytes));
  if (static_cast<uint8_t>(in.priority) >= kPriorityCount)
    return Status::InvalidArgument(
        fmt::format("event field 'priority' is {} (expected 0..3)", static_cast<int>(in.priority)));
  std::string_view ctype = in.content_type;
  if (!in.data.empty() && ctype.empty()) ctype = kDefaultContentType;
  CHORUS_RETURN_IF_ERROR(check_content_type(ctype));
  const size_t md_count = in.metadata_count;
  if (md_count > kMaxMetadataEntries)
    return Status::InvalidArgument(
        fmt::format("event metadata has more than {} entries", kMaxMetadataEntries));
  // Metadata sorted by key: insertion sort of indices (at most 64 entries).
  uint8_t order[kMaxMetadataEntries];
  for (size_t i = 0; i < md_count; ++i) {
    const auto& [k, v] = in.metadata[i];
    CHORUS_RETURN_IF_ERROR(check_metadata_entry(k, v));
    size_t j = i;
    if (!in.metadata_sorted) {
      while (j > 0 && in.metadata[order[j - 1]].first > k) {
        order[j] = order[j - 1];
        --j;
      }
    }
    if (j > 0 && in.metadata[order[j - 1]].first == k)
      return Status::InvalidArgument(fmt::format("event metadata key '{}' appears twice", k));
    order[j] = static_cast<uint8_t>(i);
  }

  const std::string_view fields[Event::kFieldCount] = {
      in.type, in.source, in.target, in.correlation_id, in.causation_id, in.stream, ctype, in.data};
  size_t bytes = 0;
  for (const auto& f : fields)
    bytes += f.size();
  for (size_t i = 0; i < md_count; ++i)
    bytes += in.metadata[i].first.size() + in.metadata[i].second.size();

  // Layout: header, 2 spans per metadata entry, then the bytes.
  const size_t header = sizeof(Event) + 2 * md_count * sizeof(Span);
  void* mem = ::operator new(header + bytes);
  Event* ev = new (mem) Event();
  ev->priority_ = in.priority;
  ev->md_count_ = static_cast<uint8_t>(md_count);
  ev->bytes_ = static_cast<uint32_t>(bytes);
  char* out = static_cast<char*>(mem) + header;
  uint32_t pos = 0;
  auto put = [&](std::string_view v) {
    if (!v.empty()) std::memcpy(out + pos, v.data(), v.size());
    Span s{pos, static_cast<uint32_t>(v.size())};
    pos += static_cast<uint32_t>(v.size());
    return s;
  };
  for (int f = 0; f < Event::kFieldCount; ++f)
    ev->span_[f] = put(fields[f]);
  auto* md_out = reinterpret_cast<Span*>(ev + 1);
  for (size_t i = 0; i < md_count; ++i) {
    md_out[2 * i] = put(in.metadata[order[i]].first);
    md_out[2 * i + 1] = put(in.metadata[order[i]].second);
  }

  ev->id_ = in.id;
  ev->time_ns_ = in.time_ns;
  ev->type_hash_ = hash_bytes(in.type);
  if (ev->time_ns_ == 0 || ev->id_.is_nil()) {
    const int64_t now = wall_clock_ns();
    if (ev->time_ns_ == 0) ev->time_ns_ = now;
    if (ev->id_.is_nil()) ev->id_ = new_uuid_v7_at(now);
  }
  return EventPtr::adopt_raw(ev);
}

}  // namespace chorus
