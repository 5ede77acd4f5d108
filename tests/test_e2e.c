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
#include "harness.h"

#define WEIR WEIR_BUILDDIR "/weir"

typedef struct result {
    int status; /* exit code, or 128+signal */
    char *out, *err;
} result;

static void result_free(result *r)
{
    free(r->out);
    free(r->err);
}

/* Run weir with the arguments (NULL-terminated) in `dir`. */
static result run(const char *dir, ...)
{
    const char *argv[64];
    int n = 0;
    const int vg = getenv("WEIR_E2E_VALGRIND") != NULL;
    if (vg) {
        argv[n++] = "valgrind";
        argv[n++] = "-q";
        argv[n++] = "--leak-check=full";
        argv[n++] = "--show-leak-kinds=definite,indirect";
        argv[n++] = "--errors-for-leak-kinds=definite,indirect";
        argv[n++] = "--error-exitcode=99";
    }
    argv[n++] = WEIR;
    va_list ap;
    va_start(ap, dir);
    const char *a;
    while ((a = va_arg(ap, const char *)) && n < 63)
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;

    char outp[4200], errp[4200];
    snprintf(outp, sizeof(outp), "%s/.stdout", dir);
    snprintf(errp, sizeof(errp), "%s/.stderr", dir);
    pid_t pid = fork();
    if (pid == 0) {
        if (chdir(dir) != 0 || !freopen(outp, "w", stdout) ||
            !freopen(errp, "w", stderr))
            _exit(127);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    result r = {WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st),
                wt_read_file(outp), wt_read_file(errp)};
    if (r.status == 99 && vg)
        fprintf(stderr, "valgrind found errors:\n%s\n", r.err);
    return r;
}

static char *scratch(const char *name)
{
    char *dir = malloc(4096);
    snprintf(dir, 4096, "%s/%s", wt_tmpdir(), name);
    mkdir(dir, 0755);
    return dir;
}

static long long query_int(const char *db_path, const char *sql)
{
    sqlite3 *db;
    long long v = -1;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *s;
        if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK &&
            sqlite3_step(s) == SQLITE_ROW)
            v = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
    }
    sqlite3_close(db);
    return v;
}

static int contains(const char *hay, const char *needle)
{
    if (hay && strstr(hay, needle))
        return 1;
    fprintf(stderr, "\n  expected \"%s\" in:\n%s\n", needle, hay ? hay : "(null)");
    return 0;
}

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
    char *dir = scratch("help");
    result r = run(dir, "--version", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(contains(r.out, "weir " PACKAGE_VERSION " (plugin ABI 1."));
    result_free(&r);
    r = run(dir, "--help", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(contains(r.out, "validate"));
    CU_ASSERT(contains(r.out, "--plugin-path"));
    result_free(&r);
    r = run(dir, "run", "--help", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(contains(r.out, "usage: weir run FILE.xml"));
    CU_ASSERT(contains(r.out, "Exit status"));
    result_free(&r);
    r = run(dir, "frobnicate", NULL);
    CU_ASSERT_EQUAL(r.status, 2);
    CU_ASSERT(contains(r.err, "unknown command 'frobnicate'"));
    result_free(&r);
    r = run(dir, "run", NULL);
    CU_ASSERT_EQUAL(r.status, 2);
    result_free(&r);
    r = run(dir, "validate", "--full", "x.xml", NULL);
    CU_ASSERT_EQUAL(r.status, 2);
    CU_ASSERT(contains(r.err, "does not apply"));
    result_free(&r);
    free(dir);
}

static void test_run_csv_to_sqlite(void)
{
    char *dir = scratch("load");
    free(wt_write_file(dir, "customers.csv", customers_csv));
    free(wt_write_file(dir, "p.xml", csv_to_sqlite));
    result r = run(dir, "run", "p.xml", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(contains(r.out, "load: 3 read, 3 written, 0 rejected, 0 dropped"));
    result_free(&r);
    char db[4200], state[4200];
    snprintf(db, sizeof(db), "%s/target.db", dir);
    snprintf(state, sizeof(state), "%s/weir.db", dir);
    CU_ASSERT_EQUAL(query_int(db, "SELECT count(*) FROM customers"), 3);
    CU_ASSERT_EQUAL(query_int(db, "SELECT count(*) FROM customers WHERE "
                                  "name = 'Beta, Inc' AND origin = 'erp'"), 1);
    /* the empty unquoted city is NULL */
    CU_ASSERT_EQUAL(query_int(db, "SELECT count(*) FROM customers WHERE "
                                  "code = 'A3' AND city IS NULL"), 1);
    /* the state database: 0600, the run and the pipeline's file recorded */
    struct stat sb;
    CU_ASSERT_EQUAL(stat(state, &sb), 0);
    CU_ASSERT_EQUAL(sb.st_mode & 0777, 0600);
    CU_ASSERT_EQUAL(query_int(state, "SELECT count(*) FROM runs WHERE "
                                     "pipeline = 'load' AND status = 'ok' AND "
                                     "records_read = 3 AND written = 3"), 1);
    CU_ASSERT_EQUAL(query_int(state, "SELECT count(*) FROM pipelines WHERE "
                                     "name = 'load' AND file = 'p.xml'"), 1);
    /* a second run upserts: still three rows */
    r = run(dir, "run", "p.xml", "--json", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(contains(r.out, "\"written\":3"));
    result_free(&r);
    CU_ASSERT_EQUAL(query_int(db, "SELECT count(*) FROM customers"), 3);
    free(dir);
}

static void test_run_from_another_folder_and_state_option(void)
{
    char *dir = scratch("elsewhere");
    char *sub = scratch("elsewhere/pipes");
    free(wt_write_file(sub, "customers.csv", customers_csv));
    free(wt_write_file(sub, "p.xml", csv_to_sqlite));
    /* relative paths resolve against the pipeline's folder, not the cwd */
    result r = run(dir, "run", "pipes/p.xml", "--state", "my-state.db", "-q",
                   NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT_STRING_EQUAL(r.out, "");
    result_free(&r);
    char db[4200], state[4200];
    snprintf(db, sizeof(db), "%s/target.db", sub);
    snprintf(state, sizeof(state), "%s/my-state.db", dir);
    CU_ASSERT_EQUAL(query_int(db, "SELECT count(*) FROM customers"), 3);
    CU_ASSERT_EQUAL(query_int(state, "SELECT count(*) FROM runs"), 1);
    free(sub);
    free(dir);
}

static void test_bad_rows_rejected_others_go_on(void)
{
    char *dir = scratch("badrows");
    free(wt_write_file(dir, "customers.csv",
                       "code,name,city\n"
                       "A1,Alpha,Cape Town\n"
                       "A2,too,many,fields\n"
                       "A3,\"Gam\xff\xfe\",Durban\n"
                       "A4,Delta,Paarl\n"));
    free(wt_write_file(dir, "p.xml", csv_to_sqlite));
    result r = run(dir, "run", "p.xml", NULL);
    CU_ASSERT_EQUAL(r.status, 1);
    CU_ASSERT(contains(r.out, "4 read, 2 written, 2 rejected"));
    CU_ASSERT(contains(r.err, "load/erp:3"));
    CU_ASSERT(contains(r.err, "load/erp:4"));
    result_free(&r);
    char db[4200];
    snprintf(db, sizeof(db), "%s/target.db", dir);
    CU_ASSERT_EQUAL(query_int(db, "SELECT count(*) FROM customers WHERE "
                                  "code IN ('A1', 'A4')"), 2);
    free(dir);
}

static void test_sink_reject_counts_and_exit_1(void)
{
    char *dir = scratch("sinkreject");
    char xml[1024];
    snprintf(xml, sizeof(xml), PIPE_HEAD
             "<source plugin=\"testgen\" name=\"gen\"><option name=\"count\">"
             "5</option></source>\n<sink plugin=\"testgen\" name=\"out\">"
             "<option name=\"reject-id\">2 4</option></sink>\n</pipeline>\n",
             "rej");
    free(wt_write_file(dir, "p.xml", xml));
    result r = run(dir, "run", "p.xml", "--plugin-path",
                   WEIR_BUILDDIR "/tests/.libs", NULL);
    CU_ASSERT_EQUAL(r.status, 1);
    CU_ASSERT(contains(r.out, "5 read, 3 written, 2 rejected"));
    CU_ASSERT(contains(r.err, "rej/gen:2: rejected by sink 'out': test sink "
                              "rejects id 2"));
    result_free(&r);
    free(dir);
}

static void test_source_failure_exit_3(void)
{
    char *dir = scratch("srcfail");
    char xml[1024];
    snprintf(xml, sizeof(xml), PIPE_HEAD
             "<source plugin=\"testgen\" name=\"gen\"><option name=\"count\">"
             "50</option><option name=\"fail-at\">20</option></source>\n"
             "<sink plugin=\"testgen\" name=\"out\"/>\n</pipeline>\n",
             "fails");
    free(wt_write_file(dir, "p.xml", xml));
    result r = run(dir, "run", "p.xml", "--plugin-path",
                   WEIR_BUILDDIR "/tests/.libs", NULL);
    CU_ASSERT_EQUAL(r.status, 3);
    CU_ASSERT(contains(r.err, "source 'gen' failed while reading"));
    result_free(&r);
    char state[4200];
    snprintf(state, sizeof(state), "%s/weir.db", dir);
    CU_ASSERT_EQUAL(query_int(state, "SELECT count(*) FROM runs WHERE "
                                     "status = 'error'"), 1);
    /* a missing source file: could not open, exit 3 */
    free(wt_write_file(dir, "p2.xml", csv_to_sqlite));
    r = run(dir, "run", "p2.xml", NULL);
    CU_ASSERT_EQUAL(r.status, 3);
    CU_ASSERT(contains(r.err, "customers.csv"));
    result_free(&r);
    free(dir);
}

static void test_invalid_pipeline_exit_2(void)
{
    char *dir = scratch("invalid");
    free(wt_write_file(dir, "bad.xml",
                       "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"b\">\n"
                       "  <source plugin=\"csv\" name=\"in\">\n"
                       "    <option name=\"pth\">x.csv</option>\n"
                       "  </source>\n"
                       "  <sink plugin=\"nosuch\" name=\"out\"/>\n"
                       "</pipeline>\n"));
    result r = run(dir, "run", "bad.xml", NULL);
    CU_ASSERT_EQUAL(r.status, 2);
    CU_ASSERT(contains(r.err, "bad.xml:3: unknown option 'pth'"));
    CU_ASSERT(contains(r.err, "bad.xml:5: sink 'out': unknown plugin 'nosuch'"));
    result_free(&r);
    /* nothing was created */
    char state[4200];
    snprintf(state, sizeof(state), "%s/weir.db", dir);
    CU_ASSERT_NOT_EQUAL(access(state, F_OK), 0);

    r = run(dir, "validate", "bad.xml", NULL);
    CU_ASSERT_EQUAL(r.status, 1);
    CU_ASSERT(contains(r.err, "bad.xml:2: source 'in': missing required "
                              "option 'path'"));
    result_free(&r);
    r = run(dir, "validate", "--json", "bad.xml", NULL);
    CU_ASSERT_EQUAL(r.status, 1);
    CU_ASSERT(contains(r.out, "\"valid\": false"));
    result_free(&r);
    r = run(dir, "validate", "missing.xml", NULL);
    CU_ASSERT_EQUAL(r.status, 1);
    CU_ASSERT(contains(r.err, "missing.xml: cannot read"));
    result_free(&r);
    free(dir);
}

static void test_validate_clean_files(void)
{
    char *dir = scratch("valid");
    free(wt_write_file(dir, "p.xml", csv_to_sqlite));
    result r = run(dir, "validate", "p.xml",
                   WEIR_SRCDIR "/pipelines/csv-to-sqlite/pipeline.xml", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(contains(r.out, "p.xml: valid (pipeline 'load')"));
    result_free(&r);
    free(dir);
}

static void test_dry_run_changes_nothing(void)
{
    char *dir = scratch("dry");
    free(wt_write_file(dir, "customers.csv", customers_csv));
    free(wt_write_file(dir, "p.xml", csv_to_sqlite));
    result r = run(dir, "run", "p.xml", "--dry-run", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(contains(r.out, "dry run: 3 read, 3 would be sent"));
    result_free(&r);
    char db[4200], state[4200];
    snprintf(db, sizeof(db), "%s/target.db", dir);
    snprintf(state, sizeof(state), "%s/weir.db", dir);
    CU_ASSERT_NOT_EQUAL(access(db, F_OK), 0);
    CU_ASSERT_NOT_EQUAL(access(state, F_OK), 0);
    free(dir);
}

static void test_state_problems_exit_3(void)
{
    char *dir = scratch("badstate");
    free(wt_write_file(dir, "customers.csv", customers_csv));
    free(wt_write_file(dir, "p.xml", csv_to_sqlite));
    free(wt_write_file(dir, "weir.db", "garbage, not a database at all....."
                                       "................................."));
    result r = run(dir, "run", "p.xml", NULL);
    CU_ASSERT_EQUAL(r.status, 3);
    CU_ASSERT(contains(r.err, "weir.db: is corrupt or not a weir state database"));
    result_free(&r);
    char db[4200];
    snprintf(db, sizeof(db), "%s/target.db", dir);
    CU_ASSERT_NOT_EQUAL(access(db, F_OK), 0);
    free(dir);
}

static void test_plugins_listing(void)
{
    char *dir = scratch("plugins");
    result r = run(dir, "plugins", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(contains(r.out, "csv"));
    CU_ASSERT(contains(r.out, "sqlite"));
    CU_ASSERT(contains(r.out, "map"));
    CU_ASSERT(contains(r.out, "filter"));
    result_free(&r);
    r = run(dir, "plugins", "-v", NULL);
    CU_ASSERT(contains(r.out, "delimiter"));
    result_free(&r);
    /* a wrong-ABI plugin in the path is refused by name, the rest listed */
    r = run(dir, "plugins", "--plugin-path", WEIR_BUILDDIR "/tests/.libs", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(contains(r.out, "testgen"));
    CU_ASSERT(contains(r.err, "bad_abi.so: plugin built for weir ABI 99.0"));
    result_free(&r);
    r = run(dir, "plugins", "--json", "--plugin-path",
            WEIR_BUILDDIR "/tests/.libs", NULL);
    CU_ASSERT(contains(r.out, "\"refused\""));
    CU_ASSERT(contains(r.out, "\"name\": \"testgen\""));
    result_free(&r);
    /* WEIR_PLUGIN_PATH is honoured when there is no --plugin-path */
    setenv("WEIR_PLUGIN_PATH", WEIR_BUILDDIR "/tests/.libs", 1);
    r = run(dir, "plugins", NULL);
    CU_ASSERT(contains(r.out, "testgen"));
    result_free(&r);
    unsetenv("WEIR_PLUGIN_PATH");
    free(dir);
}

static void test_demo_pipeline(void)
{
    /* The README's demo, run on a copy so the source tree stays clean. */
    char *dir = scratch("demo");
    char *csv = wt_read_file(WEIR_SRCDIR "/pipelines/csv-to-sqlite/customers.csv");
    char *xml = wt_read_file(WEIR_SRCDIR "/pipelines/csv-to-sqlite/pipeline.xml");
    CU_ASSERT_PTR_NOT_NULL_FATAL(csv);
    CU_ASSERT_PTR_NOT_NULL_FATAL(xml);
    free(wt_write_file(dir, "customers.csv", csv));
    free(wt_write_file(dir, "pipeline.xml", xml));
    free(csv);
    free(xml);
    result r = run(dir, "run", "pipeline.xml", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(contains(r.out, "erp-customers-to-app: 6 read, 6 written"));
    result_free(&r);
    char db[4200];
    snprintf(db, sizeof(db), "%s/app.db", dir);
    CU_ASSERT_EQUAL(query_int(db, "SELECT count(*) FROM customers WHERE "
                                  "source_system = 'erp'"), 6);
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
    CU_add_test(s, "invalid pipeline: exit 2, every problem",
                test_invalid_pipeline_exit_2);
    CU_add_test(s, "validate clean files", test_validate_clean_files);
    CU_add_test(s, "dry run changes nothing", test_dry_run_changes_nothing);
    CU_add_test(s, "corrupt state: exit 3, nothing sent",
                test_state_problems_exit_3);
    CU_add_test(s, "plugins listing and refusals", test_plugins_listing);
    CU_add_test(s, "the README demo", test_demo_pipeline);
}
