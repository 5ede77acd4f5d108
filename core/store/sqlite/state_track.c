/* state_track.c - change-tracking snapshots in the SQLite state backend. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "store/sqlite/state_int.h"

/* Remembered for the next call. */
int64_t sq__pipeline_id(weir_store_conn *st, const char *pipeline)
{
    if (st->pid_name && strcmp(st->pid_name, pipeline) == 0)
        return st->pid;
    const char *args[] = {pipeline};
    sqlite3_stmt *s = sq__prepare(
        st, "SELECT rowid FROM pipelines WHERE name = ?1", 1, args);
    int step = s ? sqlite3_step(s) : SQLITE_ERROR;
    int64_t id = step == SQLITE_ROW ? sqlite3_column_int64(s, 0)
                 : step == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(s);
    if (id > 0) {
        free(st->pid_name);
        st->pid_name = strdup(pipeline);
        st->pid = st->pid_name ? id : 0;
    }
    return id;
}

int64_t sq_snapshot_count(weir_store_conn *st, const char *pipeline)
{
    int64_t pid = sq__pipeline_id(st, pipeline), n = -1;
    sqlite3_stmt *s;
    if (pid <= 0)
        return pid; /* 0: never ran, an empty snapshot */
    if (sqlite3_prepare_v2(st->db, "SELECT count(*) FROM snapshots WHERE "
                                   "pid = ?1", -1, &s, NULL))
        return -1;
    sqlite3_bind_int64(s, 1, pid);
    if (sqlite3_step(s) == SQLITE_ROW)
        n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return n;
}

/* One integer column of the pipeline's track_state row, selected by
 * `sql` (?1: the pipeline): 0 when it has no row yet. */
static int track_state_int(weir_store_conn *st, const char *sql,
                           const char *pipeline, int64_t *out)
{
    const char *args[] = {pipeline};
    sqlite3_stmt *s = sq__prepare(st, sql, 1, args);
    int step = s ? sqlite3_step(s) : SQLITE_ERROR;
    *out = step == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_finalize(s);
    return step == SQLITE_ROW || step == SQLITE_DONE ? 0 : -1;
}

int sq_snapshot_generation(weir_store_conn *st, const char *pipeline,
                           int64_t *gen)
{
    return track_state_int(
        st, "SELECT generation FROM track_state WHERE pipeline = ?1",
        pipeline, gen);
}

/* A new generation, before the write: a crash between the two leaves a
 * new generation over the old rows (a cache rebuilt for nothing), never
 * the old one over new rows.  Random, so that a restored copy of the
 * state never matches a cache made from another history.  Until the
 * pipeline's first intent there is no row: generation 0, which no cache
 * is made for. */
static int new_generation(weir_store_conn *st, const char *pipeline)
{
    const char *args[] = {pipeline};
    return sq__exec(st, "UPDATE track_state SET generation = random() WHERE "
                        "pipeline = ?1", 1, args);
}

int sq_snapshot_each(weir_store_conn *st, const char *pipeline,
                             int (*fn)(const char *key, size_t len,
                                       uint64_t hash, uint64_t version,
                                       int doubt, void *ctx),
                             void *ctx)
{
    int64_t pid = sq__pipeline_id(st, pipeline);
    sqlite3_stmt *s;
    if (pid <= 0)
        return (int)pid; /* 0: never ran, an empty snapshot */
    if (sqlite3_prepare_v2(st->db,
                           "SELECT key, hash, version, CASE WHEN intent < 0 "
                           "OR intent > coalesce((SELECT settled FROM "
                           "track_state WHERE pipeline = ?2), 0) THEN op + 1 "
                           "ELSE 0 END FROM snapshots WHERE pid = ?1",
                           -1, &s, NULL))
        return -1;
    sqlite3_bind_int64(s, 1, pid);
    sqlite3_bind_text(s, 2, pipeline, -1, SQLITE_STATIC);
    int rc = 0, step;
    while (!rc && (step = sqlite3_step(s)) == SQLITE_ROW)
        rc = fn((const char *)sqlite3_column_text(s, 0),
                (size_t)sqlite3_column_bytes(s, 0),
                (uint64_t)sqlite3_column_int64(s, 1),
                (uint64_t)sqlite3_column_int64(s, 2),
                sqlite3_column_int(s, 3), ctx);
    if (!rc && step != SQLITE_DONE)
        rc = -1;
    sqlite3_finalize(s);
    return rc;
}

int64_t sq_intent_begin(weir_store_conn *st, const char *pipeline)
{
    const char *args[] = {pipeline};
    sqlite3_stmt *s = sq__prepare(
        st,
        "INSERT INTO track_state(pipeline, last_full_refresh, intent) "
        "VALUES (?1, 0, 1) ON CONFLICT(pipeline) DO UPDATE SET intent = "
        "intent + 1 RETURNING intent",
        1, args);
    int64_t intent = -1;
    if (s && sqlite3_step(s) == SQLITE_ROW) {
        intent = sqlite3_column_int64(s, 0);
        if (sqlite3_step(s) != SQLITE_DONE)
            intent = -1;
    }
    sqlite3_finalize(s);
    return intent;
}

int sq_snapshot_put(weir_store_conn *st, const char *pipeline,
                    const weir_snapshot_entry *e, size_t n, int64_t intent)
{
    int64_t pid = sq__pipeline_id(st, pipeline);
    sqlite3_stmt *s = pid <= 0 ? NULL
                               : sq__cached(
                                 st, &st->snap_put,
                                 "INSERT INTO snapshots(pid, key, hash, "
                                 "version, intent, op) VALUES (?1, ?2, ?3, ?4, "
                                 "?5, ?6) ON CONFLICT(pid, key) DO UPDATE SET "
                                 "hash = excluded.hash, version = "
                                 "excluded.version, intent = excluded.intent, "
                                 "op = excluded.op");
    if (!s || (n && new_generation(st, pipeline)))
        return -1;
    for (size_t i = 0; i < n; i++) {
        sqlite3_reset(s);
        sqlite3_bind_int64(s, 1, pid);
        sqlite3_bind_text(s, 2, e[i].key, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, (sqlite3_int64)e[i].hash);
        sqlite3_bind_int64(s, 4, (sqlite3_int64)e[i].version);
        sqlite3_bind_int64(s, 5, intent);
        sqlite3_bind_int(s, 6, e[i].op);
        if (sqlite3_step(s) != SQLITE_DONE)
            return -1;
    }
    return 0;
}

int sq_intent_settle(weir_store_conn *st, const char *pipeline,
                             int64_t intent)
{
    return new_generation(st, pipeline) ||
           sq__exec_int(st, "UPDATE track_state SET settled = "
                            "max(settled, ?2) WHERE pipeline = ?1",
                        pipeline, intent);
}

int sq_snapshot_doubt(weir_store_conn *st, const char *pipeline,
                              const char *key)
{
    int64_t pid = sq__pipeline_id(st, pipeline);
    sqlite3_stmt *s = sq__prepare(
        st, "UPDATE snapshots SET intent = -1 WHERE pid = ?1 AND key = ?2", 0,
        NULL);
    if (pid <= 0 || !s || new_generation(st, pipeline)) {
        sqlite3_finalize(s);
        return -1;
    }
    sqlite3_bind_int64(s, 1, pid);
    sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

int64_t sq_snapshot_recover(weir_store_conn *st, const char *pipeline)
{
    int64_t pid = sq__pipeline_id(st, pipeline);
    if (pid <= 0)
        return pid; /* 0: never ran, nothing in doubt */
    /* Only after a run that died is there anything to do: then one scan
     * of the pipeline's snapshot. */
    sqlite3_stmt *s = sq__prepare(
        st, "SELECT settled FROM track_state WHERE pipeline = ?1 AND "
            "intent > settled", 0, NULL);
    if (!s)
        return -1;
    sqlite3_bind_text(s, 1, pipeline, -1, SQLITE_STATIC);
    int step = sqlite3_step(s);
    int64_t settled = step == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_finalize(s);
    if (step == SQLITE_DONE)
        return 0;
    if (step != SQLITE_ROW || sq_begin(st))
        return -1;
    if (new_generation(st, pipeline)) {
        sq_rollback(st);
        return -1;
    }
    int64_t n = -1;
    s = sq__prepare(st, "UPDATE snapshots SET intent = -1 WHERE "
                                "pid = ?1 AND intent > ?2", 0, NULL);
    if (s) {
        sqlite3_bind_int64(s, 1, pid);
        sqlite3_bind_int64(s, 2, settled);
        if (sqlite3_step(s) == SQLITE_DONE)
            n = sqlite3_changes(st->db);
        sqlite3_finalize(s);
    }
    const char *args[] = {pipeline};
    if (n < 0 ||
        sq__exec(st, "UPDATE track_state SET settled = intent WHERE "
                             "pipeline = ?1", 1, args) ||
        sq_commit(st)) {
        sq_rollback(st);
        return -1;
    }
    return n;
}

int sq_last_full_refresh(weir_store_conn *st, const char *pipeline,
                                 int64_t *when_ms)
{
    return track_state_int(
        st, "SELECT last_full_refresh FROM track_state WHERE pipeline = ?1",
        pipeline, when_ms);
}

int sq_set_last_full_refresh(weir_store_conn *st, const char *pipeline,
                                     int64_t when_ms)
{
    return sq__exec_int(
        st, "INSERT INTO track_state(pipeline, last_full_refresh) VALUES "
            "(?1, ?2) ON CONFLICT(pipeline) DO UPDATE SET last_full_refresh = "
            "excluded.last_full_refresh",
        pipeline, when_ms);
}

int sq_track_values_put(weir_store_conn *st, const char *pipeline,
                        const weir_track_values *v, size_t n)
{
    int64_t pid = sq__pipeline_id(st, pipeline);
    if (pid <= 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        sqlite3_stmt *s =
            v[i].blob ? sq__cached(st, &st->tv_put,
                                   "INSERT INTO track_values(pid, key, hash, "
                                   "vals) VALUES (?1, ?2, ?3, ?4) ON "
                                   "CONFLICT(pid, key) DO UPDATE SET hash = "
                                   "excluded.hash, vals = excluded.vals")
                      : sq__cached(st, &st->tv_del,
                                   "DELETE FROM track_values WHERE pid = ?1 "
                                   "AND key = ?2");
        if (!s)
            return -1;
        sqlite3_bind_int64(s, 1, pid);
        sqlite3_bind_text(s, 2, v[i].key, -1, SQLITE_STATIC);
        if (v[i].blob) {
            sqlite3_bind_int64(s, 3, (sqlite3_int64)v[i].hash);
            sqlite3_bind_blob(s, 4, v[i].len ? v[i].blob : "", (int)v[i].len,
                              SQLITE_STATIC);
        }
        int rc = sqlite3_step(s);
        sqlite3_reset(s);
        if (rc != SQLITE_DONE)
            return -1;
    }
    return 0;
}

int sq_track_values_get(weir_store_conn *st, const char *pipeline,
                        const char *const *keys, size_t n,
                        int (*fn)(size_t i, const void *blob, size_t len,
                                  void *ctx),
                        void *ctx)
{
    int64_t pid = sq__pipeline_id(st, pipeline);
    if (pid <= 0)
        return (int)pid; /* 0: never ran, nothing kept */
    /* Only the values of the snapshot value as it stands: those of a
     * value whose intent never came, or from before changes="none", are
     * of no use. */
    sqlite3_stmt *s = sq__cached(
        st, &st->tv_get,
        "SELECT v.vals FROM track_values v JOIN snapshots s ON s.pid = v.pid "
        "AND s.key = v.key AND s.hash = v.hash WHERE v.pid = ?1 AND "
        "v.key = ?2");
    int rc = s ? 0 : -1;
    for (size_t i = 0; !rc && i < n; i++) {
        sqlite3_reset(s);
        sqlite3_bind_int64(s, 1, pid);
        sqlite3_bind_text(s, 2, keys[i], -1, SQLITE_STATIC);
        int step = sqlite3_step(s);
        if (step == SQLITE_ROW)
            rc = fn(i, sqlite3_column_blob(s, 0),
                    (size_t)sqlite3_column_bytes(s, 0), ctx);
        else if (step != SQLITE_DONE)
            rc = -1;
    }
    if (s)
        sqlite3_reset(s);
    return rc;
}

int64_t sq_track_values_clear(weir_store_conn *st, const char *pipeline)
{
    int64_t pid = sq__pipeline_id(st, pipeline);
    if (pid <= 0)
        return pid;
    sqlite3_stmt *s = sq__prepare(
        st, "DELETE FROM track_values WHERE pid = ?1", 0, NULL);
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, pid);
    int64_t n = sqlite3_step(s) == SQLITE_DONE ? sqlite3_changes(st->db) : -1;
    sqlite3_finalize(s);
    return n;
}
