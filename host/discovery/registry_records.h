// The registry's journal records and snapshot: their values in memory and
// their bytes, exactly as docs/store-format.md "Registry stream" lays them
// out (the constants below point there). Decoders never read past their
// input and report Corruption (malformed) or NotSupported (a newer version
// byte) naming the field; the caller adds the stream and record version.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "discovery/health_state.h"
#include "discovery/service.h"

namespace chorus::discovery {

// docs/store-format.md "Registry stream".
inline constexpr std::string_view kRegistryStream = "chorus.registry";
inline constexpr std::string_view kRegistrySource = "chorus.discovery";
inline constexpr std::string_view kRegistryContentType = "application/vnd.chorus.registry";
inline constexpr std::string_view kRecordRegistered = "chorus.registry.registered";
inline constexpr std::string_view kRecordStatus = "chorus.registry.status";
inline constexpr std::string_view kRecordUnregistered = "chorus.registry.unregistered";
inline constexpr std::string_view kRecordHeartbeats = "chorus.registry.heartbeats";
inline constexpr uint8_t kRecordVersion = 1;
// ttl_ms meaning "the registry default"; interval/timeout meaning the same.
inline constexpr uint64_t kDefaultTtlMs = UINT64_MAX;
inline constexpr uint32_t kDefaultCheckMs = UINT32_MAX;
inline constexpr uint32_t kMaxHeartbeatsPerRecord = 100'000;

// One service as journaled ("service state").
struct ServiceRecord {
  ServiceSpec spec;
  int64_t registered_ns = 0;
  int64_t last_heartbeat_ns = 0;
  int64_t status_since_ns = 0;
  ServiceStatus status = ServiceStatus::kUnknown;
  CheckState check_state = CheckState::kNone;
  std::optional<ServiceStatus> override_status;
};

struct StatusRecord {
  std::string id;
  ServiceStatus status = ServiceStatus::kUnknown;
  CheckState check_state = CheckState::kNone;
  std::optional<ServiceStatus> override_status;
  int64_t status_since_ns = 0;
  int64_t last_heartbeat_ns = 0;
};

enum class UnregisterReason : uint8_t { kUnregistered = 1, kRemoved = 2 };

struct UnregisteredRecord {
  std::string id;
  UnregisterReason reason = UnregisterReason::kUnregistered;
  int64_t at_ns = 0;
};

struct HeartbeatsRecord {
  std::vector<std::pair<std::string, int64_t>> beats;  // id, last_heartbeat_ns
};

std::string encode_registered(const ServiceRecord& r);
std::string encode_status(const StatusRecord& r);
std::string encode_unregistered(const UnregisteredRecord& r);
std::string encode_heartbeats(const HeartbeatsRecord& r);
// The snapshot state: every record given.
std::string encode_snapshot(const std::vector<const ServiceRecord*>& services);

Result<ServiceRecord> decode_registered(std::string_view bytes);
Result<StatusRecord> decode_status(std::string_view bytes);
Result<UnregisteredRecord> decode_unregistered(std::string_view bytes);
Result<HeartbeatsRecord> decode_heartbeats(std::string_view bytes);
Result<std::vector<ServiceRecord>> decode_snapshot(std::string_view bytes);

}  // namespace chorus::discovery
