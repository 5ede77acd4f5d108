/*
 * test_beside.c - a sink that declares WEIR_PLUGIN_WRITE_BESIDE writes a
 * batch on a thread of its own while weir reads the next one; a source
 * that declares WEIR_PLUGIN_READ_BESIDE reads the next batch while weir
 * works on the one before; neither may touch the state from there.  Real
 * weir processes, with testgen and testsink built as usual (tests/.libs),
 * the sink writing beside (tests/beside/.libs) and the source read ahead
 * (tests/ahead/.libs).  The delivery and crash suites run against the
 * sink writing beside again (tests/beside.sh), with the csv source, which
 * is read ahead.
 */
#include "config.h"

#include <CUnit/CUnit.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cunit_main.h"
#include "e2e.h"
#include "harness.h"

#define USUAL WEIR_BUILDDIR "/tests/.libs"
/* testgen read inline, testsink writing beside */
#define BESIDE WEIR_BUILDDIR "/tests/beside/.libs:" USUAL
/* testgen read ahead, testsink written inline */
#define AHEAD WEIR_BUILDDIR "/tests/ahead/.libs:" USUAL

/* testgen (count records, batches of 2) -> testsink with `sink_opts`;
 * optionally <track key="id"/>. */
static void write_pipeline(const char *dir, const char *source_opts,
                           int tracked, const char *sink_opts)
{
    char xml[4096];
    snprintf(xml, sizeof(xml),
             "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"gen\" "
             "batch-size=\"2\">\n"
             "  <source plugin=\"testgen\" name=\"src\">%s</source>\n"
             "  %s\n"
             "  <sink plugin=\"testsink\" name=\"app\">\n"
             "    <option name=\"database\">target.db</option>%s\n"
             "  </sink>\n"
             "</pipeline>\n",
             source_opts, tracked ? "<track key=\"id\"/>" : "", sink_opts);
    free(wt_write_file(dir, "p.xml", xml));
}

static long long q(const char *dir, const char *sql)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/target.db", dir);
    return e2e_query_int(path, sql);
}

/* Record 1 makes the sink wait until the source opens its gate, which
 * the source does when it reads the second batch: only a sink writing
 * beside the reading, or a source read ahead of the sink, gets through.
 * (One after the other, the gate would never open in time and record 1
 * would be rejected "gate ... never opened".) */
static void check_overlap(const char *name, const char *plugins, int tracked)
{
    char *dir = e2e_scratch(name);
    char opts[1024];
    snprintf(opts, sizeof(opts),
             "<option name=\"count\">7</option>"
             "<option name=\"gate\">%s/gate</option>"
             "<option name=\"gate-open-at\">2</option>", dir);
    write_pipeline(dir, opts, tracked,
                   "<option name=\"gate-field\">gate</option>"
                   "<option name=\"gate-timeout\">20s</option>");
    e2e_result r = e2e_run(dir, "run", "p.xml", "--state", "state.db",
                           "--plugin-path", plugins, NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(e2e_contains(r.out, "7 read, 7 written, 0 rejected"));
    if (r.status)
        fprintf(stderr, "%s%s", r.out, r.err);
    e2e_result_free(&r);
    CU_ASSERT_EQUAL(q(dir, "SELECT count(*) FROM target"), 7);
    CU_ASSERT_EQUAL(q(dir, "SELECT count(*) FROM sends WHERE answer <> 'ok'"), 0);
    CU_ASSERT_EQUAL(q(dir, "SELECT max(n) FROM counts"), 1);
    free(dir);
}

static void test_overlap(void) { check_overlap("overlap", BESIDE, 0); }

static void test_read_ahead(void) { check_overlap("ahead", AHEAD, 0); }

/* With <track> the whole source is read before anything is sent, so the
 * gate opens first: the same run, the same result, every change's
 * snapshot moved with its acknowledgement. */
static void test_overlap_tracked(void)
{
    check_overlap("overlap-tracked", BESIDE, 1);
    char *dir = e2e_scratch("overlap-tracked");
    e2e_result r = e2e_run(dir, "run", "p.xml", "--state", "state.db",
                           "--plugin-path", BESIDE, NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(e2e_contains(r.out, "0 written, 0 rejected, 0 dropped, 7 unchanged"));
    e2e_result_free(&r);
    free(dir);
}

/* The state is the run's thread's: a sink writing beside may not use
 * it (state_set refused, said in the log), while the same sink written
 * inline may, and its value is kept. */
static void test_state_refused_beside(void)
{
    char *dir = e2e_scratch("state-beside");
    write_pipeline(dir, "<option name=\"count\">3</option>", 0,
                   "<option name=\"state-key\">cursor</option>");
    e2e_result r = e2e_run(dir, "run", "p.xml", "--state", "state.db",
                           "--plugin-path", BESIDE, NULL);
    CU_ASSERT_EQUAL(r.status, 1); /* some records failed */
    CU_ASSERT(e2e_contains(r.out, "3 rejected"));
    CU_ASSERT(e2e_contains(r.err, "sink 'app' (plugin testsink) declares "
                                  "WEIR_PLUGIN_WRITE_BESIDE, so its write() "
                                  "cannot call state_set()"));
    e2e_result_free(&r);
    CU_ASSERT_EQUAL(q(dir, "SELECT count(*) FROM target"), 0);
    char state[4200];
    snprintf(state, sizeof(state), "%s/state.db", dir);
    CU_ASSERT_EQUAL(e2e_query_int(state, "SELECT count(*) FROM plugin_state"), 0);
    free(dir);

    dir = e2e_scratch("state-inline");
    write_pipeline(dir, "<option name=\"count\">3</option>", 0,
                   "<option name=\"state-key\">cursor</option>");
    r = e2e_run(dir, "run", "p.xml", "--state", "state.db", "--plugin-path",
                USUAL, NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(e2e_contains(r.out, "3 written, 0 rejected"));
    e2e_result_free(&r);
    CU_ASSERT_EQUAL(q(dir, "SELECT count(*) FROM target"), 3);
    snprintf(state, sizeof(state), "%s/state.db", dir);
    CU_ASSERT_EQUAL(e2e_query_int(state, "SELECT count(*) FROM plugin_state "
                                         "WHERE key = 'cursor' AND value = "
                                         "'written'"), 1);
    free(dir);
}

/* The same for a source read ahead: its state_set() is refused, said
 * why, and the run stops having changed nothing. */
static void test_state_refused_ahead(void)
{
    char *dir = e2e_scratch("state-ahead");
    write_pipeline(dir, "<option name=\"count\">3</option>"
                        "<option name=\"state-key\">cursor</option>", 1, "");
    e2e_result r = e2e_run(dir, "run", "p.xml", "--state", "state.db",
                           "--plugin-path", AHEAD, NULL);
    CU_ASSERT_EQUAL(r.status, 3);
    CU_ASSERT(e2e_contains(r.err, "source 'src' (plugin testgen) declares "
                                  "WEIR_PLUGIN_READ_BESIDE, so its read() "
                                  "cannot call state_set()"));
    CU_ASSERT(e2e_contains(r.err, "source 'src' failed while reading; the "
                                  "run stopped and changed nothing"));
    e2e_result_free(&r);
    CU_ASSERT_EQUAL(q(dir, "SELECT count(*) FROM target"), 0);
    free(dir);
}

/* A source's cursor (state_set() in read(), as the http source's) is
 * committed with the records it read, never before: killed while the
 * sink writes records 3 and 4 beside (waiting for a gate that never
 * opens), the state says 2 records were read, as inline, not 4: a run
 * resuming from 4 would never send 3 and 4, which neither the target
 * nor the state has. */
static void test_cursor_not_ahead(void)
{
    char *dir = e2e_scratch("cursor-beside");
    char opts[1024], state[4200], waiting[4200];
    snprintf(opts, sizeof(opts),
             "<option name=\"count\">4</option>"
             "<option name=\"state-key\">cursor</option>"
             "<option name=\"gate\">%s/gate</option>"
             "<option name=\"gate-record\">3</option>"
             "<option name=\"gate-open-at\">100</option>", dir);
    write_pipeline(dir, opts, 0,
                   "<option name=\"gate-field\">gate</option>"
                   "<option name=\"gate-timeout\">60s</option>");
    const char *args[] = {"run", "p.xml", "--state", "state.db",
                          "--plugin-path", BESIDE, NULL};
    pid_t pid = e2e_start_in_group(dir, args);
    CU_ASSERT_FATAL(pid > 0);
    snprintf(waiting, sizeof(waiting), "%s/gate.waiting", dir);
    for (int i = 0; i < 600 && access(waiting, F_OK) != 0; i++)
        usleep(100000); /* 60 s: valgrind is slow */
    CU_ASSERT_EQUAL(access(waiting, F_OK), 0);
    usleep(300000); /* what the run's thread does meanwhile */
    kill(-pid, SIGKILL);
    waitpid(pid, NULL, 0);
    CU_ASSERT_EQUAL(q(dir, "SELECT count(*) FROM target"), 2);
    snprintf(state, sizeof(state), "%s/state.db", dir);
    CU_ASSERT_EQUAL(e2e_query_int(state, "SELECT count(*) FROM plugin_state "
                                         "WHERE key = 'cursor' AND value = '2'"), 1);
    CU_ASSERT_EQUAL(e2e_query_int(state, "SELECT count(*) FROM plugin_state "
                                         "WHERE key = 'cursor' AND value = '4'"), 0);
    free(dir);
}

void register_tests(void)
{
    CU_pSuite s = CU_add_suite("beside: a sink writing, a source read ahead",
                                NULL, NULL);
    CU_add_test(s, "the next batch is read while the sink writes",
                test_overlap);
    CU_add_test(s, "a source read ahead: the next batch is read while the "
                   "sink writes", test_read_ahead);
    CU_add_test(s, "with <track>: every change delivered and its snapshot "
                   "moved", test_overlap_tracked);
    CU_add_test(s, "the state is refused to it, said why; inline it works",
                test_state_refused_beside);
    CU_add_test(s, "a source read ahead is refused the state, said why",
                test_state_refused_ahead);
    CU_add_test(s, "a source's cursor is committed with its records, not "
                   "while the sink writes them", test_cursor_not_ahead);
}
