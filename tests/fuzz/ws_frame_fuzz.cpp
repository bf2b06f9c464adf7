// libFuzzer target: the WebSocket tail's client-frame parser
// (host/api/ws_frame.h). The input after its first byte is parsed twice,
// whole and in pieces of (first byte % 17 + 1) bytes; both must give the same
// frames and the same error, take every byte, and keep no data payloads and
// no control payload over 125 bytes.
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "api/ws_frame.h"

namespace {

using chorus::api::WsClientFrame;
using chorus::api::WsFrameParser;
using chorus::api::WsOpcode;

struct Outcome {
  std::vector<WsClientFrame> frames;
  bool failed = false;
  uint16_t code = 0;
  std::string reason;
};

Outcome parse(std::string_view all, size_t piece) {
  WsFrameParser parser(4096);
  Outcome out;
  while (!all.empty()) {
    std::string_view in = all.substr(0, piece);
    all.remove_prefix(in.size());
    while (!in.empty()) {
      WsFrameParser::Step s = parser.next(in);
      if (s.error) {
        out.failed = true;
        out.code = static_cast<uint16_t>(s.error->code);
        out.reason = s.error->reason;
        if (out.reason.size() > 123) std::abort();
        return out;
      }
      if (!s.frame) {
        if (!in.empty()) std::abort();  // a parser that needs more must have taken all
        break;
      }
      const bool control = (static_cast<uint8_t>(s.frame->opcode) & 0x8) != 0;
      if (control ? s.frame->payload.size() > 125 : !s.frame->payload.empty()) std::abort();
      out.frames.push_back(std::move(*s.frame));
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t piece = data[0] % 17 + 1;
  const std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  const Outcome whole = parse(in, in.size() + 1);
  const Outcome pieces = parse(in, piece);
  if (whole.failed != pieces.failed || whole.code != pieces.code || whole.reason != pieces.reason ||
      whole.frames.size() != pieces.frames.size())
    std::abort();
  for (size_t i = 0; i < whole.frames.size(); ++i) {
    if (whole.frames[i].opcode != pieces.frames[i].opcode ||
        whole.frames[i].fin != pieces.frames[i].fin ||
        whole.frames[i].payload != pieces.frames[i].payload)
      std::abort();
  }
  return 0;
}
