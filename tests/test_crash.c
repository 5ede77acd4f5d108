/*
 * The crash test: weir killed with SIGKILL at random points of runs of a
 * 20,000-row change-tracked pipeline, again and again, then run to
 * completion.  At the end the target must equal the source exactly, no
 * record lost, and no change applied twice: the test sink keeps every
 * application in order, so a change applied twice shows as the same
 * payload applied twice in a row for a key.  Each run flips every row
 * between two versions, so every run has work to be killed in.
 * Bounded: at most MAX_RUNS runs, stopping after KILLS kills.
 */
#include "config.h"

#include <CUnit/CUnit.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cunit_main.h"
#include "e2e.h"
#include "harness.h"

#define ROWS 20000
#define KILLS 60
#define MAX_RUNS 400
#define PLUGINS \
    e2e_plugin_path(WEIR_BUILDDIR "/connectors/.libs:" WEIR_BUILDDIR "/tests/.libs")

static const char pipeline[] =
    "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"crash\" batch-size=\"250\">\n"
    "  <source plugin=\"csv\" name=\"erp\">\n"
    "    <option name=\"path\">in.csv</option>\n"
    "  </source>\n"
    "  <track key=\"code\" max-delete=\"off\" changes=\"keep\"/>\n"
    "  <sink plugin=\"testsink\" name=\"app\">\n"
    "    <option name=\"database\">target.db</option>\n"
    "    <option name=\"down-file\">down</option>\n"
    "  </sink>\n"
    "</pipeline>\n";

static void write_source(const char *dir, int version)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/in.csv", dir);
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fprintf(f, "code,name,city\n");
    for (int i = 0; i < ROWS; i++)
        fprintf(f, "K%05d,name %d v%d,City %d\n", i, i, version, i % 97);
    fclose(f);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Start `weir run`, wait `delay_ms`, SIGKILL it if still running.
 * Returns 1 when it was killed, 0 when it had finished (*status set). */
static int run_and_kill(const char *dir, double delay_ms, int *status)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (chdir(dir) != 0 || !freopen("/dev/null", "w", stdout) ||
            !freopen("/dev/null", "w", stderr))
            _exit(127);
        e2e_child_sanitizers();
        execl(WEIR_BUILDDIR "/weir", "weir", "run", "p.xml", "--plugin-path",
              PLUGINS, "-q", (char *)NULL);
        _exit(127);
    }
    double until = now_ms() + delay_ms;
    int st = 0;
    while (now_ms() < until) {
        if (waitpid(pid, &st, WNOHANG) == pid) {
            *status = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
            return 0;
        }
        usleep(200);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return WIFSIGNALED(st);
}

/* Snapshot values of pipeline `name` whose answers were never recorded. */
static long long in_doubt(const char *dir, const char *name)
{
    return e2e_status_int(dir, name, NULL, "snapshot.in_doubt");
}

static long long q(const char *dir, const char *db, const char *sql)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/%s", dir, db);
    return e2e_query_int(path, sql);
}

static void test_crash_anywhere(void)
{
    char *dir = e2e_scratch("crash");
    free(wt_write_file(dir, "p.xml", pipeline));
    /* How long does a run that changes every row take here? */
    char *cal = e2e_scratch("crash-calibrate");
    free(wt_write_file(cal, "p.xml", pipeline));
    write_source(cal, 1);
    int status = 0;
    run_and_kill(cal, 1e9, &status);
    write_source(cal, 2);
    double t0 = now_ms();
    run_and_kill(cal, 1e9, &status);
    double full_ms = now_ms() - t0;
    CU_ASSERT_EQUAL(status, 0);
    free(cal);

    srand(20261122);
    int kills = 0, completed = 0, runs = 0, version = 1;
    for (; runs < MAX_RUNS && kills < KILLS; runs++) {
        /* A completed run moves the source on; a killed one keeps it, so
         * the next run finds the same change half delivered. */
        write_source(dir, version);
        double delay = full_ms * 1.2 * (double)rand() / RAND_MAX;
        if (run_and_kill(dir, delay, &status)) {
            kills++;
        } else {
            CU_ASSERT_EQUAL(status, 0);
            completed++;
            version = version == 1 ? 2 : 1;
        }
    }
    /* To completion, then whatever the outbox still holds. */
    write_source(dir, version);
    CU_ASSERT_EQUAL(run_and_kill(dir, 1e9, &status), 0);
    CU_ASSERT_EQUAL(status, 0);
    e2e_result r = e2e_run(dir, "drain", "--state", "weir.db", "--plugin-path",
                           PLUGINS, NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    e2e_result_free(&r);

    long long applied = q(dir, "target.db", "SELECT count(*) FROM applied");
    long long sends = q(dir, "target.db", "SELECT count(*) FROM sends");
    printf("\n  crash test: %d runs, %d killed with SIGKILL, %d completed; "
           "%lld sends, %lld applications, %lld re-sends answered from the "
           "idempotency id (run with a %.0f ms full run)\n",
           runs + 1, kills, completed + 1, sends, applied, sends - applied,
           full_ms);
    CU_ASSERT(kills >= 50);
    /* the target equals the source */
    CU_ASSERT_EQUAL(q(dir, "target.db", "SELECT count(*) FROM target"), ROWS);
    char sql[256];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM target WHERE payload "
             "LIKE '%% v%d%%'", version);
    CU_ASSERT_EQUAL(q(dir, "target.db", sql), ROWS);
    /* no change applied twice: never the same payload twice in a row */
    CU_ASSERT_EQUAL(q(dir, "target.db",
                      "SELECT count(*) FROM (SELECT payload, lag(payload) OVER "
                      "(PARTITION BY key ORDER BY rowid) AS prev FROM applied) "
                      "WHERE payload = prev"), 0);
    /* nothing left behind */
    json_t *st = e2e_status(dir, "crash", NULL);
    static const char *const open[] = {"pending", "in_flight", "retry",
                                       "held", "failed"};
    for (size_t i = 0; i < 5; i++)
        CU_ASSERT_EQUAL(e2e_json_int(json_object_get(st, "queue"), open[i]), 0);
    CU_ASSERT_EQUAL(e2e_json_int(st, "settled.discarded"), 0);
    CU_ASSERT_EQUAL(e2e_json_int(st, "settled.superseded"), 0);
    CU_ASSERT_EQUAL(e2e_json_int(st, "snapshot.keys"), ROWS);
    json_decref(st);
    /* the values kept to say what changed moved with the snapshot through
     * every kill: the next change of every row is against exactly the
     * value the target holds (its rows wait in the outbox: target down) */
    free(wt_write_file(dir, "down", ""));
    write_source(dir, 3);
    CU_ASSERT_EQUAL(run_and_kill(dir, 1e9, &status), 0);
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM outbox WHERE changes = '[{\"field\":"
             "\"name\",\"old\":\"name ' || CAST(substr(key, 2) AS INTEGER) "
             "|| ' v%d\",\"new\":\"name ' || CAST(substr(key, 2) AS INTEGER) "
             "|| ' v3\"}]'", version);
    CU_ASSERT_EQUAL(q(dir, "weir.db", sql), ROWS);
    free(dir);
}

/* A sink that publishes only when the run completes (csv, write mode):
 * a run killed after it answered OK but before finish() must lose
 * nothing.  Kill runs until one dies with staged snapshots, then run to
 * completion: the export holds every row. */
static void test_killed_before_finish(void)
{
    char *dir = e2e_scratch("crash-finish");
    free(wt_write_file(dir, "p.xml",
        "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"export\" "
        "batch-size=\"100\">\n"
        "  <source plugin=\"csv\" name=\"erp\"><option name=\"path\">in.csv"
        "</option></source>\n"
        "  <track key=\"code\" max-delete=\"off\"/>\n"
        "  <sink plugin=\"csv\" name=\"out\"><option name=\"path\">out.csv"
        "</option></sink>\n"
        "</pipeline>\n"));
    write_source(dir, 1);
    int status = 0, staged_kill = 0;
    srand(4242);
    for (int i = 0; i < 60 && !staged_kill; i++) {
        double delay = 5 + (double)(rand() % 400);
        if (!run_and_kill(dir, delay, &status)) {
            /* it completed: start over from an empty state */
            static const char *const files[] = {"weir.db", "weir.db-wal",
                                                "weir.db-shm"};
            for (size_t f = 0; f < 3; f++) {
                char path[4200];
                snprintf(path, sizeof(path), "%s/%s", dir, files[f]);
                unlink(path);
            }
            continue;
        }
        staged_kill = in_doubt(dir, "export") > 0;
    }
    CU_ASSERT_TRUE(staged_kill);
    CU_ASSERT_EQUAL(run_and_kill(dir, 1e9, &status), 0);
    CU_ASSERT_EQUAL(status, 0);
    /* every row is in the published export */
    char path[4200];
    snprintf(path, sizeof(path), "%s/out.csv", dir);
    char *text = wt_read_file(path);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    int lines = 0;
    for (char *p = text; *p; p++)
        lines += *p == '\n';
    CU_ASSERT_EQUAL(lines, ROWS + 1);
    free(text);
    CU_ASSERT_EQUAL(e2e_status_int(dir, "export", NULL, "snapshot.keys"), ROWS);
    CU_ASSERT_EQUAL(in_doubt(dir, "export"), 0);
    free(dir);
}

/* ---- the lost answer, at a deterministic point ------------------------
 * testsink's crash-after-key kills weir right after the target committed
 * a batch holding that key, before weir could record the answers. */

static void lost_answer_pipeline(const char *dir, const char *crash_key,
                                 const char *extra_sink)
{
    char xml[2048];
    snprintf(xml, sizeof(xml),
             "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"lost\">\n"
             "  <source plugin=\"csv\" name=\"erp\"><option name=\"path\">"
             "in.csv</option></source>\n"
             "  <track key=\"code\" max-delete=\"off\"/>\n%s"
             "  <sink plugin=\"testsink\" name=\"app\">\n"
             "    <option name=\"database\">target.db</option>\n"
             "    %s%s%s\n"
             "  </sink>\n"
             "</pipeline>\n",
             extra_sink ? extra_sink : "",
             crash_key ? "<option name=\"crash-after-key\">" : "",
             crash_key ? crash_key : "", crash_key ? "</option>" : "");
    free(wt_write_file(dir, "p.xml", xml));
}

static e2e_result run_lost(const char *dir)
{
    return e2e_run(dir, "run", "p.xml", "--plugin-path", PLUGINS, NULL);
}

static int run_status(const char *dir)
{
    e2e_result r = run_lost(dir);
    int status = r.status;
    if (status != 0 && status != 128 + SIGKILL)
        fprintf(stderr, "\n  weir run: exit %d\n%s%s\n", status,
                r.out ? r.out : "", r.err ? r.err : "");
    e2e_result_free(&r);
    return status;
}

/* K1 := B and a new N1 reach the target, weir dies; then the export goes
 * back (K1 = A, N1 gone).  The target must follow the export. */
static void test_lost_answer_source_moves_on(void)
{
    char *dir = e2e_scratch("lost-moves-on");
    lost_answer_pipeline(dir, NULL, NULL);
    free(wt_write_file(dir, "in.csv", "code,name\nK1,A\nK2,x\n"));
    CU_ASSERT_EQUAL(run_status(dir), 0);
    lost_answer_pipeline(dir, "K1", NULL);
    free(wt_write_file(dir, "in.csv", "code,name\nK1,B\nK2,x\nN1,new\n"));
    CU_ASSERT_EQUAL(run_status(dir), 128 + SIGKILL);
    CU_ASSERT_EQUAL(q(dir, "target.db", "SELECT count(*) FROM target WHERE "
                                        "key = 'N1' OR payload LIKE '%name=B%'"), 2);
    lost_answer_pipeline(dir, NULL, NULL);
    free(wt_write_file(dir, "in.csv", "code,name\nK1,A\nK2,x\n"));
    e2e_result r = run_lost(dir);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(e2e_contains(r.err, "stopped before it recorded what the "
                                  "targets answered for 2 changes"));
    CU_ASSERT(e2e_contains(r.out, "2 written"));
    CU_ASSERT(e2e_contains(r.out, "1 deletes"));
    e2e_result_free(&r);
    /* the target equals the export again */
    CU_ASSERT_EQUAL(q(dir, "target.db", "SELECT count(*) FROM target"), 2);
    CU_ASSERT_EQUAL(q(dir, "target.db", "SELECT count(*) FROM target WHERE "
                                        "key = 'K1' AND payload LIKE '%name=A%'"), 1);
    CU_ASSERT_EQUAL(in_doubt(dir, "lost"), 0);
    /* and the next run finds nothing to do */
    r = run_lost(dir);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(e2e_contains(r.out, "0 written"));
    CU_ASSERT(e2e_contains(r.out, "2 unchanged"));
    e2e_result_free(&r);
    free(dir);
}

/* The export does not move: the changes in doubt go again with the same
 * idempotency ids, so a target that looks the id up applies them once;
 * a delete in doubt is sent again too. */
static void test_lost_answer_same_source(void)
{
    char *dir = e2e_scratch("lost-same");
    lost_answer_pipeline(dir, NULL, NULL);
    free(wt_write_file(dir, "in.csv", "code,name\nK1,A\nK2,x\nK3,y\n"));
    CU_ASSERT_EQUAL(run_status(dir), 0);
    lost_answer_pipeline(dir, "K1", NULL);
    free(wt_write_file(dir, "in.csv", "code,name\nK1,B\nK2,x\nK3,y\nN1,new\n"));
    CU_ASSERT_EQUAL(run_status(dir), 128 + SIGKILL);
    lost_answer_pipeline(dir, NULL, NULL);
    CU_ASSERT_EQUAL(run_status(dir), 0);
    CU_ASSERT_EQUAL(q(dir, "target.db", "SELECT count(*) FROM sends WHERE "
                                        "answer = 'duplicate'"), 2);
    CU_ASSERT_EQUAL(q(dir, "target.db", "SELECT count(*) FROM applied WHERE "
                                        "key IN ('K1', 'N1')"), 3);
    /* a delete whose answer is lost */
    lost_answer_pipeline(dir, "K3", NULL);
    free(wt_write_file(dir, "in.csv", "code,name\nK1,B\nK2,x\nN1,new\n"));
    CU_ASSERT_EQUAL(run_status(dir), 128 + SIGKILL);
    CU_ASSERT_EQUAL(q(dir, "target.db", "SELECT count(*) FROM target WHERE key = 'K3'"), 0);
    lost_answer_pipeline(dir, NULL, NULL);
    e2e_result r = run_lost(dir);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(e2e_contains(r.out, "1 deletes"));
    e2e_result_free(&r);
    CU_ASSERT_EQUAL(q(dir, "target.db", "SELECT count(*) FROM sends WHERE "
                                        "key = 'K3' AND answer = 'duplicate'"), 1);
    /* ... and when the key comes back after such a delete, it is sent */
    free(wt_write_file(dir, "in.csv", "code,name\nK1,B\nK2,x\nN1,new\nK3,y\n"));
    r = run_lost(dir);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(e2e_contains(r.out, "1 written"));
    e2e_result_free(&r);
    CU_ASSERT_EQUAL(q(dir, "target.db", "SELECT count(*) FROM target"), 4);
    CU_ASSERT_EQUAL(in_doubt(dir, "lost"), 0);
    free(dir);
}

/* A key deleted and then inserted again, the insert's answer lost: it
 * goes again as the same insert, with the same id. */
static void test_lost_answer_reinsert(void)
{
    char *dir = e2e_scratch("lost-reinsert");
    lost_answer_pipeline(dir, NULL, NULL);
    free(wt_write_file(dir, "in.csv", "code,name\nA,a\nB,b\n"));
    CU_ASSERT_EQUAL(run_status(dir), 0);
    free(wt_write_file(dir, "in.csv", "code,name\nA,a\n"));
    CU_ASSERT_EQUAL(run_status(dir), 0);
    lost_answer_pipeline(dir, "B", NULL);
    free(wt_write_file(dir, "in.csv", "code,name\nA,a\nB,b\n"));
    CU_ASSERT_EQUAL(run_status(dir), 128 + SIGKILL);
    lost_answer_pipeline(dir, NULL, NULL);
    CU_ASSERT_EQUAL(run_status(dir), 0);
    CU_ASSERT_EQUAL(q(dir, "target.db", "SELECT count(*) FROM sends WHERE "
                                        "key = 'B' AND answer = 'duplicate'"), 1);
    CU_ASSERT_EQUAL(q(dir, "target.db", "SELECT count(*) FROM applied WHERE "
                                        "key = 'B' AND op = 'update'"), 0);
    free(dir);
}

/* Two targets; the first applied a new key's insert, weir died before the
 * second saw it.  The key changes before the next run: the second target
 * never had it, so it must get an insert, not an update. */
static void test_lost_answer_insert_two_targets(void)
{
    char *dir = e2e_scratch("lost-two");
    static const char first[] =
        "  <sink plugin=\"testsink\" name=\"first\">\n"
        "    <option name=\"database\">first.db</option>\n"
        "    <option name=\"crash-after-key\">${env:WEIR_TEST_CRASH}</option>\n"
        "  </sink>\n";
    lost_answer_pipeline(dir, NULL, first);
    setenv("WEIR_TEST_CRASH", "none", 1);
    free(wt_write_file(dir, "in.csv", "code,name\nA,a\n"));
    CU_ASSERT_EQUAL(run_status(dir), 0);
    setenv("WEIR_TEST_CRASH", "N", 1);
    free(wt_write_file(dir, "in.csv", "code,name\nA,a\nN,n\n"));
    CU_ASSERT_EQUAL(run_status(dir), 128 + SIGKILL);
    CU_ASSERT_EQUAL(q(dir, "target.db", "SELECT count(*) FROM target WHERE key = 'N'"), 0);
    setenv("WEIR_TEST_CRASH", "none", 1);
    free(wt_write_file(dir, "in.csv", "code,name\nA,a\nN,n2\n"));
    CU_ASSERT_EQUAL(run_status(dir), 0);
    unsetenv("WEIR_TEST_CRASH");
    CU_ASSERT_EQUAL(q(dir, "target.db", "SELECT count(*) FROM applied WHERE "
                                        "key = 'N' AND op = 'insert'"), 1);
    CU_ASSERT_EQUAL(q(dir, "target.db", "SELECT count(*) FROM applied WHERE "
                                        "key = 'N' AND op = 'update'"), 0);
    CU_ASSERT_EQUAL(q(dir, "first.db", "SELECT count(*) FROM target WHERE "
                                       "key = 'N' AND payload LIKE '%n2%'"), 1);
    free(dir);
}

/* A sink whose rows are visible before the run completes (csv, append):
 * what it wrote before weir died counts as sent, so the export moving
 * back is followed there too. */
static void test_lost_answer_csv_append(void)
{
    char *dir = e2e_scratch("lost-append");
    static const char csv_sink[] =
        "  <sink plugin=\"csv\" name=\"log\">\n"
        "    <option name=\"path\">out.csv</option>\n"
        "    <option name=\"mode\">append</option>\n"
        "    <option name=\"operation-column\">op</option>\n"
        "  </sink>\n";
    lost_answer_pipeline(dir, NULL, csv_sink);
    free(wt_write_file(dir, "in.csv", "code,name\nK1,A\nK2,x\n"));
    CU_ASSERT_EQUAL(run_status(dir), 0);
    lost_answer_pipeline(dir, "K1", csv_sink);
    free(wt_write_file(dir, "in.csv", "code,name\nK1,B\nK2,x\nN1,new\n"));
    CU_ASSERT_EQUAL(run_status(dir), 128 + SIGKILL);
    lost_answer_pipeline(dir, NULL, csv_sink);
    free(wt_write_file(dir, "in.csv", "code,name\nK1,A\nK2,x\n"));
    CU_ASSERT_EQUAL(run_status(dir), 0);
    char path[4200];
    snprintf(path, sizeof(path), "%s/out.csv", dir);
    char *text = wt_read_file(path);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    /* the file's story ends with K1 back at A and N1 deleted */
    CU_ASSERT(e2e_contains(text, "\nK1,B,update\nN1,new,insert\n"));
    const char *last_k1 = NULL, *last_n1 = NULL;
    for (const char *p = text; (p = strstr(p, "\nK1,")); p++)
        last_k1 = p;
    for (const char *p = text; (p = strstr(p, "\nN1,")); p++)
        last_n1 = p;
    CU_ASSERT(last_k1 && strcmp(last_k1, "\nK1,A,update\nN1,,delete\n") == 0);
    CU_ASSERT(last_n1 && strcmp(last_n1, "\nN1,,delete\n") == 0);
    free(text);
    free(dir);
}

/* ---- a source's cursor with <track> -------------------------------------
 * testgen sets state-key `cursor` to the records it read so far, as the
 * http source's incremental cursor.  With <track> the whole export is
 * read before any change is sent: the cursor belongs to all of them, and
 * is committed only once every change is recorded.  Killed after the
 * second of three batches reached the target, the state must not hold
 * it: a run resuming from it would never read the third batch again. */
static void test_cursor_waits_for_the_export(void)
{
    char *dir = e2e_scratch("cursor-track");
    char xml[2048], state[4200];
    static const char shape[] =
        "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"gen\" "
        "batch-size=\"2\">\n"
        "  <source plugin=\"testgen\" name=\"src\">"
        "<option name=\"count\">6</option>"
        "<option name=\"state-key\">cursor</option></source>\n"
        "  <track key=\"id\" deletes=\"ignore\"/>\n"
        "  <sink plugin=\"testsink\" name=\"app\">\n"
        "    <option name=\"database\">target.db</option>%s\n"
        "  </sink>\n"
        "</pipeline>\n";
    snprintf(xml, sizeof(xml), shape,
             "<option name=\"crash-after-key\">3</option>");
    free(wt_write_file(dir, "p.xml", xml));
    snprintf(state, sizeof(state), "%s/weir.db", dir);
    CU_ASSERT_EQUAL(run_status(dir), 128 + SIGKILL);
    CU_ASSERT_EQUAL(q(dir, "target.db", "SELECT count(*) FROM target"), 4);
    CU_ASSERT_EQUAL(e2e_query_int(state, "SELECT count(*) FROM plugin_state "
                                         "WHERE key = 'cursor'"), 0);
    /* the next run reads the export again and completes it */
    snprintf(xml, sizeof(xml), shape, "");
    free(wt_write_file(dir, "p.xml", xml));
    CU_ASSERT_EQUAL(run_status(dir), 0);
    CU_ASSERT_EQUAL(q(dir, "target.db", "SELECT count(*) FROM target"), 6);
    CU_ASSERT_EQUAL(q(dir, "target.db", "SELECT max(n) FROM counts"), 1);
    CU_ASSERT_EQUAL(e2e_query_int(state, "SELECT count(*) FROM plugin_state "
                                         "WHERE key = 'cursor' AND value = '6'"), 1);
    free(dir);
}

void register_tests(void)
{
    CU_pSuite s = CU_add_suite("crash anywhere", NULL, NULL);
    CU_add_test(s, "SIGKILL at random points loses nothing, applies nothing "
                   "twice", test_crash_anywhere);
    CU_add_test(s, "killed before finish(): the export loses nothing",
                test_killed_before_finish);
    CU_add_test(s, "the lost answer: the target follows a source that "
                   "moved on", test_lost_answer_source_moves_on);
    CU_add_test(s, "the lost answer: re-sent with the same ids",
                test_lost_answer_same_source);
    CU_add_test(s, "the lost answer: csv append", test_lost_answer_csv_append);
    CU_add_test(s, "the lost answer: a re-insert goes again as it went",
                test_lost_answer_reinsert);
    CU_add_test(s, "the lost answer: an insert one target never saw",
                test_lost_answer_insert_two_targets);
    CU_add_test(s, "<track>: a source's cursor waits for the whole export",
                test_cursor_waits_for_the_export);
}
