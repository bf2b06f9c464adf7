// libFuzzer target: every decoder of the store's on-disk values
// (host/store/records.h, docs/store-format.md) on arbitrary bytes. They must
// return Corruption or NotSupported, never crash or read out of bounds.
// The first byte picks the decoder, so one corpus covers them all.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "store/records.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  using namespace chorus::store;
  switch (data[0] % 6) {
    case 0: {
      auto v = decode_event_value(in, 1);
      if (v.ok()) {
        (void)peek_record(v->record, 1, true);
        (void)peek_record_type(v->record, 1);
      }
      break;
    }
    case 1:
      (void)peek_record(in, 1, false);
      break;
    case 2:
      (void)decode_stream_record(in, "s");
      break;
    case 3:
      (void)decode_snapshot_value(in, "s", 1);
      break;
    case 4:
      (void)decode_group_record(in, "g");
      break;
    case 5:
      (void)decode_pending_value(in, "g", 1);
      break;
  }
  return 0;
}
