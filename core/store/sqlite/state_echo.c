/* state_echo.c - echo suppression in the SQLite state backend: what weir
 * wrote into each system, and the per-field hashes of tracked keys. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "store/sqlite/state_int.h"

int sq_echo_put(weir_store_conn *st, const char *system, const char *entity,
                const char *key, const weir_echo_field *f, size_t n)
{
    sqlite3_stmt *s = sq__cached(
        st, &st->echo_put,
        "INSERT INTO echo_written(system, entity, key, field, hash, at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(system, entity, key, "
        "field) DO UPDATE SET hash = excluded.hash, at = excluded.at");
    if (!s)
        return -1;
    int64_t now = weir_clock_now_ms();
    for (size_t i = 0; i < n; i++) {
        sqlite3_reset(s);
        sqlite3_bind_text(s, 1, system, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, entity, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, key, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 4, f[i].field, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 5, (sqlite3_int64)f[i].hash);
        sqlite3_bind_int64(s, 6, now);
        if (sqlite3_step(s) != SQLITE_DONE)
            return -1;
    }
    return 0;
}

int sq_echo_each(weir_store_conn *st, const char *system, const char *entity,
                 const char *key,
                 int (*fn)(const char *field, uint64_t hash, void *ctx),
                 void *ctx)
{
    sqlite3_stmt *s = sq__cached(
        st, &st->echo_get,
        "SELECT field, hash FROM echo_written WHERE system = ?1 AND "
        "entity = ?2 AND key = ?3");
    if (!s)
        return -1;
    sqlite3_bind_text(s, 1, system, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, entity, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, key, -1, SQLITE_STATIC);
    int rc = 0, step;
    while (!rc && (step = sqlite3_step(s)) == SQLITE_ROW)
        rc = fn(sq__text(s, 0), (uint64_t)sqlite3_column_int64(s, 1), ctx);
    if (!rc && step != SQLITE_DONE)
        rc = -1;
    sqlite3_reset(s);
    return rc;
}

int sq_track_fields_put(weir_store_conn *st, const char *pipeline,
                        const char *key, uint64_t hash, const void *blob,
                        size_t len)
{
    int64_t pid = sq__pipeline_id(st, pipeline);
    sqlite3_stmt *s =
        pid <= 0 ? NULL
                 : sq__cached(st, &st->tf_put,
                              "INSERT INTO track_fields(pid, key, hash, "
                              "fields) VALUES (?1, ?2, ?3, ?4) ON "
                              "CONFLICT(pid, key) DO UPDATE SET hash = "
                              "excluded.hash, fields = excluded.fields");
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, pid);
    sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, (sqlite3_int64)hash);
    sqlite3_bind_blob(s, 4, len ? blob : "", (int)len, SQLITE_STATIC);
    int rc = sqlite3_step(s) == SQLITE_DONE ? 0 : -1;
    sqlite3_reset(s);
    return rc;
}

int sq_track_fields_get(weir_store_conn *st, const char *pipeline,
                        const char *key, void **blob, size_t *len)
{
    *blob = NULL;
    *len = 0;
    int64_t pid = sq__pipeline_id(st, pipeline);
    if (pid <= 0)
        return (int)pid; /* 0: never ran */
    /* Only field hashes of the value the snapshot holds now: those of a
     * value whose intent never came are of no use. */
    sqlite3_stmt *s = sq__cached(
        st, &st->tf_get,
        "SELECT f.fields FROM track_fields f JOIN snapshots s ON s.pid = "
        "f.pid AND s.key = f.key AND s.hash = f.hash WHERE f.pid = ?1 AND "
        "f.key = ?2");
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, pid);
    sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
    int step = sqlite3_step(s), rc = step == SQLITE_DONE ? 0 : -1;
    if (step == SQLITE_ROW) {
        int n = sqlite3_column_bytes(s, 0);
        const void *b = sqlite3_column_blob(s, 0);
        rc = (*blob = malloc(n ? (size_t)n : 1)) ? 1 : -1;
        if (rc == 1) {
            if (n)
                memcpy(*blob, b, (size_t)n);
            *len = (size_t)n;
        }
    }
    sqlite3_reset(s);
    return rc;
}
