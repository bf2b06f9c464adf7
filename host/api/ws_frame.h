// WebSocket framing (RFC 6455 section 5) for the server side of the tail,
// after Beast has done the opening handshake: frames the server sends
// (unmasked, final, never fragmented) are appended to a buffer so that many
// events leave in one write, and frames a client sends are parsed from the
// bytes read so far. No I/O and no Asio here: ws_tail.cpp owns the socket,
// and the parser is driven by a fuzzer (tests/fuzz/ws_frame_fuzz.cpp).
//
// What a client may send, and what the parser refuses (each refusal carries
// the close code the RFC names and a reason that says what was wrong):
// - every frame masked (1002 otherwise), RSV bits clear (1002: we negotiate
//   no extension), a known opcode (1002);
// - control frames (close, ping, pong) final and at most 125 bytes (1002);
//   a close payload empty or a valid code (1000-1003, 1007-1014, 3000-4999)
//   followed by UTF-8 (1002 / 1007);
// - data messages (text, binary, continuations) in order (a continuation
//   only inside a fragmented message, no new message inside one: 1002) and
//   at most `max_message` bytes in all (1009). Their content is not kept:
//   the tail has nothing to hear from its client, but the frames must still
//   be read to find the control frames between them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace chorus::api {

enum class WsOpcode : uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

// Close codes the server sends (RFC 6455 7.4.1).
enum class WsCloseCode : uint16_t {
  kNormal = 1000,
  kGoingAway = 1001,
  kProtocolError = 1002,
  kInvalidPayload = 1007,  // a close reason that is not UTF-8
  kTooBig = 1009,
  kTryAgainLater = 1013,
};

// Appends one final, unmasked frame carrying `payload` to `out`.
// REQUIRES: control opcodes carry at most 125 bytes.
void append_ws_frame(std::string& out, WsOpcode op, std::string_view payload);

// Appends a close frame with `code` and `reason` (cut at 123 bytes on a
// UTF-8 boundary, so the frame stays a valid control frame).
void append_ws_close(std::string& out, WsCloseCode code, std::string_view reason);

// One frame the client sent. For data frames only the opcode is reported.
struct WsClientFrame {
  WsOpcode opcode = WsOpcode::kText;
  bool fin = true;
  std::string payload;  // unmasked; control frames only (<= 125 bytes)
};

// A protocol violation: the connection answers with this close and ends.
struct WsFrameError {
  WsCloseCode code = WsCloseCode::kProtocolError;
  std::string reason;  // <= 123 bytes, ASCII
};

// The close frame's code and reason (empty payload: code 1005, "no status").
struct WsCloseInfo {
  uint16_t code = 1005;
  std::string reason;
};
WsCloseInfo parse_ws_close_payload(std::string_view payload);

// Parses client frames from a byte stream fed in pieces. Not thread-safe;
// one per connection.
class WsFrameParser {
 public:
  explicit WsFrameParser(size_t max_message) : max_message_(max_message) {}

  // Consumes bytes from the front of `in`. Returns a frame when one is
  // complete, nothing when `in` ends inside a frame (what was taken of it is
  // kept; call again with more bytes), or an error, after which the parser
  // must not be used again. Data frames' payloads are skipped as they
  // arrive, so memory stays bounded by one control frame whatever the
  // client sends.
  struct Step {
    std::optional<WsClientFrame> frame;
    std::optional<WsFrameError> error;
  };
  Step next(std::string_view& in);

 private:
  enum class State { kHeader, kPayload };

  Step fail(WsCloseCode code, std::string reason);
  std::optional<WsFrameError> check_header();

  const size_t max_message_;
  State state_ = State::kHeader;
  std::string header_;  // the header bytes of the frame being read (2..14)
  // The frame being read, once its header is complete.
  WsOpcode opcode_ = WsOpcode::kText;
  bool fin_ = true;
  uint64_t length_ = 0;      // its payload length
  uint64_t taken_ = 0;       // payload bytes consumed so far
  uint8_t mask_[4] = {};     // its masking key
  std::string payload_;      // control frames only
  bool in_message_ = false;  // a fragmented data message is open
  uint64_t message_size_ = 0;
};

}  // namespace chorus::api
