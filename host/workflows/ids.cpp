// Name-based UUIDs from FNV-1a-64 (docs/workflows.md "Instances").
#include "workflows/ids.h"

#include <fmt/core.h>

namespace chorus::workflows {
namespace {

uint64_t fnv1a(std::string_view s, uint64_t h) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace

Uuid name_uuid(std::string_view text) {
  const uint64_t a = fnv1a(text, 0xcbf29ce484222325ULL);
  const uint64_t b = fnv1a(text, a ^ 0x9e3779b97f4a7c15ULL);
  Uuid u;
  for (int i = 0; i < 8; ++i) {
    u.bytes[i] = static_cast<uint8_t>(a >> (56 - 8 * i));
    u.bytes[8 + i] = static_cast<uint8_t>(b >> (56 - 8 * i));
  }
  u.bytes[6] = static_cast<uint8_t>((u.bytes[6] & 0x0f) | 0x80);  // version 8
  u.bytes[8] = static_cast<uint8_t>((u.bytes[8] & 0x3f) | 0x80);  // RFC 9562 variant
  return u;
}

std::string instance_id_for(std::string_view workflow, const Uuid& trigger_id) {
  std::string text(workflow);
  text.push_back('\0');
  text += trigger_id.to_string();
  return name_uuid(text).to_string();
}

Uuid command_event_id(std::string_view instance, uint32_t seq, std::string_view role) {
  return name_uuid(role.empty() ? fmt::format("{}:{}", instance, seq)
                                : fmt::format("{}:{}:{}", instance, seq, role));
}

std::string idempotency_key(std::string_view instance, uint32_t seq) {
  return fmt::format("{}:{}", instance, seq);
}

}  // namespace chorus::workflows
