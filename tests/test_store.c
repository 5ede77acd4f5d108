/*
 * The store conformance suite: what every state store backend promises
 * (state.h), written once against the store's operations: each test opens
 * fresh stores by location (fresh_location) and asserts only through
 * state.h.  It runs on SQLite; the PostgreSQL backend runs the same tests
 * with locations of its own (a dead worker is then told by its session's
 * advisory lock, as SQLite's is by its lock byte).
 */
#include "config.h"

#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cunit_main.h"
#include "harness.h"
#include "base/clock.h"
#include "store/outbox.h"
#include "store/state.h"
#include "store/xref.h"

#define T0 1800000000000LL
#define LEASE 60000

/* A new, empty store's location. (owned) */
static char *fresh_location(void)
{
    static int n;
    char *loc = malloc(4200);
    if (loc)
        snprintf(loc, 4200, "sqlite:%s/conform-%d-%d.db", wt_tmpdir(),
                 (int)getpid(), ++n);
    return loc;
}

static weir_state *open_store(const char *loc)
{
    weir_error err = {0};
    weir_state *st = weir_state_open(loc, &err);
    if (!st)
        fprintf(stderr, "\n  %s\n", weir_error_message(&err));
    weir_error_clear(&err);
    return st;
}

static int64_t add(weir_state *st, const char *key, weir_outbox_status status,
                   int64_t next)
{
    weir_outbox_row r = {.pipeline = "p", .sink = "erp", .key = key,
                         .idem = key, .op = "upsert", .type = "invoice",
                         .payload = "{\"n\":1}", .status = status,
                         .next_attempt = next};
    int64_t id = -1;
    return weir_state_outbox_add(st, &r, 1, &id) ? -1 : id;
}

typedef struct got {
    int64_t ids[16];
    weir_outbox_status was[16];
    int n;
} got;

static int collect(const weir_outbox_row *row, void *ctx)
{
    got *g = ctx;
    if (g->n < 16) {
        g->ids[g->n] = row->id;
        g->was[g->n] = row->status;
        g->n++;
    }
    return 0;
}

/* Claim at `now` with the handle `st`; what it got. */
static got claim(weir_state *st, int64_t now, int64_t after, int with_held)
{
    got g;
    memset(&g, 0, sizeof(g));
    weir_outbox_claim c = {.pipeline = "p", .sink = "erp", .now = now,
                           .lease_ms = LEASE, .after_id = after,
                           .with_held = with_held, .limit = 16};
    CU_ASSERT_EQUAL(weir_state_outbox_claim(st, &c, collect, &g), g.n);
    return g;
}

static int settle(weir_state *st, int64_t id, weir_outbox_status status,
                  int64_t next)
{
    weir_outbox_answer a = {.id = id, .status = status, .attempts = 1,
                            .next_attempt = next, .attempt = "test",
                            .held_by = "erp"};
    int64_t n = -1;
    if (weir_state_begin(st) == 0) {
        n = weir_state_outbox_settle(st, &a, 1);
        if (weir_state_commit(st))
            n = -1;
    }
    return (int)n;
}

static void test_order_per_key(void)
{
    char *loc = fresh_location();
    weir_state *st = open_store(loc);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    int64_t k1 = add(st, "K", WEIR_OUTBOX_PENDING, 0);
    int64_t k2 = add(st, "K", WEIR_OUTBOX_PENDING, 0);
    int64_t l1 = add(st, "L", WEIR_OUTBOX_PENDING, 0);
    got g = claim(st, T0, 0, 1);
    CU_ASSERT_EQUAL(g.n, 2); /* K's second change waits behind its first */
    CU_ASSERT_EQUAL(g.ids[0], k1);
    CU_ASSERT_EQUAL(g.ids[1], l1);
    CU_ASSERT_EQUAL(g.was[0], WEIR_OUTBOX_PENDING);
    /* still waiting while the first is in flight, or failed */
    CU_ASSERT_EQUAL(claim(st, T0, 0, 1).n, 0);
    CU_ASSERT_EQUAL(settle(st, k1, WEIR_OUTBOX_FAILED, 0), 1);
    CU_ASSERT_EQUAL(claim(st, T0, 0, 1).n, 0);
    /* a resend brings the first back; it goes first, then the second */
    weir_outbox_filter f = {.id = k1};
    CU_ASSERT_EQUAL(weir_state_outbox_resend(st, &f), 1);
    g = claim(st, T0, 0, 1);
    CU_ASSERT_EQUAL(g.n, 1);
    CU_ASSERT_EQUAL(g.ids[0], k1);
    CU_ASSERT_EQUAL(settle(st, k1, WEIR_OUTBOX_DELIVERED, 0), 1);
    g = claim(st, T0, 0, 1);
    CU_ASSERT_EQUAL(g.n, 1);
    CU_ASSERT_EQUAL(g.ids[0], k2);
    weir_state_close(st);
    free(loc);
}

/* A claim with the sink's identity takes nothing once another target's
 * is recorded (a copy of the file ran): what it queued stays for it. */
static void test_claim_by_identity(void)
{
    char *loc = fresh_location();
    weir_state *st = open_store(loc);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    int64_t k = add(st, "K", WEIR_OUTBOX_PENDING, 0);
    int64_t l = add(st, "L", WEIR_OUTBOX_PENDING, 0);
    got g;
    memset(&g, 0, sizeof(g));
    weir_outbox_claim c = {.pipeline = "p", .sink = "erp", .now = T0,
                           .lease_ms = LEASE, .limit = 1,
                           .identity = "{\"a\"}"};
    /* none recorded (a state from before identities): it takes */
    CU_ASSERT_EQUAL(weir_state_outbox_claim(st, &c, collect, &g), 1);
    CU_ASSERT_EQUAL(g.ids[0], k);
    CU_ASSERT_EQUAL(weir_state_set_sink_identity(st, "p", "erp", "{\"b\"}"),
                    0);
    CU_ASSERT_EQUAL(weir_state_outbox_claim(st, &c, collect, &g), 0);
    c.identity = "{\"b\"}";
    CU_ASSERT_EQUAL(weir_state_outbox_claim(st, &c, collect, &g), 1);
    CU_ASSERT_EQUAL(g.ids[1], l);
    weir_state_close(st);
    free(loc);
}

/* Writes are batch-shaped: one call adds a batch's rows. */
static void test_batch_add(void)
{
    char *loc = fresh_location();
    weir_state *st = open_store(loc);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    weir_outbox_row rows[3];
    const char *keys[] = {"A", "B", "C"};
    for (int i = 0; i < 3; i++)
        rows[i] = (weir_outbox_row){.pipeline = "p", .sink = "erp",
                                    .key = keys[i], .idem = keys[i],
                                    .op = "insert", .payload = "{}",
                                    .status = WEIR_OUTBOX_PENDING};
    int64_t ids[3] = {0, 0, 0};
    CU_ASSERT_EQUAL(weir_state_outbox_add(st, rows, 3, ids), 0);
    CU_ASSERT(ids[0] > 0 && ids[1] > ids[0] && ids[2] > ids[1]);
    got g = claim(st, T0, 0, 1);
    CU_ASSERT_EQUAL(g.n, 3);
    CU_ASSERT_EQUAL(g.ids[2], ids[2]);
    weir_state_close(st);
    free(loc);
}

static void test_settle_transitions(void)
{
    char *loc = fresh_location();
    weir_state *st = open_store(loc);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    int64_t a = add(st, "A", WEIR_OUTBOX_PENDING, 0);
    int64_t b = add(st, "B", WEIR_OUTBOX_PENDING, 0);
    CU_ASSERT_EQUAL(claim(st, T0, 0, 1).n, 2);
    /* retry: due again at its time, not before */
    CU_ASSERT_EQUAL(settle(st, a, WEIR_OUTBOX_RETRY, T0 + 5000), 1);
    /* held: only for a claim that takes held rows */
    CU_ASSERT_EQUAL(settle(st, b, WEIR_OUTBOX_HELD, T0), 1);
    CU_ASSERT_EQUAL(claim(st, T0 + 1, 0, 0).n, 0);
    got g = claim(st, T0 + 1, 0, 1);
    CU_ASSERT_EQUAL(g.n, 1);
    CU_ASSERT_EQUAL(g.ids[0], b);
    CU_ASSERT_EQUAL(g.was[0], WEIR_OUTBOX_HELD);
    g = claim(st, T0 + 5000, 0, 1);
    CU_ASSERT_EQUAL(g.n, 1);
    CU_ASSERT_EQUAL(g.ids[0], a);
    CU_ASSERT_EQUAL(g.was[0], WEIR_OUTBOX_RETRY);
    /* one pass hands each row out once: after_id skips what it had */
    CU_ASSERT_EQUAL(settle(st, a, WEIR_OUTBOX_RETRY, T0), 1);
    CU_ASSERT_EQUAL(claim(st, T0 + 5000, a, 1).n, 0);
    CU_ASSERT_EQUAL(claim(st, T0 + 5000, 0, 1).n, 1);
    /* delivered ends it; counts say so */
    CU_ASSERT_EQUAL(settle(st, a, WEIR_OUTBOX_DELIVERED, 0), 1);
    uint64_t counts[WEIR_OUTBOX_NSTATUS];
    CU_ASSERT_EQUAL(weir_state_outbox_counts(st, "p", counts), 0);
    CU_ASSERT_EQUAL(counts[WEIR_OUTBOX_DELIVERED], 1);
    CU_ASSERT_EQUAL(counts[WEIR_OUTBOX_IN_FLIGHT], 1);
    weir_state_close(st);
    free(loc);
}

/* Two handles are two workers: a live claim is never handed to the
 * other; an expired one is, and the first worker's late answer is not
 * recorded over the second's. */
static void test_claims_and_leases(void)
{
    char *loc = fresh_location();
    weir_state *w1 = open_store(loc), *w2 = open_store(loc);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w2);
    CU_ASSERT_STRING_NOT_EQUAL(weir_state_worker(w1), weir_state_worker(w2));
    int64_t a = add(w1, "A", WEIR_OUTBOX_PENDING, 0);
    CU_ASSERT_EQUAL(claim(w1, T0, 0, 1).n, 1);
    CU_ASSERT_EQUAL(claim(w2, T0 + LEASE - 1, 0, 1).n, 0);
    /* renewed: still the first worker's */
    CU_ASSERT_EQUAL(weir_state_outbox_renew(w1, T0 + 2 * LEASE), 1);
    CU_ASSERT_EQUAL(claim(w2, T0 + LEASE + 1, 0, 1).n, 0);
    /* expired (a worker that hangs): the second takes it over */
    got g = claim(w2, T0 + 2 * LEASE, 0, 1);
    CU_ASSERT_EQUAL(g.n, 1);
    CU_ASSERT_EQUAL(g.was[0], WEIR_OUTBOX_IN_FLIGHT);
    CU_ASSERT_EQUAL(settle(w1, a, WEIR_OUTBOX_FAILED, 0), 0);
    /* nor held again by the first (a transform it re-entered) */
    CU_ASSERT_EQUAL(weir_state_outbox_hold(w1, a, "xref", "k", "no link",
                                           "{}"), 0);
    CU_ASSERT_EQUAL(settle(w2, a, WEIR_OUTBOX_DELIVERED, 0), 1);
    /* a worker that closes gives its claims back at once */
    int64_t b = add(w1, "B", WEIR_OUTBOX_PENDING, 0);
    CU_ASSERT_EQUAL(claim(w2, T0, 0, 1).n, 1);
    CU_ASSERT_EQUAL(claim(w1, T0, 0, 1).n, 0);
    weir_state_close(w2);
    g = claim(w1, T0, 0, 1);
    CU_ASSERT_EQUAL(g.n, 1);
    CU_ASSERT_EQUAL(g.ids[0], b);
    weir_state_close(w1);
    free(loc);
}

/* deletes="ignore" leaves a delete another worker is sending alone: its
 * answer is recorded; a waiting one is discarded. */
static void test_ignore_spares_live_claims(void)
{
    char *loc = fresh_location();
    weir_state *w1 = open_store(loc), *w2 = open_store(loc);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w2);
    weir_outbox_row r = {.pipeline = "p", .sink = "erp", .key = "A",
                         .idem = "a", .op = "delete", .payload = "{}",
                         .status = WEIR_OUTBOX_PENDING};
    int64_t ids[2];
    CU_ASSERT_EQUAL_FATAL(weir_state_outbox_add(w1, &r, 1, &ids[0]), 0);
    got g;
    memset(&g, 0, sizeof(g));
    weir_outbox_claim c = {.pipeline = "p", .sink = "erp",
                           .now = weir_clock_now_ms(), .lease_ms = LEASE,
                           .limit = 16};
    CU_ASSERT_EQUAL(weir_state_outbox_claim(w1, &c, collect, &g), 1);
    r.key = r.idem = "B";
    CU_ASSERT_EQUAL_FATAL(weir_state_outbox_add(w1, &r, 1, &ids[1]), 0);
    CU_ASSERT_EQUAL(weir_state_outbox_drop_deletes(w2, "p", "ignored"), 1);
    CU_ASSERT_EQUAL(settle(w1, ids[0], WEIR_OUTBOX_DELIVERED, 0), 1);
    uint64_t counts[WEIR_OUTBOX_NSTATUS];
    CU_ASSERT_EQUAL(weir_state_outbox_counts(w1, "p", counts), 0);
    CU_ASSERT_EQUAL(counts[WEIR_OUTBOX_DELIVERED], 1);
    CU_ASSERT_EQUAL(counts[WEIR_OUTBOX_DISCARDED], 1);
    weir_state_close(w1);
    weir_state_close(w2);
    free(loc);
}

/* A worker killed mid-send: its claim is taken over at once, without
 * waiting for the lease (its rows may have reached the target: they go
 * again, with their idempotency ids). */
static void test_dead_worker(void)
{
    char *loc = fresh_location();
    weir_state *st = open_store(loc);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    int64_t a = add(st, "A", WEIR_OUTBOX_PENDING, 0);
    pid_t pid = fork();
    if (pid == 0) {
        weir_state *w = open_store(loc);
        weir_outbox_claim c = {.pipeline = "p", .sink = "erp", .now = T0,
                               .lease_ms = LEASE, .limit = 16};
        got g;
        memset(&g, 0, sizeof(g));
        _exit(w && weir_state_outbox_claim(w, &c, collect, &g) == 1 ? 0 : 1);
    }
    int status = -1;
    CU_ASSERT_EQUAL_FATAL(waitpid(pid, &status, 0), pid);
    CU_ASSERT_FATAL(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    got g = claim(st, T0 + 1, 0, 1);
    CU_ASSERT_EQUAL(g.n, 1);
    CU_ASSERT_EQUAL(g.ids[0], a);
    CU_ASSERT_EQUAL(g.was[0], WEIR_OUTBOX_IN_FLIGHT);
    weir_state_close(st);
    free(loc);
}

/* Only the transitions of the table (outbox.h) happen. */
static void test_state_machine(void)
{
    /* the table itself */
    CU_ASSERT_TRUE(weir_outbox_may(WEIR_OUTBOX_ANSWER, WEIR_OUTBOX_IN_FLIGHT,
                                   WEIR_OUTBOX_DELIVERED));
    CU_ASSERT_FALSE(weir_outbox_may(WEIR_OUTBOX_RESEND, WEIR_OUTBOX_DELIVERED,
                                    WEIR_OUTBOX_PENDING));
    CU_ASSERT_FALSE(weir_outbox_may(WEIR_OUTBOX_SUPERSEDE,
                                    WEIR_OUTBOX_IN_FLIGHT,
                                    WEIR_OUTBOX_SUPERSEDED));
    CU_ASSERT_FALSE(weir_outbox_may(WEIR_OUTBOX_ANSWER, WEIR_OUTBOX_IN_FLIGHT,
                                    WEIR_OUTBOX_SUPERSEDED));
    CU_ASSERT_EQUAL(weir_outbox_open() & WEIR_OUTBOX_BIT(WEIR_OUTBOX_DELIVERED),
                    0);
    CU_ASSERT_NOT_EQUAL(weir_outbox_open() &
                            WEIR_OUTBOX_BIT(WEIR_OUTBOX_FAILED), 0);
    /* a store refuses what the table does not allow */
    char *loc = fresh_location();
    weir_state *st = open_store(loc);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    /* a new record is never delivered or in flight already */
    weir_outbox_row bad = {.pipeline = "p", .sink = "erp", .key = "Z",
                           .idem = "z", .op = "upsert", .payload = "{}",
                           .status = WEIR_OUTBOX_DELIVERED};
    CU_ASSERT_EQUAL(weir_state_outbox_add(st, &bad, 1, NULL), -1);
    bad.status = WEIR_OUTBOX_IN_FLIGHT;
    CU_ASSERT_EQUAL(weir_state_outbox_add(st, &bad, 1, NULL), -1);
    int64_t a = add(st, "A", WEIR_OUTBOX_PENDING, 0);
    /* an answer for a row nobody claimed changes nothing */
    CU_ASSERT_EQUAL(settle(st, a, WEIR_OUTBOX_DELIVERED, 0), 0);
    CU_ASSERT_EQUAL(claim(st, T0, 0, 1).n, 1);
    /* no answer makes a record superseded or pending */
    CU_ASSERT_EQUAL(settle(st, a, WEIR_OUTBOX_SUPERSEDED, 0), -1);
    CU_ASSERT_EQUAL(weir_state_error(st)->cls, WEIR_ERR_USAGE);
    CU_ASSERT_EQUAL(settle(st, a, WEIR_OUTBOX_PENDING, 0), -1);
    /* a delivered record is never sent again: no resend, no discard */
    CU_ASSERT_EQUAL(settle(st, a, WEIR_OUTBOX_DELIVERED, 0), 1);
    weir_outbox_filter f = {.id = a, .held = 1};
    CU_ASSERT_EQUAL(weir_state_outbox_resend(st, &f), 0);
    CU_ASSERT_EQUAL(weir_state_outbox_discard(st, &f, "x"), 0);
    CU_ASSERT_EQUAL(claim(st, T0, 0, 1).n, 0);
    weir_state_close(st);
    free(loc);
}

static int count_group(const weir_monitor_group *g, void *ctx)
{
    (void)g;
    (*(int *)ctx)++;
    return 0;
}

static void test_monitor_and_discard(void)
{
    char *loc = fresh_location();
    weir_state *st = open_store(loc);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    int64_t ids[3];
    for (int i = 0; i < 3; i++)
        ids[i] = add(st, i == 2 ? "C" : i ? "B" : "A", WEIR_OUTBOX_PENDING, 0);
    CU_ASSERT_EQUAL(claim(st, T0, 0, 1).n, 3);
    weir_outbox_answer a[3] = {
        {.id = ids[0], .status = WEIR_OUTBOX_FAILED, .error = "E1"},
        {.id = ids[1], .status = WEIR_OUTBOX_FAILED, .error = "E1"},
        {.id = ids[2], .status = WEIR_OUTBOX_FAILED, .error = "E2"}};
    CU_ASSERT_EQUAL_FATAL(weir_state_begin(st), 0);
    CU_ASSERT_EQUAL(weir_state_outbox_settle(st, a, 3), 3);
    CU_ASSERT_EQUAL_FATAL(weir_state_commit(st), 0);
    int groups = 0;
    CU_ASSERT_EQUAL(weir_state_monitor(st, "p", "failed", NULL, count_group,
                                       &groups), 0);
    CU_ASSERT_EQUAL(groups, 2);
    weir_outbox_filter f = {.pipeline = "p", .error = "E1"};
    CU_ASSERT_EQUAL(weir_state_outbox_discard(st, &f, "captured by hand"), 2);
    groups = 0;
    CU_ASSERT_EQUAL(weir_state_monitor(st, "p", NULL, NULL, count_group,
                                       &groups), 0);
    CU_ASSERT_EQUAL(groups, 1);
    weir_state_close(st);
    free(loc);
}

static int count_key(const char *key, size_t len, uint64_t hash,
                     uint64_t version, int doubt, void *ctx)
{
    (void)key;
    (void)len;
    (void)hash;
    (void)version;
    ((int *)ctx)[doubt ? 1 : 0]++;
    return 0;
}

static void test_snapshots_and_plugin_state(void)
{
    char *loc = fresh_location();
    weir_state *st = open_store(loc);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    CU_ASSERT_EQUAL(weir_state_remember_pipeline(st, "p", "/p.xml", NULL), 0);
    CU_ASSERT_EQUAL_FATAL(weir_state_begin(st), 0);
    int64_t intent = weir_state_intent_begin(st, "p");
    CU_ASSERT(intent > 0);
    CU_ASSERT_EQUAL(weir_state_snapshot_put(
        st, "p", &(weir_snapshot_entry){"A", 11, 1, 1}, 1,
        intent), 0);
    CU_ASSERT_EQUAL(weir_state_snapshot_put(
        st, "p", &(weir_snapshot_entry){"B", 12, 1, 1}, 1,
        intent), 0);
    CU_ASSERT_EQUAL_FATAL(weir_state_commit(st), 0);
    /* never settled: both in doubt for the next run */
    CU_ASSERT_EQUAL(weir_state_snapshot_recover(st, "p"), 2);
    int seen[2] = {0, 0};
    CU_ASSERT_EQUAL(weir_state_snapshot_each(st, "p", count_key, seen), 0);
    CU_ASSERT_EQUAL(seen[1], 2);
    CU_ASSERT_EQUAL(weir_state_snapshot_count(st, "p"), 2);
    /* plugin state */
    char *v = NULL;
    CU_ASSERT_EQUAL(weir_state_kv_get(st, "p", "src", "watermark", &v), 1);
    CU_ASSERT_EQUAL(weir_state_kv_set(st, "p", "src", "watermark", "42"), 0);
    CU_ASSERT_EQUAL(weir_state_kv_get(st, "p", "src", "watermark", &v), 0);
    CU_ASSERT_STRING_EQUAL(v ? v : "", "42");
    free(v);
    weir_state_close(st);
    free(loc);
}

/* The snapshot's generation: 0 before the first intent, then new with
 * every write to the rows or to what decides their doubt, and rolled
 * back with them. */
static void test_snapshot_generation(void)
{
    char *loc = fresh_location();
    weir_state *st = open_store(loc);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    CU_ASSERT_EQUAL(weir_state_remember_pipeline(st, "p", "/p.xml", NULL), 0);
    int64_t g[6] = {-1};
    CU_ASSERT_EQUAL(weir_state_snapshot_generation(st, "p", &g[0]), 0);
    CU_ASSERT_EQUAL(g[0], 0);
    weir_snapshot_entry e = {"K", 7, 1, WEIR_OP_INSERT};
    CU_ASSERT_EQUAL_FATAL(weir_state_begin(st), 0);
    int64_t intent = weir_state_intent_begin(st, "p");
    CU_ASSERT_EQUAL(weir_state_snapshot_put(st, "p", &e, 1, intent), 0);
    CU_ASSERT_EQUAL_FATAL(weir_state_commit(st), 0);
    CU_ASSERT_EQUAL(weir_state_snapshot_generation(st, "p", &g[1]), 0);
    /* a run that died before settling: recover writes */
    CU_ASSERT_EQUAL(weir_state_snapshot_recover(st, "p"), 1);
    CU_ASSERT_EQUAL(weir_state_snapshot_generation(st, "p", &g[2]), 0);
    CU_ASSERT_EQUAL(weir_state_intent_settle(st, "p", intent), 0);
    CU_ASSERT_EQUAL(weir_state_snapshot_generation(st, "p", &g[3]), 0);
    CU_ASSERT_EQUAL(weir_state_snapshot_doubt(st, "p", "K"), 0);
    CU_ASSERT_EQUAL(weir_state_snapshot_generation(st, "p", &g[4]), 0);
    for (int i = 1; i < 5; i++)
        for (int j = 0; j < i; j++)
            CU_ASSERT_NOT_EQUAL(g[i], g[j]);
    /* rolled back with the write */
    CU_ASSERT_EQUAL_FATAL(weir_state_begin(st), 0);
    CU_ASSERT_EQUAL(weir_state_snapshot_put(st, "p", &e, 1, 0), 0);
    weir_state_rollback(st);
    CU_ASSERT_EQUAL(weir_state_snapshot_generation(st, "p", &g[5]), 0);
    CU_ASSERT_EQUAL(g[5], g[4]);
    /* another pipeline's is its own */
    CU_ASSERT_EQUAL(weir_state_snapshot_generation(st, "q", &g[5]), 0);
    CU_ASSERT_EQUAL(g[5], 0);
    weir_state_close(st);
    free(loc);
}

static int take_values(size_t i, const void *blob, size_t len, void *ctx)
{
    char *text = ctx;
    snprintf(text + strlen(text), 64, "%zu=%.*s;", i, (int)len,
             (const char *)blob);
    return 0;
}

static int row_changes(const weir_outbox_row *row, void *ctx)
{
    snprintf(ctx, 128, "%s %s", row->changes ? row->changes : "(null)",
             row->resent ? row->resent : "(null)");
    return 0;
}

/* The values <track changes="keep"> keeps: a key's are given only while
 * they belong to the value its snapshot holds (never another value's);
 * a NULL blob forgets them, clear forgets a pipeline's; an outbox row
 * keeps what changed and why it was re-sent. */
static void test_track_values(void)
{
    char *loc = fresh_location();
    weir_state *st = open_store(loc);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    CU_ASSERT_EQUAL(weir_state_remember_pipeline(st, "p", "/p.xml", NULL), 0);
    /* C1's snapshot holds 5, C2's 6; values kept for 5, for 9 (not C2's
     * value) and for C3, which has no snapshot value */
    weir_snapshot_entry e[] = {{"C1", 5, 1, 0}, {"C2", 6, 1, 0}};
    weir_track_values v[] = {{"C1", 5, "one", 3}, {"C2", 9, "two", 3},
                             {"C3", 7, "three", 5}};
    const char *keys[] = {"C1", "C2", "C3", "C4"};
    char kept[256] = "";
    CU_ASSERT_EQUAL_FATAL(weir_state_begin(st), 0);
    CU_ASSERT_EQUAL(weir_state_snapshot_put(st, "p", e, 2, 0), 0);
    CU_ASSERT_EQUAL(weir_state_track_values_put(st, "p", v, 3), 0);
    CU_ASSERT_EQUAL_FATAL(weir_state_commit(st), 0);
    CU_ASSERT_EQUAL(weir_state_track_values_get(st, "p", keys, 4, take_values,
                                                kept), 0);
    CU_ASSERT_STRING_EQUAL(kept, "0=one;");
    /* replaced; a NULL blob forgets */
    weir_track_values now[] = {{"C2", 6, "TWO", 3}, {"C1", 0, NULL, 0}};
    CU_ASSERT_EQUAL(weir_state_track_values_put(st, "p", now, 2), 0);
    kept[0] = '\0';
    CU_ASSERT_EQUAL(weir_state_track_values_get(st, "p", keys, 4, take_values,
                                                kept), 0);
    CU_ASSERT_STRING_EQUAL(kept, "1=TWO;");
    kept[0] = '\0';
    CU_ASSERT_EQUAL(weir_state_track_values_get(st, "never", keys, 4,
                                                take_values, kept), 0);
    CU_ASSERT_STRING_EQUAL(kept, "");
    CU_ASSERT_EQUAL(weir_state_track_values_clear(st, "p"), 2);
    CU_ASSERT_EQUAL(weir_state_track_values_get(st, "p", keys, 4, take_values,
                                                kept), 0);
    CU_ASSERT_STRING_EQUAL(kept, "");

    weir_outbox_row row = {.pipeline = "p", .sink = "s", .key = "C2",
                           .idem = "i", .op = "update", .payload = "{}",
                           .status = WEIR_OUTBOX_PENDING, .changes = "[]",
                           .resent = "full refresh"};
    int64_t id = 0;
    char seen[128] = "";
    CU_ASSERT_EQUAL(weir_state_outbox_add(st, &row, 1, &id), 0);
    CU_ASSERT_EQUAL(weir_state_outbox_get(st, id, row_changes, NULL, seen), 0);
    CU_ASSERT_STRING_EQUAL(seen, "[] full refresh");
    weir_state_close(st);
    free(loc);
}

/* Endpoint health is compare-and-set: of two workers that saw the same
 * failure, one records it; the other learns it changed. */
static void test_endpoint_compare_and_set(void)
{
    char *loc = fresh_location();
    weir_state *w1 = open_store(loc), *w2 = open_store(loc);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w2);
    weir_endpoint e1, e2;
    CU_ASSERT_EQUAL(weir_state_endpoint_get(w1, "p", "erp", &e1), 1);
    CU_ASSERT_EQUAL(weir_state_endpoint_get(w2, "p", "erp", &e2), 1);
    CU_ASSERT_EQUAL(e1.version, 0);
    e1.down = 1;
    e1.error = "connection refused";
    e2.down = 1;
    e2.error = "timeout";
    CU_ASSERT_EQUAL(weir_state_endpoint_set(w1, "p", "erp", &e1), 0);
    CU_ASSERT_EQUAL(weir_state_endpoint_set(w2, "p", "erp", &e2), 1);
    CU_ASSERT_EQUAL(weir_state_endpoint_get(w2, "p", "erp", &e2), 0);
    CU_ASSERT_EQUAL(e2.version, 1);
    CU_ASSERT_STRING_EQUAL(e2.error, "connection refused");
    e2.down = 0;
    e2.error = NULL;
    CU_ASSERT_EQUAL(weir_state_endpoint_set(w2, "p", "erp", &e2), 0);
    CU_ASSERT_EQUAL(weir_state_endpoint_set(w1, "p", "erp", &e1), 1);
    weir_state_close(w1);
    weir_state_close(w2);
    free(loc);
}

static void test_locations(void)
{
    weir_error err = {0};
    /* never a password in a message */
    CU_ASSERT_PTR_NULL(weir_state_open("postgresql://weir:s3cret@db/weir",
                                       &err));
    CU_ASSERT_PTR_NOT_NULL(strstr(weir_error_message(&err),
                                  "PostgreSQL support not built"));
    CU_ASSERT_PTR_NULL(strstr(weir_error_message(&err), "s3cret"));
    CU_ASSERT_PTR_NULL(weir_state_open("mysql://db/weir", &err));
    CU_ASSERT_PTR_NOT_NULL(strstr(weir_error_message(&err), "unknown kind"));
    CU_ASSERT_EQUAL(err.cls, WEIR_ERR_USAGE);
    CU_ASSERT_PTR_NULL(weir_state_open_existing("sqlite:/nonexistent/x.db",
                                                &err));
    CU_ASSERT_PTR_NOT_NULL(strstr(weir_error_message(&err), "not found"));
    weir_error_clear(&err);
    /* "sqlite:FILE" and "FILE" are the same store */
    char *loc = fresh_location();
    weir_state *st = open_store(loc);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    CU_ASSERT_EQUAL(weir_state_kv_set(st, "p", "i", "k", "v"), 0);
    weir_state_close(st);
    st = open_store(loc + strlen("sqlite:"));
    char *v = NULL;
    CU_ASSERT(st && weir_state_kv_get(st, "p", "i", "k", &v) == 0);
    free(v);
    weir_state_close(st);
    free(loc);
}

/* ---- the cross-reference store (xref.h) ------------------------------ */

static const weir_xref_end APP1 = {"app", "HB_000001"};
static const weir_xref_end ERP1 = {"erp", "C00417"};

/* The id `from` links to in `to`, or "" (none) / "?" (error). (static) */
static const char *linked(weir_state *st, weir_xref_end from, const char *to)
{
    static char buf[64];
    char *id = NULL;
    int rc = weir_xref_get(st, "customer", from, to, &id);
    snprintf(buf, sizeof(buf), "%s", rc == 0 ? id : rc == 1 ? "" : "?");
    free(id);
    return buf;
}

typedef struct links {
    char text[16][128]; /* "entity a.system:a.id b.system:b.id origin" */
    int64_t seq[16], created[16];
    int n;
} links;

static int collect_link(const weir_xref_link *l, void *ctx)
{
    links *ls = ctx;
    if (ls->n < 16) {
        snprintf(ls->text[ls->n], 128, "%s %s:%s %s:%s %s", l->entity,
                 l->a.system, l->a.id, l->b.system, l->b.id,
                 weir_xref_origin_name(l->origin));
        ls->created[ls->n] = l->created;
        ls->seq[ls->n++] = l->seq;
    }
    return 0;
}

static int collect_event(const weir_xref_event *e, void *ctx)
{
    links *ls = ctx;
    if (ls->n < 16)
        snprintf(ls->text[ls->n++], 128, "%s %s:%s %s:%s %s %s", e->action,
                 e->link.a.system, e->link.a.id, e->link.b.system,
                 e->link.b.id, weir_xref_origin_name(e->link.origin),
                 e->note ? e->note : "-");
    return 0;
}

static void test_xref_links(void)
{
    char *loc = fresh_location();
    weir_state *st = open_store(loc);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    int64_t before = weir_clock_now_ms() / 1000;
    CU_ASSERT_STRING_EQUAL(linked(st, APP1, "erp"), "");
    CU_ASSERT_EQUAL(weir_xref_add(st, "customer", APP1, ERP1,
                                  WEIR_XREF_MANUAL), 0);
    /* both directions */
    CU_ASSERT_STRING_EQUAL(linked(st, APP1, "erp"), "C00417");
    CU_ASSERT_STRING_EQUAL(linked(st, ERP1, "app"), "HB_000001");
    CU_ASSERT_STRING_EQUAL(linked(st, APP1, "crm"), "");
    CU_ASSERT_STRING_EQUAL(linked(st, APP1, "app"), "");
    /* the identical link again, either way round: 0, unchanged */
    CU_ASSERT_EQUAL(weir_xref_add(st, "customer", ERP1, APP1,
                                  WEIR_XREF_CREATED), 0);
    links ls = {0};
    CU_ASSERT_EQUAL(weir_xref_each(st, NULL, NULL, collect_link, &ls), 0);
    CU_ASSERT_EQUAL(ls.n, 1);
    CU_ASSERT_STRING_EQUAL(ls.text[0], "customer app:HB_000001 erp:C00417 "
                                       "manual");
    /* a conflicting link, from either end: refused, naming the link */
    weir_xref_end other_app = {"app", "HB_000002"}, other_erp = {"erp", "C2"};
    CU_ASSERT_EQUAL(weir_xref_add(st, "customer", APP1, other_erp,
                                  WEIR_XREF_MANUAL), -1);
    const weir_error *e = weir_state_error(st);
    CU_ASSERT_EQUAL(e->cls, WEIR_ERR_REFUSED);
    CU_ASSERT_PTR_NOT_NULL(strstr(weir_error_message(e), "customer app:"
                                  "HB_000001 is already linked to erp:C00417 "
                                  "(manual, "));
    CU_ASSERT_EQUAL(weir_xref_add(st, "customer", other_app, ERP1,
                                  WEIR_XREF_MANUAL), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(weir_error_message(weir_state_error(st)),
                                  "customer erp:C00417 is already linked to "
                                  "app:HB_000001"));
    CU_ASSERT_STRING_EQUAL(linked(st, other_app, "erp"), "");
    /* another entity, another system: independent */
    CU_ASSERT_EQUAL(weir_xref_add(st, "product", APP1, other_erp,
                                  WEIR_XREF_MANUAL), 0);
    weir_xref_end crm = {"crm", "0015"};
    CU_ASSERT_EQUAL(weir_xref_add(st, "customer", crm, ERP1,
                                  WEIR_XREF_GENERATED), 0);
    CU_ASSERT_STRING_EQUAL(linked(st, ERP1, "crm"), "0015");
    /* one system, bad names: usage */
    CU_ASSERT_EQUAL(weir_xref_add(st, "customer", APP1, other_app,
                                  WEIR_XREF_MANUAL), -1);
    CU_ASSERT_EQUAL(weir_state_error(st)->cls, WEIR_ERR_USAGE);
    weir_xref_end colon = {"e:rp", "1"}, empty = {"erp", ""};
    CU_ASSERT_EQUAL(weir_xref_add(st, "customer", APP1, colon,
                                  WEIR_XREF_MANUAL), -1);
    CU_ASSERT_EQUAL(weir_state_error(st)->cls, WEIR_ERR_USAGE);
    CU_ASSERT_EQUAL(weir_xref_add(st, "customer", other_app, empty,
                                  WEIR_XREF_MANUAL), -1);
    CU_ASSERT_EQUAL(weir_xref_add(st, "", other_app, ERP1,
                                  WEIR_XREF_MANUAL), -1);
    /* listed by entity, a.system, a.id; filters */
    memset(&ls, 0, sizeof(ls));
    CU_ASSERT_EQUAL(weir_xref_each(st, NULL, NULL, collect_link, &ls), 0);
    CU_ASSERT_EQUAL(ls.n, 3);
    CU_ASSERT_STRING_EQUAL(ls.text[0], "customer app:HB_000001 erp:C00417 "
                                       "manual");
    CU_ASSERT_STRING_EQUAL(ls.text[1], "customer crm:0015 erp:C00417 "
                                       "generated");
    CU_ASSERT_STRING_EQUAL(ls.text[2], "product app:HB_000001 erp:C2 manual");
    memset(&ls, 0, sizeof(ls));
    CU_ASSERT_EQUAL(weir_xref_each(st, "customer", "crm", collect_link, &ls),
                    0);
    CU_ASSERT_EQUAL(ls.n, 1);
    CU_ASSERT_STRING_EQUAL(ls.text[0], "customer crm:0015 erp:C00417 "
                                       "generated");
    /* made inside a transaction that is rolled back: never there */
    CU_ASSERT_EQUAL(weir_state_begin(st), 0);
    CU_ASSERT_EQUAL(weir_xref_add(st, "customer", other_app, other_erp,
                                  WEIR_XREF_MANUAL), 0);
    CU_ASSERT_STRING_EQUAL(linked(st, other_app, "erp"), "C2");
    weir_state_rollback(st);
    CU_ASSERT_STRING_EQUAL(linked(st, other_app, "erp"), "");
    /* another handle sees a link at once */
    weir_state *other = open_store(loc);
    CU_ASSERT_STRING_EQUAL(linked(other, ERP1, "app"), "HB_000001");
    weir_state_close(other);
    /* created: when it was made */
    memset(&ls, 0, sizeof(ls));
    CU_ASSERT_EQUAL(weir_xref_each(st, "customer", "app", collect_link, &ls),
                    0);
    CU_ASSERT_EQUAL(ls.n, 1);
    CU_ASSERT(ls.created[0] >= before &&
              ls.created[0] <= weir_clock_now_ms() / 1000);
    weir_state_close(st);
    free(loc);
}

static void test_xref_merge_and_remove(void)
{
    char *loc = fresh_location();
    weir_state *st = open_store(loc);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    /* the app's generated customer, and the ERP's real one linked to the CRM */
    weir_xref_end hb = {"app", "HB_000123"}, c_gen = {"erp", "HB_000123"},
                  real = {"erp", "C00417"}, crm = {"crm", "0015"};
    CU_ASSERT_EQUAL(weir_xref_add(st, "customer", hb, c_gen,
                                  WEIR_XREF_GENERATED), 0);
    CU_ASSERT_EQUAL(weir_xref_add(st, "customer", crm, real,
                                  WEIR_XREF_MANUAL), 0);
    CU_ASSERT_EQUAL(weir_xref_merge(st, "customer", hb, real), 0);
    CU_ASSERT_STRING_EQUAL(linked(st, hb, "erp"), "C00417");
    CU_ASSERT_STRING_EQUAL(linked(st, real, "app"), "HB_000123");
    CU_ASSERT_STRING_EQUAL(linked(st, c_gen, "app"), "");
    /* the CRM link of the real customer is another system's: kept */
    CU_ASSERT_STRING_EQUAL(linked(st, real, "crm"), "0015");
    links ls = {0};
    CU_ASSERT_EQUAL(weir_xref_each(st, "customer", "app", collect_link, &ls),
                    0);
    CU_ASSERT_EQUAL(ls.n, 1);
    CU_ASSERT_STRING_EQUAL(ls.text[0], "customer app:HB_000123 erp:C00417 "
                                       "merged");
    memset(&ls, 0, sizeof(ls));
    CU_ASSERT_EQUAL(weir_xref_history(st, NULL, collect_event, &ls), 0);
    CU_ASSERT_EQUAL(ls.n, 1);
    CU_ASSERT_STRING_EQUAL(ls.text[0], "replaced app:HB_000123 "
                           "erp:HB_000123 generated app:HB_000123 <-> "
                           "erp:C00417");
    /* merging again: nothing to replace, no history */
    CU_ASSERT_EQUAL(weir_xref_merge(st, "customer", real, hb), 0);
    memset(&ls, 0, sizeof(ls));
    CU_ASSERT_EQUAL(weir_xref_history(st, "customer", collect_event, &ls), 0);
    CU_ASSERT_EQUAL(ls.n, 1);
    /* a merge that replaces a link at each end */
    weir_xref_end hb2 = {"app", "HB_000200"};
    weir_xref_end c2 = {"erp", "C2"};
    CU_ASSERT_EQUAL(weir_xref_add(st, "customer", hb2, c2, WEIR_XREF_MANUAL),
                    0);
    CU_ASSERT_EQUAL(weir_xref_merge(st, "customer", hb2, real), 0);
    CU_ASSERT_STRING_EQUAL(linked(st, hb, "erp"), "");
    CU_ASSERT_STRING_EQUAL(linked(st, c2, "app"), "");
    CU_ASSERT_STRING_EQUAL(linked(st, hb2, "erp"), "C00417");
    memset(&ls, 0, sizeof(ls));
    CU_ASSERT_EQUAL(weir_xref_history(st, "customer", collect_event, &ls), 0);
    CU_ASSERT_EQUAL(ls.n, 3);
    CU_ASSERT_EQUAL(weir_xref_merge(st, "customer", hb2, hb), -1);
    CU_ASSERT_EQUAL(weir_state_error(st)->cls, WEIR_ERR_USAGE);

    /* remove: every link of the end, with history */
    CU_ASSERT_EQUAL(weir_xref_remove(st, "customer", real), 2);
    CU_ASSERT_STRING_EQUAL(linked(st, hb2, "erp"), "");
    CU_ASSERT_STRING_EQUAL(linked(st, crm, "erp"), "");
    CU_ASSERT_EQUAL(weir_xref_remove(st, "customer", real), 0);
    memset(&ls, 0, sizeof(ls));
    CU_ASSERT_EQUAL(weir_xref_history(st, "customer", collect_event, &ls), 0);
    CU_ASSERT_EQUAL(ls.n, 5);
    CU_ASSERT_STRING_EQUAL(ls.text[3], "removed crm:0015 erp:C00417 manual -");
    CU_ASSERT_STRING_EQUAL(ls.text[4], "removed app:HB_000200 erp:C00417 "
                                       "merged -");
    /* the ends are free again */
    CU_ASSERT_EQUAL(weir_xref_add(st, "customer", hb, real,
                                  WEIR_XREF_MANUAL), 0);
    weir_state_close(st);
    free(loc);
}

static void test_xref_each_since(void)
{
    char *loc = fresh_location();
    weir_state *st = open_store(loc);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    weir_xref_end crm[3] = {{"crm", "A"}, {"crm", "B"}, {"crm", "C"}};
    weir_xref_end erp[3] = {{"erp", "3"}, {"erp", "1"}, {"erp", "2"}};
    for (int i = 0; i < 3; i++)
        CU_ASSERT_EQUAL(weir_xref_add(st, "customer", erp[i], crm[i],
                                      WEIR_XREF_CREATED), 0);
    weir_xref_end app = {"app", "X"};
    CU_ASSERT_EQUAL(weir_xref_add(st, "customer", app, erp[0],
                                  WEIR_XREF_MANUAL), 0);
    links ls = {0};
    int64_t last = -1;
    /* in the order made, turned to the direction asked for */
    CU_ASSERT_EQUAL(weir_xref_each_since(st, "customer", "erp", "crm", 0,
                                         &last, collect_link, &ls), 0);
    CU_ASSERT_EQUAL_FATAL(ls.n, 3);
    CU_ASSERT_STRING_EQUAL(ls.text[0], "customer erp:3 crm:A created");
    CU_ASSERT_STRING_EQUAL(ls.text[1], "customer erp:1 crm:B created");
    CU_ASSERT_STRING_EQUAL(ls.text[2], "customer erp:2 crm:C created");
    CU_ASSERT(ls.seq[0] < ls.seq[1] && ls.seq[1] < ls.seq[2]);
    CU_ASSERT_EQUAL(last, ls.seq[2]);
    /* nothing new: nothing, last unchanged */
    int64_t again = -1;
    memset(&ls, 0, sizeof(ls));
    CU_ASSERT_EQUAL(weir_xref_each_since(st, "customer", "crm", "erp", last,
                                         &again, collect_link, &ls), 0);
    CU_ASSERT_EQUAL(ls.n, 0);
    CU_ASSERT_EQUAL(again, last);
    /* a merge is a new link; what it replaced and a removed one are gone */
    weir_xref_end d = {"crm", "D"};
    CU_ASSERT_EQUAL(weir_xref_merge(st, "customer", d, erp[1]), 0);
    CU_ASSERT_EQUAL(weir_xref_remove(st, "customer", crm[2]), 1);
    CU_ASSERT_EQUAL(weir_xref_add(st, "customer", crm[2], erp[2],
                                  WEIR_XREF_MANUAL), 0);
    memset(&ls, 0, sizeof(ls));
    CU_ASSERT_EQUAL(weir_xref_each_since(st, "customer", "crm", "erp", last,
                                         &again, collect_link, &ls), 0);
    CU_ASSERT_EQUAL_FATAL(ls.n, 2);
    CU_ASSERT_STRING_EQUAL(ls.text[0], "customer crm:D erp:1 merged");
    CU_ASSERT_STRING_EQUAL(ls.text[1], "customer crm:C erp:2 manual");
    CU_ASSERT(ls.seq[0] > last && again == ls.seq[1]);
    weir_state_close(st);
    free(loc);
}

/* A held row's status. */
static int row_status(const weir_outbox_row *row, void *ctx)
{
    *(weir_outbox_status *)ctx = row->status;
    return 0;
}

static weir_outbox_status xref_status(weir_state *st, int64_t id)
{
    weir_outbox_status s = WEIR_OUTBOX_NSTATUS;
    weir_state_outbox_get(st, id, row_status, NULL, &s);
    return s;
}

/* A row held by transform xref for a link of `end`. */
static int64_t held_for(weir_state *st, const char *key, weir_xref_end end)
{
    char wait[128];
    weir_xref_wait_key("customer", end, wait, sizeof(wait));
    weir_outbox_row r = {.pipeline = "orders", .sink = "erp", .key = key,
                         .idem = key, .op = "upsert", .payload = "{}",
                         .status = WEIR_OUTBOX_HELD, .held_by = "xref",
                         .stage = "xref", .wait_key = wait};
    int64_t id = -1;
    return weir_state_outbox_add(st, &r, 1, &id) ? -1 : id;
}

static void test_xref_releases_held_rows(void)
{
    char *loc = fresh_location();
    weir_state *st = open_store(loc);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    char wait[64];
    weir_xref_wait_key("customer", APP1, wait, sizeof(wait));
    CU_ASSERT_STRING_EQUAL(wait, "xref:customer:app:HB_000001");
    weir_xref_end app2 = {"app", "HB_000002"}, erp2 = {"erp", "C2"};
    int64_t for_app = held_for(st, "o1", APP1), for_erp = held_for(st, "o2", ERP1),
            for_app2 = held_for(st, "o3", app2);
    CU_ASSERT_FATAL(for_app > 0 && for_erp > 0 && for_app2 > 0);
    /* a link releases what is held for it; a refused one nothing */
    CU_ASSERT_EQUAL(weir_xref_add(st, "customer", app2, erp2,
                                  WEIR_XREF_MANUAL), 0);
    CU_ASSERT_EQUAL(xref_status(st, for_app2), WEIR_OUTBOX_PENDING);
    CU_ASSERT_EQUAL(weir_xref_add(st, "customer", APP1, erp2,
                                  WEIR_XREF_MANUAL), -1);
    CU_ASSERT_EQUAL(xref_status(st, for_app), WEIR_OUTBOX_HELD);
    /* rolled back with the caller's transaction: still held */
    CU_ASSERT_EQUAL(weir_state_begin(st), 0);
    CU_ASSERT_EQUAL(weir_xref_add(st, "customer", APP1, ERP1,
                                  WEIR_XREF_MANUAL), 0);
    CU_ASSERT_EQUAL(xref_status(st, for_app), WEIR_OUTBOX_PENDING);
    weir_state_rollback(st);
    CU_ASSERT_EQUAL(xref_status(st, for_app), WEIR_OUTBOX_HELD);
    CU_ASSERT_EQUAL(xref_status(st, for_erp), WEIR_OUTBOX_HELD);
    /* the link: the rows held for either end go back to pending */
    CU_ASSERT_EQUAL(weir_xref_add(st, "customer", APP1, ERP1,
                                  WEIR_XREF_MANUAL), 0);
    CU_ASSERT_EQUAL(xref_status(st, for_app), WEIR_OUTBOX_PENDING);
    CU_ASSERT_EQUAL(xref_status(st, for_erp), WEIR_OUTBOX_PENDING);
    /* a merge releases as an add does, and says how many rows (the web
     * monitor's Merge answers {"released": N}) */
    weir_xref_end hb = {"app", "HB_000009"};
    int64_t for_hb = held_for(st, "o4", hb);
    CU_ASSERT_EQUAL(weir_xref_merge(st, "customer", hb, erp2), 1);
    CU_ASSERT_EQUAL(xref_status(st, for_hb), WEIR_OUTBOX_PENDING);
    weir_state_close(st);
    free(loc);
}

/* Generate `n` ids with the handle `st`, each linked (as the xref
 * transform does) to crm ids tagged `tag`, into ids[] (nullable); 0, or
 * -1. */
static int generate_linked(weir_state *st, int tag, int n, char ids[][16])
{
    for (int i = 0; i < n; i++) {
        if (weir_state_begin(st))
            return -1;
        char *id = weir_xref_generate(st, "customer", "app", "HB_", 6);
        char key[16];
        snprintf(key, sizeof(key), "%d-%d", tag, i);
        weir_xref_end gen = {"app", id}, crm = {"crm", key};
        int rc = id ? weir_xref_add(st, "customer", gen, crm,
                                    WEIR_XREF_GENERATED) : -1;
        if (rc == 0 && ids)
            snprintf(ids[i], 16, "%s", id);
        free(id);
        if (rc || weir_state_commit(st)) {
            weir_state_rollback(st);
            return -1;
        }
    }
    return 0;
}

static int count_links(const weir_xref_link *l, void *ctx)
{
    (void)l;
    (*(int *)ctx)++;
    return 0;
}

static void test_xref_generate(void)
{
    char *loc = fresh_location();
    weir_state *st = open_store(loc), *st2 = open_store(loc);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st2);
    char *id = weir_xref_generate(st, "customer", "app", "HB_", 6);
    CU_ASSERT_STRING_EQUAL(id ? id : "", "HB_000001");
    free(id);
    /* ids the system already has in the store are skipped */
    weir_xref_end taken2 = {"app", "HB_000002"}, taken3 = {"app", "HB_000003"};
    weir_xref_end e2 = {"erp", "C2"}, e3 = {"crm", "K3"};
    CU_ASSERT_EQUAL(weir_xref_add(st, "customer", taken2, e2,
                                  WEIR_XREF_MANUAL), 0);
    CU_ASSERT_EQUAL(weir_xref_add(st, "customer", e3, taken3,
                                  WEIR_XREF_MANUAL), 0);
    id = weir_xref_generate(st2, "customer", "app", "HB_", 6);
    CU_ASSERT_STRING_EQUAL(id ? id : "", "HB_000004");
    free(id);
    /* another system's id, another prefix, another width */
    weir_xref_end erp5 = {"erp", "HB_000005"};
    CU_ASSERT_EQUAL(weir_xref_add(st, "customer", erp5, e3,
                                  WEIR_XREF_MANUAL), 0);
    id = weir_xref_generate(st, "customer", "app", "HB_", 6);
    CU_ASSERT_STRING_EQUAL(id ? id : "", "HB_000005");
    free(id);
    id = weir_xref_generate(st, "customer", "app", "X-", 2);
    CU_ASSERT_STRING_EQUAL(id ? id : "", "X-01");
    free(id);
    id = weir_xref_generate(st, "customer", "app", NULL, 3);
    CU_ASSERT_STRING_EQUAL(id ? id : "", "001");
    free(id);
    id = weir_xref_generate(st, "product", "app", "HB_", 6);
    CU_ASSERT_STRING_EQUAL(id ? id : "", "HB_000001");
    free(id);
    CU_ASSERT_PTR_NULL(weir_xref_generate(st, "customer", "app", "HB_", 0));
    CU_ASSERT_EQUAL(weir_state_error(st)->cls, WEIR_ERR_USAGE);
    /* a number that outgrows its digits gets longer */
    for (int i = 0; i < 9; i++)
        free(weir_xref_generate(st, "customer", "erp", "E", 1));
    id = weir_xref_generate(st, "customer", "erp", "E", 1);
    CU_ASSERT_STRING_EQUAL(id ? id : "", "E10");
    free(id);
    /* a generate rolled back with its caller hands the number out again,
     * for it was never used */
    CU_ASSERT_EQUAL(weir_state_begin(st), 0);
    id = weir_xref_generate(st, "customer", "app", "HB_", 6);
    CU_ASSERT_STRING_EQUAL(id ? id : "", "HB_000006");
    free(id);
    weir_state_rollback(st);
    id = weir_xref_generate(st2, "customer", "app", "HB_", 6);
    CU_ASSERT_STRING_EQUAL(id ? id : "", "HB_000006");
    free(id);

    /* two handles taking turns, then two processes at once: no id twice */
    char ids[40][16];
    for (int i = 0; i < 20; i++)
        CU_ASSERT_EQUAL(generate_linked(i % 2 ? st : st2, i, 1, &ids[i]), 0);
    for (int i = 0; i < 20; i++)
        for (int j = i + 1; j < 20; j++)
            CU_ASSERT_STRING_NOT_EQUAL(ids[i], ids[j]);
    weir_state_close(st2);
    enum { KIDS = 2, EACH = 40 };
    pid_t kids[KIDS];
    for (int k = 0; k < KIDS; k++) {
        kids[k] = fork();
        if (kids[k] == 0) {
            weir_state *mine = open_store(loc);
            int rc = mine ? generate_linked(mine, 100 + k, EACH, NULL) : -1;
            if (rc)
                fprintf(stderr, "\n  generate: %s\n",
                        weir_error_message(weir_state_error(mine)));
            weir_state_close(mine);
            _exit(rc ? 1 : 0);
        }
    }
    for (int k = 0; k < KIDS; k++) {
        int status = 0;
        waitpid(kids[k], &status, 0);
        CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    /* every child's link made: one app id each (one to one) */
    int n = 0;
    CU_ASSERT_EQUAL(weir_xref_each(st, "customer", "crm", count_links, &n),
                    0);
    CU_ASSERT_EQUAL(n, 2 + 20 + KIDS * EACH);
    weir_state_close(st);
    free(loc);
}

void register_tests(void)
{
    CU_pSuite s = CU_add_suite("store conformance (sqlite)", NULL, NULL);
    CU_add_test(s, "order per key", test_order_per_key);
    CU_add_test(s, "the snapshot's generation", test_snapshot_generation);
    CU_add_test(s, "settle transitions", test_settle_transitions);
    CU_add_test(s, "the state machine", test_state_machine);
    CU_add_test(s, "batch-shaped adds", test_batch_add);
    CU_add_test(s, "a claim for another target's identity takes nothing",
                test_claim_by_identity);
    CU_add_test(s, "claims and leases", test_claims_and_leases);
    CU_add_test(s, "a dead worker's claim", test_dead_worker);
    CU_add_test(s, "deletes=\"ignore\" spares a live claim",
                test_ignore_spares_live_claims);
    CU_add_test(s, "monitor groups and discard", test_monitor_and_discard);
    CU_add_test(s, "snapshots and plugin state",
                test_snapshots_and_plugin_state);
    CU_add_test(s, "endpoint health compare-and-set",
                test_endpoint_compare_and_set);
    CU_add_test(s, "kept values of changes=\"keep\"", test_track_values);
    CU_add_test(s, "locations", test_locations);
    CU_add_test(s, "xref: links, one to one", test_xref_links);
    CU_add_test(s, "xref: merge and remove, with history",
                test_xref_merge_and_remove);
    CU_add_test(s, "xref: links made since", test_xref_each_since);
    CU_add_test(s, "xref: a link releases held rows",
                test_xref_releases_held_rows);
    CU_add_test(s, "xref: generate", test_xref_generate);
}
