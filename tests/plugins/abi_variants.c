/* abi_variants: plugins whose descriptors the host must refuse, one per
 * ABI_VARIANT (built as separate .so files by tests/plugins/CMakeLists.txt):
 *   1  abi_major: ABI major + 1
 *   2  abi_minor: a minor newer than the host's
 *   3  abi_small: struct_size smaller than ABI 1.0's descriptor
 *   4  abi_null:  the entry returns NULL
 *   5  abi_noinit: no init callback
 */
#include <chorus/plugin.h>

#if ABI_VARIANT == 4 || ABI_VARIANT == 5
#define UNUSED __attribute__((unused))
#else
#define UNUSED
#endif

UNUSED static chorus_status init(const chorus_init_args* args, void** out) {
  (void)args;
  *out = 0;
  return CHORUS_OK;
}

static void destroy(void* instance) {
  (void)instance;
}

UNUSED static const chorus_plugin_descriptor descriptor = {
#if ABI_VARIANT == 3
    16,
#else
    sizeof(chorus_plugin_descriptor),
#endif
#if ABI_VARIANT == 1
    CHORUS_PLUGIN_ABI_MAJOR + 1,
#else
    CHORUS_PLUGIN_ABI_MAJOR,
#endif
#if ABI_VARIANT == 2
    CHORUS_PLUGIN_ABI_MINOR + 3,
#else
    CHORUS_PLUGIN_ABI_MINOR,
#endif
    "bad_abi",
    "0.0.1",
    "a plugin the host must refuse",
    0,
#if ABI_VARIANT == 5
    0,
#else
    init,
#endif
    0,
    0,
    destroy,
    0,
    0,
    0};

const chorus_plugin_descriptor* chorus_plugin_entry(void) {
#if ABI_VARIANT == 4
  return 0;
#else
  return &descriptor;
#endif
}
