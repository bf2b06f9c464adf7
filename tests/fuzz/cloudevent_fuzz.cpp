// libFuzzer target: the CloudEvents JSON decoder. A decoded event must
// survive encode -> decode unchanged, and the encoder must never write a raw
// control character (it writes no whitespace, so any byte below 0x20 is an
// unescaped one).
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/cloudevents.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  chorus::CloudEventDecodeOptions opts;
  opts.require_id = size % 2 == 0;
  auto ev = chorus::parse_cloudevent_json(in, opts);
  if (!ev.ok()) return 0;
  const std::string json = chorus::to_cloudevent_json(**ev);
  if (std::any_of(json.begin(), json.end(), [](char c) { return c >= 0 && c < 0x20; }))
    std::abort();
  auto again = chorus::parse_cloudevent_json(json);
  if (!again.ok() || !(**again == **ev)) std::abort();
  return 0;
}
