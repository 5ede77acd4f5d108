/*
 * test_xref.c - the xref transform and source end to end, with the real
 * weir binary, a csv source, a sqlite target and `weir xref` for links:
 * each `missing` mode shown by what reaches the target, holds released
 * in order when the link is added, generated ids unique and linked, and
 * the links read back as records (once each with <track>).
 */
#include "config.h"

#include <CUnit/CUnit.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cunit_main.h"
#include "e2e.h"
#include "harness.h"

#define PLUGINS WEIR_BUILDDIR "/connectors/.libs:" WEIR_BUILDDIR "/plugins/.libs"

/* orders.csv (system app) -> xref customer field `cust` to erp, with
 * `opts` -> sqlite orders.db, table orders keyed by `order`. */
static void write_orders_pipeline(const char *dir, const char *name, const char *opts)
{
    char xml[4096];
    snprintf(xml, sizeof xml,
             "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"%s\" type=\"order\">\n"
             "  <source plugin=\"csv\" name=\"field-app\" system=\"app\">\n"
             "    <option name=\"path\">orders.csv</option>\n"
             "  </source>\n"
             "  <transform plugin=\"xref\" name=\"customer-code\">\n"
             "    <option name=\"entity\">customer</option>\n"
             "    <option name=\"field\">cust</option>\n"
             "    <option name=\"to\">erp</option>\n"
             "    %s\n"
             "  </transform>\n"
             "  <sink plugin=\"sqlite\" name=\"erp\">\n"
             "    <option name=\"database\">orders.db</option>\n"
             "    <option name=\"table\">orders</option>\n"
             "    <option name=\"key\">ref</option>\n"
             "  </sink>\n"
             "</pipeline>\n", name, opts);
    char file[64];
    snprintf(file, sizeof file, "%s.xml", name);
    free(wt_write_file(dir, file, xml));
}

/* weir ARGS... --plugin-path, expecting exit `code`: its output. (owned) */
#define weir(dir, code, ...) e2e_expect_with(dir, code, PLUGINS, __VA_ARGS__)

static long long target_int(const char *dir, const char *sql)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/orders.db", dir);
    return e2e_query_int(path, sql);
}

/* cust of order `order` in the target, "" when absent. (owned) */
static char *target_cust(const char *dir, const char *order)
{
    char path[4200], sql[200];
    snprintf(path, sizeof path, "%s/orders.db", dir);
    snprintf(sql, sizeof sql, "SELECT cust FROM orders WHERE ref = '%s'", order);
    char *cmd = NULL, *out = NULL;
    if (asprintf(&cmd, "sqlite3 '%s' \"%s\"", path, sql) < 0)
        return strdup("");
    FILE *f = popen(cmd, "r");
    free(cmd);
    char line[256] = "";
    if (f) {
        if (!fgets(line, sizeof line, f))
            line[0] = '\0';
        pclose(f);
    }
    line[strcspn(line, "\n")] = '\0';
    out = strdup(line);
    return out;
}

#define ASSERT_CUST(dir, order, want) do { \
        char *got_ = target_cust(dir, order); \
        CU_ASSERT_STRING_EQUAL(got_, want); \
        free(got_); \
    } while (0)

static char *orders_dir(const char *name, const char *opts)
{
    char *d = e2e_scratch(name);
    free(wt_write_file(d, "orders.csv",
                       "ref,cust,amount\nO1,A1,10\nO2,A2,20\nO3,A1,30\n"));
    write_orders_pipeline(d, "orders", opts);
    return d;
}

/* Linked ids are replaced; reject (the default) fails the unlinked ones
 * with a text that names both systems, in the monitor. */
static void test_reject(void)
{
    char *d = orders_dir("reject", "");
    free(weir(d, 0, "xref", "add", "customer", "app:A1", "erp:C00417", NULL));
    char *out = weir(d, 1, "run", "orders.xml", NULL);
    CU_ASSERT(e2e_contains(out, "2 written, 1 rejected"));
    free(out);
    ASSERT_CUST(d, "O1", "C00417");
    ASSERT_CUST(d, "O3", "C00417");
    CU_ASSERT_EQUAL(target_int(d, "SELECT count(*) FROM orders WHERE ref = 'O2'"), 0);
    out = weir(d, 0, "monitor", NULL);
    CU_ASSERT(e2e_contains(out, "no erp customer for app customer A2"));
    free(out);
    /* linked now: the resend goes through the transform again */
    free(weir(d, 0, "xref", "add", "customer", "app:A2", "erp:C2", NULL));
    out = weir(d, 0, "resend", "--pipeline", "orders", "--failed", NULL);
    CU_ASSERT(e2e_contains(out, "1 written"));
    free(out);
    ASSERT_CUST(d, "O2", "C2");
    out = weir(d, 0, "monitor", NULL);
    CU_ASSERT(e2e_contains(out, "(nothing undelivered)"));
    free(out);
    free(d);
}

/* hold: unlinked records wait without spending attempts; the link added
 * by `weir xref add` releases them, and they go in order with the id. */
static void test_hold_released_by_link(void)
{
    char *d = orders_dir("hold", "<option name=\"missing\">hold</option>");
    free(wt_write_file(d, "orders.csv",
                       "ref,cust,amount\nO1,A1,10\nO2,A2,20\nO3,A2,30\n"));
    free(weir(d, 0, "xref", "add", "customer", "app:A1", "erp:C1", NULL));
    char *out = weir(d, 0, "run", "orders.xml", NULL);
    CU_ASSERT(e2e_contains(out, "1 written"));
    CU_ASSERT(e2e_contains(out, "2 held"));
    free(out);
    out = weir(d, 0, "monitor", NULL);
    CU_ASSERT(e2e_contains(out, "waiting until app customer A2 has an id in erp"));
    free(out);
    /* a drain without the link changes nothing */
    free(weir(d, 0, "drain", NULL));
    CU_ASSERT_EQUAL(target_int(d, "SELECT count(*) FROM orders"), 1);
    free(weir(d, 0, "xref", "add", "customer", "app:A2", "erp:C2", NULL));
    free(weir(d, 0, "drain", NULL));
    ASSERT_CUST(d, "O2", "C2");
    ASSERT_CUST(d, "O3", "C2");
    CU_ASSERT_EQUAL(target_int(d, "SELECT count(*) FROM orders"), 3);
    /* in order: O2 was written before O3 */
    CU_ASSERT_EQUAL(target_int(d, "SELECT count(*) FROM orders a, orders b WHERE "
                                  "a.ref = 'O2' AND b.ref = 'O3' AND "
                                  "a.rowid < b.rowid"), 1);
    out = weir(d, 0, "monitor", NULL);
    CU_ASSERT_PTR_NULL(strstr(out, "held"));
    free(out);
    free(d);
}

/* generate: prefix and zero-padded number, linked at once (the next run
 * finds the link), never an id the store has for that system. */
static void test_generate(void)
{
    char *d = orders_dir("generate", "<option name=\"missing\">generate</option>"
                                     "<option name=\"prefix\">HB_</option>"
                                     "<option name=\"digits\">4</option>");
    /* HB_0001 is taken by a link the admin made */
    free(weir(d, 0, "xref", "add", "customer", "app:Z9", "erp:HB_0001", NULL));
    free(weir(d, 0, "run", "orders.xml", NULL));
    ASSERT_CUST(d, "O1", "HB_0002");
    ASSERT_CUST(d, "O2", "HB_0003");
    ASSERT_CUST(d, "O3", "HB_0002");
    char *out = weir(d, 0, "xref", "list", "--json", NULL);
    CU_ASSERT(e2e_contains(out, "\"HB_0002\""));
    CU_ASSERT(e2e_contains(out, "\"generated\""));
    free(out);
    /* a new order of A2 later: the link made before */
    free(wt_write_file(d, "orders.csv", "ref,cust,amount\nO4,A2,5\n"));
    free(weir(d, 0, "run", "orders.xml", NULL));
    ASSERT_CUST(d, "O4", "HB_0003");
    free(d);
}

/* drop: unlinked records are skipped and counted; keep: they go on with
 * the id as it is. */
static void test_drop_and_keep(void)
{
    char *d = orders_dir("drop", "<option name=\"missing\">drop</option>");
    free(weir(d, 0, "xref", "add", "customer", "app:A1", "erp:C1", NULL));
    char *out = weir(d, 0, "run", "orders.xml", NULL);
    CU_ASSERT(e2e_contains(out, "2 written, 0 rejected, 1 dropped"));
    free(out);
    CU_ASSERT_EQUAL(target_int(d, "SELECT count(*) FROM orders"), 2);
    free(d);

    d = orders_dir("keep", "<option name=\"missing\">keep</option>");
    free(weir(d, 0, "xref", "add", "customer", "app:A1", "erp:C1", NULL));
    out = weir(d, 0, "run", "orders.xml", NULL);
    CU_ASSERT(e2e_contains(out, "3 written, 0 rejected, 0 dropped"));
    free(out);
    ASSERT_CUST(d, "O1", "C1");
    ASSERT_CUST(d, "O2", "A2");
    free(d);
}

/* keep before <track>: nothing is kept for a merge to resolve, and the
 * run says so once. */
static void test_keep_before_track_warned(void)
{
    char *d = e2e_scratch("keep-before-track");
    free(wt_write_file(d, "orders.csv", "ref,cust,amount\nO1,A1,10\nO2,A2,20\n"));
    free(wt_write_file(d, "orders.xml",
        "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"orders\" type=\"order\">\n"
        "  <source plugin=\"csv\" name=\"field-app\" system=\"app\">\n"
        "    <option name=\"path\">orders.csv</option>\n"
        "  </source>\n"
        "  <transform plugin=\"xref\" name=\"customer-code\">\n"
        "    <option name=\"entity\">customer</option>\n"
        "    <option name=\"field\">cust</option>\n"
        "    <option name=\"to\">erp</option>\n"
        "    <option name=\"missing\">keep</option>\n"
        "  </transform>\n"
        "  <track key=\"ref\"/>\n"
        "  <sink plugin=\"sqlite\" name=\"erp\">\n"
        "    <option name=\"database\">orders.db</option>\n"
        "    <option name=\"table\">orders</option>\n"
        "    <option name=\"key\">ref</option>\n"
        "  </sink>\n"
        "</pipeline>\n"));
    char *out = weir(d, 0, "run", "orders.xml", NULL);
    CU_ASSERT(e2e_contains(out, "missing=keep before <track>"));
    const char *first = strstr(out, "missing=keep before");
    CU_ASSERT_PTR_NULL(first ? strstr(first + 1, "missing=keep before") : NULL);
    free(out);
    free(d);
}

/* into: the linked id goes into another field; the source's id stays. */
static void test_into(void)
{
    char *d = orders_dir("into", "<option name=\"into\">erp_cust</option>"
                                 "<option name=\"missing\">keep</option>");
    free(weir(d, 0, "xref", "add", "customer", "app:A1", "erp:C1", NULL));
    free(weir(d, 0, "run", "orders.xml", NULL));
    ASSERT_CUST(d, "O1", "A1");
    CU_ASSERT_EQUAL(target_int(d, "SELECT count(*) FROM orders WHERE ref = 'O1' "
                                  "AND erp_cust = 'C1'"), 1);
    CU_ASSERT_EQUAL(target_int(d, "SELECT count(*) FROM orders WHERE ref = 'O2' "
                                  "AND erp_cust = 'A2'"), 1);
    free(d);
}

/* from: the ids are another system's than the source's (the app still
 * carries the old CRM's codes): links of that system are used. */
static void test_from(void)
{
    char *d = orders_dir("from", "<option name=\"from\">crm</option>");
    free(weir(d, 0, "xref", "add", "customer", "app:A1", "erp:C1", NULL));
    free(weir(d, 0, "xref", "add", "customer", "crm:A1", "erp:C7", NULL));
    free(weir(d, 0, "xref", "add", "customer", "crm:A2", "erp:C8", NULL));
    free(weir(d, 0, "run", "orders.xml", NULL));
    ASSERT_CUST(d, "O1", "C7");
    ASSERT_CUST(d, "O2", "C8");
    ASSERT_CUST(d, "O3", "C7");
    free(d);
}

/* An empty id is no id: rejected, saying which field. */
static void test_empty_id(void)
{
    char *d = orders_dir("empty", "");
    free(wt_write_file(d, "orders.csv", "ref,cust,amount\nO1,,10\n"));
    free(weir(d, 1, "run", "orders.xml", NULL));
    char *out = weir(d, 0, "monitor", NULL);
    CU_ASSERT(e2e_contains(out, "field 'cust' holds no app customer id"));
    free(out);
    free(d);
}

/* The xref source reads the links as records; with <track> each new
 * link comes out once (the write-back of ERP numbers into the app). */
static void test_source_with_track(void)
{
    char *d = e2e_scratch("source");
    free(wt_write_file(d, "links.xml",
        "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"links\">\n"
        "  <source plugin=\"xref\" name=\"links\">\n"
        "    <option name=\"entity\">customer</option>\n"
        "    <option name=\"system\">app</option>\n"
        "    <option name=\"to\">erp</option>\n"
        "  </source>\n"
        "  <track key=\"app\" fields=\"erp\"/>\n"
        "  <sink plugin=\"csv\" name=\"out\">\n"
        "    <option name=\"path\">out.csv</option>\n"
        "  </sink>\n"
        "</pipeline>\n"));
    free(weir(d, 0, "xref", "add", "customer", "app:A1", "erp:C1", NULL));
    free(weir(d, 0, "xref", "add", "customer", "erp:C2", "app:A2", NULL));
    free(weir(d, 0, "xref", "add", "customer", "crm:K1", "erp:C1", NULL));
    char *out = weir(d, 0, "run", "links.xml", NULL);
    CU_ASSERT(e2e_contains(out, "2 read, 2 written"));
    free(out);
    char *path = NULL;
    CU_ASSERT_FATAL(asprintf(&path, "%s/out.csv", d) > 0);
    char *csv = wt_read_file(path);
    CU_ASSERT(e2e_contains(csv, "app,erp,origin,created"));
    CU_ASSERT(e2e_contains(csv, "A1,C1,manual,"));
    CU_ASSERT(e2e_contains(csv, "A2,C2,manual,"));
    CU_ASSERT_PTR_NULL(strstr(csv, "K1"));
    free(csv);
    /* nothing new: nothing out; a new link: only it */
    out = weir(d, 0, "run", "links.xml", NULL);
    CU_ASSERT(e2e_contains(out, "0 written"));
    free(out);
    free(weir(d, 0, "xref", "add", "customer", "app:A3", "erp:C3", NULL));
    out = weir(d, 0, "run", "links.xml", NULL);
    CU_ASSERT(e2e_contains(out, "3 read, 1 written"));
    free(out);
    free(path);
    free(d);
}

/* Two pipelines validated together: one says the ERP owns the credit
 * limit; the other sends into the ERP from the shop without saying so:
 * a warning naming both (exit 0); declared, none. */
static void test_validate_owner_across_files(void)
{
    char *d = e2e_scratch("owners");
    free(wt_write_file(d, "in.csv", "code,credit_limit\nA1,100\n"));
    free(wt_write_file(d, "erp-to-shop.xml",
        "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"erp-to-shop\">\n"
        "  <source plugin=\"csv\" name=\"erp\" system=\"erp\">\n"
        "    <option name=\"path\">in.csv</option>\n"
        "  </source>\n"
        "  <track key=\"code\">\n"
        "    <field name=\"credit_limit\" owner=\"erp\"/>\n"
        "  </track>\n"
        "  <sink plugin=\"csv\" name=\"shop\" system=\"shop\">\n"
        "    <option name=\"path\">shop.csv</option>\n"
        "  </sink>\n"
        "</pipeline>\n"));
    const char *shop =
        "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"shop-to-erp\">\n"
        "  <source plugin=\"csv\" name=\"shop\" system=\"shop\">\n"
        "    <option name=\"path\">in.csv</option>\n"
        "  </source>\n"
        "  <track key=\"code\">%s</track>\n"
        "  <sink plugin=\"csv\" name=\"erp\" system=\"erp\">\n"
        "    <option name=\"path\">erp.csv</option>\n"
        "  </sink>\n"
        "</pipeline>\n";
    char xml[2048];
    snprintf(xml, sizeof xml, shop, "");
    free(wt_write_file(d, "shop-to-erp.xml", xml));
    char *out = weir(d, 0, "validate", "erp-to-shop.xml", "shop-to-erp.xml", NULL);
    CU_ASSERT(e2e_contains(out, "shop-to-erp.xml:6: warning: sink 'erp' sends into erp, "
                                "which owns credit_limit (erp-to-shop.xml:5)"));
    free(out);
    out = weir(d, 0, "validate", "--json", "erp-to-shop.xml", "shop-to-erp.xml", NULL);
    CU_ASSERT(e2e_contains(out, "\"warnings\""));
    CU_ASSERT(e2e_contains(out, "which owns credit_limit"));
    free(out);
    /* each file alone: nothing to compare with */
    out = weir(d, 0, "validate", "shop-to-erp.xml", NULL);
    CU_ASSERT_PTR_NULL(strstr(out, "warning"));
    free(out);
    snprintf(xml, sizeof xml, shop, "<field name=\"credit_limit\" owner=\"erp\"/>");
    free(wt_write_file(d, "shop-to-erp.xml", xml));
    out = weir(d, 0, "validate", "erp-to-shop.xml", "shop-to-erp.xml", NULL);
    CU_ASSERT_PTR_NULL(strstr(out, "warning"));
    free(out);
    free(d);
}

/* validate names what is wrong. */
static void test_validate(void)
{
    char *d = e2e_scratch("validate");
    write_orders_pipeline(d, "bad", "<option name=\"missing\">sometimes</option>"
                                    "<option name=\"from\">erp</option>"
                                    "<option name=\"digits\">40</option>");
    char *out = weir(d, 1, "validate", "bad.xml", NULL);
    CU_ASSERT(e2e_contains(out, "sometimes"));
    CU_ASSERT(e2e_contains(out, "'erp' links to itself"));
    CU_ASSERT(e2e_contains(out, "option 'digits': 40 is not 1 to 18"));
    free(out);
    free(d);
}

void register_tests(void)
{
    CU_pSuite s = CU_add_suite("xref transform and source", NULL, NULL);
    CU_add_test(s, "linked ids replaced; missing=reject in the monitor", test_reject);
    CU_add_test(s, "missing=hold: released in order by weir xref add", test_hold_released_by_link);
    CU_add_test(s, "missing=generate: prefix, digits, linked, unique", test_generate);
    CU_add_test(s, "missing=drop and missing=keep", test_drop_and_keep);
    CU_add_test(s, "into another field", test_into);
    CU_add_test(s, "from another system than the source's", test_from);
    CU_add_test(s, "keep before <track>: warned once", test_keep_before_track_warned);
    CU_add_test(s, "an empty id is rejected", test_empty_id);
    CU_add_test(s, "xref source with <track>: each new link once", test_source_with_track);
    CU_add_test(s, "validate names the problems", test_validate);
    CU_add_test(s, "validate: a field sent into the system that owns it",
                test_validate_owner_across_files);
}
