// The `host:` section: identity, data directory and worker threads.
#pragma once

#include <string>

namespace chorus::config {

class MapReader;

struct HostSection {
  // This host's name: [A-Za-z0-9._-], 1 to 63 bytes. Default: the machine's
  // hostname. Bridges use it as the origin id for loop prevention.
  std::string name;
  // Where the store and other state live; relative paths are relative to the
  // working directory of `chorus run`. Created when missing.
  std::string data_dir = "./data";
  // Asio worker threads; 0 means "auto" (the number of CPUs, at least 2).
  int workers = 0;

  friend bool operator==(const HostSection&, const HostSection&) = default;
};

// The machine's hostname reduced to the allowed characters ("chorus" if none).
std::string default_host_name();
// Workers to start for `configured` (resolves 0 = auto).
int resolve_workers(int configured);

void parse_host_section(MapReader& r, HostSection& out);

}  // namespace chorus::config
