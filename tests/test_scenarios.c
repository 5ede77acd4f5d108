/*
 * The example pipelines in pipelines/, run as their READMEs say: each is
 * copied to a scratch folder and driven with the real weir binary.
 *   erp-customers-to-field-app: a mapping change re-sends exactly the
 *             affected customers
 *   invoices-to-erp-monitored: the ERP refuses an invoice, weir retries it
 *             five times, the monitor shows the ERP's message, the admin
 *             fixes the setup and resends
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

static char *run_ok(const char *dir, int code, const char *a1, const char *a2,
                    const char *a3, const char *a4, const char *a5,
                    const char *a6)
{
    e2e_result r = e2e_run(dir, a1, a2, a3, a4, a5, a6, NULL);
    if (r.status != code)
        fprintf(stderr, "\n  weir %s: exit %d, expected %d\n%s%s\n", a1,
                r.status, code, r.out, r.err);
    CU_ASSERT_EQUAL(r.status, code);
    char *out = r.out;
    r.out = NULL;
    e2e_result_free(&r);
    return out;
}

static long long q(const char *dir, const char *db, const char *sql)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/%s", dir, db);
    return e2e_query_int(path, sql);
}

static void test_seed_001_mapping_change(void)
{
    const char *name = "erp-customers-to-field-app";
    char *d = e2e_scratch("seed001");
    e2e_copy_example(d, name, "pipeline.xml");
    e2e_copy_example(d, name, "customers.csv");
    e2e_copy_example(d, name, "rep-users.csv");
    char *out = run_ok(d, 0, "run", "pipeline.xml", NULL, NULL, NULL, NULL);
    CU_ASSERT(e2e_contains(out, "6 read, 6 written"));
    free(out);
    out = run_ok(d, 0, "run", "pipeline.xml", NULL, NULL, NULL, NULL);
    CU_ASSERT(e2e_contains(out, "6 unchanged"));
    free(out);
    /* the admin moves SAL001 to another app user */
    char path[4200];
    snprintf(path, sizeof(path), "%s/rep-users.csv", d);
    char *map = wt_read_file(path);
    char *at = strstr(map, "sally@example.com");
    CU_ASSERT_PTR_NOT_NULL_FATAL(at);
    memcpy(at, "samir", 5);
    free(wt_write_file(d, "rep-users.csv", map));
    free(map);
    out = run_ok(d, 0, "run", "pipeline.xml", NULL, NULL, NULL, NULL);
    CU_ASSERT(e2e_contains(out, "3 written"));
    CU_ASSERT(e2e_contains(out, "3 unchanged"));
    free(out);
    CU_ASSERT_EQUAL(q(d, "field-app.db", "SELECT count(*) FROM customers WHERE "
                                         "user = 'samir@example.com'"), 3);
    CU_ASSERT_EQUAL(q(d, "field-app.db", "SELECT count(*) FROM customers WHERE "
                                         "sales_rep = 'SAL001' AND user != "
                                         "'samir@example.com'"), 0);
    free(d);
}

/* Record `id` waits for its retry, and its 15-25 s have passed: the
 * clock of the weir processes started next is `send` minutes on (each
 * send more than the one before). */
static void retry_due_now(const char *dir, int id, int send)
{
    char ids[32], offset[32];
    snprintf(ids, sizeof(ids), "%d", id);
    CU_ASSERT_EQUAL(e2e_outbox_count(dir, "id", ids, "status", "retry", NULL),
                    1);
    snprintf(offset, sizeof(offset), "%dm", send);
    e2e_clock_offset(offset);
}

static void test_seed_002_monitor_and_resend(void)
{
    const char *name = "invoices-to-erp-monitored";
    char *d = e2e_scratch("seed002");
    e2e_copy_example(d, name, "pipeline.xml");
    e2e_copy_example(d, name, "invoices.csv");
    e2e_copy_example(d, name, "erp-setup.sql");
    char path[4200];
    snprintf(path, sizeof(path), "%s/erp.db", d);
    char *sql = wt_read_file(WEIR_SRCDIR "/pipelines/invoices-to-erp-monitored/erp-setup.sql");
    sqlite3 *db;
    CU_ASSERT_EQUAL_FATAL(sqlite3_open(path, &db), SQLITE_OK);
    CU_ASSERT_EQUAL(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    free(sql);
    /* the README's WEIR_STATE */
    snprintf(path, sizeof(path), "%s/weir.db", d);
    setenv("WEIR_STATE", path, 1);
    /* refused by the ERP: retried, as the scenario does */
    char *out = run_ok(d, 0, "run", "pipeline.xml", NULL, NULL, NULL, NULL);
    CU_ASSERT(e2e_contains(out, "4 read, 3 written, 0 rejected, 0 dropped, "
                                "1 waiting for retry"));
    free(out);
    out = run_ok(d, 0, "monitor", "--json", NULL, NULL, NULL, NULL);
    CU_ASSERT(e2e_contains(out, "\"type\": \"invoice\""));
    CU_ASSERT(e2e_contains(out, "\"status\": \"retry\""));
    CU_ASSERT(e2e_contains(out, "\"error\": \"1020 - Terms Code is not defined in A/R Terms\""));
    free(out);
    /* `weir drain --wait`: four more sends, then it has failed */
    for (int send = 2; send <= 5; send++) {
        retry_due_now(d, 1, send);
        out = run_ok(d, send < 5 ? 0 : 1, "drain", NULL, NULL, NULL, NULL,
                     NULL);
        e2e_clock_offset(NULL);
        CU_ASSERT(e2e_contains(out, send < 5 ? "1 waiting for retry"
                                             : "1 failed"));
        free(out);
    }
    out = run_ok(d, 0, "monitor", "--json", NULL, NULL, NULL, NULL);
    CU_ASSERT(e2e_contains(out, "\"status\": \"failed\""));
    CU_ASSERT(e2e_contains(out, "\"error\": \"gave up after 5 attempts: 1020 - "
                                "Terms Code is not defined in A/R Terms\""));
    free(out);
    /* the admin adds the terms code in the ERP, then resends */
    CU_ASSERT_EQUAL(sqlite3_exec(db, "INSERT INTO terms VALUES ('F48', "
                                     "'48 month repayment plan')",
                                 NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    out = run_ok(d, 0, "resend", "--pipeline", "invoices-to-erp", "--failed",
                 NULL, NULL);
    CU_ASSERT(e2e_contains(out, "1 written"));
    free(out);
    CU_ASSERT_EQUAL(q(d, "erp.db", "SELECT count(*) FROM invoices"), 4);
    out = run_ok(d, 0, "monitor", NULL, NULL, NULL, NULL, NULL);
    CU_ASSERT(e2e_contains(out, "(nothing undelivered)"));
    free(out);
    unsetenv("WEIR_STATE");
    free(d);
}

void register_tests(void)
{
    CU_pSuite s = CU_add_suite("example pipelines", NULL, NULL);
    CU_add_test(s, "erp-customers-to-field-app: a mapping change re-sends "
                   "exactly the affected customers",
                test_seed_001_mapping_change);
    CU_add_test(s, "invoices-to-erp-monitored: refused, retried, monitored, "
                   "fixed, resent",
                test_seed_002_monitor_and_resend);
}
