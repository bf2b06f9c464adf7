// The ABI check: what the host accepts from chorus_plugin_entry(). The
// descriptor's first eight bytes (struct_size, abi_major, abi_minor) keep
// their place in every ABI version, so they are read first:
//
//   major != the host's              NotSupported (both versions named)
//   minor >  the host's              NotSupported (built for a newer host)
//   struct_size < the 1.0 size       InvalidArgument (corrupt or not ours)
//   struct_size > the host's size    InvalidArgument (at the same minor)
//
// then the fields: name ([a-z0-9_-], 1..64), version, capabilities, and the
// required callbacks (init, destroy). The result is the host's own copy:
// strings copied, and the raw struct zero-filled past the plugin's
// struct_size, so fields of a newer minor read as "absent".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "chorus/plugin.h"
#include "core/status.h"

namespace chorus::plugins {

struct Descriptor {
  std::string name;
  std::string version;
  std::string description;
  std::vector<std::string> capabilities;
  uint16_t abi_major = 0, abi_minor = 0;
  uint32_t struct_size = 0;
  chorus_plugin_descriptor raw{};  // callbacks; zero past the plugin's struct_size
};

// `what` names the plugin file in errors.
Result<Descriptor> check_descriptor(const chorus_plugin_descriptor* d, std::string_view what);

// [a-z0-9_-], 1 to 64 bytes: plugin and instance names.
Status check_agent_name(std::string_view name, std::string_view what);

}  // namespace chorus::plugins
