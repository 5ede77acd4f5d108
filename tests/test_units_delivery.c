/* Unit tests of the retry schedule (retry.c), and of that schedule as the
 * delivery (deliver.c) applies it: a real state database, the testsink
 * plugin answering RETRY, and an injected clock (clock.c), so the outbox
 * times are exact and no test sleeps. */
#include "config.h"

#include <CUnit/CUnit.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "core_tests.h"
#include "engine/deliver.h"
#include "engine/notify.h"
#include "engine/retry.h"
#include "harness.h"
#include "pipeline/pipeline.h"
#include "plugin/instance.h"
#include "plugin/plugins.h"
#include "record/record.h"
#include "store/state.h"

/* ---- retry.c ---------------------------------------------------------- */

static weir_retry_policy policy(int attempts, long long delay, double backoff,
                                long long max_delay, long long jitter)
{
    weir_retry_policy p;
    memset(&p, 0, sizeof(p));
    p.attempts = attempts;
    p.delay_ms = delay;
    p.backoff = backoff;
    p.max_delay_ms = max_delay;
    p.jitter_ms = jitter;
    return p;
}

static void test_retry_wait(void)
{
    weir_retry_policy p = policy(10, 1000, 2.0, 30000, 0);
    CU_ASSERT_EQUAL(weir_retry_wait_ms(&p, 1, 0.0), 1000);
    CU_ASSERT_EQUAL(weir_retry_wait_ms(&p, 2, 0.0), 2000);
    CU_ASSERT_EQUAL(weir_retry_wait_ms(&p, 3, 0.0), 4000);
    CU_ASSERT_EQUAL(weir_retry_wait_ms(&p, 5, 0.0), 16000);
    /* capped by max-delay */
    CU_ASSERT_EQUAL(weir_retry_wait_ms(&p, 6, 0.0), 30000);
    CU_ASSERT_EQUAL(weir_retry_wait_ms(&p, 60, 0.0), 30000);
    /* n below 1 is the first retry */
    CU_ASSERT_EQUAL(weir_retry_wait_ms(&p, 0, 0.0), 1000);
    CU_ASSERT_EQUAL(weir_retry_wait_ms(&p, -3, 0.0), 1000);

    /* backoff 1: a constant delay */
    p = policy(10, 1500, 1.0, 0, 0);
    CU_ASSERT_EQUAL(weir_retry_wait_ms(&p, 1, 0.0), 1500);
    CU_ASSERT_EQUAL(weir_retry_wait_ms(&p, 9, 0.0), 1500);
    /* fractional backoff */
    p = policy(10, 1000, 1.5, 0, 0);
    CU_ASSERT_EQUAL(weir_retry_wait_ms(&p, 3, 0.0), 2250);
    /* delay 0: immediately */
    p = policy(10, 0, 2.0, 0, 0);
    CU_ASSERT_EQUAL(weir_retry_wait_ms(&p, 4, 0.0), 0);
}

static void test_retry_no_cap_overflow(void)
{
    /* no max-delay: huge exponents are capped, never overflow or NaN */
    weir_retry_policy p = policy(10, 1000, 100.0, 0, 0);
    int64_t w = weir_retry_wait_ms(&p, 1000000, 0.0);
    CU_ASSERT(w > 0);
    CU_ASSERT_EQUAL(w, (int64_t)9e15);
    CU_ASSERT_EQUAL(weir_retry_wait_ms(&p, 3, 0.0), 10000000);
    /* a cap below the first delay wins */
    p = policy(10, 60000, 2.0, 5000, 0);
    CU_ASSERT_EQUAL(weir_retry_wait_ms(&p, 1, 0.0), 5000);
}

static void test_retry_jitter(void)
{
    weir_retry_policy p = policy(10, 1000, 2.0, 30000, 500);
    CU_ASSERT_EQUAL(weir_retry_wait_ms(&p, 1, 0.0), 1000);
    CU_ASSERT_EQUAL(weir_retry_wait_ms(&p, 1, 0.5), 1250);
    CU_ASSERT_EQUAL(weir_retry_wait_ms(&p, 1, 0.999), 1499);
    /* jitter comes on top of the cap */
    CU_ASSERT_EQUAL(weir_retry_wait_ms(&p, 20, 0.5), 30250);
    /* the random source stays in [0, 1) and is not constant */
    double lo = 1, hi = 0;
    int in_range = 1;
    for (int i = 0; i < 2000; i++) {
        double r = weir_retry_random();
        in_range &= r >= 0.0 && r < 1.0;
        lo = r < lo ? r : lo;
        hi = r > hi ? r : hi;
    }
    CU_ASSERT_TRUE(in_range);
    CU_ASSERT(lo < 0.1);
    CU_ASSERT(hi > 0.9);
}

static void test_retry_allowed(void)
{
    /* attempts counts sends, the first included */
    weir_retry_policy p = policy(3, 1000, 2.0, 0, 0);
    CU_ASSERT_TRUE(weir_retry_allowed(&p, 0));
    CU_ASSERT_TRUE(weir_retry_allowed(&p, 1));
    CU_ASSERT_TRUE(weir_retry_allowed(&p, 2));
    CU_ASSERT_FALSE(weir_retry_allowed(&p, 3));
    CU_ASSERT_FALSE(weir_retry_allowed(&p, 4));
    p.attempts = 1; /* one send, no retry */
    CU_ASSERT_FALSE(weir_retry_allowed(&p, 1));
}

/* ---- the schedule through deliver.c ----------------------------------- */

static int64_t fake_now;
static int64_t fake_clock(void) { return fake_now; }

typedef struct outbox_row {
    char status[16];
    int attempts;
    long long next_attempt;
    char error[256];
} outbox_row;

typedef struct find_row {
    const char *needle;
    outbox_row *out;
    int found;
} find_row;

static int match_row(const weir_outbox_row *row, void *ctx)
{
    find_row *f = ctx;
    if (!strstr(row->payload, f->needle))
        return 0;
    f->found = 1;
    snprintf(f->out->status, sizeof(f->out->status), "%s",
             weir_outbox_status_name(row->status));
    f->out->attempts = row->attempts;
    f->out->next_attempt = row->next_attempt;
    snprintf(f->out->error, sizeof(f->out->error), "%s",
             row->error ? row->error : "");
    return 0;
}

/* The outbox row of `key`'s payload (the newest), read through the store
 * (rows are numbered from 1 and never pruned here).  1 when found. */
static int read_row(const char *db_path, const char *code, outbox_row *out)
{
    weir_error err = {0};
    weir_state *st = weir_state_open_reader(db_path, &err);
    weir_error_clear(&err);
    if (!st)
        return 0;
    char needle[64];
    snprintf(needle, sizeof(needle), "\"code\":\"%s\"", code);
    find_row f = {needle, out, 0};
    for (int64_t id = 1; weir_state_outbox_get(st, id, match_row, NULL, &f) == 0;
         id++)
        ;
    weir_state_close(st);
    return f.found;
}

/* How many times the sink was handed `code` (its own sends table). */
static int sends_of(const char *sink_db, const char *code)
{
    sqlite3 *db;
    sqlite3_stmt *s;
    int n = -1;
    if (sqlite3_open(sink_db, &db) != SQLITE_OK)
        return -1;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sends WHERE key = ?1", -1,
                           &s, NULL) == SQLITE_OK) {
        sqlite3_bind_text(s, 1, code, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(s) == SQLITE_ROW)
            n = sqlite3_column_int(s, 0);
        sqlite3_finalize(s);
    }
    sqlite3_close(db);
    return n;
}

static void test_deliver_retry_schedule(void)
{
    const char *dir = wt_tmpdir();
    char state_path[4096], sink_path[4096];
    snprintf(state_path, sizeof(state_path), "%s/units-deliver.db", dir);
    snprintf(sink_path, sizeof(sink_path), "%s/units-sink.db", dir);
    unlink(state_path);
    unlink(sink_path);
    static const char xml[] =
        "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"sched\">\n"
        "<source plugin=\"testgen\" name=\"in\"/>\n"
        "<sink plugin=\"testsink\" name=\"out\">\n"
        "<option name=\"database\">units-sink.db</option>\n"
        "<option name=\"retry-keys\">K1 K3</option>\n"
        "<retry attempts=\"5\" delay=\"10s\" backoff=\"3\" max-delay=\"2m\" "
        "jitter=\"0s\" down-after=\"1000\"/>\n"
        "</sink>\n</pipeline>\n";
    weir_plugins *reg = weir_plugins_new(WEIR_BUILDDIR "/tests/.libs");
    weir_diag *diag = weir_diag_new();
    weir_pipeline *p = weir_pipeline_load_memory(xml, strlen(xml), "test.xml",
                                                 dir, reg, diag);
    for (size_t i = 0; i < weir_diag_count(diag); i++)
        fprintf(stderr, "\n  %s", weir_diag_at(diag, i));
    CU_ASSERT_EQUAL(weir_diag_count(diag), 0);
    CU_ASSERT_PTR_NOT_NULL(p);
    if (!p || weir_diag_count(diag)) {
        weir_pipeline_unref(p);
        weir_diag_free(diag);
        weir_plugins_free(reg);
        return;
    }
    p->diag = NULL;
    weir_diag_free(diag);
    CU_ASSERT_EQUAL(p->sinks[0]->retry.attempts, 5);
    CU_ASSERT_EQUAL(p->sinks[0]->retry.jitter_ms, 0);

    weir_error err = {0};
    weir_state *st = weir_state_open(state_path, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    weir_instances *in = weir_instances_new(p, st);
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    weir_instance *sink = &in->sinks[0];
    CU_ASSERT_EQUAL_FATAL(sink->spec->plugin->open(sink, wt_host(),
                                                   WEIR_KIND_SINK,
                                                   &sink->state),
                          WEIR_STATUS_OK);
    sink->opened = 1;

    const int64_t t0 = 1800000000000LL;
    fake_now = t0;
    weir_clock_set(fake_clock);
    weir_run_counts counts;
    memset(&counts, 0, sizeof(counts));
    weir_notices *notices = weir_notices_new(in);
    weir_error derr = {0};
    weir_delivery *d = weir_delivery_new(in, &counts, notices, 0, &derr);
    weir_error_clear(&derr);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);

    /* first send: K2 goes through, K1 waits delay * backoff^0 */
    weir_batch *b = weir_batch_new(p->batch_size);
    weir_record_set(weir_batch_add(b), "code", "K1", (size_t)-1);
    weir_record_set(weir_batch_add(b), "code", "K2", (size_t)-1);
    CU_ASSERT_EQUAL(weir_delivery_send(d, b), 0);
    CU_ASSERT_EQUAL(counts.written, 1);
    CU_ASSERT_EQUAL(counts.retry, 1);
    outbox_row row;
    memset(&row, 0, sizeof(row));
    CU_ASSERT_TRUE_FATAL(read_row(state_path, "K1", &row));
    CU_ASSERT_STRING_EQUAL(row.status, "retry");
    CU_ASSERT_EQUAL(row.attempts, 1);
    CU_ASSERT_EQUAL(row.next_attempt, t0 + 10000);
    CU_ASSERT_PTR_NOT_NULL(strstr(row.error, "temporary failure for K1"));
    CU_ASSERT_FALSE(read_row(state_path, "K2", &row));
    CU_ASSERT_EQUAL(weir_delivery_next_due(d), t0 + 10000);

    /* not due yet: nothing is sent */
    fake_now = t0 + 9999;
    weir_batch_clear(b);
    CU_ASSERT_EQUAL(weir_delivery_drain(d, b), 0);
    CU_ASSERT_EQUAL(sends_of(sink_path, "K1"), 1);
    CU_ASSERT_TRUE(read_row(state_path, "K1", &row));
    CU_ASSERT_EQUAL(row.attempts, 1);

    /* each retry when due; the waits grow 10s, 30s, 90s, then the 2m cap;
     * the drains run late (+7 ms): the wait counts from the send */
    const int64_t waits[] = {30000, 90000, 120000};
    int64_t due = t0 + 10000;
    for (int n = 0; n < 3; n++) {
        fake_now = due + 7;
        weir_batch_clear(b);
        CU_ASSERT_EQUAL(weir_delivery_drain(d, b), 0);
        CU_ASSERT_EQUAL(sends_of(sink_path, "K1"), n + 2);
        CU_ASSERT_TRUE(read_row(state_path, "K1", &row));
        CU_ASSERT_STRING_EQUAL(row.status, "retry");
        CU_ASSERT_EQUAL(row.attempts, n + 2);
        CU_ASSERT_EQUAL(row.next_attempt, fake_now + waits[n]);
        due = fake_now + waits[n];
        CU_ASSERT_EQUAL(weir_delivery_next_due(d), due);
    }
    CU_ASSERT_FALSE(weir_delivery_any_down(d));

    /* the 5th send is the last: failed for good */
    fake_now = due;
    weir_batch_clear(b);
    CU_ASSERT_EQUAL(weir_delivery_drain(d, b), 0);
    CU_ASSERT_EQUAL(sends_of(sink_path, "K1"), 5);
    CU_ASSERT_TRUE(read_row(state_path, "K1", &row));
    CU_ASSERT_STRING_EQUAL(row.status, "failed");
    CU_ASSERT_EQUAL(row.attempts, 5);
    CU_ASSERT_STRING_EQUAL(row.error, "gave up after 5 attempts: temporary "
                                      "failure for K1");
    CU_ASSERT_EQUAL(counts.failed, 1);
    CU_ASSERT_EQUAL(weir_delivery_next_due(d), 0);
    /* and is never sent again */
    fake_now += 86400000;
    weir_batch_clear(b);
    CU_ASSERT_EQUAL(weir_delivery_drain(d, b), 0);
    CU_ASSERT_EQUAL(sends_of(sink_path, "K1"), 5);

    /* a second record starting later keeps its own schedule */
    const int64_t t1 = fake_now;
    weir_batch_clear(b);
    weir_record_set(weir_batch_add(b), "code", "K3", (size_t)-1);
    weir_record_set(weir_batch_add(b), "code", "K4", (size_t)-1);
    CU_ASSERT_EQUAL(weir_delivery_send(d, b), 0);
    CU_ASSERT_TRUE(read_row(state_path, "K3", &row));
    CU_ASSERT_EQUAL(row.next_attempt, t1 + 10000);
    CU_ASSERT_EQUAL(row.attempts, 1);
    CU_ASSERT_EQUAL(counts.written, 2);

    weir_delivery_free(d);
    weir_notices_free(notices);
    weir_batch_free(b);
    weir_clock_set(NULL);
    weir_instances_free(in);
    weir_state_close(st);
    weir_pipeline_unref(p);
    weir_plugins_free(reg);
}

void register_delivery_unit_tests(void)
{
    CU_pSuite s = CU_add_suite("retry schedule", NULL, NULL);
    CU_add_test(s, "waits and cap", test_retry_wait);
    CU_add_test(s, "no overflow", test_retry_no_cap_overflow);
    CU_add_test(s, "jitter", test_retry_jitter);
    CU_add_test(s, "attempts count sends", test_retry_allowed);
    CU_add_test(s, "schedule through delivery, injected clock",
                test_deliver_retry_schedule);
}
