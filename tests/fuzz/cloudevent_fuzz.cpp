// libFuzzer target: the CloudEvents JSON decoder. A decoded event must
// survive encode -> decode unchanged.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/cloudevents.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  chorus::CloudEventDecodeOptions opts;
  opts.require_id = size % 2 == 0;
  auto ev = chorus::parse_cloudevent_json(in, opts);
  if (!ev.ok()) return 0;
  auto again = chorus::parse_cloudevent_json(chorus::to_cloudevent_json(**ev));
  if (!again.ok() || !(**again == **ev)) std::abort();
  return 0;
}
