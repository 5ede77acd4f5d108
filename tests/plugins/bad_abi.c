/* A plugin built for another ABI: the loader must refuse it unopened.
 * Compiled four times: major 99 (bad_abi), minor 999 (newer_abi), a
 * descriptor of another size (bad_size: the 1.0 fields without the
 * reserved slots, as if the descriptor grew by size) and option
 * declarations of another size (bad_option_size). */
#include <stdlib.h>

#include <weir/plugin.h>

#ifndef TEST_ABI_MAJOR
#define TEST_ABI_MAJOR WEIR_ABI_MAJOR
#endif
#ifndef TEST_ABI_MINOR
#define TEST_ABI_MINOR WEIR_ABI_MINOR
#endif
#ifndef TEST_STRUCT_SIZE
#define TEST_STRUCT_SIZE sizeof(struct weir_plugin)
#endif
#ifndef TEST_OPTION_SPEC_SIZE
#define TEST_OPTION_SPEC_SIZE sizeof(weir_option_spec)
#endif

static const weir_option_spec options[] = {
    WEIR_OPTION("path", WEIR_OPTION_PATH, 0, 0, NULL, "never read"),
    WEIR_OPTION_END,
};

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
    .struct_size = TEST_STRUCT_SIZE,
    .option_spec_size = TEST_OPTION_SPEC_SIZE,
    .kinds = WEIR_KIND_SOURCE,
    .name = TEST_NAME,
    .version = "1",
    .description = "built for another ABI",
    .options = options,
    .open = never_open,
    .read = never_read,
    .close = never_close,
};
