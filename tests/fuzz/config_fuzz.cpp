// libFuzzer target: the YAML configuration loader (yaml-cpp plus our
// section readers) on arbitrary text: errors, never crashes.
#include <cstdint>
#include <string>

#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  chorus::config::LoadOptions opts;
  opts.env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "SET") return std::string("4");
    return std::nullopt;
  };
  (void)chorus::config::parse_config(text, "fuzz.yaml", opts);
  return 0;
}
