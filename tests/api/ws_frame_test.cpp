// The tail's WebSocket framing (host/api/ws_frame.h): server frames in all
// three length encodings, client frames parsed whole and byte by byte, data
// frames skipped without being kept, and every protocol violation refused
// with the close code RFC 6455 names and a reason that says what was wrong.
#include "api/ws_frame.h"

#include <string>

#include <catch2/catch.hpp>

using namespace chorus::api;

namespace {

// A client frame: masked with `mask`, FIN as given.
std::string client_frame(uint8_t opcode, const std::string& payload, bool fin = true,
                         uint32_t mask = 0x37fa213d) {
  std::string f;
  f.push_back(static_cast<char>((fin ? 0x80 : 0) | opcode));
  const uint64_t n = payload.size();
  if (n < 126) {
    f.push_back(static_cast<char>(0x80 | n));
  } else if (n <= 0xffff) {
    f.push_back(static_cast<char>(0x80 | 126));
    f.push_back(static_cast<char>(n >> 8));
    f.push_back(static_cast<char>(n & 0xff));
  } else {
    f.push_back(static_cast<char>(0x80 | 127));
    for (int shift = 56; shift >= 0; shift -= 8)
      f.push_back(static_cast<char>((n >> shift) & 0xff));
  }
  const uint8_t key[4] = {static_cast<uint8_t>(mask >> 24), static_cast<uint8_t>(mask >> 16),
                          static_cast<uint8_t>(mask >> 8), static_cast<uint8_t>(mask)};
  f.append(reinterpret_cast<const char*>(key), 4);
  for (size_t i = 0; i < payload.size(); ++i)
    f.push_back(static_cast<char>(static_cast<uint8_t>(payload[i]) ^ key[i % 4]));
  return f;
}

std::string close_payload(uint16_t code, const std::string& reason = "") {
  std::string p;
  p.push_back(static_cast<char>(code >> 8));
  p.push_back(static_cast<char>(code & 0xff));
  return p + reason;
}

// Every frame in `bytes`, or the first error.
struct Parsed {
  std::vector<WsClientFrame> frames;
  std::optional<WsFrameError> error;
};
Parsed parse_all(const std::string& bytes, size_t piece = 0, size_t max_message = 1 << 16) {
  WsFrameParser parser(max_message);
  Parsed out;
  size_t pos = 0;
  while (pos < bytes.size()) {
    const size_t n = piece == 0 ? bytes.size() - pos : std::min(piece, bytes.size() - pos);
    std::string_view in(bytes.data() + pos, n);
    while (!in.empty()) {
      WsFrameParser::Step s = parser.next(in);
      if (s.error) {
        out.error = s.error;
        return out;
      }
      if (!s.frame) break;
      out.frames.push_back(std::move(*s.frame));
    }
    pos += n - in.size();
    REQUIRE(in.empty());  // a parser takes every byte it is given
  }
  return out;
}

WsFrameError error_of(const std::string& bytes, size_t max_message = 1 << 16) {
  Parsed p = parse_all(bytes, 0, max_message);
  REQUIRE(p.error);
  return *p.error;
}

// Decodes one server frame from the front of `bytes`.
struct ServerFrame {
  uint8_t b0 = 0;
  size_t header = 0;
  std::string payload;
};
ServerFrame decode_server(const std::string& bytes) {
  ServerFrame f;
  f.b0 = static_cast<uint8_t>(bytes[0]);
  const uint8_t b1 = static_cast<uint8_t>(bytes[1]);
  REQUIRE((b1 & 0x80) == 0);  // servers never mask
  uint64_t n = b1 & 0x7f;
  f.header = 2;
  if (n == 126) {
    n = (static_cast<uint8_t>(bytes[2]) << 8) | static_cast<uint8_t>(bytes[3]);
    f.header = 4;
  } else if (n == 127) {
    n = 0;
    for (int i = 0; i < 8; ++i)
      n = (n << 8) | static_cast<uint8_t>(bytes[2 + i]);
    f.header = 10;
  }
  REQUIRE(bytes.size() == f.header + n);
  f.payload = bytes.substr(f.header);
  return f;
}

}  // namespace

TEST_CASE("ws frame: server frames use the shortest of the three length encodings") {
  for (const auto& [size, header] : std::vector<std::pair<size_t, size_t>>{
           {0, 2}, {125, 2}, {126, 4}, {65535, 4}, {65536, 10}, {300000, 10}}) {
    std::string payload(size, 'a');
    for (size_t i = 0; i < size; ++i)
      payload[i] = static_cast<char>('a' + i % 26);
    std::string out = "prefix";
    append_ws_frame(out, WsOpcode::kText, payload);
    REQUIRE(out.compare(0, 6, "prefix") == 0);
    const ServerFrame f = decode_server(out.substr(6));
    CHECK(f.b0 == 0x81);  // FIN, text
    CHECK(f.header == header);
    CHECK(f.payload == payload);
  }
}

TEST_CASE("ws frame: a close frame carries the code and a reason cut on a UTF-8 boundary") {
  std::string out;
  append_ws_close(out, WsCloseCode::kTryAgainLater, "tail too slow");
  ServerFrame f = decode_server(out);
  CHECK(f.b0 == 0x88);
  WsCloseInfo info = parse_ws_close_payload(f.payload);
  CHECK(info.code == 1013);
  CHECK(info.reason == "tail too slow");

  // 61 two-byte characters (122 bytes) then one more: 124 bytes, over 123.
  std::string long_reason;
  for (int i = 0; i < 62; ++i)
    long_reason += "\xc3\xa9";  // é
  out.clear();
  append_ws_close(out, WsCloseCode::kGoingAway, long_reason);
  f = decode_server(out);
  CHECK(f.payload.size() <= 125);
  info = parse_ws_close_payload(f.payload);
  CHECK(info.code == 1001);
  CHECK(info.reason == long_reason.substr(0, 122));  // not 123: that would split é
  CHECK(parse_ws_close_payload("").code == 1005);
}

TEST_CASE("ws frame: client frames are unmasked, whole or fed one byte at a time") {
  const std::string bytes = client_frame(0x9, "are you there") + client_frame(0x1, "hello") +
                            client_frame(0xA, "") + client_frame(0x2, std::string(70000, 'z')) +
                            client_frame(0x8, close_payload(1000, "bye"));
  for (const size_t piece : {size_t{0}, size_t{1}, size_t{3}, size_t{4096}}) {
    INFO("piece " << piece);
    const Parsed p = parse_all(bytes, piece, 1 << 17);
    REQUIRE_FALSE(p.error);
    REQUIRE(p.frames.size() == 5);
    CHECK(p.frames[0].opcode == WsOpcode::kPing);
    CHECK(p.frames[0].payload == "are you there");
    CHECK(p.frames[1].opcode == WsOpcode::kText);
    CHECK(p.frames[1].payload.empty());  // data is read past, not kept
    CHECK(p.frames[2].opcode == WsOpcode::kPong);
    CHECK(p.frames[3].opcode == WsOpcode::kBinary);
    CHECK(p.frames[3].payload.empty());
    CHECK(p.frames[4].opcode == WsOpcode::kClose);
    const WsCloseInfo info = parse_ws_close_payload(p.frames[4].payload);
    CHECK(info.code == 1000);
    CHECK(info.reason == "bye");
  }
}

TEST_CASE("ws frame: a fragmented message may have control frames between its fragments") {
  const std::string bytes = client_frame(0x1, "part one, ", false) + client_frame(0x9, "p") +
                            client_frame(0x0, "part two, ", false) + client_frame(0x0, "the end") +
                            client_frame(0x1, "next");
  const Parsed p = parse_all(bytes, 2);
  REQUIRE_FALSE(p.error);
  REQUIRE(p.frames.size() == 5);
  CHECK_FALSE(p.frames[0].fin);
  CHECK(p.frames[1].opcode == WsOpcode::kPing);
  CHECK(p.frames[2].opcode == WsOpcode::kContinuation);
  CHECK(p.frames[3].fin);
  CHECK(p.frames[4].opcode == WsOpcode::kText);
}

TEST_CASE("ws frame: protocol violations are refused with 1002 and what was wrong") {
  std::string unmasked = "\x81\x05hello";
  CHECK(error_of(unmasked).reason == "client frames must be masked");

  std::string rsv = client_frame(0x1, "x");
  rsv[0] = static_cast<char>(rsv[0] | 0x40);
  CHECK(error_of(rsv).reason == "reserved bits set: no extension was negotiated");

  CHECK(error_of(client_frame(0x3, "x")).reason == "unknown opcode 0x3");
  CHECK(error_of(client_frame(0xB, "x")).reason == "unknown opcode 0xb");
  CHECK(error_of(client_frame(0x9, "x", false)).reason == "a control frame may not be fragmented");
  CHECK(error_of(client_frame(0x9, std::string(126, 'p'))).reason ==
        "a control frame carries at most 125 bytes");
  CHECK(error_of(client_frame(0x0, "x")).reason ==
        "a continuation frame outside a fragmented message");
  CHECK(error_of(client_frame(0x1, "a", false) + client_frame(0x1, "b")).reason ==
        "a new message inside a fragmented one");
  CHECK(error_of(client_frame(0x8, "\x03")).reason == "a close frame of 1 byte");
  for (const uint16_t code : {999, 1004, 1005, 1006, 1015, 2999, 5000}) {
    INFO(code);
    CHECK(error_of(client_frame(0x8, close_payload(code))).reason ==
          "close code " + std::to_string(code) + " may not be sent");
  }
  // A 16-bit length used for 5 bytes, and a 64-bit one for 200.
  std::string short16 = "\x81\xfe";
  short16 += std::string("\x00\x05", 2) + std::string(4, '\0') + "hello";
  CHECK(error_of(short16).reason == "payload length not in its shortest form");
  std::string short64 = "\x81\xff";
  short64 += std::string("\x00\x00\x00\x00\x00\x00\x00\xc8", 8) + std::string(4, '\0');
  CHECK(error_of(short64).reason == "payload length not in its shortest form");
  std::string top = "\x81\xff";
  top += std::string("\x80\x00\x00\x00\x00\x00\x00\x00", 8) + std::string(4, '\0');
  CHECK(error_of(top).reason == "payload length with its top bit set");
  for (const std::string& bytes : {unmasked, rsv, short16})
    CHECK(error_of(bytes).code == WsCloseCode::kProtocolError);
}

TEST_CASE("ws frame: a message over the limit is 1009, a close reason not in UTF-8 is 1007") {
  const WsFrameError big = error_of(client_frame(0x2, std::string(101, 'b')), 100);
  CHECK(big.code == WsCloseCode::kTooBig);
  CHECK(big.reason == "a message larger than 100 bytes");
  // The limit is on the message, across its fragments.
  const WsFrameError frag = error_of(
      client_frame(0x1, std::string(60, 'a'), false) + client_frame(0x0, std::string(41, 'a')),
      100);
  CHECK(frag.code == WsCloseCode::kTooBig);
  CHECK_FALSE(parse_all(client_frame(0x1, std::string(60, 'a'), false) +
                            client_frame(0x0, std::string(40, 'a')),
                        0, 100)
                  .error);

  const WsFrameError utf8 = error_of(client_frame(0x8, close_payload(1000, "\xff\xfe")));
  CHECK(utf8.code == WsCloseCode::kInvalidPayload);
  CHECK(utf8.reason == "a close reason that is not UTF-8");
}

TEST_CASE("ws frame: a declared length of gigabytes is refused at once, nothing buffered") {
  std::string huge = "\x82\xff";
  huge += std::string("\x00\x00\x00\x01\x00\x00\x00\x00", 8) + std::string(4, '\0');  // 4 GiB
  const WsFrameError e = error_of(huge);
  CHECK(e.code == WsCloseCode::kTooBig);
}
