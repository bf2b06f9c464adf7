// libFuzzer target: every decoder of the store's on-disk values
// (host/store/internal/records.h, docs/store-format.md) on arbitrary bytes. They must
// return Corruption or NotSupported, never crash or read out of bounds.
// The first byte picks the decoder, so one corpus covers them all.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/status.h"
#include "store/internal/records.h"

namespace {

// A decoder may fail only with Corruption or NotSupported (records.h); any
// other code is a bug the fuzzer must report, so it aborts.
template <typename R>
void expect_documented_error(const R& r) {
  if (!r.ok() && !r.status().is(chorus::StatusCode::kCorruption) &&
      !r.status().is(chorus::StatusCode::kNotSupported))
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  using namespace chorus::store;
  switch (data[0] % 7) {
    case 0: {
      auto v = decode_event_value(in, 1);
      expect_documented_error(v);
      if (v.ok()) {
        expect_documented_error(peek_record(v->record, 1, Crc::kVerify));
        expect_documented_error(peek_record_type(v->record, 1));
      }
      break;
    }
    case 1:
      expect_documented_error(peek_record(in, 1, Crc::kSkip));
      break;
    case 2:
      expect_documented_error(decode_stream_record(in, "s"));
      break;
    case 3:
      expect_documented_error(decode_snapshot_value(in, "s", 1));
      break;
    case 4:
      expect_documented_error(decode_group_record(in, "g"));
      break;
    case 5:
      expect_documented_error(decode_pending_value(in, "g", 1));
      break;
    case 6:
      expect_documented_error(decode_resolution_value(in, 1));
      break;
  }
  return 0;
}
