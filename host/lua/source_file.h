// Reading script sources: the main file of a script and the modules it
// requires. Text only, bounded in size, with messages naming the path.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace chorus::lua {

// Scripts and modules larger than this are refused.
inline constexpr uint64_t kMaxScriptBytes = 16u << 20;

// Reads `path` into `out`. NotFound, IOError or InvalidArgument (not a
// regular file, too large), the message naming `display`.
Status read_source(const std::string& path, const std::string& display, std::string& out);

// realpath(3), or "" when the path does not resolve.
std::string real_path(const std::string& path);

// The scripts folder as it appears in chunk names and messages: "./scripts/"
// becomes "scripts", "" and "./" become ".".
std::string display_folder(std::string folder);

// The line of a message "<path>:LINE: ...", or 0.
int line_of(const std::string& message, const std::string& path);

// The content hash of `source` (FNV-1a 64, 16 hex digits; stable across
// builds) for logs and system.script.reloaded events.
std::string content_hash(std::string_view source);

}  // namespace chorus::lua
