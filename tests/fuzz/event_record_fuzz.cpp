// libFuzzer target: the binary event record decoder. Half of the inputs get a
// valid CRC patched in, so the fuzzer explores the field parser and the
// envelope rules instead of stopping at the checksum. A decoded event must
// re-encode to the same bytes.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/crc32c.h"
#include "core/event_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string in(reinterpret_cast<const char*>(data), size);
  if (in.size() > 5 && (in[1] & 0x40)) {
    const uint32_t crc = chorus::crc32c(in.data(), in.size() - 4);
    for (int i = 0; i < 4; ++i)
      in[in.size() - 4 + i] = static_cast<char>(crc >> (8 * i));
  }
  auto ev = chorus::decode_event(in);
  if (ev.ok() && chorus::encode_event(**ev) != in) std::abort();
  return 0;
}
