// The JSON shapes shared by several routes (json_body.h).
#include "api/json_body.h"

#include "bus/dead_letters.h"
#include "core/cloudevents.h"
#include "core/time_format.h"
#include "store/types.h"

namespace chorus::api {

void JsonBody::event(const Event& e) {
  scratch_.clear();
  append_cloudevent_json(e, scratch_);
  w.RawValue(scratch_.data(), scratch_.size(), rapidjson::kObjectType);
}

void JsonBody::stored_event(const store::StoredEvent& e) {
  w.StartObject();
  key("seq");
  w.Uint64(e.seq);
  if (e.stream_version != 0) {
    key("version");
    w.Uint64(e.stream_version);
  }
  key("event");
  event(*e.event);
  w.EndObject();
}

void JsonBody::dead_letter(const bus::DeadLetter& dl) {
  w.StartObject();
  key("id");
  w.Uint64(dl.id);
  member("subscriber", dl.subscriber_id);
  member("reason", dl.reason);
  key("attempts");
  w.Uint(dl.attempts);
  member("time", format_rfc3339(dl.time_ns));
  key("event");
  if (dl.event)
    event(*dl.event);
  else
    w.Null();
  w.EndObject();
}

}  // namespace chorus::api
