// JsonBody: a RapidJSON writer over a buffer, for response bodies. Every
// handler builds its JSON through this (never by splicing text), and the
// shapes shared by several routes are written here once: a stored event,
// a bare event, a dead letter (docs/api.md "Shapes").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "core/event.h"

namespace chorus::bus {
struct DeadLetter;
}
namespace chorus::store {
struct StoredEvent;
}

namespace chorus::api {

struct JsonBody {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w{buf};

  void key(std::string_view k) { w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size())); }
  void string(std::string_view s) {
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  }
  void member(std::string_view k, std::string_view v) {
    key(k);
    string(v);
  }
  // The CloudEvents JSON object of `e` (core/cloudevents.h) as a value.
  void event(const Event& e);
  // {"seq":..,"version":..,"event":{CloudEvent}}; version 0 is omitted.
  void stored_event(const store::StoredEvent& e);
  // {"id","subscriber","reason","attempts","time","event":{CloudEvent}}.
  void dead_letter(const bus::DeadLetter& dl);

  std::string take() const { return std::string(buf.GetString(), buf.GetSize()); }

 private:
  std::string scratch_;
};

}  // namespace chorus::api
