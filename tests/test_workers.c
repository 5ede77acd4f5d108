/*
 * Several workers on one state store: two `weir drain` processes send
 * the same sink's outbox at once, against a slow target, and every
 * record is applied exactly once (state.h: claims under a lease).
 */
#include "config.h"

#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cunit_main.h"
#include "e2e.h"
#include "harness.h"

#define PLUGINS WEIR_BUILDDIR "/connectors/.libs:" WEIR_BUILDDIR \
    "/plugins/.libs:" WEIR_BUILDDIR "/tests/.libs"

#define NRECORDS 300

static long long q(const char *dir, const char *sql)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/target.db", dir);
    return e2e_query_int(path, sql);
}

/* `weir drain p.xml` in a child process; its pid. */
static pid_t drain_in_background(const char *dir)
{
    pid_t pid = fork();
    if (pid == 0) {
        e2e_result r = e2e_run(dir, "drain", "--plugin-path", PLUGINS,
                               "p.xml", NULL);
        if (r.status != 0)
            fprintf(stderr, "drain: exit %d\n%s%s", r.status, r.out, r.err);
        _exit(r.status);
    }
    return pid;
}

static void test_two_drains_apply_each_record_once(void)
{
    char *d = e2e_scratch("two-drains");
    char xml[2048];
    snprintf(xml, sizeof(xml),
             "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"orders\" "
             "type=\"order\" batch-size=\"10\">\n"
             "  <source plugin=\"csv\" name=\"shop\">\n"
             "    <option name=\"path\">in.csv</option>\n"
             "  </source>\n"
             "  <sink plugin=\"testsink\" name=\"erp\">\n"
             "    <option name=\"database\">target.db</option>\n"
             "    <option name=\"down-file\">down</option>\n"
             "    <option name=\"write-delay\">40ms</option>\n"
             "    <retry attempts=\"3\" delay=\"0s\" jitter=\"0s\"/>\n"
             "  </sink>\n"
             "</pipeline>\n");
    free(wt_write_file(d, "p.xml", xml));
    size_t cap = 32 + NRECORDS * 24;
    char *csv = malloc(cap);
    CU_ASSERT_PTR_NOT_NULL_FATAL(csv);
    size_t n = (size_t)snprintf(csv, cap, "code,amount\n");
    for (int i = 0; i < NRECORDS; i++)
        n += (size_t)snprintf(csv + n, cap - n, "O%04d,%d\n", i, i * 7);
    free(wt_write_file(d, "in.csv", csv));
    free(csv);

    /* the ERP is down during the run: every order waits in the outbox */
    free(wt_write_file(d, "down", ""));
    const char *run[] = {"run", "--plugin-path", PLUGINS, "p.xml", NULL};
    free(e2e_expectv(d, 0, run));
    CU_ASSERT_EQUAL(q(d, "SELECT count(*) FROM applied"), 0);

    /* it is back: two workers drain at once */
    char down[4200];
    snprintf(down, sizeof(down), "%s/down", d);
    CU_ASSERT_EQUAL_FATAL(unlink(down), 0);
    pid_t a = drain_in_background(d), b = drain_in_background(d);
    int sa = -1, sb = -1;
    CU_ASSERT_EQUAL(waitpid(a, &sa, 0), a);
    CU_ASSERT_EQUAL(waitpid(b, &sb, 0), b);
    CU_ASSERT(WIFEXITED(sa) && WEXITSTATUS(sa) == 0);
    CU_ASSERT(WIFEXITED(sb) && WEXITSTATUS(sb) == 0);

    /* each order reached the ERP once: never handed to two workers */
    CU_ASSERT_EQUAL(q(d, "SELECT count(*) FROM applied"), NRECORDS);
    CU_ASSERT_EQUAL(q(d, "SELECT count(*) FROM sends WHERE answer = 'ok'"),
                    NRECORDS);
    CU_ASSERT_EQUAL(q(d, "SELECT count(*) FROM sends WHERE answer = "
                         "'duplicate'"), 0);
    CU_ASSERT_EQUAL(q(d, "SELECT count(*) FROM counts WHERE n <> 1"), 0);
    /* and both did their share */
    CU_ASSERT_EQUAL(q(d, "SELECT count(DISTINCT pid) FROM sends WHERE "
                         "answer = 'ok'"), 2);

    /* the outbox agrees: nothing is waiting */
    const char *mon[] = {"monitor", "--json", NULL};
    char *out = e2e_expectv(d, 0, mon);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"groups\": []"));
    free(out);
    free(d);
}

/* Wait until file `name` exists in `dir` (at most 2 minutes). */
static int await_file(const char *dir, const char *name)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    for (int t = 0; t < 6000; t++) {
        if (access(path, F_OK) == 0)
            return 1;
        usleep(20 * 1000);
    }
    return 0;
}

/* `weir ARGS` in a child process; its pid. */
static pid_t weir_in_background(const char *dir, const char *cmd)
{
    pid_t pid = fork();
    if (pid == 0) {
        e2e_result r = e2e_run(dir, cmd, "--plugin-path", PLUGINS, "p.xml",
                               NULL);
        if (r.status != 0)
            fprintf(stderr, "%s: exit %d\n%s%s", cmd, r.status, r.out, r.err);
        _exit(r.status);
    }
    return pid;
}

static int exited_ok(pid_t pid)
{
    int st = -1;
    return waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
           WEXITSTATUS(st) == 0;
}

/* A drain claims an older change of key A and is still sending it when a
 * run (which loaded the outbox before that claim) sends A's newer
 * change: the newer one must wait behind the older one, else the older
 * lands last and the target keeps it, while the snapshot says the newer
 * one was delivered (no later run sends it again). */
static void test_run_waits_for_older_change_a_drain_took(void)
{
    char *d = e2e_scratch("run-and-drain-order");
    free(wt_write_file(d, "p.xml",
        "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"orders\" "
        "type=\"order\" batch-size=\"1\">\n"
        "  <source plugin=\"csv\" name=\"shop\">\n"
        "    <option name=\"path\">in.csv</option>\n"
        "  </source>\n"
        "  <track key=\"code\"/>\n"
        "  <sink plugin=\"testsink\" name=\"erp\">\n"
        "    <option name=\"database\">target.db</option>\n"
        "    <option name=\"down-file\">down</option>\n"
        "    <option name=\"gate-field\">gate</option>\n"
        "    <retry attempts=\"3\" delay=\"0s\" jitter=\"0s\"/>\n"
        "  </sink>\n"
        "</pipeline>\n"));
    /* A's first change waits in the outbox: the ERP is down */
    free(wt_write_file(d, "in.csv", "code,amount,gate\nA,1,drain-go\n"));
    free(wt_write_file(d, "down", ""));
    const char *run[] = {"run", "--plugin-path", PLUGINS, "p.xml", NULL};
    free(e2e_expectv(d, 0, run));
    char path[4200];
    snprintf(path, sizeof(path), "%s/down", d);
    CU_ASSERT_EQUAL_FATAL(unlink(path), 0);

    /* A changes again; the run has loaded the outbox when it writes B */
    free(wt_write_file(d, "in.csv", "code,amount,gate\nB,1,run-go\nA,2,\n"));
    pid_t r = weir_in_background(d, "run");
    CU_ASSERT_FATAL(await_file(d, "run-go.waiting"));
    /* now a drain takes A's first change and is sending it */
    pid_t w = weir_in_background(d, "drain");
    CU_ASSERT_FATAL(await_file(d, "drain-go.waiting"));
    /* the run goes on to A's newer change, and ends */
    free(wt_write_file(d, "run-go", ""));
    CU_ASSERT(exited_ok(r));
    /* the drain's older change arrives */
    free(wt_write_file(d, "drain-go", ""));
    CU_ASSERT(exited_ok(w));

    /* the ERP has A's latest state */
    CU_ASSERT_EQUAL(q(d, "SELECT count(*) FROM target WHERE key = 'A' AND "
                         "payload LIKE '%amount=2%'"), 1);
    const char *mon[] = {"monitor", "--json", NULL};
    char *out = e2e_expectv(d, 0, mon);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"groups\": []"));
    free(out);
    free(d);
}

/* A drain that starts while a run writes a csv file (write mode, which
 * publishes at the end) must not touch the run's unpublished output:
 * every row the run wrote is in the file it publishes. */
static void test_drain_leaves_a_runs_csv_output_alone(void)
{
    char *d = e2e_scratch("drain-during-csv-run");
    free(wt_write_file(d, "p.xml",
        "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"orders\" "
        "type=\"order\" batch-size=\"1\">\n"
        "  <source plugin=\"csv\" name=\"shop\">\n"
        "    <option name=\"path\">in.csv</option>\n"
        "  </source>\n"
        "  <sink plugin=\"testsink\" name=\"erp\">\n"
        "    <option name=\"database\">target.db</option>\n"
        "    <option name=\"down-file\">down</option>\n"
        "    <option name=\"gate-field\">gate</option>\n"
        "    <retry attempts=\"3\" delay=\"0s\" jitter=\"0s\"/>\n"
        "  </sink>\n"
        "  <sink plugin=\"csv\" name=\"file\">\n"
        "    <option name=\"path\">out.csv</option>\n"
        "  </sink>\n"
        "</pipeline>\n"));
    /* the ERP is down: Q waits in its outbox */
    free(wt_write_file(d, "in.csv", "code,gate\nQ,drain-go\n"));
    free(wt_write_file(d, "down", ""));
    const char *run[] = {"run", "--plugin-path", PLUGINS, "p.xml", NULL};
    free(e2e_expectv(d, 0, run));
    char path[4200];
    snprintf(path, sizeof(path), "%s/down", d);
    CU_ASSERT_EQUAL_FATAL(unlink(path), 0);

    /* a run has written A to the file (unpublished) and waits at B */
    free(wt_write_file(d, "in.csv", "code,gate\nA1234,\nB,run-go\nC,\n"));
    pid_t r = weir_in_background(d, "run");
    CU_ASSERT_FATAL(await_file(d, "run-go.waiting"));
    /* a drain starts (as cron might); it sends Q to the ERP */
    pid_t w = weir_in_background(d, "drain");
    int st = -1, ended = 0;
    snprintf(path, sizeof(path), "%s/drain-go.waiting", d);
    for (int t = 0; t < 6000 && access(path, F_OK) != 0; t++) {
        if ((ended = waitpid(w, &st, WNOHANG) == w))
            break; /* it would not share the pipeline */
        usleep(20 * 1000);
    }
    free(wt_write_file(d, "run-go", ""));
    if (ended) /* the run's own drain sends Q */
        free(wt_write_file(d, "drain-go", ""));
    CU_ASSERT(exited_ok(r));
    free(wt_write_file(d, "drain-go", ""));
    CU_ASSERT(ended || waitpid(w, &st, 0) == w);

    /* the run's file holds every row it wrote */
    snprintf(path, sizeof(path), "%s/out.csv", d);
    char *csv = wt_read_file(path);
    CU_ASSERT_PTR_NOT_NULL_FATAL(csv);
    CU_ASSERT(e2e_contains(csv, "A1234"));
    CU_ASSERT(e2e_contains(csv, "\nB,"));
    CU_ASSERT(e2e_contains(csv, "\nC,"));
    free(csv);
    free(d);
}

void register_tests(void)
{
    CU_pSuite s = CU_add_suite("several workers", NULL, NULL);
    CU_add_test(s, "two drains at once apply every record once",
                test_two_drains_apply_each_record_once);
    CU_add_test(s, "a run's newer change waits for an older one a drain took",
                test_run_waits_for_older_change_a_drain_took);
    CU_add_test(s, "a drain leaves a run's csv output alone",
                test_drain_leaves_a_runs_csv_output_alone);
}
