// Logging: one spdlog logger per module ("core", "bus", "store", "cli", ...),
// all writing to one shared stderr sink in text or JSON-lines form.
//
// Thread-safe. Loggers are created on first use with the current level and
// format; configure() changes both for every logger at once.
#pragma once

#include <memory>
#include <string_view>

#include <spdlog/logger.h>

namespace chorus::log {

enum class Format { kText, kJson };

// The logger for `module`. Cheap after the first call for a name; callers
// keep the pointer (e.g. in a function-local static).
std::shared_ptr<spdlog::logger> get(std::string_view module);

// Sets the level and output format of every logger, present and future.
void configure(spdlog::level::level_enum level, Format format);

}  // namespace chorus::log
