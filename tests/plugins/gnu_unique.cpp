// gnu_unique: a valid agent built WITHOUT chorus_add_plugin's flags (no
// -fvisibility=hidden, no -fno-gnu-unique), so the inline functions with
// static locals it uses are exported as STB_GNU_UNIQUE symbols. The host
// loads it and warns, naming a symbol.
#include <chorus/plugin.hpp>

namespace {

class Unique : public chorus::sdk::Agent {};

}  // namespace

// An exported inline function with a static local: a GNU unique object.
inline int& shared_counter() {
  static int counter = 0;
  return counter;
}

extern "C" int gnu_unique_touch() {
  return ++shared_counter();
}

CHORUS_PLUGIN(Unique, "unique", "1.0.0", "exports a GNU unique symbol")
