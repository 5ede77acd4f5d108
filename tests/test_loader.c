/* The plugin loader: ABI checks, files that are not plugins, the path. */
#include "config.h"

#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core_tests.h"
#include "harness.h"
#include "plugin/plugins.h"

#define TESTLIBS WEIR_BUILDDIR "/tests/.libs"

/* A plugin folder holding exactly the named files from tests/.libs. */
static char *plugin_dir(const char *name, const char *const *files)
{
    char *dir = malloc(4096);
    snprintf(dir, 4096, "%s/%s", wt_tmpdir(), name);
    mkdir(dir, 0755);
    for (size_t i = 0; files[i]; i++) {
        char from[4096], to[4096];
        snprintf(from, sizeof(from), "%s/%s", TESTLIBS, files[i]);
        snprintf(to, sizeof(to), "%s/%s", dir, files[i]);
        unlink(to);
        CU_ASSERT_EQUAL(symlink(from, to), 0);
    }
    return dir;
}

static char *load_error(const char *path, const char *name)
{
    weir_plugins *reg = weir_plugins_new(path);
    char *err = NULL;
    const weir_plugin *p = weir_plugins_get(reg, name, &err);
    CU_ASSERT_PTR_NULL(p);
    weir_plugins_free(reg);
    return err ? err : strdup("");
}

static void test_loads_good_plugin(void)
{
    weir_plugins *reg = weir_plugins_new("/nonexistent:" TESTLIBS);
    char *err = NULL;
    const weir_plugin *p = weir_plugins_get(reg, "testgen", &err);
    CU_ASSERT_PTR_NOT_NULL(p);
    CU_ASSERT_PTR_NULL(err);
    CU_ASSERT_STRING_EQUAL(p->name, "testgen");
    CU_ASSERT_PTR_NOT_NULL(strstr(weir_plugins_file(reg, "testgen"),
                                  "/tests/.libs/testgen.so"));
    /* cached: the same descriptor again */
    CU_ASSERT_PTR_EQUAL(weir_plugins_get(reg, "testgen", &err), p);
    weir_plugins_free(reg);
}

static void test_wrong_abi_refused_by_name(void)
{
    char *err = load_error(TESTLIBS, "bad_abi");
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "bad_abi.so: plugin built for weir "
                                       "ABI 99.1"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "major differs"));
    free(err);
    err = load_error(TESTLIBS, "newer_abi");
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "newer_abi.so: plugin needs weir ABI "
                                       "1.999"));
    free(err);
}

/* Within a major the descriptor keeps one size: a struct_size that is
 * not sizeof(weir_plugin) (here the 1.0 fields without the reserved
 * slots, which the core once accepted) is a truncated or corrupt
 * descriptor, refused unopened. */
static void test_wrong_descriptor_size_refused(void)
{
    char *err = load_error(TESTLIBS, "bad_size");
    char want[256];
    snprintf(want, sizeof(want), "bad_size.so: plugin descriptor is "
             "truncated or corrupt: struct_size is %zu, a weir ABI 1 "
             "descriptor has %zu bytes: rebuild the plugin",
             offsetof(weir_plugin, probe), sizeof(weir_plugin));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
    free(err);
    /* the same for the option declarations the descriptor points to */
    err = load_error(TESTLIBS, "bad_option_size");
    snprintf(want, sizeof(want), "bad_option_size.so: plugin "
             "'bad_option_size' has truncated or corrupt option "
             "declarations: option_spec_size is %zu, a weir ABI 1 option "
             "has %zu bytes: rebuild the plugin",
             sizeof(weir_option_spec) - sizeof(void *),
             sizeof(weir_option_spec));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
    free(err);
}

static void test_not_a_plugin(void)
{
    char *err = load_error(TESTLIBS, "no_descriptor");
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "no_descriptor.so: not a weir plugin "
                                       "(no symbol weir_plugin_descriptor)"));
    free(err);
    /* garbage with a .so name */
    const char *dir = wt_tmpdir();
    free(wt_write_file(dir, "junk.so", "this is not an ELF file\n"));
    err = load_error(dir, "junk");
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "junk.so: not a loadable plugin"));
    free(err);
    /* an empty file */
    free(wt_write_file(dir, "empty.so", ""));
    err = load_error(dir, "empty");
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "empty.so: not a loadable plugin"));
    free(err);
}

static void test_name_must_match_file(void)
{
    char from[4096], dir[4096], to[4200];
    snprintf(from, sizeof(from), "%s/testgen.so", TESTLIBS);
    snprintf(dir, sizeof(dir), "%s/renamed", wt_tmpdir());
    mkdir(dir, 0755);
    snprintf(to, sizeof(to), "%s/other.so", dir);
    unlink(to);
    CU_ASSERT_EQUAL(symlink(from, to), 0);
    char *err = load_error(dir, "other");
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "calls itself 'testgen'"));
    free(err);
}

static void test_only_the_plugin_path(void)
{
    /* LD_LIBRARY_PATH and LTDL_LIBRARY_PATH are never searched. */
    setenv("LD_LIBRARY_PATH", TESTLIBS, 1);
    setenv("LTDL_LIBRARY_PATH", TESTLIBS, 1);
    char *err = load_error("/nonexistent", "testgen");
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown plugin 'testgen'"));
    free(err);
    unsetenv("LD_LIBRARY_PATH");
    unsetenv("LTDL_LIBRARY_PATH");
    err = load_error(TESTLIBS, "../.libs/testgen");
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a valid plugin name"));
    free(err);
}

typedef struct seen {
    int good, refused;
    char names[1024];
} seen;

static void on_scan(const char *file, const weir_plugin *p, const char *err,
                    void *ctx)
{
    seen *s = ctx;
    (void)file;
    if (p) {
        s->good++;
        strcat(s->names, p->name);
        strcat(s->names, " ");
    } else {
        s->refused++;
        CU_ASSERT_PTR_NOT_NULL(err);
    }
}

static void test_scan(void)
{
    static const char *const files[] = {"testgen.so", "bad_abi.so",
                                        "no_descriptor.so", NULL};
    char *dir = plugin_dir("scan", files);
    char path[8192];
    /* testgen twice in the path: listed once, from the first folder */
    snprintf(path, sizeof(path), "%s:%s", dir, TESTLIBS);
    weir_plugins *reg = weir_plugins_new(path);
    seen s = {0};
    weir_plugins_scan(reg, on_scan, &s);
    /* listed once, though both folders have it */
    const char *first = strstr(s.names, "testgen ");
    CU_ASSERT_PTR_NOT_NULL_FATAL(first);
    CU_ASSERT_PTR_NULL(strstr(first + 1, "testgen "));
    CU_ASSERT(s.good >= 1);
    CU_ASSERT(s.refused >= 2);
    weir_plugins_free(reg);
    free(dir);
}

/* A descriptor field of ABI 1.2 is read only from a plugin that declares
 * 1.2 or later: testsink_v11 (1.1) is loaded though it has a callback in
 * the slot probe() took in 1.2, and that slot is not its probe(). */
static void test_field_gated_by_minor(void)
{
    weir_plugins *reg = weir_plugins_new(TESTLIBS);
    char *err = NULL;
    const weir_plugin *old = weir_plugins_get(reg, "testsink_v11", &err);
    CU_ASSERT_PTR_NULL(err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(old);
    CU_ASSERT_EQUAL(old->abi_minor, 1);
    CU_ASSERT_PTR_NOT_NULL(old->probe);
    CU_ASSERT_FALSE(WEIR_PLUGIN_HAS(old, probe, 2));
    const weir_plugin *cur = weir_plugins_get(reg, "testsink", &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cur);
    CU_ASSERT_TRUE(WEIR_PLUGIN_HAS(cur, probe, 2));
    weir_plugins_free(reg);
}

void register_loader_tests(void)
{
    CU_pSuite s = CU_add_suite("plugin loader", NULL, NULL);
    CU_add_test(s, "loads a good plugin", test_loads_good_plugin);
    CU_add_test(s, "wrong ABI refused by name", test_wrong_abi_refused_by_name);
    CU_add_test(s, "wrong descriptor size refused",
                test_wrong_descriptor_size_refused);
    CU_add_test(s, "not a plugin refused", test_not_a_plugin);
    CU_add_test(s, "name must match file", test_name_must_match_file);
    CU_add_test(s, "only the plugin path is searched", test_only_the_plugin_path);
    CU_add_test(s, "scan the path", test_scan);
    CU_add_test(s, "a field of a later minor is gated",
                test_field_gated_by_minor);
}
