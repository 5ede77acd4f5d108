/*
 * End-to-end tests: the real weir binary, real plugin files from the
 * build tree, real files and SQLite databases in a scratch folder.
 * With WEIR_E2E_VALGRIND=1 every weir process runs under valgrind and a
 * leak or memory error fails the test.
 */
#include "config.h"

#include <CUnit/CUnit.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cunit_main.h"
#include "e2e.h"
#include "harness.h"

#define PIPE_HEAD "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"%s\">\n"

static const char customers_csv[] =
    "code,name,city\n"
    "A1,Alpha,Cape Town\n"
    "A2,\"Beta, Inc\",Durban\n"
    "A3,Gamma,\n";

static const char csv_to_sqlite[] =
    "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"load\">\n"
    "  <source plugin=\"csv\" name=\"erp\">\n"
    "    <option name=\"path\">customers.csv</option>\n"
    "  </source>\n"
    "  <transform plugin=\"map\" name=\"m\">\n"
    "    <set field=\"origin\" value=\"erp\"/>\n"
    "  </transform>\n"
    "  <sink plugin=\"sqlite\" name=\"db\">\n"
    "    <option name=\"database\">target.db</option>\n"
    "    <option name=\"table\">customers</option>\n"
    "    <option name=\"key\">code</option>\n"
    "  </sink>\n"
    "</pipeline>\n";

static void test_version_and_help(void)
{
    char *dir = e2e_scratch("help");
    e2e_result r = e2e_run(dir, "--version", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(e2e_contains(r.out, "weir " PACKAGE_VERSION " (plugin ABI 1."));
    e2e_result_free(&r);
    r = e2e_run(dir, "--help", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(e2e_contains(r.out, "validate"));
    CU_ASSERT(e2e_contains(r.out, "--plugin-path"));
    e2e_result_free(&r);
    r = e2e_run(dir, "run", "--help", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(e2e_contains(r.out, "usage: weir run FILE.xml"));
    CU_ASSERT(e2e_contains(r.out, "Exit status"));
    e2e_result_free(&r);
    r = e2e_run(dir, "frobnicate", NULL);
    CU_ASSERT_EQUAL(r.status, 2);
    CU_ASSERT(e2e_contains(r.err, "unknown command 'frobnicate'"));
    e2e_result_free(&r);
    r = e2e_run(dir, "run", NULL);
    CU_ASSERT_EQUAL(r.status, 2);
    e2e_result_free(&r);
    r = e2e_run(dir, "validate", "--full", "x.xml", NULL);
    CU_ASSERT_EQUAL(r.status, 2);
    CU_ASSERT(e2e_contains(r.err, "does not apply"));
    e2e_result_free(&r);
    free(dir);
}

static void test_run_csv_to_sqlite(void)
{
    char *dir = e2e_scratch("load");
    free(wt_write_file(dir, "customers.csv", customers_csv));
    free(wt_write_file(dir, "p.xml", csv_to_sqlite));
    e2e_result r = e2e_run(dir, "run", "p.xml", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(e2e_contains(r.out, "load: 3 read, 3 written, 0 rejected, 0 dropped"));
    e2e_result_free(&r);
    char db[4200], state[4200];
    snprintf(db, sizeof(db), "%s/target.db", dir);
    snprintf(state, sizeof(state), "%s/weir.db", dir);
    CU_ASSERT_EQUAL(e2e_query_int(db, "SELECT count(*) FROM customers"), 3);
    CU_ASSERT_EQUAL(e2e_query_int(db, "SELECT count(*) FROM customers WHERE "
                                  "name = 'Beta, Inc' AND origin = 'erp'"), 1);
    /* the empty unquoted city is NULL */
    CU_ASSERT_EQUAL(e2e_query_int(db, "SELECT count(*) FROM customers WHERE "
                                  "code = 'A3' AND city IS NULL"), 1);
    /* the state database: 0600, the run and the pipeline's file recorded */
    struct stat sb;
    CU_ASSERT_EQUAL(stat(state, &sb), 0);
    CU_ASSERT_EQUAL(sb.st_mode & 0777, 0600);
    json_t *load = e2e_status(dir, "load", NULL);
    CU_ASSERT_EQUAL(json_object_size(json_object_get(load, "runs")), 1);
    CU_ASSERT_EQUAL(e2e_json_int(load, "runs.ok"), 1);
    CU_ASSERT_EQUAL(e2e_json_int(load, "last_counts.read"), 3);
    CU_ASSERT_EQUAL(e2e_json_int(load, "last_counts.written"), 3);
    CU_ASSERT(e2e_ends_with(json_string_value(json_object_get(load, "file")),
                            "/load/p.xml"));
    json_decref(load);
    /* a second run upserts: still three rows */
    r = e2e_run(dir, "run", "p.xml", "--json", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(e2e_contains(r.out, "\"written\":3"));
    e2e_result_free(&r);
    CU_ASSERT_EQUAL(e2e_query_int(db, "SELECT count(*) FROM customers"), 3);
    free(dir);
}

static void test_run_from_another_folder_and_state_option(void)
{
    char *dir = e2e_scratch("elsewhere");
    char *sub = e2e_scratch("elsewhere/pipes");
    free(wt_write_file(sub, "customers.csv", customers_csv));
    free(wt_write_file(sub, "p.xml", csv_to_sqlite));
    /* relative paths resolve against the pipeline's folder, not the cwd */
    e2e_result r = e2e_run(dir, "run", "pipes/p.xml", "--state", "my-state.db", "-q",
                   NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT_STRING_EQUAL(r.out, "");
    e2e_result_free(&r);
    char db[4200];
    snprintf(db, sizeof(db), "%s/target.db", sub);
    CU_ASSERT_EQUAL(e2e_query_int(db, "SELECT count(*) FROM customers"), 3);
    json_t *st = e2e_json(dir, "status", "--state", "my-state.db", "--json",
                          NULL);
    json_t *load = json_array_get(json_object_get(st, "pipelines"), 0);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(st, "pipelines")), 1);
    CU_ASSERT_EQUAL(json_object_size(json_object_get(load, "runs")), 1);
    CU_ASSERT_EQUAL(e2e_json_int(load, "runs.ok"), 1);
    json_decref(st);
    free(sub);
    free(dir);
}

static void test_bad_rows_rejected_others_go_on(void)
{
    char *dir = e2e_scratch("badrows");
    free(wt_write_file(dir, "customers.csv",
                       "code,name,city\n"
                       "A1,Alpha,Cape Town\n"
                       "A2,too,many,fields\n"
                       "A3,\"Gam\xff\xfe\",Durban\n"
                       "A4,Delta,Paarl\n"));
    free(wt_write_file(dir, "p.xml", csv_to_sqlite));
    e2e_result r = e2e_run(dir, "run", "p.xml", NULL);
    CU_ASSERT_EQUAL(r.status, 1);
    CU_ASSERT(e2e_contains(r.out, "4 read, 2 written, 2 rejected"));
    CU_ASSERT(e2e_contains(r.err, "load/erp:3"));
    CU_ASSERT(e2e_contains(r.err, "load/erp:4"));
    e2e_result_free(&r);
    char db[4200];
    snprintf(db, sizeof(db), "%s/target.db", dir);
    CU_ASSERT_EQUAL(e2e_query_int(db, "SELECT count(*) FROM customers WHERE "
                                  "code IN ('A1', 'A4')"), 2);
    free(dir);
}

static void test_sink_reject_counts_and_exit_1(void)
{
    char *dir = e2e_scratch("sinkreject");
    char xml[1024];
    snprintf(xml, sizeof(xml), PIPE_HEAD
             "<source plugin=\"testgen\" name=\"gen\"><option name=\"count\">"
             "5</option></source>\n<sink plugin=\"testgen\" name=\"out\">"
             "<option name=\"reject-id\">2 4</option></sink>\n</pipeline>\n",
             "rej");
    free(wt_write_file(dir, "p.xml", xml));
    e2e_result r = e2e_run(dir, "run", "p.xml", "--plugin-path",
                   WEIR_BUILDDIR "/tests/.libs", NULL);
    CU_ASSERT_EQUAL(r.status, 1);
    CU_ASSERT(e2e_contains(r.out, "5 read, 3 written, 2 rejected"));
    CU_ASSERT(e2e_contains(r.err, "rej/gen:2: rejected by sink 'out': test sink "
                              "rejects id 2"));
    e2e_result_free(&r);
    free(dir);
}

static void test_source_failure_exit_3(void)
{
    char *dir = e2e_scratch("srcfail");
    char xml[1024];
    snprintf(xml, sizeof(xml), PIPE_HEAD
             "<source plugin=\"testgen\" name=\"gen\"><option name=\"count\">"
             "50</option><option name=\"fail-at\">20</option></source>\n"
             "<sink plugin=\"testgen\" name=\"out\"/>\n</pipeline>\n",
             "fails");
    free(wt_write_file(dir, "p.xml", xml));
    e2e_result r = e2e_run(dir, "run", "p.xml", "--plugin-path",
                   WEIR_BUILDDIR "/tests/.libs", NULL);
    CU_ASSERT_EQUAL(r.status, 3);
    CU_ASSERT(e2e_contains(r.err, "source 'gen' failed while reading"));
    e2e_result_free(&r);
    CU_ASSERT_EQUAL(e2e_status_int(dir, "fails", NULL, "runs.error"), 1);
    /* a missing source file: could not open, exit 3 */
    free(wt_write_file(dir, "p2.xml", csv_to_sqlite));
    r = e2e_run(dir, "run", "p2.xml", NULL);
    CU_ASSERT_EQUAL(r.status, 3);
    CU_ASSERT(e2e_contains(r.err, "customers.csv"));
    e2e_result_free(&r);
    free(dir);
}

/* csv -> <track key="code"> -> sqlite, for the "changed nothing" tests. */
static const char tracked_csv_to_sqlite[] =
    "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"tracked\">\n"
    "  <source plugin=\"csv\" name=\"erp\">\n"
    "    <option name=\"path\">customers.csv</option>\n"
    "  </source>\n"
    "  <track key=\"code\"/>\n"
    "  <sink plugin=\"sqlite\" name=\"db\">\n"
    "    <option name=\"database\">target.db</option>\n"
    "    <option name=\"table\">customers</option>\n"
    "    <option name=\"key\">code</option>\n"
    "  </sink>\n"
    "</pipeline>\n";

/* Ten customers; with `cut` the export ends inside row 9's quoted name
 * (the ERP died mid-write), swallowing row 10, and row 1 has changed. */
static void write_ten_customers(const char *dir, int cut)
{
    char text[1024];
    size_t len = (size_t)snprintf(text, sizeof text, "code,name\n");
    for (int i = 1; i <= 10; i++) {
        const char *fmt = "C%02d,Name %d\n";
        if (cut && i == 1)
            fmt = "C%02d,Renamed %d\n";
        else if (cut && i == 9)
            fmt = "C%02d,\"Name %d, cut\n";
        len += (size_t)snprintf(text + len, sizeof text - len, fmt, i, i);
    }
    free(wt_write_file(dir, "customers.csv", text));
}

static void test_truncated_export_changes_nothing(void)
{
    char *dir = e2e_scratch("truncated");
    char db[4200];
    snprintf(db, sizeof db, "%s/target.db", dir);
    free(wt_write_file(dir, "p.xml", tracked_csv_to_sqlite));
    write_ten_customers(dir, 0);
    e2e_result r = e2e_run(dir, "run", "p.xml", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    e2e_result_free(&r);
    CU_ASSERT_EQUAL(e2e_query_int(db, "SELECT count(*) FROM customers"), 10);

    /* Row 10 is inside the open quote: one delete in ten passes the
     * delete guard, so only the source can stop it. */
    write_ten_customers(dir, 1);
    r = e2e_run(dir, "run", "p.xml", NULL);
    CU_ASSERT_EQUAL(r.status, 3);
    CU_ASSERT(e2e_contains(r.err, "customers.csv: line 10: unterminated quote"));
    CU_ASSERT(e2e_contains(r.err, "changed nothing"));
    e2e_result_free(&r);
    CU_ASSERT_EQUAL(e2e_query_int(db, "SELECT count(*) FROM customers"), 10);
    CU_ASSERT_EQUAL(e2e_query_int(db, "SELECT count(*) FROM customers WHERE "
                                  "code = 'C01' AND name = 'Name 1'"), 1);

    /* Nothing advanced: the whole export again is all unchanged. */
    write_ten_customers(dir, 0);
    r = e2e_run(dir, "run", "p.xml", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(e2e_contains(r.out, "10 unchanged"));
    e2e_result_free(&r);
    free(dir);
}

/* The spool is a file in $TMPDIR, gone when the run ends; without that
 * folder a tracked run stops before it reads or sends anything. */
static void test_spool_in_tmpdir(void)
{
    char *dir = e2e_scratch("spool-tmpdir");
    char db[4200], tmp[4200], missing[4300];
    snprintf(db, sizeof db, "%s/target.db", dir);
    snprintf(tmp, sizeof tmp, "%s/tmp", dir);
    snprintf(missing, sizeof missing, "%s/missing", dir);
    CU_ASSERT_EQUAL_FATAL(mkdir(tmp, 0700), 0);
    free(wt_write_file(dir, "p.xml", tracked_csv_to_sqlite));
    write_ten_customers(dir, 0);
    char *saved = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;

    /* (valgrind needs $TMPDIR itself) */
    if (!getenv("WEIR_E2E_VALGRIND")) {
        setenv("TMPDIR", missing, 1);
        e2e_result r = e2e_run(dir, "run", "p.xml", NULL);
        CU_ASSERT_EQUAL(r.status, 3);
        char want[4400];
        snprintf(want, sizeof want, "cannot create a temporary file for the "
                 "changes in %s (TMPDIR): No such file or directory", missing);
        CU_ASSERT(e2e_contains(r.err, want));
        e2e_result_free(&r);
        CU_ASSERT_EQUAL(e2e_query_int(db, "SELECT count(*) FROM customers"), -1);
    }

    setenv("TMPDIR", tmp, 1);
    e2e_result r = e2e_run(dir, "run", "p.xml", NULL);
    if (saved)
        setenv("TMPDIR", saved, 1);
    else
        unsetenv("TMPDIR");
    free(saved);
    CU_ASSERT_EQUAL(r.status, 0);
    e2e_result_free(&r);
    CU_ASSERT_EQUAL(e2e_query_int(db, "SELECT count(*) FROM customers"), 10);
    CU_ASSERT_EQUAL(rmdir(tmp), 0); /* empty: the spool went with the run */
    free(dir);
}

/* A wide export (more fields than a record's 64-bit name mask has
 * bits) in batches of 17 (classify() looks records up 16 behind where it
 * prepares them).  `order` 1 writes the columns the other way round,
 * with CRLF line ends, a BOM and no final line break; `edit` 1 turns
 * K05's f03 from "" into NULL and K30's f70 into "new". */
static void write_wide_export(const char *dir, int order, int edit)
{
    enum { COLS = 70, ROWS = 40 };
    size_t cap = 64 * 1024, len = 0;
    char *text = malloc(cap);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    const char *eol = order ? "\r\n" : "\n";
    if (order)
        len += (size_t)snprintf(text + len, cap - len, "\xef\xbb\xbf");
    for (int row = -1; row < ROWS; row++) {
        for (int k = 0; k <= COLS; k++) {
            int c = order ? COLS - k : k; /* column 0: code */
            const char *sep = k ? "," : "";
            if (row < 0 && c == 0)
                len += (size_t)snprintf(text + len, cap - len, "%scode", sep);
            else if (row < 0)
                len += (size_t)snprintf(text + len, cap - len, "%sf%02d", sep,
                                        c);
            else if (c == 0)
                len += (size_t)snprintf(text + len, cap - len, "%sK%02d", sep,
                                        row);
            else if (edit && row == 5 && c == 3)
                len += (size_t)snprintf(text + len, cap - len, "%s", sep);
            else if (edit && row == 30 && c == 70)
                len += (size_t)snprintf(text + len, cap - len, "%snew", sep);
            else if ((row + c) % 5 == 0) /* NULL */
                len += (size_t)snprintf(text + len, cap - len, "%s", sep);
            else if ((row + c) % 5 == 1 || (row == 5 && c == 3)) /* "" */
                len += (size_t)snprintf(text + len, cap - len, "%s\"\"", sep);
            else
                len += (size_t)snprintf(text + len, cap - len,
                                        "%s\"v%d, %d\"", sep, row, c);
        }
        if (!(order && row == ROWS - 1))
            len += (size_t)snprintf(text + len, cap - len, "%s", eol);
    }
    CU_ASSERT_FATAL(len < cap);
    free(wt_write_file(dir, "customers.csv", text));
    free(text);
}

/* The same export with its columns in another order, other line ends, a
 * BOM and no final line break is no change; NULL for "" and one value in
 * the 70th column are, and only they. */
static void test_wide_export_reordered_unchanged(void)
{
    char *dir = e2e_scratch("wide-reordered");
    char db[4200];
    snprintf(db, sizeof db, "%s/target.db", dir);
    free(wt_write_file(dir, "p.xml",
                       "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"wide\" "
                       "batch-size=\"17\">\n"
                       "  <source plugin=\"csv\" name=\"erp\">\n"
                       "    <option name=\"path\">customers.csv</option>\n"
                       "  </source>\n"
                       "  <track key=\"code\"/>\n"
                       "  <sink plugin=\"sqlite\" name=\"db\">\n"
                       "    <option name=\"database\">target.db</option>\n"
                       "    <option name=\"table\">customers</option>\n"
                       "    <option name=\"key\">code</option>\n"
                       "  </sink>\n"
                       "</pipeline>\n"));
    write_wide_export(dir, 0, 0);
    e2e_result r = e2e_run(dir, "run", "p.xml", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(e2e_contains(r.out, "40 read, 40 written"));
    e2e_result_free(&r);
    CU_ASSERT_EQUAL(e2e_query_int(db, "SELECT count(*) FROM customers WHERE "
                                  "code = 'K05' AND f03 = ''"), 1);
    CU_ASSERT_EQUAL(e2e_query_int(db, "SELECT count(*) FROM customers WHERE "
                                  "f02 IS NULL"), 8);

    write_wide_export(dir, 1, 0);
    r = e2e_run(dir, "run", "p.xml", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(e2e_contains(r.out, "40 read, 0 written, 0 rejected, 0 dropped, "
                           "40 unchanged"));
    e2e_result_free(&r);

    write_wide_export(dir, 1, 1);
    r = e2e_run(dir, "run", "p.xml", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(e2e_contains(r.out, "40 read, 2 written, 0 rejected, 0 dropped, "
                           "38 unchanged"));
    e2e_result_free(&r);
    CU_ASSERT_EQUAL(e2e_query_int(db, "SELECT count(*) FROM customers WHERE "
                                  "code = 'K05' AND f03 IS NULL AND "
                                  "f04 = 'v5, 4'"), 1);
    CU_ASSERT_EQUAL(e2e_query_int(db, "SELECT count(*) FROM customers WHERE "
                                  "code = 'K30' AND f70 = 'new'"), 1);
    free(dir);
}

static void test_invalid_pipeline_exit_2(void)
{
    char *dir = e2e_scratch("invalid");
    free(wt_write_file(dir, "bad.xml",
                       "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"b\">\n"
                       "  <source plugin=\"csv\" name=\"in\">\n"
                       "    <option name=\"pth\">x.csv</option>\n"
                       "  </source>\n"
                       "  <sink plugin=\"nosuch\" name=\"out\"/>\n"
                       "</pipeline>\n"));
    e2e_result r = e2e_run(dir, "run", "bad.xml", NULL);
    CU_ASSERT_EQUAL(r.status, 2);
    CU_ASSERT(e2e_contains(r.err, "bad.xml:3: unknown option 'pth'"));
    CU_ASSERT(e2e_contains(r.err, "bad.xml:5: sink 'out': unknown plugin 'nosuch'"));
    e2e_result_free(&r);
    /* nothing was created */
    char state[4200];
    snprintf(state, sizeof(state), "%s/weir.db", dir);
    CU_ASSERT_NOT_EQUAL(access(state, F_OK), 0);

    r = e2e_run(dir, "validate", "bad.xml", NULL);
    CU_ASSERT_EQUAL(r.status, 1);
    CU_ASSERT(e2e_contains(r.err, "bad.xml:2: source 'in': missing required "
                              "option 'path'"));
    e2e_result_free(&r);
    r = e2e_run(dir, "validate", "--json", "bad.xml", NULL);
    CU_ASSERT_EQUAL(r.status, 1);
    CU_ASSERT(e2e_contains(r.out, "\"valid\": false"));
    e2e_result_free(&r);
    r = e2e_run(dir, "validate", "missing.xml", NULL);
    CU_ASSERT_EQUAL(r.status, 1);
    CU_ASSERT(e2e_contains(r.err, "missing.xml: cannot read"));
    e2e_result_free(&r);
    free(dir);
}

static void test_validate_clean_files(void)
{
    char *dir = e2e_scratch("valid");
    free(wt_write_file(dir, "p.xml", csv_to_sqlite));
    e2e_result r = e2e_run(dir, "validate", "p.xml",
                   WEIR_SRCDIR "/pipelines/csv-to-sqlite/pipeline.xml", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(e2e_contains(r.out, "p.xml: valid (pipeline 'load')"));
    e2e_result_free(&r);
    free(dir);
}

static void test_dry_run_changes_nothing(void)
{
    char *dir = e2e_scratch("dry");
    free(wt_write_file(dir, "customers.csv", customers_csv));
    free(wt_write_file(dir, "p.xml", csv_to_sqlite));
    e2e_result r = e2e_run(dir, "run", "p.xml", "--dry-run", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(e2e_contains(r.out, "dry run: 3 read, 3 would be sent"));
    e2e_result_free(&r);
    char db[4200], state[4200];
    snprintf(db, sizeof(db), "%s/target.db", dir);
    snprintf(state, sizeof(state), "%s/weir.db", dir);
    CU_ASSERT_NOT_EQUAL(access(db, F_OK), 0);
    CU_ASSERT_NOT_EQUAL(access(state, F_OK), 0);
    free(dir);
}

static void test_state_problems_exit_3(void)
{
    char *dir = e2e_scratch("badstate");
    free(wt_write_file(dir, "customers.csv", customers_csv));
    free(wt_write_file(dir, "p.xml", csv_to_sqlite));
    free(wt_write_file(dir, "weir.db", "garbage, not a database at all....."
                                       "................................."));
    e2e_result r = e2e_run(dir, "run", "p.xml", NULL);
    CU_ASSERT_EQUAL(r.status, 3);
    CU_ASSERT(e2e_contains(r.err, "weir.db: is corrupt or not a weir state database"));
    e2e_result_free(&r);
    char db[4200];
    snprintf(db, sizeof(db), "%s/target.db", dir);
    CU_ASSERT_NOT_EQUAL(access(db, F_OK), 0);
    free(dir);
}

static void test_plugins_listing(void)
{
    char *dir = e2e_scratch("plugins");
    e2e_result r = e2e_run(dir, "plugins", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(e2e_contains(r.out, "csv"));
    CU_ASSERT(e2e_contains(r.out, "sqlite"));
    CU_ASSERT(e2e_contains(r.out, "map"));
    CU_ASSERT(e2e_contains(r.out, "filter"));
    e2e_result_free(&r);
    r = e2e_run(dir, "plugins", "-v", NULL);
    CU_ASSERT(e2e_contains(r.out, "delimiter"));
    e2e_result_free(&r);
    /* a wrong-ABI plugin in the path is refused by name, the rest listed */
    r = e2e_run(dir, "plugins", "--plugin-path", WEIR_BUILDDIR "/tests/.libs", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(e2e_contains(r.out, "testgen"));
    CU_ASSERT(e2e_contains(r.err, "bad_abi.so: plugin built for weir ABI 99.1"));
    e2e_result_free(&r);
    r = e2e_run(dir, "plugins", "--json", "--plugin-path",
            WEIR_BUILDDIR "/tests/.libs", NULL);
    CU_ASSERT(e2e_contains(r.out, "\"refused\""));
    CU_ASSERT(e2e_contains(r.out, "\"name\": \"testgen\""));
    e2e_result_free(&r);
    /* WEIR_PLUGIN_PATH is honoured when there is no --plugin-path */
    setenv("WEIR_PLUGIN_PATH", WEIR_BUILDDIR "/tests/.libs", 1);
    r = e2e_run(dir, "plugins", NULL);
    CU_ASSERT(e2e_contains(r.out, "testgen"));
    e2e_result_free(&r);
    unsetenv("WEIR_PLUGIN_PATH");
    free(dir);
}

static void test_demo_pipeline(void)
{
    /* The README's demo, run on a copy so the source tree stays clean. */
    char *dir = e2e_scratch("demo");
    char *csv = wt_read_file(WEIR_SRCDIR "/pipelines/csv-to-sqlite/customers.csv");
    char *xml = wt_read_file(WEIR_SRCDIR "/pipelines/csv-to-sqlite/pipeline.xml");
    CU_ASSERT_PTR_NOT_NULL_FATAL(csv);
    CU_ASSERT_PTR_NOT_NULL_FATAL(xml);
    free(wt_write_file(dir, "customers.csv", csv));
    free(wt_write_file(dir, "pipeline.xml", xml));
    free(csv);
    free(xml);
    e2e_result r = e2e_run(dir, "run", "pipeline.xml", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(e2e_contains(r.out, "erp-customers-to-app: 6 read, 6 written"));
    e2e_result_free(&r);
    char db[4200];
    snprintf(db, sizeof(db), "%s/app.db", dir);
    CU_ASSERT_EQUAL(e2e_query_int(db, "SELECT count(*) FROM customers WHERE "
                                  "source_system = 'erp'"), 6);
    free(dir);
}

/* The journal mode of database `path` as a fresh sqlite3 connection reads
 * it. (owned) */
static char *journal_mode(const char *path)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char *mode = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL) ==
            SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        mode = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return mode;
}

/* A tracked csv -> sqlite pipeline whose sink has `journal-mode` MODE. */
static void write_journal_pipeline(const char *dir, const char *mode)
{
    char xml[1024];
    snprintf(xml, sizeof xml,
             PIPE_HEAD
             "  <source plugin=\"csv\" name=\"erp\">\n"
             "    <option name=\"path\">customers.csv</option>\n"
             "  </source>\n"
             "  <track key=\"code\" max-delete=\"off\"/>\n"
             "  <sink plugin=\"sqlite\" name=\"db\">\n"
             "    <option name=\"database\">target.db</option>\n"
             "    <option name=\"table\">customers</option>\n"
             "    <option name=\"key\">code</option>\n"
             "    <option name=\"journal-mode\">%s</option>\n"
             "  </sink>\n"
             "</pipeline>\n",
             "journal", mode);
    free(wt_write_file(dir, "p.xml", xml));
}

/* journal-mode=wal puts a new target in WAL mode for good and the data
 * lands; a second run (a change and a delete) too; nothing is left
 * beside the file.  journal-mode=delete takes a WAL database back. */
static void test_sqlite_journal_mode(void)
{
    char *dir = e2e_scratch("journal");
    char db[4200], wal[4200], shm[4200];
    snprintf(db, sizeof db, "%s/target.db", dir);
    snprintf(wal, sizeof wal, "%s/target.db-wal", dir);
    snprintf(shm, sizeof shm, "%s/target.db-shm", dir);
    free(wt_write_file(dir, "customers.csv", customers_csv));
    write_journal_pipeline(dir, "wal");
    e2e_result r = e2e_run(dir, "run", "p.xml", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(e2e_contains(r.out, "journal: 3 read, 3 written"));
    e2e_result_free(&r);
    char *mode = journal_mode(db);
    CU_ASSERT(mode != NULL && strcmp(mode, "wal") == 0);
    free(mode);
    CU_ASSERT_NOT_EQUAL(access(wal, F_OK), 0);
    CU_ASSERT_NOT_EQUAL(access(shm, F_OK), 0);
    CU_ASSERT_EQUAL(e2e_query_int(db, "SELECT count(*) FROM customers"), 3);
    free(wt_write_file(dir, "customers.csv",
                       "code,name,city\nA1,Alpha,Paarl\nA2,\"Beta, Inc\",Durban\n"));
    r = e2e_run(dir, "run", "p.xml", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    e2e_result_free(&r);
    CU_ASSERT_NOT_EQUAL(access(wal, F_OK), 0);
    CU_ASSERT_EQUAL(e2e_query_int(db, "SELECT count(*) FROM customers WHERE "
                                  "code = 'A1' AND city = 'Paarl'"), 1);
    CU_ASSERT_EQUAL(e2e_query_int(db, "SELECT count(*) FROM customers"), 2);

    write_journal_pipeline(dir, "delete");
    free(wt_write_file(dir, "customers.csv", customers_csv));
    r = e2e_run(dir, "run", "p.xml", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    e2e_result_free(&r);
    mode = journal_mode(db);
    CU_ASSERT(mode != NULL && strcmp(mode, "delete") == 0);
    free(mode);
    CU_ASSERT_EQUAL(e2e_query_int(db, "SELECT count(*) FROM customers WHERE "
                                  "code = 'A3' AND name = 'Gamma'"), 1);
    CU_ASSERT_EQUAL(e2e_query_int(db, "SELECT count(*) FROM customers"), 3);

    /* any other value: refused before anything runs, naming file and line */
    write_journal_pipeline(dir, "WAL2");
    r = e2e_run(dir, "run", "p.xml", NULL);
    CU_ASSERT_EQUAL(r.status, 2);
    CU_ASSERT(e2e_contains(r.err, "p.xml:10: option 'journal-mode' = \"WAL2\" "
                                  "is not one of the allowed values (delete wal)"));
    e2e_result_free(&r);
    mode = journal_mode(db);
    CU_ASSERT(mode != NULL && strcmp(mode, "delete") == 0);
    free(mode);
    free(dir);
}

void register_tests(void)
{
    CU_pSuite s = CU_add_suite("weir end to end", NULL, NULL);
    CU_add_test(s, "version, help, usage errors", test_version_and_help);
    CU_add_test(s, "csv -> map -> sqlite", test_run_csv_to_sqlite);
    CU_add_test(s, "paths resolve against the pipeline; --state",
                test_run_from_another_folder_and_state_option);
    CU_add_test(s, "bad rows rejected, others go on",
                test_bad_rows_rejected_others_go_on);
    CU_add_test(s, "sink rejects: exit 1", test_sink_reject_counts_and_exit_1);
    CU_add_test(s, "source failure: exit 3", test_source_failure_exit_3);
    CU_add_test(s, "export cut inside a quote: exit 3, target unchanged",
                test_truncated_export_changes_nothing);
    CU_add_test(s, "the spool in TMPDIR", test_spool_in_tmpdir);
    CU_add_test(s, "a wide export reordered: no change; NULL for \"\": one",
                test_wide_export_reordered_unchanged);
    CU_add_test(s, "invalid pipeline: exit 2, every problem",
                test_invalid_pipeline_exit_2);
    CU_add_test(s, "validate clean files", test_validate_clean_files);
    CU_add_test(s, "dry run changes nothing", test_dry_run_changes_nothing);
    CU_add_test(s, "corrupt state: exit 3, nothing sent",
                test_state_problems_exit_3);
    CU_add_test(s, "plugins listing and refusals", test_plugins_listing);
    CU_add_test(s, "the README demo", test_demo_pipeline);
    CU_add_test(s, "sqlite sink journal-mode: wal, delete, a bad value",
                test_sqlite_journal_mode);
}
