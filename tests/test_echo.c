/*
 * End-to-end: echo suppression (DESIGN.md, "Cross-reference", and
 * docs/pipeline-reference.md, <track echo>).  Two SQLite databases, a
 * CRM and an ERP, synced both ways by the real weir binary on one state:
 * what weir wrote into a system and reads back from it is no change, a
 * real change is, and two-way sync settles.
 */
#include "config.h"

#include <CUnit/CUnit.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cunit_main.h"
#include "e2e.h"
#include "harness.h"

#define PLUGINS WEIR_BUILDDIR "/connectors/.libs:" WEIR_BUILDDIR \
    "/plugins/.libs:" WEIR_BUILDDIR "/tests/.libs"

/* A pipeline file `name`.xml: sqlite `from`.db (query) -> <track
 * key="code" TRACK> -> sqlite `to`.db customers.  `from_system` NULL
 * leaves the source's system= out (it defaults to its name). */
static void pipeline(const char *dir, const char *name, const char *from,
                     const char *from_system, const char *query,
                     const char *track, const char *to)
{
    char xml[2048], sys[64] = "", file[128];
    if (from_system)
        snprintf(sys, sizeof(sys), " system=\"%s\"", from_system);
    snprintf(xml, sizeof(xml),
             "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"%s\" "
             "type=\"customer\">\n"
             "  <source plugin=\"sqlite\" name=\"%s\"%s>\n"
             "    <option name=\"database\">%s.db</option>\n"
             "    <option name=\"query\">%s</option>\n"
             "  </source>\n"
             "  <track key=\"code\" %s/>\n"
             "  <sink plugin=\"sqlite\" name=\"%s\" system=\"%s\">\n"
             "    <option name=\"database\">%s.db</option>\n"
             "    <option name=\"table\">customers</option>\n"
             "    <option name=\"key\">code</option>\n"
             "    <option name=\"busy-timeout\">100ms</option>\n"
             "  </sink>\n"
             "</pipeline>\n",
             name, from, sys, from, query, track, to, to, to);
    snprintf(file, sizeof(file), "%s.xml", name);
    free(wt_write_file(dir, file, xml));
}

static void sql(const char *dir, const char *db, const char *text)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/%s.db", dir, db);
    sqlite3 *h;
    char *err = NULL;
    CU_ASSERT_FATAL(sqlite3_open(path, &h) == SQLITE_OK);
    if (sqlite3_exec(h, text, NULL, NULL, &err) != SQLITE_OK)
        fprintf(stderr, "%s: %s\n", text, err);
    CU_ASSERT_PTR_NULL(err);
    sqlite3_free(err);
    sqlite3_close(h);
}

static long long query(const char *dir, const char *db, const char *text)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/%s.db", dir, db);
    return e2e_query_int(path, text);
}

/* `weir run NAME.xml [--dry-run]`, exit 0, with `written` records
 * written (would be sent)
 * and, unless -1, `unchanged` unchanged. */
static void run(const char *dir, const char *name, const char *extra,
                int written, int unchanged)
{
    char file[128], w[64], u[64];
    snprintf(file, sizeof(file), "%s.xml", name);
    snprintf(w, sizeof(w), extra ? " %d would be sent," : " %d written,",
             written);
    snprintf(u, sizeof(u), " %d unchanged ", unchanged);
    const char *args[] = {"run", file, "-v", "--plugin-path", PLUGINS, extra,
                          NULL};
    char *out = e2e_expectv(dir, 0, args);
    int ok = e2e_contains(out, w) && (unchanged < 0 || e2e_contains(out, u));
    /* the sqlite source adds whole rows: <track> reads them all by
     * column, so these tests hold for records read that way */
    const char *line = strstr(out, "<track> read ");
    unsigned long by_column = 0, read = 1;
    CU_ASSERT(line && sscanf(line, "<track> read %lu of %lu", &by_column,
                             &read) == 2);
    CU_ASSERT_EQUAL(by_column, read);
    if (!ok)
        fprintf(stderr, "(run of %s)\n", name);
    CU_ASSERT(ok);
    free(out);
}

#define TABLE "CREATE TABLE customers(code TEXT PRIMARY KEY, name TEXT, " \
              "city TEXT, erp_number TEXT);"

/* The CRM with two accounts, an empty ERP, and the CRM -> ERP pipeline
 * (`track`: its <track> attributes, `crm_system` its source's system=). */
static char *setup(const char *name, const char *crm_system, const char *track)
{
    char *d = e2e_scratch(name);
    sql(d, "crm", TABLE "INSERT INTO customers VALUES ('C1', 'Acme', "
                  "'Paris', NULL), ('C2', 'Beta', 'Lyon', NULL);");
    sql(d, "erp", TABLE);
    pipeline(d, "crm-to-erp", "crm", crm_system,
             "SELECT code, name, city, erp_number FROM customers", track,
             "erp");
    /* the write-back: the number the ERP gave, into the CRM */
    pipeline(d, "erp-number", "erp", "erp",
             "SELECT code, erp_number FROM customers WHERE erp_number IS "
             "NOT NULL", "", "crm");
    return d;
}

/* The accounts go to the ERP, the ERP numbers them, the numbers go back
 * into the CRM. */
static void create_and_write_back(const char *d)
{
    run(d, "crm-to-erp", NULL, 2, -1);
    CU_ASSERT_EQUAL(query(d, "erp", "SELECT count(*) FROM customers"), 2);
    sql(d, "erp", "UPDATE customers SET erp_number = 'E-' || code;");
    run(d, "erp-number", NULL, 2, -1);
    CU_ASSERT_EQUAL(query(d, "crm", "SELECT count(*) FROM customers WHERE "
                                    "erp_number = 'E-' || code"), 2);
}

/* The write-back does not bounce; a real CRM change goes; an ERP update
 * flows to the CRM and does not come back; a third round sends nothing. */
static void test_two_way_settles(void)
{
    char *d = setup("two-way", "crm", "");
    pipeline(d, "erp-to-crm", "erp", "erp",
             "SELECT code, name, city FROM customers", "", "crm");
    create_and_write_back(d);

    /* what weir wrote into the CRM is no change: a dry run would send
     * nothing, and the run sends nothing */
    run(d, "crm-to-erp", "--dry-run", 0, -1);
    run(d, "crm-to-erp", NULL, 0, 2);
    /* the ERP's rows are what weir wrote there: nothing to send back */
    run(d, "erp-to-crm", NULL, 0, 2);

    /* a real change in the CRM goes through */
    sql(d, "crm", "UPDATE customers SET city = 'Nice' WHERE code = 'C1';");
    run(d, "crm-to-erp", NULL, 1, 1);
    CU_ASSERT_EQUAL(query(d, "erp", "SELECT count(*) FROM customers WHERE "
                                    "code = 'C1' AND city = 'Nice'"), 1);

    /* an update in the ERP flows to the CRM (C1's Nice is weir's own) */
    sql(d, "erp", "UPDATE customers SET name = 'Beta Ltd' WHERE code = 'C2';");
    run(d, "erp-to-crm", NULL, 1, 1);
    CU_ASSERT_EQUAL(query(d, "crm", "SELECT count(*) FROM customers WHERE "
                                    "code = 'C2' AND name = 'Beta Ltd'"), 1);
    /* ... and does not bounce back */
    run(d, "crm-to-erp", NULL, 0, 2);

    /* settled: a third round of every pipeline sends nothing */
    run(d, "crm-to-erp", NULL, 0, 2);
    run(d, "erp-number", NULL, 0, 2);
    run(d, "erp-to-crm", NULL, 0, 2);

    /* a change that mixes an echo with a real change is a change */
    sql(d, "erp", "UPDATE customers SET city = 'Lille' WHERE code = 'C2';");
    run(d, "erp-to-crm", NULL, 1, -1);
    sql(d, "crm", "UPDATE customers SET name = 'Beta Group' WHERE code = "
                  "'C2';");
    run(d, "crm-to-erp", NULL, 1, 1);
    CU_ASSERT_EQUAL(query(d, "erp", "SELECT count(*) FROM customers WHERE "
                                    "code = 'C2' AND name = 'Beta Group' "
                                    "AND city = 'Lille'"), 1);
    /* a CRM value put back to what it was before weir wrote is a change */
    sql(d, "crm", "UPDATE customers SET erp_number = NULL WHERE code = "
                  "'C1';");
    run(d, "crm-to-erp", NULL, 1, 1);

    /* two write-backs into one account, each of other fields, before the
     * CRM -> ERP run: both are weir's */
    sql(d, "erp", "UPDATE customers SET erp_number = 'E-1b', name = "
                  "'Acme SA' WHERE code = 'C1';");
    run(d, "erp-number", NULL, 1, 1);
    run(d, "erp-to-crm", NULL, 1, 1);
    run(d, "crm-to-erp", NULL, 0, 2);
    free(d);
}

/* <track echo="keep">: the write-back is sent back, as before. */
static void test_echo_keep(void)
{
    char *d = setup("echo-keep", "crm", "echo=\"keep\"");
    create_and_write_back(d);
    run(d, "crm-to-erp", NULL, 2, -1);
    run(d, "crm-to-erp", NULL, 0, 2);
    free(d);
}

/* A source without system= in the XML takes no part: as before. */
static void test_source_without_system(void)
{
    char *d = setup("no-system", NULL, "");
    create_and_write_back(d);
    run(d, "crm-to-erp", NULL, 2, -1);
    run(d, "crm-to-erp", NULL, 0, 2);
    free(d);
}

/* Run `name` while `db` is locked by another connection: its sink finds
 * it busy, and the records wait in the outbox for a retry. */
static void run_locked(const char *dir, const char *db, const char *name)
{
    char path[4200], file[128];
    snprintf(path, sizeof(path), "%s/%s.db", dir, db);
    snprintf(file, sizeof(file), "%s.xml", name);
    sqlite3 *busy;
    CU_ASSERT_FATAL(sqlite3_open(path, &busy) == SQLITE_OK);
    CU_ASSERT_EQUAL(sqlite3_exec(busy, "BEGIN EXCLUSIVE", NULL, NULL, NULL),
                    SQLITE_OK);
    const char *args[] = {"run", file, "--plugin-path", PLUGINS, NULL};
    e2e_result r = e2e_runv(dir, args);
    CU_ASSERT(e2e_contains(r.out, " 0 written,"));
    e2e_result_free(&r);
    sqlite3_exec(busy, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(busy);
}

/* `weir drain NAME.xml` two hours later: the retries are due. */
static void drain_later(const char *dir, const char *name)
{
    char file[128];
    snprintf(file, sizeof(file), "%s.xml", name);
    const char *args[] = {"drain", file, "--plugin-path", PLUGINS, NULL};
    e2e_clock_offset("2h");
    free(e2e_expectv(dir, 0, args));
    e2e_clock_offset(NULL);
}

/* A write-back that went through only in a later drain (the CRM was
 * busy): what the drain wrote is remembered as well. */
static void test_write_back_drained(void)
{
    char *d = setup("drained", "crm", "");
    run(d, "crm-to-erp", NULL, 2, -1);
    sql(d, "erp", "UPDATE customers SET erp_number = 'E-' || code;");
    run_locked(d, "crm", "erp-number");
    CU_ASSERT_EQUAL(query(d, "crm", "SELECT count(*) FROM customers WHERE "
                                    "erp_number IS NOT NULL"), 0);
    drain_later(d, "erp-number");
    CU_ASSERT_EQUAL(query(d, "crm", "SELECT count(*) FROM customers WHERE "
                                    "erp_number = 'E-' || code"), 2);
    run(d, "crm-to-erp", NULL, 0, 2);
    free(d);
}

/* A key whose earlier change still waits in the outbox is never an
 * echo: the waiting row holds older values, and the change must
 * supersede it, or it would overwrite the target with them. */
static void test_waiting_row_is_superseded(void)
{
    char *d = setup("waiting", "crm", "");
    run(d, "crm-to-erp", NULL, 2, -1);
    sql(d, "erp", "UPDATE customers SET erp_number = 'E-' || code;");
    sql(d, "crm", "UPDATE customers SET city = 'Nice' WHERE code = 'C1';");
    run_locked(d, "erp", "crm-to-erp"); /* C1's change waits */
    run(d, "erp-number", NULL, 2, -1);
    /* C2's number is an echo; C1's is a change, superseding the waiting
     * row (and held: the ERP is still taken for down) */
    const char *again[] = {"run", "crm-to-erp.xml", "--plugin-path", PLUGINS,
                           NULL};
    char *out = e2e_expectv(d, 0, again);
    CU_ASSERT(e2e_contains(out, " 1 unchanged, 1 held, 1 superseded "));
    free(out);
    drain_later(d, "crm-to-erp");
    CU_ASSERT_EQUAL(query(d, "erp", "SELECT count(*) FROM customers WHERE "
                                    "code = 'C1' AND city = 'Nice' AND "
                                    "erp_number = 'E-C1'"), 1);
    free(d);
}

/* echo takes suppress or keep, nothing else. */
static void test_echo_values(void)
{
    char *d = setup("echo-values", "crm", "echo=\"suppress\"");
    const char *validate[] = {"validate", "crm-to-erp.xml", "--plugin-path",
                              PLUGINS, NULL};
    free(e2e_expectv(d, 0, validate));
    pipeline(d, "crm-to-erp", "crm", "crm", "SELECT code FROM customers",
             "echo=\"maybe\"", "erp");
    free(e2e_expectv(d, 1, validate));
    free(d);
}

void register_tests(void)
{
    CU_pSuite s = CU_add_suite("echo suppression", NULL, NULL);
    CU_add_test(s, "two-way sync settles", test_two_way_settles);
    CU_add_test(s, "echo=keep sends the echo back", test_echo_keep);
    CU_add_test(s, "a source without system= as before",
                test_source_without_system);
    CU_add_test(s, "a write-back delivered by a drain", test_write_back_drained);
    CU_add_test(s, "a key with a row waiting is a change",
                test_waiting_row_is_superseded);
    CU_add_test(s, "echo=\"suppress\" or \"keep\"", test_echo_values);
}
