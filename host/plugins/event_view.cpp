// Events across the ABI (event_view.h).
#include "plugins/event_view.h"

#include <fmt/core.h>

#include "bus/event_bus.h"
#include "core/uuid.h"

namespace chorus::plugins {
namespace {

uint32_t abi_priority(Priority p) noexcept {
  return static_cast<uint32_t>(p) + 1;  // CHORUS_PRIORITY_CRITICAL is 1
}

}  // namespace

void fill_view(const Event& e, chorus_event_view& v) noexcept {
  v.struct_size = sizeof(chorus_event_view);
  v.priority = abi_priority(e.priority());
  v.event = to_handle(&e);
  e.id().format_to(v.id.text);
  v.id.text[36] = '\0';
  v.time_ns = e.time_ns();
  v.type = to_str(e.type());
  v.source = to_str(e.source());
  v.target = to_str(e.target());
  v.correlation_id = to_str(e.correlation_id());
  v.causation_id = to_str(e.causation_id());
  v.stream = to_str(e.stream());
  v.content_type = to_str(e.content_type());
  v.data = to_str(e.data());
  v.metadata_count = static_cast<uint32_t>(e.metadata().size());
  v.flags = 0;
  if (bus::EventBus::is_reply(e)) v.flags |= CHORUS_EVENT_REPLY;
}

Status struct_too_small(std::string_view what, uint32_t got, size_t min_size) {
  return Status::InvalidArgument(
      fmt::format("{}.struct_size is {}, smaller than ABI 1.0's {} bytes (set it to sizeof({}))",
                  what, got, min_size, what));
}

Result<std::string_view> view_of(const chorus_str& s, std::string_view field) {
  if (!s.data) {
    if (s.len != 0)
      return Status::InvalidArgument(fmt::format("{}: data is NULL but len is {}", field, s.len));
    return std::string_view();
  }
  return std::string_view(s.data, s.len);
}

namespace {

Status fill_common(const chorus_publish& p, std::string_view source, EventBuilder& b) {
  CHORUS_ASSIGN_OR_RETURN(auto type, view_of(p.type, "chorus_publish.type"));
  if (type.empty()) return Status::InvalidArgument("chorus_publish.type: the event type is empty");
  CHORUS_ASSIGN_OR_RETURN(auto data, view_of(p.data, "chorus_publish.data"));
  CHORUS_ASSIGN_OR_RETURN(auto content_type,
                          view_of(p.content_type, "chorus_publish.content_type"));
  CHORUS_ASSIGN_OR_RETURN(auto stream, view_of(p.stream, "chorus_publish.stream"));
  CHORUS_ASSIGN_OR_RETURN(auto id, view_of(p.id, "chorus_publish.id"));
  if (p.priority > CHORUS_PRIORITY_LOW)
    return Status::InvalidArgument(
        fmt::format("chorus_publish.priority: {} is not a priority (expected 0 to 4)", p.priority));
  b.type(type).source(source).data(data, content_type).stream(stream);
  if (p.priority != CHORUS_PRIORITY_DEFAULT) b.priority(static_cast<Priority>(p.priority - 1));
  if (!id.empty()) {
    auto u = Uuid::parse(id);
    if (!u.ok()) return u.error().with_context("chorus_publish.id");
    b.id(*u);
  }
  if (p.metadata_count > 0 && !p.metadata)
    return Status::InvalidArgument(
        fmt::format("chorus_publish.metadata is NULL but metadata_count is {}", p.metadata_count));
  if (p.metadata_count > kMaxMetadataEntries)
    return Status::InvalidArgument(fmt::format("chorus_publish.metadata_count: {} is more than {}",
                                               p.metadata_count, kMaxMetadataEntries));
  for (size_t i = 0; i < p.metadata_count; ++i) {
    CHORUS_ASSIGN_OR_RETURN(auto k, view_of(p.metadata[i].key, "chorus_publish.metadata.key"));
    CHORUS_ASSIGN_OR_RETURN(auto v, view_of(p.metadata[i].value, "chorus_publish.metadata.value"));
    b.metadata(k, v);
  }
  return Status::OK();
}

}  // namespace

Result<EventPtr> build_event(const chorus_publish& p, std::string_view source) {
  EventBuilder b;
  CHORUS_RETURN_IF_ERROR(fill_common(p, source, b));
  if (p.caused_by) b.caused_by(*from_handle(p.caused_by));
  CHORUS_ASSIGN_OR_RETURN(auto target, view_of(p.target, "chorus_publish.target"));
  CHORUS_ASSIGN_OR_RETURN(auto correlation,
                          view_of(p.correlation_id, "chorus_publish.correlation_id"));
  CHORUS_ASSIGN_OR_RETURN(auto causation, view_of(p.causation_id, "chorus_publish.causation_id"));
  if (!target.empty()) b.target(target);
  if (!correlation.empty()) b.correlation_id(correlation);
  if (!causation.empty()) b.causation_id(causation);
  return b.build();
}

Result<EventBuilder> builder_of(const chorus_publish& p, std::string_view source) {
  EventBuilder b;
  CHORUS_RETURN_IF_ERROR(fill_common(p, source, b));
  return b;
}

}  // namespace chorus::plugins
