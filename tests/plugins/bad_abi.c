/* A plugin built for another ABI: the loader must refuse it unopened.
 * Compiled twice: major 99 (bad_abi) and minor 999 (newer_abi). */
#include <stdlib.h>

#include <weir/plugin.h>

#ifndef TEST_ABI_MAJOR
#define TEST_ABI_MAJOR WEIR_ABI_MAJOR
#endif
#ifndef TEST_ABI_MINOR
#define TEST_ABI_MINOR WEIR_ABI_MINOR
#endif

/* Must never run: the loader refuses the descriptor first. */
static weir_status never_open(weir_instance *inst, const weir_host *host,
                              weir_kind kind, void **state)
{
    (void)inst; (void)host; (void)kind; (void)state;
    abort();
}

static weir_status never_read(void *state, weir_batch *b)
{
    (void)state; (void)b;
    abort();
}

static void never_close(void *state) { (void)state; abort(); }

WEIR_PLUGIN_DEFINE = {
    .abi_major = TEST_ABI_MAJOR,
    .abi_minor = TEST_ABI_MINOR,
    .struct_size = sizeof(struct weir_plugin),
    .kinds = WEIR_KIND_SOURCE,
    .name = TEST_NAME,
    .version = "1",
    .description = "built for another ABI",
    .open = never_open,
    .read = never_read,
    .close = never_close,
};
