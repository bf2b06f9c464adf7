// WebSocket frames out (server: unmasked) and in (client: masked, checked).
// The wire format is RFC 6455 section 5.2; the rules the parser enforces
// are listed in ws_frame.h.
#include "api/ws_frame.h"

#include <fmt/core.h>

#include "core/text.h"

namespace chorus::api {
namespace {

constexpr size_t kMaxControlPayload = 125;
constexpr size_t kMaxCloseReason = kMaxControlPayload - 2;

bool is_control(WsOpcode op) {
  return (static_cast<uint8_t>(op) & 0x8) != 0;
}

bool known_opcode(uint8_t op) {
  return op <= 0x2 || (op >= 0x8 && op <= 0xA);
}

// RFC 6455 7.4.1 and 7.4.2, with the IANA-registered 1012-1014: the codes an
// endpoint may put in a close frame (1004-1006 and 1015 are reserved and
// must never be sent).
bool sendable_close_code(uint16_t code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999);
}

void append_u16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}

// `s` cut to at most `max` bytes without splitting a UTF-8 sequence.
std::string_view utf8_prefix(std::string_view s, size_t max) {
  if (s.size() <= max) return s;
  size_t cut = max;
  while (cut > 0 && (static_cast<uint8_t>(s[cut]) & 0xC0) == 0x80)
    --cut;
  return s.substr(0, cut);
}

}  // namespace

void append_ws_frame(std::string& out, WsOpcode op, std::string_view payload) {
  out.push_back(static_cast<char>(0x80 | static_cast<uint8_t>(op)));
  const uint64_t n = payload.size();
  if (n < 126) {
    out.push_back(static_cast<char>(n));
  } else if (n <= 0xffff) {
    out.push_back(static_cast<char>(126));
    append_u16(out, static_cast<uint16_t>(n));
  } else {
    out.push_back(static_cast<char>(127));
    for (int shift = 56; shift >= 0; shift -= 8)
      out.push_back(static_cast<char>((n >> shift) & 0xff));
  }
  out.append(payload);
}

void append_ws_close(std::string& out, WsCloseCode code, std::string_view reason) {
  const std::string_view cut = utf8_prefix(reason, kMaxCloseReason);
  out.push_back(static_cast<char>(0x80 | static_cast<uint8_t>(WsOpcode::kClose)));
  out.push_back(static_cast<char>(2 + cut.size()));
  append_u16(out, static_cast<uint16_t>(code));
  out.append(cut);
}

WsCloseInfo parse_ws_close_payload(std::string_view payload) {
  WsCloseInfo info;
  if (payload.size() < 2) return info;
  info.code = static_cast<uint16_t>((static_cast<uint8_t>(payload[0]) << 8) |
                                    static_cast<uint8_t>(payload[1]));
  info.reason.assign(payload.substr(2));
  return info;
}

WsFrameParser::Step WsFrameParser::fail(WsCloseCode code, std::string reason) {
  Step s;
  s.error = WsFrameError{code, std::move(reason)};
  return s;
}

// Called once the whole header is in header_: decodes it into the frame's
// fields and checks the rules that do not need the payload.
std::optional<WsFrameError> WsFrameParser::check_header() {
  const auto b0 = static_cast<uint8_t>(header_[0]);
  const auto b1 = static_cast<uint8_t>(header_[1]);
  const uint8_t op = b0 & 0x0F;
  fin_ = (b0 & 0x80) != 0;
  auto error = [](std::string reason) {
    return std::optional<WsFrameError>(
        WsFrameError{WsCloseCode::kProtocolError, std::move(reason)});
  };
  if ((b0 & 0x70) != 0) return error("reserved bits set: no extension was negotiated");
  if (!known_opcode(op)) return error(fmt::format("unknown opcode {:#x}", op));
  opcode_ = static_cast<WsOpcode>(op);
  if ((b1 & 0x80) == 0) return error("client frames must be masked");

  const uint8_t len7 = b1 & 0x7F;
  size_t pos = 2;
  if (len7 == 126) {
    length_ = (static_cast<uint64_t>(static_cast<uint8_t>(header_[2])) << 8) |
              static_cast<uint8_t>(header_[3]);
    pos = 4;
    if (length_ < 126) return error("payload length not in its shortest form");
  } else if (len7 == 127) {
    length_ = 0;
    for (size_t i = 0; i < 8; ++i)
      length_ = (length_ << 8) | static_cast<uint8_t>(header_[2 + i]);
    pos = 10;
    if (length_ >> 63) return error("payload length with its top bit set");
    if (length_ <= 0xffff) return error("payload length not in its shortest form");
  } else {
    length_ = len7;
  }
  for (size_t i = 0; i < 4; ++i)
    mask_[i] = static_cast<uint8_t>(header_[pos + i]);

  if (is_control(opcode_)) {
    if (!fin_) return error("a control frame may not be fragmented");
    if (length_ > kMaxControlPayload) return error("a control frame carries at most 125 bytes");
    return std::nullopt;
  }
  if (opcode_ == WsOpcode::kContinuation) {
    if (!in_message_) return error("a continuation frame outside a fragmented message");
  } else {
    if (in_message_) return error("a new message inside a fragmented one");
    message_size_ = 0;
  }
  if (length_ > max_message_ - message_size_)
    return WsFrameError{WsCloseCode::kTooBig,
                        fmt::format("a message larger than {} bytes", max_message_)};
  message_size_ += length_;
  in_message_ = !fin_;
  return std::nullopt;
}

WsFrameParser::Step WsFrameParser::next(std::string_view& in) {
  for (;;) {
    if (state_ == State::kHeader) {
      // The header's size is known from its second byte.
      size_t need = 2;
      if (header_.size() >= 2) {
        const uint8_t len7 = static_cast<uint8_t>(header_[1]) & 0x7F;
        need = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((header_[1] & 0x80) ? 4 : 0);
      }
      if (header_.size() < need) {
        if (in.empty()) return {};
        const size_t take = std::min(need - header_.size(), in.size());
        header_.append(in.substr(0, take));
        in.remove_prefix(take);
        continue;  // the second byte may have made the header longer
      }
      if (auto err = check_header()) return fail(err->code, std::move(err->reason));
      header_.clear();
      state_ = State::kPayload;
      taken_ = 0;
      payload_.clear();
    }

    // The payload: control frames are unmasked into payload_, data skipped.
    const uint64_t left = length_ - taken_;
    const size_t take = static_cast<size_t>(std::min<uint64_t>(left, in.size()));
    if (is_control(opcode_)) {
      for (size_t i = 0; i < take; ++i)
        payload_.push_back(
            static_cast<char>(static_cast<uint8_t>(in[i]) ^ mask_[(taken_ + i) % 4]));
    }
    in.remove_prefix(take);
    taken_ += take;
    if (taken_ < length_) return {};

    state_ = State::kHeader;
    if (opcode_ == WsOpcode::kClose) {
      if (payload_.size() == 1) return fail(WsCloseCode::kProtocolError, "a close frame of 1 byte");
      const WsCloseInfo info = parse_ws_close_payload(payload_);
      if (!payload_.empty() && !sendable_close_code(info.code))
        return fail(WsCloseCode::kProtocolError,
                    fmt::format("close code {} may not be sent", info.code));
      if (!is_valid_utf8(info.reason))
        return fail(WsCloseCode::kInvalidPayload, "a close reason that is not UTF-8");
    }
    Step s;
    s.frame =
        WsClientFrame{opcode_, fin_, is_control(opcode_) ? std::move(payload_) : std::string()};
    payload_.clear();
    return s;
  }
}

}  // namespace chorus::api
