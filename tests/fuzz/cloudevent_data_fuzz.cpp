// libFuzzer target: the CloudEvents JSON encoder on any data a store may
// hold. The input becomes the data of an event with a JSON, a text or a
// binary content type; its CloudEvents JSON must have no raw control
// character and decode again, to the same bytes unless the data is JSON
// (which is re-compacted), and a second round must change nothing.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/cloudevents.h"

namespace {

chorus::EventPtr round_trip(const chorus::Event& e) {
  const std::string json = chorus::to_cloudevent_json(e);
  if (std::any_of(json.begin(), json.end(), [](char c) { return c >= 0 && c < 0x20; }))
    std::abort();
  auto back = chorus::parse_cloudevent_json(json);
  if (!back.ok()) std::abort();
  return *back;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const char* const kTypes[] = {"application/json", "text/plain; charset=utf-8",
                                       "application/octet-stream"};
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const size_t type = size % 3;
  auto built = chorus::EventBuilder("a").source("s").data(in, kTypes[type]).build();
  if (!built.ok()) return 0;
  chorus::EventPtr first = round_trip(**built);
  if (type != 0 && first->data() != (*built)->data()) std::abort();
  chorus::EventPtr second = round_trip(*first);
  if (!(*second == *first)) std::abort();
  return 0;
}
