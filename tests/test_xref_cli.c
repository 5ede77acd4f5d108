/*
 * test_xref_cli.c - `weir xref list/add/remove/merge` end to end with the
 * real weir binary: links made, refused with the reason, listed (text and
 * JSON, filtered), merged with what was replaced, removed; bad usage; and
 * a link added by hand releasing the records a transform held for it
 * (the test plugin testhold, waiting on the xref wait key).
 */
#include "config.h"

#include <CUnit/CUnit.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cunit_main.h"
#include "e2e.h"
#include "harness.h"

#define PLUGINS WEIR_BUILDDIR "/connectors/.libs:" WEIR_BUILDDIR \
    "/plugins/.libs:" WEIR_BUILDDIR "/tests/.libs"

/* weir ARGS (NULL-terminated) in `dir`, expecting exit `code`; stdout
 * and stderr together. (owned: free) */
static char *expect(const char *dir, int code, ...)
{
    const char *argv[32] = {NULL};
    int n = 0;
    va_list ap;
    va_start(ap, code);
    const char *a;
    while ((a = va_arg(ap, const char *)) && n < 29)
        argv[n++] = a;
    va_end(ap);
    argv[n++] = "--plugin-path";
    argv[n++] = PLUGINS;
    return e2e_expectv(dir, code, argv);
}

/* expect() and whether its output holds `needle`. */
#define EXPECT_SAYS(dir, code, needle, ...)                                 \
    do {                                                                    \
        char *out_ = expect(dir, code, __VA_ARGS__, NULL);                  \
        CU_ASSERT(e2e_contains(out_ ? out_ : "", needle));                  \
        free(out_);                                                         \
    } while (0)

/* The ends of link `i` of `weir xref list --json ARGS` as "s:i s:i". */
static void link_text(json_t *doc, size_t i, char *buf, size_t n)
{
    json_t *l = json_array_get(json_object_get(doc, "links"), i);
    json_t *ends = json_object_get(l, "ends");
    snprintf(buf, n, "%s %s:%s %s:%s %s",
             json_string_value(json_object_get(l, "entity")),
             json_string_value(json_object_get(json_array_get(ends, 0),
                                               "system")),
             json_string_value(json_object_get(json_array_get(ends, 0),
                                               "id")),
             json_string_value(json_object_get(json_array_get(ends, 1),
                                               "system")),
             json_string_value(json_object_get(json_array_get(ends, 1),
                                               "id")),
             json_string_value(json_object_get(l, "origin")));
}

static void test_add_list_merge_remove(void)
{
    char *d = e2e_scratch("xrefcli");
    /* nothing to list before there is a state */
    free(expect(d, 3, "xref", "list", NULL));
    EXPECT_SAYS(d, 0, "linked customer app:HB_000123 <-> erp:HB_000123",
                "xref", "add", "customer", "app:HB_000123", "erp:HB_000123");
    EXPECT_SAYS(d, 0, "already linked: customer erp:HB_000123 <-> "
                "app:HB_000123", "xref", "add", "customer", "erp:HB_000123",
                "app:HB_000123");
    EXPECT_SAYS(d, 0, "linked customer crm:0015 <-> erp:C00417", "xref",
                "add", "customer", "crm:0015", "erp:C00417");
    /* refused, naming the link in the way and the way out */
    char *out = expect(d, 1, "xref", "add", "customer", "app:HB_000123",
                       "erp:C00417", NULL);
    CU_ASSERT(e2e_contains(out, "customer app:HB_000123 is already linked "
                           "to erp:HB_000123 (manual, "));
    CU_ASSERT(e2e_contains(out, "weir xref merge replaces a link"));
    free(out);

    out = expect(d, 0, "xref", "list", NULL);
    CU_ASSERT(e2e_contains(out, "ENTITY"));
    CU_ASSERT(e2e_contains(out, "app:HB_000123"));
    free(out);
    json_t *doc = e2e_json(d, "xref", "list", "--json", NULL);
    CU_ASSERT_EQUAL_FATAL(json_array_size(json_object_get(doc, "links")), 2);
    char text[256];
    link_text(doc, 0, text, sizeof(text));
    CU_ASSERT_STRING_EQUAL(text, "customer app:HB_000123 erp:HB_000123 "
                                 "manual");
    json_decref(doc);

    /* merge: the generated code's link replaced, and said so */
    out = expect(d, 0, "xref", "merge", "customer", "app:HB_000123",
                 "erp:C00417", NULL);
    CU_ASSERT(e2e_contains(out, "replaced customer app:HB_000123 <-> "
                           "erp:HB_000123"));
    CU_ASSERT(e2e_contains(out, "linked customer app:HB_000123 <-> "
                           "erp:C00417 (merged)"));
    free(out);
    /* --system: its links only, its end first */
    doc = e2e_json(d, "xref", "list", "--system", "erp", "--json", NULL);
    CU_ASSERT_EQUAL_FATAL(json_array_size(json_object_get(doc, "links")), 2);
    link_text(doc, 0, text, sizeof(text));
    CU_ASSERT_STRING_EQUAL(text, "customer erp:C00417 app:HB_000123 merged");
    link_text(doc, 1, text, sizeof(text));
    CU_ASSERT_STRING_EQUAL(text, "customer erp:C00417 crm:0015 manual");
    json_decref(doc);
    doc = e2e_json(d, "xref", "list", "--system", "crm", "--entity",
                   "customer", "--json", NULL);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(doc, "links")), 1);
    json_decref(doc);
    EXPECT_SAYS(d, 0, "(no links)", "xref", "list", "--entity", "product");

    EXPECT_SAYS(d, 0, "removed 2 links of customer erp:C00417", "xref",
                "remove", "customer", "erp:C00417");
    EXPECT_SAYS(d, 1, "customer erp:C00417 has no link; nothing removed",
                "xref", "remove", "customer", "erp:C00417");
    doc = e2e_json(d, "xref", "list", "--json", NULL);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(doc, "links")), 0);
    json_decref(doc);
    free(d);
}

static void test_bad_usage(void)
{
    char *d = e2e_scratch("xrefusage");
    /* remove and merge need a state that exists */
    free(expect(d, 3, "xref", "remove", "customer", "app:1", NULL));
    free(expect(d, 3, "xref", "merge", "customer", "app:1", "erp:1", NULL));
    EXPECT_SAYS(d, 2, "'app' is not SYSTEM:ID", "xref", "add", "customer",
                "app", "erp:1");
    EXPECT_SAYS(d, 2, "'erp:' is not SYSTEM:ID", "xref", "merge", "customer",
                "app:1", "erp:");
    EXPECT_SAYS(d, 2, "a link joins two systems", "xref", "add", "customer",
                "app:1", "app:2");
    EXPECT_SAYS(d, 2, "unknown subcommand 'lsit'", "xref", "lsit");
    EXPECT_SAYS(d, 2, "usage: weir xref remove ENTITY SYSTEM:ID", "xref",
                "remove", "customer");
    EXPECT_SAYS(d, 2, "option --entity does not apply", "xref", "add",
                "--entity", "customer", "customer", "app:1", "erp:1");
    EXPECT_SAYS(d, 2, "does not apply to this command", "xref", "list",
                "--pipeline", "p");
    EXPECT_SAYS(d, 2, "usage: weir xref", "xref");
    free(d);
}

/* csv -> testhold (holds customer HB_1 until the file "linked" exists,
 * waiting for the xref wait key of its app id) -> testsink. */
static void test_add_releases_held(void)
{
    char *d = e2e_scratch("xrefrelease");
    free(wt_write_file(
        d, "p.xml",
        "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"orders\">\n"
        "  <source plugin=\"csv\" name=\"app\">\n"
        "    <option name=\"path\">in.csv</option>\n"
        "  </source>\n"
        "  <transform plugin=\"testhold\" name=\"link\">"
        "<option name=\"field\">customer</option>"
        "<option name=\"hold-values\">HB_1</option>"
        "<option name=\"until-file\">linked</option>"
        "<option name=\"wait-prefix\">xref:customer:app:</option>"
        "</transform>\n"
        "  <sink plugin=\"testsink\" name=\"erp\">\n"
        "    <option name=\"database\">target.db</option>\n"
        "  </sink>\n"
        "</pipeline>\n"));
    free(wt_write_file(d, "in.csv", "code,customer\nO1,HB_1\nO2,C9\n"));
    free(expect(d, 0, "run", "p.xml", NULL));
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "held", NULL), 1);
    /* the transform would pass it now, but nothing released it */
    free(wt_write_file(d, "linked", ""));
    free(expect(d, 0, "drain", "p.xml", NULL));
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "held", NULL), 1);
    /* another id's link releases nothing; its own does */
    free(expect(d, 0, "xref", "add", "customer", "app:HB_2", "erp:C2",
                NULL));
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "held", NULL), 1);
    free(expect(d, 0, "xref", "add", "customer", "erp:C1", "app:HB_1",
                NULL));
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "held", NULL), 0);
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "pending", NULL), 1);
    free(expect(d, 0, "drain", "p.xml", NULL));
    /* O2 went at the run, O1 now */
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "delivered", NULL), 1);
    char target[4200];
    snprintf(target, sizeof(target), "%s/target.db", d);
    CU_ASSERT_EQUAL(e2e_query_int(target, "SELECT count(*) FROM sends"), 2);
    free(d);
}

void register_tests(void)
{
    CU_pSuite s = CU_add_suite("weir xref", NULL, NULL);
    CU_add_test(s, "add, list, merge, remove", test_add_list_merge_remove);
    CU_add_test(s, "bad usage", test_bad_usage);
    CU_add_test(s, "a link added by hand releases held records",
                test_add_releases_held);
}
