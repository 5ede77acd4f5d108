/*
 * state_outbox.c - the outbox in the SQLite state backend: records a sink
 * has not acknowledged, with their status, attempts and history.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "store/outbox.h"
#include "store/created_link.h"
#include "store/sqlite/state_int.h"

/* The order statuses are listed in: the one the partial indexes of the
 * schema use, so a generated term repeats theirs exactly. */
static const weir_outbox_status list_order[] = {
    WEIR_OUTBOX_PENDING, WEIR_OUTBOX_IN_FLIGHT, WEIR_OUTBOX_RETRY,
    WEIR_OUTBOX_HELD, WEIR_OUTBOX_FAILED, WEIR_OUTBOX_DELIVERED,
    WEIR_OUTBOX_SUPERSEDED, WEIR_OUTBOX_DISCARDED,
};
_Static_assert(sizeof(list_order) / sizeof(list_order[0]) ==
                   WEIR_OUTBOX_NSTATUS, "every status listed");

const char *sq__statuses(unsigned mask, char *buf, size_t size)
{
    size_t n = 0, count = 0;
    for (size_t i = 0; i < WEIR_OUTBOX_NSTATUS; i++)
        count += (mask & WEIR_OUTBOX_BIT(list_order[i])) != 0;
    if (count == 0) {
        snprintf(buf, size, "0");
        return buf;
    }
    n += (size_t)snprintf(buf + n, size - n, count == 1 ? "status = " : "status IN (");
    const char *sep = "";
    for (size_t i = 0; i < WEIR_OUTBOX_NSTATUS && n < size; i++)
        if (mask & WEIR_OUTBOX_BIT(list_order[i])) {
            n += (size_t)snprintf(buf + n, size - n, "%s'%s'", sep,
                                  weir_outbox_status_name(list_order[i]));
            sep = ", ";
        }
    if (count > 1 && n < size)
        snprintf(buf + n, size - n, ")");
    return buf;
}

int sq__check_open_term(void)
{
    char open[SQ_STATUSES];
    return strcmp(sq__statuses(weir_outbox_open(), open, sizeof(open)),
                  SQ_OPEN) != 0;
}

void sq__bind_text(sqlite3_stmt *s, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, i);
}

int sq__add_attempt(weir_store_conn *st, int64_t id, const char *result,
                    const char *message)
{
    sqlite3_stmt *s = sq__cached(
        st, &st->ob_attempt,
        "INSERT INTO attempts(outbox_id, at, result, message) VALUES (?1, ?2, "
        "?3, ?4)");
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, weir_clock_now_ms());
    sq__bind_text(s, 3, result);
    sq__bind_text(s, 4, message);
    return sqlite3_step(s) == SQLITE_DONE ? 0 : -1;
}

static int add_one(weir_store_conn *st, const weir_outbox_row *r, int64_t *id)
{
    if (!(weir_outbox_to(WEIR_OUTBOX_ENQUEUE) & WEIR_OUTBOX_BIT(r->status))) {
        weir_error_set(&st->err, WEIR_ERR_USAGE, "state database %s: a new "
                       "record cannot be %s", st->path,
                       weir_outbox_status_name(r->status));
        return -1;
    }
    sqlite3_stmt *s = sq__cached(
        st, &st->ob_add,
        "INSERT INTO outbox(pipeline, sink, key, idem, op, type, payload, "
        "status, attempts, next_attempt, error, held_by, origin, created, "
        "updated, stage, wait_key, link, changes, resent) VALUES (?1, ?2, "
        "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14, ?15, ?16, "
        "?17, ?18, ?19)");
    if (!s)
        return -1;
    int64_t now = r->created ? r->created : weir_clock_now_ms();
    sq__bind_text(s, 1, r->pipeline);
    sq__bind_text(s, 2, r->sink);
    sq__bind_text(s, 3, r->key);
    sq__bind_text(s, 4, r->idem);
    sq__bind_text(s, 5, r->op);
    sq__bind_text(s, 6, r->type);
    sq__bind_text(s, 7, r->payload);
    sq__bind_text(s, 8, weir_outbox_status_name(r->status));
    sqlite3_bind_int(s, 9, r->attempts);
    sqlite3_bind_int64(s, 10, r->next_attempt);
    sq__bind_text(s, 11, r->error);
    sq__bind_text(s, 12, r->held_by);
    sqlite3_bind_int64(s, 13, r->origin);
    sqlite3_bind_int64(s, 14, now);
    sq__bind_text(s, 15, r->stage);
    sq__bind_text(s, 16, r->wait_key);
    sq__bind_text(s, 17, r->link);
    sq__bind_text(s, 18, r->changes);
    sq__bind_text(s, 19, r->resent);
    if (sqlite3_step(s) != SQLITE_DONE)
        return -1;
    *id = sqlite3_last_insert_rowid(st->db);
    return r->attempt_result &&
                   sq__add_attempt(st, *id, r->attempt_result, r->error)
               ? -1
               : 0;
}

int sq_outbox_add(weir_store_conn *st, const weir_outbox_row *rows, size_t n,
                  int64_t *ids)
{
    for (size_t i = 0; i < n; i++) {
        int64_t id;
        if (add_one(st, &rows[i], &id))
            return -1;
        if (ids)
            ids[i] = id;
    }
    return 0;
}

void sq__read_row(sqlite3_stmt *s, weir_outbox_row *r)
{
    memset(r, 0, sizeof(*r));
    r->id = sqlite3_column_int64(s, 0);
    r->pipeline = sq__text(s, 1);
    r->sink = sq__text(s, 2);
    r->key = sq__text_or_null(s, 3);
    r->idem = sq__text(s, 4);
    r->op = sq__text(s, 5);
    r->type = sq__text_or_null(s, 6);
    r->payload = sq__text(s, 7);
    int status = weir_outbox_status_parse(sq__text(s, 8));
    r->status = status < 0 ? WEIR_OUTBOX_FAILED : (weir_outbox_status)status;
    r->attempts = sqlite3_column_int(s, 9);
    r->next_attempt = sqlite3_column_int64(s, 10);
    r->error = sq__text_or_null(s, 11);
    r->held_by = sq__text_or_null(s, 12);
    r->created = sqlite3_column_int64(s, 13);
    r->updated = sqlite3_column_int64(s, 14);
    r->origin = (long)sqlite3_column_int64(s, 15);
    r->stage = sq__text_or_null(s, 16);
    r->wait_key = sq__text_or_null(s, 17);
    r->assigned_id = sq__text_or_null(s, 18);
    r->link = sq__text_or_null(s, 19);
    r->changes = sq__text_or_null(s, 20);
    r->resent = sq__text_or_null(s, 21);
}

static int each_row(sqlite3_stmt *s,
                    int (*fn)(const weir_outbox_row *row, void *ctx), void *ctx)
{
    int rc = 0, step;
    weir_outbox_row row;
    while (!rc && (step = sqlite3_step(s)) == SQLITE_ROW) {
        sq__read_row(s, &row);
        rc = fn(&row, ctx);
    }
    if (!rc && step != SQLITE_DONE && step != SQLITE_ROW)
        rc = -1;
    return rc;
}

#define OPEN SQ_OPEN

static int64_t move_rows(weir_store_conn *st, weir_outbox_event ev,
                         weir_outbox_status to, const char *history,
                         const char *set, const char *where, const char *t1,
                         const char *t2, const char *t3, int64_t i5);

int sq_outbox_hold(weir_store_conn *st, int64_t id, const char *stage,
                           const char *wait_key, const char *message,
                           const char *payload)
{
    /* an answer to a claimed row: held again, the claim given up */
    if (!weir_outbox_may(WEIR_OUTBOX_ANSWER, WEIR_OUTBOX_IN_FLIGHT,
                         WEIR_OUTBOX_HELD))
        return -1;
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db,
                           "UPDATE outbox SET status = 'held', held_by = ?2, "
                           "stage = ?2, wait_key = ?3, error = ?4, payload = "
                           "?5, next_attempt = 0, updated = ?6, lease_owner = NULL, "
                           "lease_until = 0 WHERE id = ?1 AND status = "
                           "'in_flight' AND (lease_owner IS NULL OR "
                           "lease_owner = ?7)",
                           -1, &s, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(s, 1, id);
    sq__bind_text(s, 2, stage);
    sq__bind_text(s, 3, wait_key);
    sq__bind_text(s, 4, message);
    sq__bind_text(s, 5, payload);
    sqlite3_bind_int64(s, 6, weir_clock_now_ms());
    sq__bind_text(s, 7, st->worker);
    int rc = sqlite3_step(s);
    int changed = sqlite3_changes(st->db);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return -1;
    /* unchanged: another worker took the row over; its answer counts */
    return changed ? sq__add_attempt(st, id, "held", message) : 0;
}

int64_t sq_outbox_release(weir_store_conn *st, const char *wait_key)
{
    if (!wait_key)
        return -1;
    /* with the status term, that of the partial index outbox_waiting */
    int64_t held = move_rows(st, WEIR_OUTBOX_RELEASE, WEIR_OUTBOX_PENDING,
                             "'released', ?1", "held_by = NULL, next_attempt = 0",
                             "wait_key = ?1 AND held_by = stage", wait_key, NULL,
                             NULL, 0);
    /* refused with a provisional value that waited for the same: sent
     * through its transform again, with fresh attempts */
    int64_t refused = held < 0 ? -1
                      : move_rows(st, WEIR_OUTBOX_RESEND, WEIR_OUTBOX_PENDING,
                                  "'released', ?1",
                                  "attempts = 0, held_by = NULL, next_attempt = 0",
                                  "wait_key = ?1 AND stage IS NOT NULL AND "
                                  "status = 'failed'", wait_key, NULL, NULL, 0);
    return refused < 0 ? -1 : held + refused;
}

int sq_assigned_put(weir_store_conn *st, const char *pipeline,
                            const char *sink, const char *key,
                            int64_t outbox_id, const char *assigned_id)
{
    int64_t now = weir_clock_now_ms();
    if (outbox_id > 0 &&
        sq__exec_int(st, "UPDATE outbox SET assigned_id = ?1 WHERE "
                                 "id = ?2", assigned_id, outbox_id))
        return -1;
    if (!key)
        return 0;
    sqlite3_stmt *s = sq__cached(
        st, &st->ob_assigned,
        "INSERT INTO assigned_ids(pipeline, sink, key, assigned_id, at) "
        "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(pipeline, sink, key) DO "
        "UPDATE SET assigned_id = excluded.assigned_id, at = excluded.at");
    if (!s)
        return -1;
    sq__bind_text(s, 1, pipeline);
    sq__bind_text(s, 2, sink);
    sq__bind_text(s, 3, key);
    sq__bind_text(s, 4, assigned_id);
    sqlite3_bind_int64(s, 5, now);
    return sqlite3_step(s) == SQLITE_DONE ? 0 : -1;
}

int sq_assigned_get(weir_store_conn *st, const char *pipeline,
                            const char *sink, const char *key,
                            char **assigned_id)
{
    const char *args[] = {pipeline, sink, key};
    *assigned_id = NULL;
    sqlite3_stmt *s = sq__prepare(
        st, "SELECT assigned_id FROM assigned_ids WHERE pipeline = ?1 AND "
            "sink = ?2 AND key = ?3", 3, args);
    if (!s)
        return -1;
    int step = sqlite3_step(s);
    if (step == SQLITE_ROW)
        *assigned_id = strdup(sq__text(s, 0));
    sqlite3_finalize(s);
    if (step == SQLITE_ROW)
        return *assigned_id ? 0 : -1;
    return step == SQLITE_DONE ? 1 : -1;
}

int sq_outbox_creating(weir_store_conn *st, const char *link,
                       const char *pipeline, const char *key, int64_t self)
{
    char unknown[2048];
    if (weir_created_link_unknown(link, unknown, sizeof unknown))
        return -1;
    const char *args[] = {link, pipeline, key, unknown};
    /* a create made without its id counts whatever its row's key and
     * status (until a link exists, the caller never asks); the asking
     * record's own row (a refused create resent) never */
    sqlite3_stmt *s = sq__prepare(
        st, "SELECT 1 FROM outbox WHERE id != ?5 AND ((link = ?1 AND status "
            "IN ('pending', 'in_flight', 'retry', 'held', 'failed') AND NOT "
            "(pipeline = ?2 AND key = ?3 AND status IN ('pending', 'held', "
            "'failed'))) OR (link = ?4 AND status IN ('pending', 'in_flight', "
            "'retry', 'held', 'failed'))) LIMIT 1",
        4, args);
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 5, self);
    int step = sqlite3_step(s);
    sqlite3_finalize(s);
    return step == SQLITE_ROW ? 1 : step == SQLITE_DONE ? 0 : -1;
}

int sq_outbox_keys(weir_store_conn *st, const char *pipeline,
                           const char *sink, unsigned statuses,
                           int (*fn)(const char *key, void *ctx), void *ctx)
{
    sqlite3_stmt *s;
    char sql[512], in[SQ_STATUSES];
    snprintf(sql, sizeof(sql),
             "SELECT DISTINCT key FROM outbox WHERE pipeline = ?1 AND sink = "
             "?2 AND key IS NOT NULL AND " OPEN " AND %s",
             sq__statuses(statuses, in, sizeof(in)));
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return -1;
    sq__bind_text(s, 1, pipeline);
    sq__bind_text(s, 2, sink);
    int rc = 0, step;
    while (!rc && (step = sqlite3_step(s)) == SQLITE_ROW)
        rc = fn(sq__text(s, 0), ctx);
    if (!rc && step != SQLITE_DONE)
        rc = -1;
    sqlite3_finalize(s);
    return rc;
}

/* The rows a newer change of their key replaces: ?5 0 all of them, -1
 * those older than the key's newest row, else those below id ?5. */
#define SUPERSEDABLE                                                        \
    "pipeline = ?1 AND sink = ?2 AND key = ?3 AND " OPEN " AND id < CASE " \
    "WHEN ?5 > 0 THEN ?5 WHEN ?5 = 0 THEN 9223372036854775807 ELSE "       \
    "(SELECT max(id) FROM outbox WHERE pipeline = ?1 AND sink = ?2 AND "   \
    "key = ?3) END AND " NOT_A_MADE_CREATE

/* A create the target may have made (retrying after an answer that may
 * have been lost) or made without its id is never superseded: it alone
 * can make the link, and a newer change would create the object again. */
#define NOT_A_MADE_CREATE                                                   \
    "NOT (link IS NOT NULL AND (status = 'retry' OR substr(link, -2) = "    \
    "char(31) || '!'))"

/* Run the statements of `sql` (n of them) with ?1..?3 the texts t1..t3,
 * ?4 now and ?5 `i5`; the last one's change count (or the first column
 * of a SELECT's row), or -1. */
static int64_t run_bound(weir_store_conn *st, const char *const *sql, size_t n,
                         const char *t1, const char *t2, const char *t3,
                         int64_t i5)
{
    int64_t changes = -1;
    for (size_t i = 0; i < n; i++) {
        sqlite3_stmt *s;
        if (sqlite3_prepare_v2(st->db, sql[i], -1, &s, NULL) != SQLITE_OK)
            return -1;
        sq__bind_text(s, 1, t1);
        sq__bind_text(s, 2, t2);
        sq__bind_text(s, 3, t3);
        sqlite3_bind_int64(s, 4, weir_clock_now_ms());
        sqlite3_bind_int64(s, 5, i5);
        int rc = sqlite3_step(s);
        /* a SELECT answers one row: its first column is the result */
        changes = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0)
                                   : sqlite3_changes(st->db);
        sqlite3_finalize(s);
        if (rc != SQLITE_DONE && rc != SQLITE_ROW)
            return -1;
    }
    return changes;
}

/* Event `ev` moves the rows `where` picks (a condition over the
 * parameters run_bound binds: ?1..?3 texts, ?4 now, ?5 a number) to
 * status `to`: first a line of history ("result, message" as SQL over
 * the same parameters), then the status and `set`.  Only rows in a
 * status `ev` applies to move, and only to a status it may lead to
 * (outbox.h).  Returns how many, or -1. */
static int64_t move_rows(weir_store_conn *st, weir_outbox_event ev,
                         weir_outbox_status to, const char *history,
                         const char *set, const char *where, const char *t1,
                         const char *t2, const char *t3, int64_t i5)
{
    if (!(weir_outbox_to(ev) & WEIR_OUTBOX_BIT(to)))
        return -1;
    char from[SQ_STATUSES], log[1024], move[1024];
    sq__statuses(weir_outbox_from(ev), from, sizeof(from));
    snprintf(log, sizeof(log),
             "INSERT INTO attempts(outbox_id, at, result, message) SELECT id, "
             "?4, %s FROM outbox WHERE %s AND %s", history, from, where);
    snprintf(move, sizeof(move),
             "UPDATE outbox SET status = '%s', updated = ?4, %s WHERE %s AND %s",
             weir_outbox_status_name(to), set, from, where);
    const char *const sql[] = {log, move};
    return run_bound(st, sql, 2, t1, t2, t3, i5);
}

int64_t sq_outbox_supersede(weir_store_conn *st, const char *pipeline,
                                    const char *sink, const char *key,
                                    int64_t below, int64_t *inserts)
{
    char from[SQ_STATUSES], count[1024];
    snprintf(count, sizeof(count), "SELECT count(*) FROM outbox WHERE %s AND "
             SUPERSEDABLE " AND op = 'insert'",
             sq__statuses(weir_outbox_from(WEIR_OUTBOX_SUPERSEDE), from,
                          sizeof(from)));
    const char *const count_inserts[] = {count};
    /* the newest row goes as the key's insert when it never arrived */
    static const char *const newest_inserts[] = {
        "UPDATE outbox SET op = 'insert' WHERE id = (SELECT max(id) FROM "
        "outbox WHERE pipeline = ?1 AND sink = ?2 AND key = ?3) AND op = "
        "'update' AND " OPEN,
    };
    int64_t ins = run_bound(st, count_inserts, 1, pipeline, sink, key, below);
    if (ins < 0 || (ins > 0 && below < 0 &&
                    run_bound(st, newest_inserts, 1, pipeline, sink, key,
                              below) < 0))
        return -1;
    if (inserts)
        *inserts = ins;
    return move_rows(st, WEIR_OUTBOX_SUPERSEDE, WEIR_OUTBOX_SUPERSEDED,
                     "'superseded', 'a newer change of this key replaced it'",
                     "held_by = NULL, next_attempt = 0", SUPERSEDABLE,
                     pipeline, sink, key, below);
}

int64_t sq_outbox_drop_deletes(weir_store_conn *st, const char *pipeline,
                                       const char *why)
{
    /* not a delete another worker is sending right now (a live claim):
     * it may reach the target, and its answer must be recorded */
    return move_rows(st, WEIR_OUTBOX_IGNORE, WEIR_OUTBOX_DISCARDED,
                     "'discarded', ?2",
                     "held_by = NULL, next_attempt = 0, error = ?2",
                     "pipeline = ?1 AND op = 'delete' AND " OPEN " AND NOT "
                     "(status = 'in_flight' AND lease_until > ?4)",
                     pipeline, why, NULL, 0);
}

int64_t sq_outbox_next_due(weir_store_conn *st, const char *pipeline,
                                   const char *sink)
{
    sqlite3_stmt *s;
    /* Retries, and rows a target asked to hold for a while; rows held
     * for a down endpoint wait for its probe instead. */
    if (sqlite3_prepare_v2(st->db,
                           "SELECT min(next_attempt) FROM outbox WHERE " OPEN
                           " AND (status = 'retry' OR (status = 'held' AND "
                           "next_attempt > 0)) AND (?1 IS NULL OR "
                           "pipeline = ?1) AND (?2 IS NULL OR sink = ?2)",
                           -1, &s, NULL) != SQLITE_OK)
        return -1;
    sq__bind_text(s, 1, pipeline);
    sq__bind_text(s, 2, sink);
    int64_t when = -1;
    if (sqlite3_step(s) == SQLITE_ROW)
        when = sqlite3_column_int64(s, 0); /* NULL (none): 0 */
    sqlite3_finalize(s);
    return when;
}

/* Step `s` (rows of status, count) into counts[status]; finalizes it.
 * -1 unless every row was read: never a silently short answer. */
static int tally(sqlite3_stmt *s, uint64_t counts[WEIR_OUTBOX_NSTATUS])
{
    int step;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        int status = weir_outbox_status_parse(sq__text(s, 0));
        if (status >= 0)
            counts[status] = (uint64_t)sqlite3_column_int64(s, 1);
    }
    sqlite3_finalize(s);
    return step == SQLITE_DONE ? 0 : -1;
}

int sq_outbox_counts(weir_store_conn *st, const char *pipeline,
                             uint64_t counts[WEIR_OUTBOX_NSTATUS])
{
    memset(counts, 0, WEIR_OUTBOX_NSTATUS * sizeof(*counts));
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT status, count(*) FROM outbox WHERE "
                           "?1 IS NULL OR pipeline = ?1 GROUP BY status",
                           -1, &s, NULL) != SQLITE_OK)
        return -1;
    sq__bind_text(s, 1, pipeline);
    return tally(s, counts);
}

int sq_outbox_get(weir_store_conn *st, int64_t id,
                          int (*fn)(const weir_outbox_row *row, void *ctx),
                          int (*attempt)(const char *at, const char *result,
                                         const char *message, void *ctx),
                          void *ctx)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db, "SELECT " SQ_ROW_COLUMNS " FROM outbox WHERE id = ?1",
                           -1, &s, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(s, 1, id);
    int found = 0;
    if (sqlite3_step(s) == SQLITE_ROW) {
        weir_outbox_row row;
        sq__read_row(s, &row);
        fn(&row, ctx);
        found = 1;
    }
    sqlite3_finalize(s);
    if (!found)
        return 1;
    if (!attempt)
        return 0;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT at, result, message FROM attempts WHERE "
                           "outbox_id = ?1 ORDER BY rowid",
                           -1, &s, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(s, 1, id);
    int step;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        char at[32];
        weir_clock_iso(sqlite3_column_int64(s, 0), at, sizeof(at));
        attempt(at, sq__text(s, 1), sq__text_or_null(s, 2), ctx);
    }
    sqlite3_finalize(s);
    return step == SQLITE_DONE ? 0 : -1;
}

/* The rows a weir_outbox_filter picks, over parameters ?1..?7 (bound by
 * bind_filter): failed ones, and held ones when asked.  Repeats OPEN so
 * the partial indexes serve it.  An error class is the target's text,
 * also when retries ran out ("gave up after 5 attempts: TEXT"), so one
 * --error picks the class whatever the attempts were. */
#define PICKED                                                              \
    OPEN " AND %s AND (CASE WHEN ?1 > 0 THEN id = ?1 "                       \
    "ELSE pipeline = ?2 AND (?3 IS NULL OR sink = ?3) AND "                  \
    "(?4 IS NULL AND (?9 = 0 OR type IS NULL) OR type = ?4) AND "           \
    "(?5 IS NULL OR error = ?5 OR "                                          \
    "(error GLOB 'gave up after * attempts: *' AND "                         \
    "substr(error, instr(error, ' attempts: ') + 11) = ?5)) END)"

static void bind_filter(sqlite3_stmt *s, const weir_outbox_filter *f)
{
    sqlite3_bind_int64(s, 1, f->id);
    sq__bind_text(s, 2, f->pipeline);
    sq__bind_text(s, 3, f->sink);
    sq__bind_text(s, 4, f->type);
    sq__bind_text(s, 5, f->error);
    sqlite3_bind_int(s, 9, f->untyped != 0);
}

/* Run `fmt` (with %s: the statuses event `ev` applies to, and of those
 * failed ones, held ones too when f->held asks; PICKED rows (?1-?5, ?9),
 * ?6 the time now, ?8 a text) once; how many rows it changed, -1 on error. */
static int64_t change_picked(weir_store_conn *st, weir_outbox_event ev,
                             const char *fmt, const weir_outbox_filter *f,
                             int64_t now, const char *text)
{
    unsigned mask = weir_outbox_from(ev) &
                    (WEIR_OUTBOX_BIT(WEIR_OUTBOX_FAILED) |
                     (f->held ? WEIR_OUTBOX_BIT(WEIR_OUTBOX_HELD) : 0));
    char in[SQ_STATUSES], sql[1536];
    snprintf(sql, sizeof(sql), fmt, sq__statuses(mask, in, sizeof(in)));
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return -1;
    bind_filter(s, f);
    sqlite3_bind_int64(s, 6, now);
    sq__bind_text(s, 8, text);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? sqlite3_changes(st->db) : -1;
}

int64_t sq_outbox_resend(weir_store_conn *st, const weir_outbox_filter *f)
{
    if (f->id <= 0 && !f->pipeline)
        return -1;
    return change_picked(st, WEIR_OUTBOX_RESEND,
                         "UPDATE outbox SET status = 'pending', attempts = 0, "
                         "next_attempt = 0, held_by = NULL, updated = ?6 "
                         "WHERE " PICKED,
                         f, weir_clock_now_ms(), NULL);
}

int64_t sq_outbox_discard(weir_store_conn *st, const weir_outbox_filter *f,
                                  const char *why)
{
    if ((f->id <= 0 && !f->pipeline) || sq_begin(st))
        return -1;
    int64_t now = weir_clock_now_ms();
    int64_t n = change_picked(st, WEIR_OUTBOX_DISCARD,
                              "INSERT INTO attempts(outbox_id, at, result, "
                              "message) SELECT id, ?6, 'discarded', ?8 FROM "
                              "outbox WHERE " PICKED,
                              f, now, why);
    if (n >= 0)
        n = change_picked(st, WEIR_OUTBOX_DISCARD,
                          "UPDATE outbox SET status = 'discarded', "
                          "next_attempt = 0, held_by = NULL, updated = ?6 "
                          "WHERE " PICKED,
                          f, now, NULL);
    if (n < 0 || sq_commit(st)) {
        sq_rollback(st);
        return -1;
    }
    return n;
}

int sq_outbox_open_sinks(weir_store_conn *st, const char *pipeline,
                                 int (*fn)(const char *sink, int64_t rows,
                                           void *ctx),
                                 void *ctx)
{
    return sq__each_count(st,
                          "SELECT sink, count(*) FROM outbox WHERE pipeline "
                          "= ?1 AND " OPEN " GROUP BY sink ORDER BY sink",
                          pipeline, fn, ctx);
}

char *sq_outbox_pipeline(weir_store_conn *st, int64_t id)
{
    sqlite3_stmt *s;
    char *out = NULL;
    if (sqlite3_prepare_v2(st->db, "SELECT pipeline FROM outbox WHERE id = ?1",
                           -1, &s, NULL) != SQLITE_OK)
        return NULL;
    sqlite3_bind_int64(s, 1, id);
    if (sqlite3_step(s) == SQLITE_ROW)
        out = strdup(sq__text(s, 0));
    sqlite3_finalize(s);
    return out;
}

int sq_outbox_settled_since(weir_store_conn *st, const char *pipeline,
                                    int64_t when,
                                    uint64_t counts[WEIR_OUTBOX_NSTATUS])
{
    memset(counts, 0, WEIR_OUTBOX_NSTATUS * sizeof(*counts));
    sqlite3_stmt *s;
    char ended[SQ_STATUSES], sql[512];
    /* there at `when` (created by then), changed for the last time after */
    snprintf(sql, sizeof(sql),
             "SELECT status, count(*) FROM outbox WHERE pipeline = ?1 AND "
             "created <= ?2 AND updated > ?2 AND %s GROUP BY status",
             sq__statuses(weir_outbox_from(WEIR_OUTBOX_PRUNE), ended,
                          sizeof(ended)));
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return -1;
    sq__bind_text(s, 1, pipeline);
    sqlite3_bind_int64(s, 2, when);
    return tally(s, counts);
}

int sq_outbox_prune(weir_store_conn *st, int64_t before)
{
    /* with the status term, that of the partial index outbox_ended */
    char ended[SQ_STATUSES], sql[256];
    snprintf(sql, sizeof(sql), "DELETE FROM outbox WHERE %s AND updated < ?2",
             sq__statuses(weir_outbox_from(WEIR_OUTBOX_PRUNE), ended,
                          sizeof(ended)));
    return sq__exec_int(st, sql, NULL, before);
}

/* The transform holding a row, NULL for any other row. */
#define HOLDER "CASE WHEN status = 'held' AND held_by = stage THEN stage END"

int sq_monitor(weir_store_conn *st, const char *pipeline,
                       const char *status, const char *type,
                       int (*group)(const weir_monitor_group *g, void *ctx),
                       void *ctx)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(
            st->db,
            "SELECT pipeline, sink, type, status, error, count(*), "
            "min(created), max(created), " HOLDER " FROM outbox "
            "WHERE " OPEN " AND (?1 IS NULL OR pipeline = ?1) "
            "AND (?2 IS NULL OR status = ?2) AND (?3 IS NULL OR type = ?3) "
            "GROUP BY pipeline, sink, type, status, error, " HOLDER " "
            "ORDER BY pipeline, sink, type, status, min(id)",
            -1, &s, NULL) != SQLITE_OK)
        return -1;
    sq__bind_text(s, 1, pipeline);
    sq__bind_text(s, 2, status);
    sq__bind_text(s, 3, type);
    int rc = 0, step;
    while (!rc && (step = sqlite3_step(s)) == SQLITE_ROW) {
        weir_monitor_group g = {
            sq__text(s, 0),          sq__text(s, 1),
            sq__text_or_null(s, 2),  sq__text(s, 3),
            sq__text_or_null(s, 4),  sqlite3_column_int64(s, 5),
            sqlite3_column_int64(s, 6),      sqlite3_column_int64(s, 7),
            sq__text_or_null(s, 8),
        };
        rc = group(&g, ctx);
    }
    if (!rc && step != SQLITE_DONE)
        rc = -1;
    sqlite3_finalize(s);
    return rc;
}

int sq_monitor_records(weir_store_conn *st, const weir_monitor_group *g,
                               int (*fn)(const weir_outbox_row *row,
                                         void *ctx),
                               void *ctx)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT " SQ_ROW_COLUMNS " FROM outbox WHERE "
                           "pipeline = ?1 AND sink = ?2 AND type IS ?3 AND "
                           "status = ?4 AND error IS ?5 AND " HOLDER " IS ?6 "
                           "ORDER BY id",
                           -1, &s, NULL) != SQLITE_OK)
        return -1;
    sq__bind_text(s, 1, g->pipeline);
    sq__bind_text(s, 2, g->sink);
    sq__bind_text(s, 3, g->type);
    sq__bind_text(s, 4, g->status);
    sq__bind_text(s, 5, g->error);
    sq__bind_text(s, 6, g->held_by);
    int rc = each_row(s, fn, ctx);
    sqlite3_finalize(s);
    return rc;
}
