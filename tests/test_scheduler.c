/*
 * The scheduler behind `weir drain --wait` (engine/scheduler.h): a sink
 * is opened once for all its passes, and SIGINT/SIGTERM end the wait
 * promptly, the sink closed and the summary printed.  The test sink notes
 * every open() and close() with the process id (its lifecycle table).
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

#define PLUGINS WEIR_BUILDDIR "/connectors/.libs:" WEIR_BUILDDIR \
    "/plugins/.libs:" WEIR_BUILDDIR "/tests/.libs"

static long long q(const char *dir, const char *sql)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/target.db", dir);
    return e2e_query_int(path, sql);
}

/* cust: a CSV file into the test sink, with `sink_options` and `retry`. */
static void write_pipeline(const char *dir, const char *sink_options,
                           const char *retry)
{
    char xml[2048];
    snprintf(xml, sizeof(xml),
             "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"cust\">\n"
             "  <source plugin=\"csv\" name=\"erp\">\n"
             "    <option name=\"path\">in.csv</option>\n"
             "  </source>\n"
             "  <sink plugin=\"testsink\" name=\"app\">\n"
             "    <option name=\"database\">target.db</option>\n"
             "    %s\n    %s\n"
             "  </sink>\n"
             "</pipeline>\n",
             sink_options, retry);
    free(wt_write_file(dir, "p.xml", xml));
    free(wt_write_file(dir, "in.csv", "code,name\nA1,a\nA2,b\nA3,c\n"));
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_sink_open_across_passes(void)
{
    /* A2 is refused twice, 300 ms apart: drain --wait passes three times
     * (nothing due, the second refusal, A2 delivered), with the sink it
     * opened once. */
    char *d = e2e_scratch("sched-open-once");
    write_pipeline(d,
                   "<option name=\"retry-keys\">A2</option>"
                   "<option name=\"retry-times\">2</option>",
                   "<retry attempts=\"5\" delay=\"300ms\" jitter=\"0s\"/>");
    const char *run[] = {"run", "--plugin-path", PLUGINS, "p.xml", NULL};
    free(e2e_expectv(d, 0, run));
    CU_ASSERT_EQUAL(q(d, "SELECT count(*) FROM sends WHERE key = 'A2'"), 1);
    CU_ASSERT_EQUAL(q(d, "SELECT count(*) FROM lifecycle"), 2);

    const char *drain[] = {"drain", "--plugin-path", PLUGINS, "p.xml",
                           "--wait", NULL};
    char *out = e2e_expectv(d, 0, drain);
    CU_ASSERT(e2e_contains(out, "cust: 1 written"));
    free(out);
    /* every attempt made, the last one applied */
    CU_ASSERT_EQUAL(q(d, "SELECT count(*) FROM sends WHERE key = 'A2'"), 3);
    CU_ASSERT_EQUAL(q(d, "SELECT count(*) FROM target WHERE key = 'A2'"), 1);
    /* the drain opened the sink once, and closed it once */
    CU_ASSERT_EQUAL(q(d, "SELECT count(*) FROM lifecycle WHERE event = 'open'"),
                    2);
    CU_ASSERT_EQUAL(q(d, "SELECT count(*) FROM lifecycle WHERE event = "
                         "'close'"), 2);
    CU_ASSERT_EQUAL(q(d, "SELECT count(DISTINCT pid) FROM lifecycle"), 2);
    free(d);
}

/* `weir drain p.xml --wait` in a process group of its own, as a shell
 * runs a foreground job (SIGINT from the terminal reaches the whole
 * group).  Its output stays in dir/.stdout and dir/.stderr. */
static pid_t drain_wait_in_group(const char *dir)
{
    const char *args[] = {"drain", "--plugin-path", PLUGINS, "p.xml",
                          "--wait", NULL};
    return e2e_start_in_group(dir, args);
}

/* Is `text` in dir/`file` yet? */
static int file_has(const char *dir, const char *file, const char *text)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    char *s = wt_read_file(path);
    int has = s && strstr(s, text);
    free(s);
    return has;
}

/* Wait for `text` in dir/`file` (any text: for the file): 1 once it is
 * there, 0 after 60 s (valgrind is slow). */
static int file_gets(const char *dir, const char *file, const char *text)
{
    for (int i = 0; i < 600; i++) {
        if (file_has(dir, file, text))
            return 1;
        usleep(100000);
    }
    return 0;
}

/* Wait up to 60 s for `pid` to exit: its status, or -1 when it had to be
 * stopped (SIGTERM to its group) to look. */
static int exit_status(pid_t pid)
{
    int status = -1;
    pid_t done = 0;
    for (int i = 0; i < 600 && (done = waitpid(pid, &status, WNOHANG)) == 0;
         i++)
        usleep(100000);
    if (done == pid)
        return status;
    kill(-pid, SIGTERM);
    waitpid(pid, &status, 0);
    return -1;
}

static void stop_while_waiting(int sig, const char *name)
{
    /* The endpoint is down and probed hourly: drain --wait would wait up
     * to --max-wait (10 minutes).  The signal ends the wait at once. */
    char *d = e2e_scratch(name);
    write_pipeline(d, "<option name=\"down-file\">down</option>",
                   "<retry attempts=\"5\" delay=\"1h\" jitter=\"0s\"/>");
    free(wt_write_file(d, "down", "x"));
    const char *run[] = {"run", "--plugin-path", PLUGINS, "p.xml", NULL};
    free(e2e_expectv(d, 0, run));

    pid_t pid = drain_wait_in_group(d);
    CU_ASSERT_FATAL(pid > 0);
    CU_ASSERT(file_gets(d, ".stderr", "waiting "));
    double sent = now_s();
    kill(-pid, sig);
    int status = -1;
    pid_t done = 0;
    while ((done = waitpid(pid, &status, WNOHANG)) == 0 && now_s() - sent < 10)
        usleep(20000);
    double took = now_s() - sent;
    if (done == 0) {
        kill(-pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    CU_ASSERT_EQUAL(done, pid);
    /* promptly: the wait sleeps in slices of 200 ms */
    CU_ASSERT(took < 3.0);
    if (took >= 3.0)
        fprintf(stderr, "\n  drain --wait took %.1f s to stop\n", took);
    /* cleanly: exit 0 (the records are held, nothing failed; cli.md), the
     * summary printed, the sink closed */
    CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CU_ASSERT(file_has(d, ".stdout", "cust: 0 written"));
    CU_ASSERT_EQUAL(q(d, "SELECT count(*) FROM lifecycle WHERE event = 'open'"),
                    2);
    CU_ASSERT_EQUAL(q(d, "SELECT count(*) FROM lifecycle WHERE event = "
                         "'close'"), 2);
    free(d);
}

static void test_sigterm_ends_the_wait(void)
{
    stop_while_waiting(SIGTERM, "sched-sigterm");
}

static void test_sigint_ends_the_wait(void)
{
    stop_while_waiting(SIGINT, "sched-sigint");
}

/* drain --wait sleeps while its endpoint is down; meanwhile a copy of its
 * file that writes elsewhere runs on the same state and queues the rows
 * for its own target.  When the endpoint is back, drain does not deliver
 * them to the target it loaded: it says why and exits 3.  (It checked
 * only when it loaded the file: they went to target.db.) */
static void test_other_target_queued_while_waiting(void)
{
    char *d = e2e_scratch("sched-retarget");
    char *other = e2e_scratch("sched-retarget-other");
    char down[4200], sink[4400];
    snprintf(down, sizeof(down), "%s/down", d);
    snprintf(sink, sizeof(sink),
             "<option name=\"down-file\">%s</option>", down);
    write_pipeline(d, sink, "<retry attempts=\"5\" delay=\"1s\" "
                            "jitter=\"0s\"/>");
    write_pipeline(other, sink, "<retry attempts=\"5\" delay=\"1s\" "
                                "jitter=\"0s\"/>");
    free(wt_write_file(d, "down", "x"));
    const char *run[] = {"run", "--plugin-path", PLUGINS, "p.xml", NULL};
    free(e2e_expectv(d, 0, run)); /* held: the endpoint is down */

    pid_t pid = drain_wait_in_group(d);
    CU_ASSERT_FATAL(pid > 0);
    CU_ASSERT(file_gets(d, ".stderr", "tried again at"));
    /* the copy (its target.db is in its own folder) runs on d's state */
    char state[4200];
    snprintf(state, sizeof(state), "%s/weir.db", d);
    const char *copy[] = {"run", "--plugin-path", PLUGINS, "--state", state,
                          "p.xml", NULL};
    free(e2e_expectv(other, 0, copy));
    CU_ASSERT_EQUAL(unlink(down), 0); /* the endpoint is back */
    int status = exit_status(pid);
    CU_ASSERT(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 3);
    CU_ASSERT(file_has(d, ".stderr", "nothing more is sent for it"));
    CU_ASSERT(file_has(d, ".stderr", "were queued for"));
    /* nothing reached the target drain had loaded */
    CU_ASSERT(q(d, "SELECT count(*) FROM target") <= 0);
    free(other);
    free(d);
}

/* The same copy runs while drain is in the middle of a pass, sending its
 * records one batch at a time: the rows the copy queues for its own
 * target must not be claimed by that pass and sent to the target drain
 * loaded.  (Checked only before the pass, they went to d's target.db.) */
static void test_other_target_queued_during_a_pass(void)
{
    char *d = e2e_scratch("sched-retarget-pass");
    char *other = e2e_scratch("sched-retarget-pass-other");
    char csv[4400], gate[4200], state[4200], downp[4200];
    snprintf(gate, sizeof(gate), "%s/go", d);
    snprintf(state, sizeof(state), "%s/weir.db", d);
    /* batch-size 1: a pass claims row after row; A2 waits at the gate */
    const char *xml =
        "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"cust\" "
        "batch-size=\"1\">\n"
        "  <source plugin=\"csv\" name=\"erp\">\n"
        "    <option name=\"path\">in.csv</option>\n"
        "  </source>\n"
        "  <sink plugin=\"testsink\" name=\"app\">\n"
        "    <option name=\"database\">target.db</option>\n"
        "    <option name=\"down-file\">down</option>\n"
        "    <option name=\"gate-field\">gate</option>\n"
        "    <retry attempts=\"5\" delay=\"300ms\" jitter=\"0s\"/>\n"
        "  </sink>\n"
        "</pipeline>\n";
    free(wt_write_file(d, "p.xml", xml));
    free(wt_write_file(other, "p.xml", xml));
    snprintf(csv, sizeof(csv), "code,name,gate\nA1,a,\nA2,b,%s\nA3,c,\n",
             gate);
    free(wt_write_file(d, "in.csv", csv));
    free(wt_write_file(other, "in.csv", "code,name,gate\nB1,x,\nB2,y,\n"));
    free(wt_write_file(d, "down", "x"));
    const char *run[] = {"run", "--plugin-path", PLUGINS, "p.xml", NULL};
    free(e2e_expectv(d, 0, run)); /* held: the endpoint is down */
    snprintf(downp, sizeof(downp), "%s/down", d);
    CU_ASSERT_EQUAL(unlink(downp), 0); /* the endpoint is back */

    pid_t pid = drain_wait_in_group(d);
    CU_ASSERT_FATAL(pid > 0);
    CU_ASSERT(file_gets(d, "go.waiting", "")); /* the pass is sending A2 */
    /* the copy, its endpoint down, queues B1 and B2 on d's state */
    free(wt_write_file(other, "down", "x"));
    const char *copy[] = {"run", "--plugin-path", PLUGINS, "--state", state,
                          "p.xml", NULL};
    free(e2e_expectv(other, 0, copy));
    free(wt_write_file(d, "go", "x")); /* A2 goes on */
    int status = exit_status(pid);
    CU_ASSERT(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 3);
    CU_ASSERT(file_has(d, ".stderr", "were queued for"));
    /* what the copy queued never reached the target drain had loaded */
    CU_ASSERT_EQUAL(q(d, "SELECT count(*) FROM target WHERE key LIKE 'B%'"),
                    0);
    CU_ASSERT_EQUAL(q(d, "SELECT count(*) FROM target WHERE key = 'A2'"), 1);
    free(other);
    free(d);
}

void register_tests(void)
{
    CU_pSuite s = CU_add_suite("drain scheduler", NULL, NULL);
    CU_add_test(s, "drain --wait opens a sink once for all its passes",
                test_sink_open_across_passes);
    CU_add_test(s, "SIGTERM ends drain --wait's wait promptly and cleanly",
                test_sigterm_ends_the_wait);
    CU_add_test(s, "SIGINT ends drain --wait's wait promptly and cleanly",
                test_sigint_ends_the_wait);
    CU_add_test(s, "drain --wait: records another target queued meanwhile",
                test_other_target_queued_while_waiting);
    CU_add_test(s, "drain: records another target queued during a pass",
                test_other_target_queued_during_a_pass);
}
