// The ABI check of plugin descriptors (descriptor.h).
#include "plugins/descriptor.h"

#include <cstddef>
#include <cstring>
#include <optional>

#include <fmt/core.h>

#include "core/text.h"

namespace chorus::plugins {
namespace {

// The size of the 1.0 descriptor: the smallest any 1.x plugin may send.
constexpr uint32_t kMinDescriptorSize =
    offsetof(chorus_plugin_descriptor, health) + sizeof(chorus_plugin_descriptor::health);
constexpr size_t kMaxNameBytes = 64;
constexpr size_t kMaxVersionBytes = 64;
constexpr size_t kMaxDescriptionBytes = 1024;
constexpr size_t kMaxCapabilities = 64;
constexpr size_t kMaxCapabilityBytes = 128;

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

// A NUL-terminated string of at most `max` bytes, or nullopt.
std::optional<std::string_view> bounded(const char* s, size_t max) {
  if (!s) return std::nullopt;
  const void* nul = std::memchr(s, '\0', max + 1);
  if (!nul) return std::nullopt;
  return std::string_view(s, static_cast<const char*>(nul) - s);
}

}  // namespace

Status check_agent_name(std::string_view name, std::string_view what) {
  if (name.empty() || name.size() > kMaxNameBytes)
    return Status::InvalidArgument(
        fmt::format("{}: name '{}' must be 1 to {} bytes", what, printable(name), kMaxNameBytes));
  for (char c : name) {
    if (!name_char(c))
      return Status::InvalidArgument(
          fmt::format("{}: name '{}' may only use a-z, 0-9, '_' and '-'", what, printable(name)));
  }
  return Status::OK();
}

Result<Descriptor> check_descriptor(const chorus_plugin_descriptor* d, std::string_view what) {
  if (!d)
    return Status::InvalidArgument(fmt::format("{}: chorus_plugin_entry() returned NULL", what));
  Descriptor out;
  out.struct_size = d->struct_size;
  out.abi_major = d->abi_major;
  out.abi_minor = d->abi_minor;
  if (out.abi_major != CHORUS_PLUGIN_ABI_MAJOR)
    return Status::NotSupported(fmt::format(
        "{}: built for plugin ABI {}.{}, but this host has ABI {}.{} (major versions must "
        "match: rebuild the plugin against this host's SDK)",
        what, out.abi_major, out.abi_minor, CHORUS_PLUGIN_ABI_MAJOR, CHORUS_PLUGIN_ABI_MINOR));
  if (out.abi_minor > CHORUS_PLUGIN_ABI_MINOR)
    return Status::NotSupported(fmt::format(
        "{}: built for plugin ABI {}.{}, newer than this host's ABI {}.{} (update the host, or "
        "rebuild the plugin against SDK {}.{})",
        what, out.abi_major, out.abi_minor, CHORUS_PLUGIN_ABI_MAJOR, CHORUS_PLUGIN_ABI_MINOR,
        CHORUS_PLUGIN_ABI_MAJOR, CHORUS_PLUGIN_ABI_MINOR));
  if (out.struct_size < kMinDescriptorSize)
    return Status::InvalidArgument(
        fmt::format("{}: descriptor struct_size {} is smaller than ABI 1.0's {} bytes", what,
                    out.struct_size, kMinDescriptorSize));
  if (out.struct_size > sizeof(chorus_plugin_descriptor))
    return Status::InvalidArgument(fmt::format(
        "{}: descriptor struct_size {} is larger than ABI {}.{}'s {} bytes", what, out.struct_size,
        out.abi_major, out.abi_minor, sizeof(chorus_plugin_descriptor)));
  std::memcpy(&out.raw, d, out.struct_size);

  const auto name = bounded(d->name, kMaxNameBytes);
  if (!name)
    return Status::InvalidArgument(
        fmt::format("{}: descriptor name is missing or longer "
                    "than {} bytes",
                    what, kMaxNameBytes));
  CHORUS_RETURN_IF_ERROR(check_agent_name(*name, fmt::format("{}: descriptor", what)));
  out.name = std::string(*name);
  const auto version = bounded(d->version, kMaxVersionBytes);
  if (!version || version->empty())
    return Status::InvalidArgument(
        fmt::format("{}: descriptor version of '{}' is missing or longer than {} bytes", what,
                    out.name, kMaxVersionBytes));
  out.version = printable(*version, kMaxVersionBytes);
  if (d->description) {
    const auto desc = bounded(d->description, kMaxDescriptionBytes);
    if (!desc)
      return Status::InvalidArgument(fmt::format("{}: description of '{}' is longer than {} bytes",
                                                 what, out.name, kMaxDescriptionBytes));
    out.description = printable(*desc, kMaxDescriptionBytes);
  }
  if (d->capabilities) {
    for (size_t i = 0; d->capabilities[i]; ++i) {
      if (i == kMaxCapabilities)
        return Status::InvalidArgument(fmt::format("{}: '{}' lists more than {} capabilities", what,
                                                   out.name, kMaxCapabilities));
      const auto cap = bounded(d->capabilities[i], kMaxCapabilityBytes);
      if (!cap || cap->empty())
        return Status::InvalidArgument(
            fmt::format("{}: capability {} of '{}' is empty or longer than {} bytes", what, i,
                        out.name, kMaxCapabilityBytes));
      for (char c : *cap) {
        if (!name_char(c) && c != '.')
          return Status::InvalidArgument(
              fmt::format("{}: capability '{}' of '{}' may only use a-z, 0-9, '.', '_' and '-'",
                          what, printable(*cap), out.name));
      }
      out.capabilities.emplace_back(*cap);
    }
  }
  if (!out.raw.init)
    return Status::InvalidArgument(fmt::format("{}: '{}' has no init callback", what, out.name));
  if (!out.raw.destroy)
    return Status::InvalidArgument(fmt::format("{}: '{}' has no destroy callback", what, out.name));
  return out;
}

}  // namespace chorus::plugins
