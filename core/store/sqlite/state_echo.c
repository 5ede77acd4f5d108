/* state_echo.c - echo suppression in the SQLite state backend: what weir
 * wrote into each system, and the per-field hashes of tracked keys. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "store/sqlite/state_int.h"

int sq_echo_put(weir_store_conn *st, const char *system, const char *entity,
                const char *key, const void *blob, size_t len)
{
    sqlite3_stmt *s = sq__cached(
        st, &st->echo_put,
        "INSERT INTO echo_written(system, entity, key, fields, at) VALUES "
        "(?1, ?2, ?3, ?4, ?5) ON CONFLICT(system, entity, key) DO UPDATE "
        "SET fields = excluded.fields, at = excluded.at");
    if (!s)
        return -1;
    sqlite3_bind_text(s, 1, system, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, entity, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, key, -1, SQLITE_STATIC);
    sqlite3_bind_blob(s, 4, len ? blob : "", (int)len, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, weir_clock_now_ms());
    int rc = sqlite3_step(s) == SQLITE_DONE ? 0 : -1;
    sqlite3_reset(s);
    return rc;
}

/* The blob in the first column of the row `s` (bound) finds: 1 with a
 * copy in *blob, 0 no row, -1 on error. */
static int read_blob(sqlite3_stmt *s, void **blob, size_t *len)
{
    *blob = NULL;
    *len = 0;
    int step = sqlite3_step(s), rc = step == SQLITE_DONE ? 0 : -1;
    if (step == SQLITE_ROW) {
        int n = sqlite3_column_bytes(s, 0);
        const void *b = sqlite3_column_blob(s, 0);
        rc = (*blob = malloc(n ? (size_t)n : 1)) ? 1 : -1;
        if (rc == 1 && n)
            memcpy(*blob, b, (size_t)n);
        *len = rc == 1 ? (size_t)n : 0;
    }
    sqlite3_reset(s);
    return rc;
}

int sq_echo_get(weir_store_conn *st, const char *system, const char *entity,
                const char *key, void **blob, size_t *len)
{
    sqlite3_stmt *s = sq__cached(
        st, &st->echo_get,
        "SELECT fields FROM echo_written WHERE system = ?1 AND entity = ?2 "
        "AND key = ?3");
    *blob = NULL;
    *len = 0;
    if (!s)
        return -1;
    sqlite3_bind_text(s, 1, system, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, entity, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, key, -1, SQLITE_STATIC);
    return read_blob(s, blob, len);
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
    return read_blob(s, blob, len);
}
