// chorus_status <-> StatusCode (status_codes.h).
#include "plugins/status_codes.h"

#include <fmt/core.h>

#include "chorus/plugin.h"

namespace chorus::plugins {
namespace {

// The ABI fixes these numbers; the host's enum happens to use the same ones.
static_assert(CHORUS_OK == static_cast<int32_t>(StatusCode::kOk));
static_assert(CHORUS_INVALID_ARGUMENT == static_cast<int32_t>(StatusCode::kInvalidArgument));
static_assert(CHORUS_NOT_FOUND == static_cast<int32_t>(StatusCode::kNotFound));
static_assert(CHORUS_ALREADY_EXISTS == static_cast<int32_t>(StatusCode::kAlreadyExists));
static_assert(CHORUS_CONFLICT == static_cast<int32_t>(StatusCode::kConflict));
static_assert(CHORUS_CORRUPTION == static_cast<int32_t>(StatusCode::kCorruption));
static_assert(CHORUS_IO_ERROR == static_cast<int32_t>(StatusCode::kIOError));
static_assert(CHORUS_TIMEOUT == static_cast<int32_t>(StatusCode::kTimeout));
static_assert(CHORUS_UNAVAILABLE == static_cast<int32_t>(StatusCode::kUnavailable));
static_assert(CHORUS_PERMISSION_DENIED == static_cast<int32_t>(StatusCode::kPermissionDenied));
static_assert(CHORUS_RESOURCE_EXHAUSTED == static_cast<int32_t>(StatusCode::kResourceExhausted));
static_assert(CHORUS_CANCELLED == static_cast<int32_t>(StatusCode::kCancelled));
static_assert(CHORUS_FAILED_PRECONDITION == static_cast<int32_t>(StatusCode::kFailedPrecondition));
static_assert(CHORUS_NOT_SUPPORTED == static_cast<int32_t>(StatusCode::kNotSupported));
static_assert(CHORUS_NO_RESPONDERS == static_cast<int32_t>(StatusCode::kNoResponders));
static_assert(CHORUS_INTERNAL == static_cast<int32_t>(StatusCode::kInternal));
static_assert(CHORUS_NO_HEALTHY_INSTANCE == static_cast<int32_t>(StatusCode::kNoHealthyInstance));
static_assert(CHORUS_STATUS_LAST_KNOWN == static_cast<int32_t>(StatusCode::kNoHealthyInstance));

}  // namespace

int32_t to_abi(StatusCode code) noexcept {
  return static_cast<int32_t>(code);
}

StatusCode from_abi(int32_t code) noexcept {
  if (code < CHORUS_OK || code > CHORUS_STATUS_LAST_KNOWN) return StatusCode::kInternal;
  return static_cast<StatusCode>(code);
}

StatusCode status_code_from_name(std::string_view name) noexcept {
  for (int32_t c = CHORUS_OK; c <= CHORUS_STATUS_LAST_KNOWN; ++c) {
    if (status_code_name(static_cast<StatusCode>(c)) == name) return static_cast<StatusCode>(c);
  }
  return StatusCode::kInternal;
}

Status status_from_plugin(int32_t code, std::string_view message, std::string_view callback) {
  const StatusCode c = from_abi(code);
  if (c == StatusCode::kOk) return Status::OK();
  if (!message.empty()) return Status(c, std::string(message));
  if (code < CHORUS_OK || code > CHORUS_STATUS_LAST_KNOWN)
    return Status(c, fmt::format("{} returned unknown status code {}", callback, code));
  return Status(c, fmt::format("{} returned {}", callback, status_code_name(c)));
}

}  // namespace chorus::plugins
