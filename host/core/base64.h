// Base64 (RFC 4648, standard alphabet, padded), for CloudEvents `data_base64`.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace chorus {

std::string base64_encode(std::string_view bytes);
// Strict: padding required, no whitespace, no characters outside the alphabet,
// unused bits must be zero. Errors name the byte offset.
Result<std::string> base64_decode(std::string_view text);

}  // namespace chorus
