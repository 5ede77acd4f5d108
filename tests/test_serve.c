/*
 * test_serve.c - `weir serve DIR` end to end: the service runs its
 * folder's pipelines on their schedules against a flaky test ERP, every
 * record arrives exactly once, an outage is notified once going down and
 * once coming back, SIGTERM in the middle of a run loses nothing and
 * exits 0, SIGHUP reloads the folder, and two services on one state never
 * run a pipeline twice at once.
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
#include "erp_server.h"
#include "harness.h"

#define PLUGINS WEIR_BUILDDIR "/connectors/.libs:" WEIR_BUILDDIR \
    "/plugins/.libs:" WEIR_BUILDDIR "/tests/.libs"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* `weir serve DIR --state STATE --log-format F [MORE]` in the
 * background, with `cwd` as its folder (its output in cwd/.stdout and
 * cwd/.stderr); a signal to the process group, kill(-pid, sig), reaches
 * weir.  `more`: up to 4 further arguments, NULL-terminated (nullable). */
static pid_t serve_start_with(const char *cwd, const char *dir,
                              const char *state, const char *log_format,
                              const char *const *more)
{
    const char *args[16] = {"serve", "--plugin-path", PLUGINS, "--state",
                            state ? state : "weir.db", "--log-format",
                            log_format, dir};
    for (size_t i = 0; more && more[i] && i < 4; i++)
        args[8 + i] = more[i];
    return e2e_start_in_group(cwd, args);
}

static pid_t serve_start(const char *cwd, const char *dir, const char *state,
                         const char *log_format)
{
    return serve_start_with(cwd, dir, state, log_format, NULL);
}

/* SIGTERM, then its exit status; -1 when it did not exit within
 * `limit_s` (it is killed then). */
static int serve_stop(pid_t pid, double limit_s, double *took)
{
    double sent = now_s();
    kill(-pid, SIGTERM);
    int status = -1;
    pid_t done = 0;
    while ((done = waitpid(pid, &status, WNOHANG)) == 0 &&
           now_s() - sent < limit_s)
        usleep(20000);
    *took = now_s() - sent;
    if (done == 0) {
        kill(-pid, SIGKILL);
        waitpid(pid, &status, 0);
        return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Is `text` in dir/file yet? */
static int file_has(const char *dir, const char *file, const char *text)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    char *s = wt_read_file(path);
    int has = s && strstr(s, text);
    free(s);
    return has;
}

/* Wait up to `limit_s` for cond(ctx). */
static int wait_for(int (*cond)(void *ctx), void *ctx, double limit_s)
{
    double start = now_s();
    while (!cond(ctx)) {
        if (now_s() - start > limit_s)
            return 0;
        usleep(50000);
    }
    return 1;
}

typedef struct erp_wait {
    erp_server *erp;
    const char *resource;
    size_t n;
} erp_wait;

static int erp_has(void *ctx)
{
    erp_wait *w = ctx;
    return erp_record_count(w->erp, w->resource) >= w->n;
}

typedef struct log_wait {
    const char *dir, *file, *text;
} log_wait;

static int log_has(void *ctx)
{
    log_wait *w = ctx;
    return file_has(w->dir, w->file, w->text);
}

/* invoices.csv with invoices first..last (refs INV-first...), terms N30. */
static void write_invoices(const char *dir, int last)
{
    size_t size = 32 + (size_t)last * 24;
    char *csv = malloc(size), *at = csv;
    at += sprintf(at, "ref,terms,amount\n");
    for (int i = 1; i <= last; i++)
        at += sprintf(at, "INV-%03d,N30,%d.00\n", i, i * 10);
    free(wt_write_file(dir, "invoices.csv", csv));
    free(csv);
}

/* orders.csv with orders 1..last (refs SO-001...) of customer ACME. */
static void write_orders(const char *dir, int last)
{
    size_t size = 32 + (size_t)last * 24;
    char *csv = malloc(size), *at = csv;
    at += sprintf(at, "ref,customer,qty\n");
    for (int i = 1; i <= last; i++)
        at += sprintf(at, "SO-%03d,ACME,%d\n", i, i);
    free(wt_write_file(dir, "orders.csv", csv));
    free(csv);
}

/* Two pipelines to the ERP on one-second schedules; the invoices'
 * outages go to `hooks`. */
static void write_pipelines(const char *dir, erp_server *erp,
                            erp_server *hooks)
{
    char xml[4096];
    snprintf(xml, sizeof(xml),
             "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"invoices\" "
             "type=\"invoice\">\n"
             "  <schedule every=\"1s\"/>\n"
             "  <source plugin=\"csv\" name=\"booking\">\n"
             "    <option name=\"path\">invoices.csv</option>\n"
             "  </source>\n"
             "  <track key=\"ref\"/>\n"
             "  <sink plugin=\"http\" name=\"erp\">\n"
             "    <option name=\"url\">%s</option>\n"
             "    <option name=\"upsert\">POST /invoices</option>\n"
             "    <option name=\"error-pointer\">/error/message</option>\n"
             "    <option name=\"idempotency-header\">Idempotency-Key</option>\n"
             "    <option name=\"health\">GET /health</option>\n"
             "    <option name=\"concurrency\">2</option>\n"
             "    <option name=\"timeout\">2s</option>\n"
             "    <retry attempts=\"50\" delay=\"200ms\" jitter=\"100ms\" "
             "max-delay=\"1s\"/>\n"
             "  </sink>\n"
             "  <notify plugin=\"webhook\" name=\"ops\" "
             "on=\"endpoint-down endpoint-up\">\n"
             "    <option name=\"url\">%s/hooks/ops</option>\n"
             "  </notify>\n"
             "</pipeline>\n",
             erp_url(erp), erp_url(hooks));
    free(wt_write_file(dir, "invoices.xml", xml));
    snprintf(xml, sizeof(xml),
             "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"orders\" "
             "type=\"order\">\n"
             "  <schedule every=\"1s\"/>\n"
             "  <source plugin=\"csv\" name=\"shop\">\n"
             "    <option name=\"path\">orders.csv</option>\n"
             "  </source>\n"
             "  <track key=\"ref\"/>\n"
             "  <sink plugin=\"http\" name=\"erp\">\n"
             "    <option name=\"url\">%s</option>\n"
             "    <option name=\"upsert\">POST /orders</option>\n"
             "    <option name=\"idempotency-header\">Idempotency-Key</option>\n"
             "    <option name=\"error-pointer\">/error/message</option>\n"
             "    <option name=\"health\">GET /health</option>\n"
             "    <option name=\"timeout\">2s</option>\n"
             "    <retry attempts=\"50\" delay=\"200ms\" jitter=\"100ms\" "
             "max-delay=\"1s\"/>\n"
             "  </sink>\n"
             "</pipeline>\n",
             erp_url(erp));
    free(wt_write_file(dir, "orders.xml", xml));
}

/* How many captured hooks carry `event` in their body. */
static size_t hooks_with(erp_server *hooks, const char *event)
{
    size_t n = 0;
    for (size_t i = 0; i < erp_captured_count(hooks); i++) {
        json_t *c = erp_captured(hooks, i);
        const char *body = json_string_value(json_object_get(c, "body"));
        n += body && strstr(body, event) != NULL;
        json_decref(c);
    }
    return n;
}

typedef struct hook_wait {
    erp_server *hooks;
    const char *event;
    size_t n;
} hook_wait;

static int hook_seen(void *ctx)
{
    hook_wait *w = ctx;
    return hooks_with(w->hooks, w->event) >= w->n;
}

/* weir monitor shows nothing undelivered in `dir` (a lost answer is
 * sent again, with its idempotency key, even when the ERP has it). */
static int nothing_waits(void *dir)
{
    json_t *m = e2e_json(dir, "monitor", "--json", NULL);
    int empty = m && json_array_size(json_object_get(m, "groups")) == 0;
    json_decref(m);
    return empty;
}

/* Every outage told so far was told coming back, once. */
static int outages_told_both_ways(void *ctx)
{
    hook_wait *w = ctx;
    return hooks_with(w->hooks, "endpoint-down") ==
           hooks_with(w->hooks, "endpoint-up");
}

static void test_flaky_erp_exactly_once(void)
{
    erp_server *erp = erp_start(0), *hooks = erp_start(0);
    CU_ASSERT_FATAL(erp && hooks);
    char *d = e2e_scratch("serve-flaky");
    write_pipelines(d, erp, hooks);
    CU_ASSERT_EQUAL_FATAL(erp_add_customer(erp, "ACME", "Acme Ltd"), 0);
    write_invoices(d, 10);
    write_orders(d, 5);
    /* every third request fails: a 503, or applied with the answer lost */
    erp_set_flaky(erp, ERP_FLAKY_LOSE, 3);
    /* the service's own folder keeps its log (the checks below run weir
     * in d) */
    char *logs = e2e_scratch("serve-flaky-log"), state[4200];
    snprintf(state, sizeof(state), "%s/weir.db", d);
    /* the web monitor on, behind a proxy: notices link to its page */
    const char *web[] = {"--http", "127.0.0.1:0", "--public-url",
                         "https://weir.example.com/monitor/", NULL};
    pid_t pid = serve_start_with(logs, d, state, "logfmt", web);
    CU_ASSERT_FATAL(pid > 0);

    erp_wait inv = {erp, "invoices", 10}, ord = {erp, "orders", 5};
    CU_ASSERT(wait_for(erp_has, &inv, 60));
    CU_ASSERT(wait_for(erp_has, &ord, 60));
    /* the exports grow while the service runs */
    write_invoices(d, 20);
    write_orders(d, 8);
    inv.n = 20;
    ord.n = 8;
    CU_ASSERT(wait_for(erp_has, &inv, 60));

    /* the ERP goes away: the invoices wait, the admins hear it once.
     * (The flaky answers before may have made an outage too: a few failed
     * writes in a row; each one is told going and coming back.) */
    erp_set_flaky(erp, ERP_FLAKY_OFF, 0);
    hook_wait settled = {hooks, NULL, 0};
    CU_ASSERT(wait_for(outages_told_both_ways, &settled, 60));
    size_t downs = hooks_with(hooks, "endpoint-down"),
           ups = hooks_with(hooks, "endpoint-up");
    CU_ASSERT_EQUAL_FATAL(erp_set_down(erp, ERP_DOWN_REFUSE), 0);
    write_invoices(d, 25);
    hook_wait down = {hooks, "endpoint-down", downs + 1},
              up = {hooks, "endpoint-up", ups + 1};
    CU_ASSERT(wait_for(hook_seen, &down, 60));
    sleep(2); /* probes go on failing: no second notice */
    CU_ASSERT_EQUAL_FATAL(erp_set_down(erp, ERP_UP), 0);
    CU_ASSERT(wait_for(hook_seen, &up, 60));
    /* one notice going down, one coming back */
    CU_ASSERT_EQUAL(hooks_with(hooks, "endpoint-down"), downs + 1);
    CU_ASSERT_EQUAL(hooks_with(hooks, "endpoint-up"), ups + 1);
    erp_set_flaky(erp, ERP_FLAKY_503, 4);
    inv.n = 25;
    CU_ASSERT(wait_for(erp_has, &inv, 60));
    CU_ASSERT(wait_for(erp_has, &ord, 60));
    CU_ASSERT(wait_for(nothing_waits, d, 60));
    CU_ASSERT(wait_for(outages_told_both_ways, &settled, 60));

    double took;
    CU_ASSERT_EQUAL(serve_stop(pid, 60, &took), 0);
    /* exactly once: every invoice created once, none twice */
    CU_ASSERT_EQUAL(erp_record_count(erp, "invoices"), 25);
    CU_ASSERT_EQUAL(erp_max_created(erp), 1);
    CU_ASSERT_EQUAL(erp_created(erp, "invoices", "INV-021"), 1);
    CU_ASSERT_EQUAL(erp_record_count(erp, "orders"), 8);
    /* each notice links to the endpoint's held records on the page */
    CU_ASSERT_EQUAL(hooks_with(hooks, "\"monitor\":\"https://weir.example.com/"
                                      "monitor/#pipeline=invoices&sink=erp\""),
                    hooks_with(hooks, "endpoint-"));
    /* nothing left behind, and the runs logged one line each */
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "pending", NULL), 0);
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "retry", NULL), 0);
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "held", NULL), 0);
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "failed", NULL), 0);
    /* a line per run, its counts as fields a log collector can query */
    CU_ASSERT(file_has(logs, ".stderr", " level=info event=run "
                                        "pipeline=invoices status=ok read=10 "));
    CU_ASSERT(file_has(logs, ".stderr", "msg=\"orders: scheduled run done"));
    erp_stop(erp);
    erp_stop(hooks);
    free(logs);
    free(d);
}

/* A slow generated export into the test sink, change-tracked: `count`
 * records in batches of 10, each batch read after `delay` and written
 * after `write_delay`; its runs noted in runs.log. */
static void write_slow_pipeline(const char *dir, const char *every,
                                int count, const char *delay,
                                const char *write_delay)
{
    char xml[2048];
    snprintf(xml, sizeof(xml),
             "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"slow\" "
             "batch-size=\"10\">\n"
             "  <schedule every=\"%s\"/>\n"
             "  <source plugin=\"testgen\" name=\"gen\">\n"
             "    <option name=\"count\">%d</option>\n"
             "    <option name=\"read-delay\">%s</option>\n"
             "    <option name=\"run-log\">runs.log</option>\n"
             "  </source>\n"
             "  <track key=\"id\"/>\n"
             "  <sink plugin=\"testsink\" name=\"app\">\n"
             "    <option name=\"database\">target.db</option>\n"
             "    <option name=\"write-delay\">%s</option>\n"
             "  </sink>\n"
             "</pipeline>\n",
             every, count, delay, write_delay);
    free(wt_write_file(dir, "slow.xml", xml));
}

static long long target_int(const char *dir, const char *sql)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/target.db", dir);
    return e2e_query_int(path, sql);
}

static void test_sigterm_mid_run_loses_nothing(void)
{
    char *d = e2e_scratch("serve-sigterm");
    /* 200 records, 10 a batch, 100 ms to write a batch: about 2 s */
    write_slow_pipeline(d, "1h", 200, "0s", "100ms");
    pid_t pid = serve_start(d, d, NULL, "json");
    CU_ASSERT_FATAL(pid > 0);
    for (int i = 0; i < 600 && target_int(d, "SELECT count(*) FROM target") < 30;
         i++)
        usleep(50000);
    double took; /* stops between batches: well within the limit */
    CU_ASSERT_EQUAL(serve_stop(pid, 60, &took), 0);
    long long got = target_int(d, "SELECT count(*) FROM target");
    CU_ASSERT(got >= 30 && got < 200); /* stopped mid-run */
    /* JSON lines: the interrupted run says so, with its counts */
    CU_ASSERT(file_has(d, ".stderr", "\"event\":\"run\",\"pipeline\":\"slow\","
                                     "\"status\":\"error\",\"read\":200,"));
    CU_ASSERT(file_has(d, ".stderr", "\"msg\":\"stopped: what was in flight"));
    /* nothing applied twice, nothing lost: the next run goes on */
    CU_ASSERT_EQUAL(target_int(d, "SELECT count(*) FROM counts WHERE n > 1"), 0);
    const char *run[] = {"run", "--plugin-path", PLUGINS, "slow.xml", NULL};
    free(e2e_expectv(d, 0, run));
    CU_ASSERT_EQUAL(target_int(d, "SELECT count(*) FROM target"), 200);
    CU_ASSERT_EQUAL(target_int(d, "SELECT count(*) FROM counts WHERE n > 1"), 0);
    free(d);
}

/* The spans of the runs in runs.log never overlap, and more than one
 * process ran them.  Returns how many runs. */
static int runs_apart(const char *dir, int *pids)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/runs.log", dir);
    FILE *f = fopen(path, "r");
    CU_ASSERT_FATAL(f != NULL);
    char event[16];
    long pid, open_pid = 0, seen[2] = {0, 0};
    long long ns;
    int runs = 0, overlaps = 0;
    while (fscanf(f, "%15s %ld %lld", event, &pid, &ns) == 3) {
        if (strcmp(event, "open") == 0) {
            overlaps += open_pid != 0;
            open_pid = pid;
            runs++;
            if (!seen[0] || seen[0] == pid)
                seen[0] = pid;
            else
                seen[1] = pid;
        } else {
            CU_ASSERT_EQUAL(pid, open_pid);
            open_pid = 0;
        }
    }
    fclose(f);
    CU_ASSERT_EQUAL(overlaps, 0);
    *pids = seen[1] ? 2 : 1;
    return runs;
}

static void test_two_services_never_overlap(void)
{
    char *d = e2e_scratch("serve-two");
    char *a = e2e_scratch("serve-two-a"), *b = e2e_scratch("serve-two-b");
    /* every 300 ms, a run of about 500 ms: both services want it all the
     * time; the one that asks first runs it, the other waits its turn */
    write_slow_pipeline(d, "300ms", 50, "100ms", "0s");
    char state[4200];
    snprintf(state, sizeof(state), "%s/weir.db", d);
    pid_t pa = serve_start(a, d, state, "plain");
    CU_ASSERT_FATAL(pa > 0);
    log_wait ran = {a, ".stderr", "slow: scheduled run done"};
    CU_ASSERT(wait_for(log_has, &ran, 30));
    pid_t pb = serve_start(b, d, state, "plain");
    CU_ASSERT_FATAL(pb > 0);
    sleep(3); /* both want every run now */
    /* one stops: the other carries on with the pipeline */
    double took;
    int first_stopped = serve_stop(pa, 60, &took);
    log_wait took_over = {b, ".stderr", "slow: scheduled run done"};
    CU_ASSERT(wait_for(log_has, &took_over, 60));
    CU_ASSERT_EQUAL(serve_stop(pb, 60, &took), 0);
    CU_ASSERT_EQUAL(first_stopped, 0);
    int pids = 0;
    int runs = runs_apart(d, &pids);
    CU_ASSERT(runs >= 3);
    CU_ASSERT_EQUAL(pids, 2);
    CU_ASSERT_EQUAL(target_int(d, "SELECT count(*) FROM target"), 50);
    free(a);
    free(b);
    free(d);
}

static void test_sighup_reloads_the_folder(void)
{
    char *d = e2e_scratch("serve-reload");
    write_slow_pipeline(d, "1h", 5, "0s", "0s");
    free(wt_write_file(d, "broken.xml", "<pipeline"));
    pid_t pid = serve_start(d, d, NULL, "plain");
    CU_ASSERT_FATAL(pid > 0);
    log_wait skipped = {d, ".stderr", "broken.xml is not a valid pipeline"};
    CU_ASSERT(wait_for(log_has, &skipped, 30));
    for (int i = 0; i < 600 && target_int(d, "SELECT count(*) FROM target") < 5;
         i++)
        usleep(50000);
    CU_ASSERT_EQUAL(target_int(d, "SELECT count(*) FROM target"), 5);

    /* fixed: the file is served after SIGHUP; a changed file too */
    char xml[1024];
    snprintf(xml, sizeof(xml),
             "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"fixed\">\n"
             "  <schedule every=\"1h\"/>\n"
             "  <source plugin=\"testgen\" name=\"gen\">\n"
             "    <option name=\"count\">3</option>\n"
             "  </source>\n"
             "  <sink plugin=\"testsink\" name=\"app\">\n"
             "    <option name=\"database\">fixed.db</option>\n"
             "  </sink>\n"
             "</pipeline>\n");
    free(wt_write_file(d, "broken.xml", xml));
    kill(-pid, SIGHUP);
    log_wait served = {d, ".stderr", "serving pipeline 'fixed'"};
    CU_ASSERT(wait_for(log_has, &served, 30));
    char path[4200];
    snprintf(path, sizeof(path), "%s/fixed.db", d);
    for (int i = 0; i < 600 && e2e_query_int(path, "SELECT count(*) FROM target") < 3;
         i++)
        usleep(50000);
    CU_ASSERT_EQUAL(e2e_query_int(path, "SELECT count(*) FROM target"), 3);

    /* a change with a problem keeps the last good version */
    free(wt_write_file(d, "slow.xml", "<pipeline name=\"slow\">"));
    kill(-pid, SIGHUP);
    log_wait kept = {d, ".stderr", "pipeline 'slow' goes on as it was loaded"};
    CU_ASSERT(wait_for(log_has, &kept, 30));
    /* a removed file is no longer served */
    snprintf(path, sizeof(path), "%s/broken.xml", d);
    CU_ASSERT_EQUAL(unlink(path), 0);
    kill(-pid, SIGHUP);
    log_wait gone = {d, ".stderr", "pipeline 'fixed' is no longer served"};
    CU_ASSERT(wait_for(log_has, &gone, 30));
    double took;
    CU_ASSERT_EQUAL(serve_stop(pid, 60, &took), 0);
    free(d);
}

/* A pipeline file whose sink now names another target than the one its
 * waiting records were queued for: serve does not deliver them there
 * (as weir drain refuses to), and says why. */
static void test_changed_target_not_drained(void)
{
    char *d = e2e_scratch("serve-target");
    char *logs = e2e_scratch("serve-target-log");
    const char *xml =
        "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"moved\">\n"
        "  <source plugin=\"testgen\" name=\"gen\">\n"
        "    <option name=\"count\">3</option>\n"
        "  </source>\n"
        "  <sink plugin=\"testsink\" name=\"app\">\n"
        "    <option name=\"database\">%s</option>\n"
        "    <option name=\"down-file\">down</option>\n"
        "  </sink>\n"
        "</pipeline>\n";
    char text[1024];
    snprintf(text, sizeof(text), xml, "old.db");
    free(wt_write_file(d, "moved.xml", text));
    free(wt_write_file(d, "down", "x"));
    const char *run[] = {"run", "--plugin-path", PLUGINS, "moved.xml", NULL};
    free(e2e_expectv(d, 0, run)); /* held: the endpoint is down */
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "held", NULL), 3);
    /* the file now points at another database, the endpoint is back */
    snprintf(text, sizeof(text), xml, "new.db");
    free(wt_write_file(d, "moved.xml", text));
    char path[4200];
    snprintf(path, sizeof(path), "%s/down", d);
    unlink(path);
    char state[4200];
    snprintf(state, sizeof(state), "%s/weir.db", d);
    pid_t pid = serve_start(logs, d, state, "plain");
    CU_ASSERT_FATAL(pid > 0);
    log_wait refused = {logs, ".stderr", "nothing is sent for it until it runs"};
    CU_ASSERT(wait_for(log_has, &refused, 30));
    sleep(3); /* a drain pass or two would have sent them */
    double took;
    CU_ASSERT_EQUAL(serve_stop(pid, 60, &took), 0);
    snprintf(path, sizeof(path), "%s/new.db", d);
    CU_ASSERT(e2e_query_int(path, "SELECT count(*) FROM target") <= 0);
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "held", NULL), 3);
    free(logs);
    free(d);
}

/* Serve is draining a pipeline when a copy of its file with another
 * target runs from elsewhere on the same state (`weir run`, or another
 * service that was reloaded and this one not): the records that run
 * queued are not delivered to this service's target. */
static void test_other_target_queued_later_not_drained(void)
{
    char *d = e2e_scratch("serve-later-target");
    char *other = e2e_scratch("serve-later-target-other");
    char *logs = e2e_scratch("serve-later-target-log");
    const char *xml =
        "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"twice\">\n"
        "  <source plugin=\"testgen\" name=\"gen\">\n"
        "    <option name=\"count\">3</option>\n"
        "  </source>\n"
        "  <sink plugin=\"testsink\" name=\"app\">\n"
        "    <option name=\"database\">%s/%s.db</option>\n"
        "    <option name=\"down-file\">%s/down</option>\n"
        "    <retry delay=\"1s\" jitter=\"0s\"/>\n"
        "  </sink>\n"
        "</pipeline>\n";
    char text[8192];
    snprintf(text, sizeof(text), xml, d, "served", d);
    free(wt_write_file(d, "twice.xml", text));
    snprintf(text, sizeof(text), xml, d, "elsewhere", d);
    free(wt_write_file(other, "twice.xml", text));
    char state[4200], path[4200];
    snprintf(state, sizeof(state), "%s/weir.db", d);
    pid_t pid = serve_start(logs, d, state, "plain");
    CU_ASSERT_FATAL(pid > 0);
    log_wait served = {logs, ".stderr", "serving pipeline 'twice'"};
    CU_ASSERT(wait_for(log_has, &served, 30));
    sleep(1); /* a drain pass with nothing to do */
    /* the other copy runs while its endpoint is down: held */
    free(wt_write_file(d, "down", "x"));
    const char *run[] = {"run", "--plugin-path", PLUGINS, "--state", state,
                         "twice.xml", NULL};
    free(e2e_expectv(other, 0, run));
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "held", NULL), 3);
    snprintf(path, sizeof(path), "%s/down", d);
    unlink(path);
    log_wait refused = {logs, ".stderr", "nothing is sent for it until it "
                                          "runs"};
    CU_ASSERT(wait_for(log_has, &refused, 30));
    sleep(4); /* probes 1 s apart would have sent them by now */
    double took;
    CU_ASSERT_EQUAL(serve_stop(pid, 60, &took), 0);
    snprintf(path, sizeof(path), "%s/served.db", d);
    CU_ASSERT(e2e_query_int(path, "SELECT count(*) FROM target") <= 0);
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "held", NULL), 3);
    free(logs);
    free(other);
    free(d);
}

/* Two files naming one pipeline: the second is skipped, and served once
 * the first is gone (SIGHUP). */
static void test_twin_served_when_first_gone(void)
{
    char *d = e2e_scratch("serve-twins");
    const char *xml =
        "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"twin\">\n"
        "  <schedule every=\"1s\"/>\n"
        "  <source plugin=\"testgen\" name=\"gen\">\n"
        "    <option name=\"count\">3</option>\n"
        "  </source>\n"
        "  <sink plugin=\"testsink\" name=\"app\">\n"
        "    <option name=\"database\">%s.db</option>\n"
        "  </sink>\n"
        "</pipeline>\n";
    char text[1024], path[4200];
    snprintf(text, sizeof(text), xml, "a");
    free(wt_write_file(d, "a.xml", text));
    snprintf(text, sizeof(text), xml, "b");
    free(wt_write_file(d, "b.xml", text));
    pid_t pid = serve_start(d, d, NULL, "plain");
    CU_ASSERT_FATAL(pid > 0);
    log_wait twin = {d, ".stderr", "b.xml: pipeline 'twin' is already served"};
    CU_ASSERT(wait_for(log_has, &twin, 30));
    snprintf(path, sizeof(path), "%s/a.xml", d);
    CU_ASSERT_EQUAL(unlink(path), 0);
    kill(-pid, SIGHUP);
    snprintf(path, sizeof(path), "%s/b.db", d);
    for (int i = 0; i < 300 && e2e_query_int(path, "SELECT count(*) FROM "
                                                   "target") < 3; i++)
        usleep(50000);
    CU_ASSERT_EQUAL(e2e_query_int(path, "SELECT count(*) FROM target"), 3);
    double took;
    CU_ASSERT_EQUAL(serve_stop(pid, 60, &took), 0);
    free(d);
}

/* The state database removed under a running service: it stops (exit 3)
 * rather than go on writing where no weir will find it (the next start
 * would begin afresh and send everything again). */
static void test_state_removed_stops(void)
{
    char *d = e2e_scratch("serve-state-gone");
    char *logs = e2e_scratch("serve-state-gone-log");
    write_slow_pipeline(d, "1h", 5, "0s", "0s");
    char state[4200];
    snprintf(state, sizeof(state), "%s/weir.db", d);
    pid_t pid = serve_start(logs, d, state, "plain");
    CU_ASSERT_FATAL(pid > 0);
    log_wait ran = {logs, ".stderr", "slow: scheduled run done"};
    CU_ASSERT(wait_for(log_has, &ran, 30));
    CU_ASSERT_EQUAL(unlink(state), 0);
    int status = -1;
    pid_t done = 0;
    for (int i = 0; i < 600 && (done = waitpid(pid, &status, WNOHANG)) == 0; i++)
        usleep(100000);
    if (done == 0) {
        kill(-pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    CU_ASSERT_EQUAL(done, pid);
    CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 3);
    CU_ASSERT(file_has(logs, ".stderr", "weir.db was removed or replaced "
                                        "while weir was using it"));
    free(logs);
    free(d);
}

void register_tests(void)
{
    CU_pSuite s = CU_add_suite("weir serve", NULL, NULL);
    CU_add_test(s, "two pipelines, a flaky ERP that goes down: every record "
                   "once, down and back notified once each",
                test_flaky_erp_exactly_once);
    CU_add_test(s, "SIGTERM in the middle of a run: exit 0, nothing lost or "
                   "applied twice", test_sigterm_mid_run_loses_nothing);
    CU_add_test(s, "two services on one state never run a pipeline twice "
                   "at once", test_two_services_never_overlap);
    CU_add_test(s, "SIGHUP: a fixed file is served, a broken change keeps "
                   "the last good version, a removed file stops",
                test_sighup_reloads_the_folder);
    CU_add_test(s, "a file whose sink names another target now: its waiting "
                   "records are not sent there", test_changed_target_not_drained);
    CU_add_test(s, "the state database removed under it: it stops, exit 3",
                test_state_removed_stops);
    CU_add_test(s, "a copy of a served file with another target runs "
                   "elsewhere: what it queued is not sent to this one's",
                test_other_target_queued_later_not_drained);
    CU_add_test(s, "two files name one pipeline: the second is served once "
                   "the first is gone", test_twin_served_when_first_gone);
}
