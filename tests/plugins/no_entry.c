/* no_entry: a shared library without the plugin entry symbol. */
#include <chorus/plugin.h>

CHORUS_PLUGIN_EXPORT int not_a_plugin(void) {
  return 42;
}
