/*
 * state_claim.c - several workers share one outbox (state.h, claiming):
 * claim due rows under a lease, renew and release leases, settle answers.
 *
 * A claim is one IMMEDIATE transaction, so two workers never take the
 * same row: SQLite serialises writers on the file (PostgreSQL will use
 * FOR UPDATE SKIP LOCKED).  A lease is lease_owner until lease_until; an
 * owner on this machine whose connection is gone (state_lock.c) loses its
 * leases at once, so a crashed run's rows go again without waiting.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "store/outbox.h"
#include "store/sqlite/state_int.h"

/* The leases on rows of (pipeline, sink) held by workers that are gone
 * end now.  Inside the claim's transaction. */
static int expire_dead_owners(weir_store_conn *st, const char *pipeline,
                              const char *sink, const char *me, int64_t now)
{
    const char *args[] = {pipeline, sink};
    sqlite3_stmt *s = sq__prepare(
        st,
        "SELECT DISTINCT lease_owner FROM outbox WHERE pipeline = ?1 AND "
        "sink = ?2 AND status = 'in_flight' AND lease_owner IS NOT NULL AND "
        "lease_until > ?3",
        2, args);
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 3, now);
    char **dead = NULL;
    size_t ndead = 0;
    int step, rc = 0;
    while (!rc && (step = sqlite3_step(s)) == SQLITE_ROW) {
        const char *owner = sq__text(s, 0);
        if (strcmp(owner, me) == 0 || sq__worker_alive(st, owner))
            continue;
        char **grown = realloc(dead, (ndead + 1) * sizeof(*dead));
        if (!grown || !(grown[ndead] = strdup(owner))) {
            dead = grown ? grown : dead;
            rc = -1;
            break;
        }
        dead = grown;
        ndead++;
    }
    if (!rc && step != SQLITE_DONE)
        rc = -1;
    sqlite3_finalize(s);
    for (size_t i = 0; i < ndead; i++) {
        if (!rc)
            rc = sq__exec(st, "UPDATE outbox SET lease_until = 0 WHERE "
                              "lease_owner = ?1 AND status = 'in_flight'",
                          1, (const char *const *)&dead[i]);
        free(dead[i]);
    }
    free(dead);
    return rc;
}

typedef struct claimed {
    weir_outbox_row row;
    char *strings; /* the row's texts, one allocation */
} claimed;

/* Copy the texts of `r` into one block, so the row outlives the step. */
static int keep_row(claimed *c, const weir_outbox_row *r)
{
    const char *src[] = {r->pipeline, r->sink, r->key, r->idem, r->op,
                         r->type, r->payload, r->error, r->held_by,
                         r->stage, r->wait_key, r->assigned_id, r->link};
    size_t n = 0;
    for (size_t i = 0; i < sizeof(src) / sizeof(src[0]); i++)
        n += src[i] ? strlen(src[i]) + 1 : 0;
    if (!(c->strings = malloc(n ? n : 1)))
        return -1;
    c->row = *r;
    const char **dst[] = {&c->row.pipeline, &c->row.sink, &c->row.key,
                          &c->row.idem, &c->row.op, &c->row.type,
                          &c->row.payload, &c->row.error, &c->row.held_by,
                          &c->row.stage, &c->row.wait_key,
                          &c->row.assigned_id, &c->row.link};
    _Static_assert(sizeof(src) / sizeof(src[0]) ==
                       sizeof(dst) / sizeof(dst[0]), "every text copied");
    char *o = c->strings;
    for (size_t i = 0; i < sizeof(src) / sizeof(src[0]); i++) {
        if (!src[i]) {
            *dst[i] = NULL;
            continue;
        }
        size_t len = strlen(src[i]) + 1;
        memcpy(o, src[i], len);
        *dst[i] = o;
        o += len;
    }
    return 0;
}

/* Select the due rows into rows[] (at most c->limit). */
static int64_t select_due(weir_store_conn *st, const weir_outbox_claim *c,
                          claimed *rows)
{
    /* Order per key: a row waits while an older row of its key has not
     * ended, failed and in flight ones included (a resend brings those
     * back, and what queued behind them follows in order).  A row a
     * transform holds (held_by = stage) waits for its release. */
    sqlite3_stmt *s = sq__cached(
        st, &st->ob_claim,
        "SELECT " SQ_ROW_COLUMNS " FROM outbox o "
        "WHERE pipeline = ?1 AND sink = ?2 AND " SQ_OPEN " AND id > ?6 AND ("
        "  status = 'pending' OR"
        "  (status = 'in_flight' AND lease_until <= ?3) OR"
        "  (status = 'retry' AND next_attempt <= ?3) OR"
        "  (status = 'held' AND ?4 AND next_attempt <= ?3 AND"
        "   held_by IS NOT stage)) "
        "AND (key IS NULL OR NOT EXISTS (SELECT 1 FROM outbox p "
        "  WHERE p.pipeline = o.pipeline AND p.sink = o.sink AND "
        "  p.key = o.key AND p.id < o.id AND p." SQ_OPEN ")) "
        "AND (?7 IS NULL OR NOT EXISTS (SELECT 1 FROM meta WHERE "
        "  key = json_array('sink', ?1, ?2) AND value IS NOT ?7)) "
        "ORDER BY id LIMIT ?5");
    if (!s)
        return -1;
    sq__bind_text(s, 1, c->pipeline);
    sq__bind_text(s, 2, c->sink);
    sqlite3_bind_int64(s, 3, c->now);
    sqlite3_bind_int(s, 4, c->with_held != 0);
    sqlite3_bind_int64(s, 5, (sqlite3_int64)c->limit);
    sqlite3_bind_int64(s, 6, c->after_id);
    sq__bind_text(s, 7, c->identity);
    int64_t n = 0;
    int step;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        weir_outbox_row r;
        sq__read_row(s, &r);
        if (keep_row(&rows[n], &r)) {
            sqlite3_reset(s);
            return -1;
        }
        n++;
    }
    sqlite3_reset(s);
    return step == SQLITE_DONE ? n : -1;
}

int64_t sq_outbox_claim(weir_store_conn *st, const weir_outbox_claim *c,
                        int (*fn)(const weir_outbox_row *row, void *ctx),
                        void *ctx)
{
    const char *me = sq__worker_register(st);
    if (!me || !c->limit)
        return me ? 0 : -1;
    claimed *rows = calloc(c->limit, sizeof(*rows));
    if (!rows)
        return -1;
    int64_t n = -1;
    if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        goto out;
    if (expire_dead_owners(st, c->pipeline, c->sink, me, c->now) ||
        (n = select_due(st, c, rows)) < 0)
        goto fail;
    sqlite3_stmt *s = sq__cached(
        st, &st->ob_take,
        "UPDATE outbox SET status = 'in_flight', lease_owner = ?2, "
        "lease_until = ?3, updated = ?4 WHERE id = ?1");
    for (int64_t i = 0; s && i < n; i++) {
        if (!weir_outbox_may(WEIR_OUTBOX_CLAIM, rows[i].row.status,
                             WEIR_OUTBOX_IN_FLIGHT))
            goto fail;
        sqlite3_reset(s);
        sqlite3_bind_int64(s, 1, rows[i].row.id);
        sq__bind_text(s, 2, me);
        sqlite3_bind_int64(s, 3, c->now + c->lease_ms);
        sqlite3_bind_int64(s, 4, weir_clock_now_ms());
        if (sqlite3_step(s) != SQLITE_DONE)
            goto fail;
    }
    if (!s || sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    for (int64_t i = 0; i < n; i++)
        if (fn(&rows[i].row, ctx)) {
            /* the caller stopped: the rest go back at once */
            for (int64_t j = i; j < n; j++)
                sq__exec_int(st, "UPDATE outbox SET lease_until = 0 WHERE "
                                 "id = ?2 AND lease_owner = ?1",
                             me, rows[j].row.id);
            n = -1;
            break;
        }
    goto out;
fail:
    n = -1;
    sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
out:
    for (size_t i = 0; i < c->limit; i++)
        free(rows[i].strings);
    free(rows);
    return n;
}

int64_t sq_outbox_renew(weir_store_conn *st, int64_t until)
{
    if (!st->worker)
        return 0;
    if (sq__exec_int(st, "UPDATE outbox SET lease_until = ?2 WHERE "
                         "lease_owner = ?1 AND status = 'in_flight'",
                     st->worker, until))
        return -1;
    return sqlite3_changes(st->db);
}

int64_t sq_outbox_unclaim(weir_store_conn *st)
{
    if (!st->worker)
        return 0;
    if (sq__exec_int(st, "UPDATE outbox SET lease_until = ?2 WHERE "
                         "lease_owner = ?1 AND status = 'in_flight'",
                     st->worker, 0))
        return -1;
    return sqlite3_changes(st->db);
}

int64_t sq_outbox_settle(weir_store_conn *st, const weir_outbox_answer *a,
                         size_t n)
{
    int64_t settled = 0;
    for (size_t i = 0; i < n; i++) {
        if (!weir_outbox_may(WEIR_OUTBOX_ANSWER, WEIR_OUTBOX_IN_FLIGHT,
                             a[i].status)) {
            weir_error_set(&st->err, WEIR_ERR_USAGE, "state database %s: "
                           "an answer cannot make a record %s", st->path,
                           weir_outbox_status_name(a[i].status));
            return -1;
        }
        sqlite3_stmt *s = sq__cached(
            st, &st->ob_settle,
            "UPDATE outbox SET status = ?2, attempts = ?3, next_attempt = ?4, "
            "error = ?5, updated = ?6, held_by = ?7, link = coalesce(?9, link), "
            "lease_owner = CASE WHEN ?2 = 'in_flight' THEN lease_owner END, "
            "lease_until = CASE WHEN ?2 = 'in_flight' THEN lease_until "
            "ELSE 0 END WHERE id = ?1 AND status = 'in_flight' AND "
            "(lease_owner IS NULL OR lease_owner = ?8)");
        if (!s)
            return -1;
        sqlite3_bind_int64(s, 1, a[i].id);
        sq__bind_text(s, 2, weir_outbox_status_name(a[i].status));
        sqlite3_bind_int(s, 3, a[i].attempts);
        sqlite3_bind_int64(s, 4, a[i].next_attempt);
        sq__bind_text(s, 5, a[i].error);
        sqlite3_bind_int64(s, 6, weir_clock_now_ms());
        sq__bind_text(s, 7, a[i].status == WEIR_OUTBOX_HELD ? a[i].held_by
                                                            : NULL);
        sq__bind_text(s, 8, st->worker);
        sq__bind_text(s, 9, a[i].link);
        if (sqlite3_step(s) != SQLITE_DONE)
            return -1;
        if (sqlite3_changes(st->db) == 0)
            continue; /* another worker holds it now */
        settled++;
        if (a[i].attempt && sq__add_attempt(st, a[i].id, a[i].attempt,
                                            a[i].error))
            return -1;
    }
    return settled;
}
