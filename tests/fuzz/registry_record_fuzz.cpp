// libFuzzer target: every decoder of the discovery registry's journal
// (host/discovery/registry_records.h, docs/store-format.md "Registry
// stream") on arbitrary bytes. They must return Corruption or NotSupported,
// never crash, read out of bounds or allocate by a forged count. The first
// byte picks the decoder, so one corpus covers them all.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/status.h"
#include "discovery/registry_records.h"

namespace {

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
  using namespace chorus::discovery;
  switch (data[0] % 5) {
    case 0:
      expect_documented_error(decode_registered(in));
      break;
    case 1:
      expect_documented_error(decode_status(in));
      break;
    case 2:
      expect_documented_error(decode_unregistered(in));
      break;
    case 3:
      expect_documented_error(decode_heartbeats(in));
      break;
    case 4:
      expect_documented_error(decode_snapshot(in));
      break;
  }
  return 0;
}
