// Status codes across the plugin ABI: chorus_status (sdk/include/chorus/
// plugin.h) <-> chorus::StatusCode. The ABI's numbers are fixed forever;
// static_asserts in status_codes.cpp keep the two tables in step.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/status.h"

namespace chorus::plugins {

// The metadata key of an error reply: its value is the status name
// ("invalid_argument"); sdk/ABI.md "Requests".
inline constexpr std::string_view kStatusMetadataKey = "chorusstatus";

int32_t to_abi(StatusCode code) noexcept;
// An unknown code (a plugin built against a newer SDK) becomes kInternal.
StatusCode from_abi(int32_t code) noexcept;
// The code named by status_code_name(); kInternal for a name it never returns.
StatusCode status_code_from_name(std::string_view name) noexcept;
// A failed Status from a plugin's return code and the message it set (or
// "<callback> returned <code name>" when it set none).
Status status_from_plugin(int32_t code, std::string_view message, std::string_view callback);

}  // namespace chorus::plugins
