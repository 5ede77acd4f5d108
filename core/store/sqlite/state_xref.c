/*
 * state_xref.c - the cross-reference store (xref.h) in the SQLite state
 * backend.
 *
 * A link is one row of xref_links with its ends ordered (a_system <
 * b_system); the two UNIQUE constraints of migration 6 keep it one to one
 * in each direction, whatever another process writes.  Writers run in an
 * IMMEDIATE transaction (xref.c opens one when the caller has none), so
 * the checks before a write see what every other writer committed, and
 * seq (AUTOINCREMENT: never reused) grows in commit order.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "store/sqlite/state_int.h"

#define XL_COLUMNS "seq, entity, a_system, a_id, b_system, b_id, origin, created"

static int64_t now_s(void) { return weir_clock_now_ms() / 1000; }

/* The link of the row at column `col` of `s` (XL_COLUMNS). (borrowed) */
static void read_link(sqlite3_stmt *s, int col, weir_xref_link *l)
{
    l->seq = sqlite3_column_int64(s, col);
    l->entity = sq__text(s, col + 1);
    l->a.system = sq__text(s, col + 2);
    l->a.id = sq__text(s, col + 3);
    l->b.system = sq__text(s, col + 4);
    l->b.id = sq__text(s, col + 5);
    if (weir_xref_origin_parse(sq__text(s, col + 6), &l->origin))
        l->origin = WEIR_XREF_MANUAL;
    l->created = sqlite3_column_int64(s, col + 7);
}

/* weir_xref_check() into the connection's error. */
static int check(weir_store_conn *st, const char *entity,
                 const weir_xref_end *ends, size_t n)
{
    return weir_xref_check(entity, ends, n, &st->err);
}

/* The link of `end` to system `other`: 0 with *out on its row (owned:
 * sqlite3_finalize), 1 none, -1 error.  One query per side, so each uses
 * its UNIQUE index. */
static int link_of(weir_store_conn *st, const char *entity,
                   weir_xref_end end, const char *other, sqlite3_stmt **out)
{
    int end_is_a = strcmp(end.system, other) < 0;
    const char *args[] = {entity, end.system, end.id, other};
    *out = sq__prepare(st, end_is_a
                               ? "SELECT " XL_COLUMNS " FROM xref_links WHERE "
                                 "entity = ?1 AND a_system = ?2 AND a_id = ?3 "
                                 "AND b_system = ?4"
                               : "SELECT " XL_COLUMNS " FROM xref_links WHERE "
                                 "entity = ?1 AND b_system = ?2 AND b_id = ?3 "
                                 "AND a_system = ?4",
                       4, args);
    int step = *out ? sqlite3_step(*out) : SQLITE_ERROR;
    if (step == SQLITE_ROW)
        return 0;
    sqlite3_finalize(*out);
    *out = NULL;
    return step == SQLITE_DONE ? 1 : -1;
}

/* The end of `l` that is not of `system`. */
static weir_xref_end other_end(const weir_xref_link *l, const char *system)
{
    return strcmp(l->a.system, system) == 0 ? l->b : l->a;
}

/* Is the link on row `s` the link a <-> b? */
static int is_link(sqlite3_stmt *s, weir_xref_end a, weir_xref_end b)
{
    weir_xref_link l;
    read_link(s, 0, &l);
    return strcmp(other_end(&l, a.system).id, b.id) == 0 &&
           strcmp(other_end(&l, b.system).id, a.id) == 0;
}

int sq_xref_get(weir_store_conn *st, const char *entity, weir_xref_end from,
                const char *to_system, char **id)
{
    *id = NULL;
    weir_xref_end to = {to_system, "-"};
    if (check(st, entity, &from, 1) || check(st, entity, &to, 1))
        return -1;
    if (strcmp(from.system, to_system) == 0)
        return 1; /* no link joins a system to itself */
    sqlite3_stmt *s;
    int rc = link_of(st, entity, from, to_system, &s);
    if (rc == 0) {
        weir_xref_link l;
        read_link(s, 0, &l);
        if (!(*id = strdup(other_end(&l, from.system).id)))
            rc = -1;
        sqlite3_finalize(s);
    }
    return rc;
}

/* Refuse because of the link on row `s`, seen from `end`. */
static void refuse(weir_store_conn *st, const char *entity,
                   weir_xref_end end, sqlite3_stmt *s)
{
    weir_xref_link l;
    read_link(s, 0, &l);
    weir_xref_end other = other_end(&l, end.system);
    time_t t = (time_t)l.created;
    struct tm tm;
    char when[32] = "";
    if (gmtime_r(&t, &tm))
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
    weir_error_set(&st->err, WEIR_ERR_REFUSED, "%s %s:%s is already linked to "
                   "%s:%s (%s, %s)", entity, end.system, end.id, other.system,
                   other.id, weir_xref_origin_name(l.origin), when);
}

static int insert(weir_store_conn *st, const char *entity, weir_xref_end a,
                  weir_xref_end b, weir_xref_origin origin)
{
    if (strcmp(a.system, b.system) > 0) {
        weir_xref_end t = a;
        a = b;
        b = t;
    }
    const char *args[] = {entity, a.system, a.id, b.system, b.id,
                          weir_xref_origin_name(origin)};
    sqlite3_stmt *s = sq__prepare(
        st, "INSERT INTO xref_links(entity, a_system, a_id, b_system, b_id, "
            "origin, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", 6, args);
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 7, now_s());
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

int sq_xref_add(weir_store_conn *st, const char *entity, weir_xref_end a,
                weir_xref_end b, weir_xref_origin origin)
{
    weir_xref_end ends[] = {a, b};
    if (check(st, entity, ends, 2))
        return -1;
    for (int i = 0; i < 2; i++) {
        sqlite3_stmt *s;
        int rc = link_of(st, entity, ends[i], ends[1 - i].system, &s);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            int same = is_link(s, a, b);
            if (!same)
                refuse(st, entity, ends[i], s);
            sqlite3_finalize(s);
            return same ? 1 : -1;
        }
    }
    return insert(st, entity, a, b, origin);
}

/* Move link `seq` into the history as `action` with `note`, and delete
 * it.  0, or -1. */
static int retire(weir_store_conn *st, int64_t seq, const char *action,
                  const char *note)
{
    const char *args[] = {action, note};
    sqlite3_stmt *s = sq__prepare(
        st, "INSERT INTO xref_history(at, action, note, seq, entity, "
            "a_system, a_id, b_system, b_id, origin, created) SELECT ?4, ?1, "
            "?2, seq, entity, a_system, a_id, b_system, b_id, origin, created "
            "FROM xref_links WHERE seq = ?3", 2, args);
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 3, seq);
    sqlite3_bind_int64(s, 4, now_s());
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return -1;
    if (!(s = sq__prepare(st, "DELETE FROM xref_links WHERE seq = ?1", 0,
                          NULL)))
        return -1;
    sqlite3_bind_int64(s, 1, seq);
    rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

int sq_xref_merge(weir_store_conn *st, const char *entity, weir_xref_end a,
                  weir_xref_end b)
{
    weir_xref_end ends[] = {a, b};
    if (check(st, entity, ends, 2))
        return -1;
    char note[1024];
    snprintf(note, sizeof(note), "%s:%s <-> %s:%s", a.system, a.id, b.system,
             b.id);
    for (int i = 0; i < 2; i++) {
        sqlite3_stmt *s;
        int rc = link_of(st, entity, ends[i], ends[1 - i].system, &s);
        if (rc < 0)
            return -1;
        if (rc == 1)
            continue;
        int same = is_link(s, a, b);
        int64_t seq = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
        if (same)
            return 0; /* the merge is already there */
        if (retire(st, seq, "replaced", note))
            return -1;
    }
    return insert(st, entity, a, b, WEIR_XREF_MERGED);
}

int64_t sq_xref_remove(weir_store_conn *st, const char *entity,
                       weir_xref_end end)
{
    if (check(st, entity, &end, 1))
        return -1;
    const char *args[] = {entity, end.system, end.id};
    const char *where = "entity = ?1 AND ((a_system = ?2 AND a_id = ?3) OR "
                        "(b_system = ?2 AND b_id = ?3))";
    char sql[512];
    snprintf(sql, sizeof(sql),
             "INSERT INTO xref_history(at, action, seq, entity, a_system, "
             "a_id, b_system, b_id, origin, created) SELECT ?4, 'removed', "
             "seq, entity, a_system, a_id, b_system, b_id, origin, created "
             "FROM xref_links WHERE %s ORDER BY seq", where);
    sqlite3_stmt *s = sq__prepare(st, sql, 3, args);
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 4, now_s());
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return -1;
    snprintf(sql, sizeof(sql), "DELETE FROM xref_links WHERE %s", where);
    if (sq__exec(st, sql, 3, args))
        return -1;
    return sqlite3_changes(st->db);
}

/* Is `id` an id of `system` in any link of `entity`?  1, 0, or -1. */
static int id_taken(sqlite3_stmt *s, const char *id)
{
    sqlite3_reset(s);
    sqlite3_bind_text(s, 3, id, -1, SQLITE_TRANSIENT);
    int step = sqlite3_step(s);
    return step == SQLITE_ROW ? 1 : step == SQLITE_DONE ? 0 : -1;
}

char *sq_xref_generate(weir_store_conn *st, const char *entity,
                       const char *system, const char *prefix, int digits)
{
    weir_xref_end end = {system, "-"};
    if (check(st, entity, &end, 1))
        return NULL;
    if (digits < 1 || digits > 18) {
        weir_error_set(&st->err, WEIR_ERR_USAGE, "xref: digits %d: from 1 "
                       "to 18", digits);
        return NULL;
    }
    if (!sq_in_transaction(st)) {
        /* the sequence must be read and moved under the write lock */
        weir_error_set(&st->err, WEIR_ERR_USAGE, "xref: generate outside "
                       "a transaction");
        return NULL;
    }
    const char *args[] = {entity, system, prefix};
    sqlite3_stmt *seq = sq__prepare(
        st, "SELECT next FROM xref_sequences WHERE entity = ?1 AND system = "
            "?2 AND prefix = ?3", 3, args);
    int step = seq ? sqlite3_step(seq) : SQLITE_ERROR;
    int64_t n = step == SQLITE_ROW ? sqlite3_column_int64(seq, 0) : 1;
    sqlite3_finalize(seq);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return NULL;
    sqlite3_stmt *taken = sq__prepare(
        st, "SELECT 1 FROM xref_links WHERE entity = ?1 AND a_system = ?2 "
            "AND a_id = ?3 UNION ALL SELECT 1 FROM xref_links WHERE entity = "
            "?1 AND b_system = ?2 AND b_id = ?3 LIMIT 1", 2, args);
    if (!taken)
        return NULL;
    size_t size = strlen(prefix) + 24;
    char *id = malloc(size);
    int rc = id ? 1 : -1;
    for (; rc == 1; n++) {
        snprintf(id, size, "%s%0*lld", prefix, digits, (long long)n);
        rc = id_taken(taken, id);
    }
    sqlite3_finalize(taken);
    if (rc != 0) {
        free(id);
        return NULL;
    }
    /* n is one past the id handed out */
    sqlite3_stmt *next = sq__prepare(
        st, "INSERT INTO xref_sequences(entity, system, prefix, next) VALUES "
            "(?1, ?2, ?3, ?4) ON CONFLICT(entity, system, prefix) DO UPDATE "
            "SET next = excluded.next", 3, args);
    step = next ? (sqlite3_bind_int64(next, 4, n), sqlite3_step(next))
                : SQLITE_ERROR;
    sqlite3_finalize(next);
    if (step != SQLITE_DONE) {
        free(id);
        return NULL;
    }
    return id;
}

/* Step `s` (XL_COLUMNS) calling fn with each link, turned so that
 * a.system is `first` when given, *last (nullable) the seq of the last
 * fn returned 0 for; finalizes s.  0, fn's value, or -1. */
static int each_link(sqlite3_stmt *s, const char *first,
                     int (*fn)(const weir_xref_link *link, void *ctx),
                     void *ctx, int64_t *last)
{
    int rc = 0, step;
    while (!rc && (step = sqlite3_step(s)) == SQLITE_ROW) {
        weir_xref_link l;
        read_link(s, 0, &l);
        if (first && strcmp(l.a.system, first) != 0) {
            weir_xref_end t = l.a;
            l.a = l.b;
            l.b = t;
        }
        if (!(rc = fn(&l, ctx)) && last)
            *last = l.seq;
    }
    if (!rc && step != SQLITE_DONE)
        rc = -1;
    sqlite3_finalize(s);
    return rc;
}

int sq_xref_each(weir_store_conn *st, const char *entity, const char *system,
                 int (*fn)(const weir_xref_link *link, void *ctx), void *ctx)
{
    sqlite3_stmt *s = sq__prepare(
        st, "SELECT " XL_COLUMNS " FROM xref_links WHERE (?1 IS NULL OR "
            "entity = ?1) AND (?2 IS NULL OR a_system = ?2 OR b_system = ?2) "
            "ORDER BY entity, a_system, a_id, b_system", 0, NULL);
    if (!s)
        return -1;
    sq__bind_text(s, 1, entity);
    sq__bind_text(s, 2, system);
    return each_link(s, NULL, fn, ctx, NULL);
}

int sq_xref_each_since(weir_store_conn *st, const char *entity,
                       const char *system, const char *to_system,
                       int64_t after, int64_t *last,
                       int (*fn)(const weir_xref_link *link, void *ctx),
                       void *ctx)
{
    *last = after;
    weir_xref_end from = {system, "-"}, to = {to_system, "-"};
    if (check(st, entity, &from, 1) || check(st, entity, &to, 1))
        return -1;
    const char *args[] = {entity, system, to_system};
    sqlite3_stmt *s = sq__prepare(
        st, "SELECT " XL_COLUMNS " FROM xref_links WHERE seq > ?4 AND "
            "entity = ?1 AND ((a_system = ?2 AND b_system = ?3) OR "
            "(a_system = ?3 AND b_system = ?2)) ORDER BY seq", 3, args);
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 4, after);
    return each_link(s, system, fn, ctx, last);
}

int sq_xref_history(weir_store_conn *st, const char *entity,
                    int (*fn)(const weir_xref_event *e, void *ctx), void *ctx)
{
    sqlite3_stmt *s = sq__prepare(
        st, "SELECT action, at, note, " XL_COLUMNS " FROM xref_history "
            "WHERE ?1 IS NULL OR entity = ?1 ORDER BY id", 0, NULL);
    if (!s)
        return -1;
    sq__bind_text(s, 1, entity);
    int rc = 0, step;
    while (!rc && (step = sqlite3_step(s)) == SQLITE_ROW) {
        weir_xref_event e = {.action = sq__text(s, 0),
                             .at = sqlite3_column_int64(s, 1),
                             .note = sq__text_or_null(s, 2)};
        read_link(s, 3, &e.link);
        rc = fn(&e, ctx);
    }
    if (!rc && step != SQLITE_DONE)
        rc = -1;
    sqlite3_finalize(s);
    return rc;
}
