// The `bus:` config section mapped onto the bus's own options. The bus knows
// no config type; this is the one place that turns one into the other.
// (Composition: it moves to host/runtime/options_from_config.* with the rest
// of the runtime.)
#pragma once

#include "bus/bus_options.h"
#include "config/bus_section.h"

namespace chorus::cli {

// Every field of `section`, one for one; enums mapped by name.
bus::BusOptions bus_options_from(const config::BusSection& section);

}  // namespace chorus::cli
