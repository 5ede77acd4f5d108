/* state_track.c - change-tracking snapshots in the SQLite state backend. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "state_int.h"

/* The rowid of `pipeline` in `pipelines` (snapshots are keyed by it),
 * remembered for the next call; 0 when the pipeline never ran. */
static int64_t pipeline_id(weir_state *st, const char *pipeline)
{
    if (st->pid_name && strcmp(st->pid_name, pipeline) == 0)
        return st->pid;
    const char *args[] = {pipeline};
    sqlite3_stmt *s = weir_state__prepare(
        st, "SELECT rowid FROM pipelines WHERE name = ?1", 1, args);
    int64_t id = s && sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0)
                                                    : 0;
    sqlite3_finalize(s);
    if (id) {
        free(st->pid_name);
        st->pid_name = strdup(pipeline);
        st->pid = st->pid_name ? id : 0;
    }
    return id;
}

int64_t weir_state_snapshot_count(weir_state *st, const char *pipeline)
{
    int64_t pid = pipeline_id(st, pipeline), n = 0;
    sqlite3_stmt *s;
    if (!pid || sqlite3_prepare_v2(st->db, "SELECT count(*) FROM snapshots "
                                           "WHERE pid = ?1", -1, &s, NULL))
        return 0;
    sqlite3_bind_int64(s, 1, pid);
    if (sqlite3_step(s) == SQLITE_ROW)
        n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return n;
}

int weir_state_snapshot_each(weir_state *st, const char *pipeline,
                             int (*fn)(const char *key, size_t len,
                                       uint64_t hash, uint32_t version,
                                       void *ctx),
                             void *ctx)
{
    int64_t pid = pipeline_id(st, pipeline);
    sqlite3_stmt *s;
    if (!pid)
        return 0; /* never ran: an empty snapshot */
    if (sqlite3_prepare_v2(st->db, "SELECT key, hash, version FROM snapshots "
                                   "WHERE pid = ?1", -1, &s, NULL))
        return -1;
    sqlite3_bind_int64(s, 1, pid);
    int rc = 0, step;
    while (!rc && (step = sqlite3_step(s)) == SQLITE_ROW)
        rc = fn((const char *)sqlite3_column_text(s, 0),
                (size_t)sqlite3_column_bytes(s, 0),
                (uint64_t)sqlite3_column_int64(s, 1),
                (uint32_t)sqlite3_column_int64(s, 2), ctx);
    if (!rc && step != SQLITE_DONE)
        rc = -1;
    sqlite3_finalize(s);
    return rc;
}

int weir_state_snapshot_put(weir_state *st, const char *pipeline,
                            const char *key, uint64_t hash, uint64_t version,
                            int staged)
{
    int64_t pid = pipeline_id(st, pipeline);
    sqlite3_stmt *s = !pid ? NULL
                      : staged
                          ? weir_state__cached(
                                st, &st->snap_stage,
                                "INSERT INTO snapshot_stage(pid, key, hash, "
                                "version) VALUES (?1, ?2, ?3, ?4) ON CONFLICT("
                                "pid, key) DO UPDATE SET hash = excluded.hash, "
                                "version = excluded.version")
                          : weir_state__cached(
                                st, &st->snap_put,
                                "INSERT INTO snapshots(pid, key, hash, version) "
                                "VALUES (?1, ?2, ?3, ?4) ON CONFLICT(pid, key) "
                                "DO UPDATE SET hash = excluded.hash, version = "
                                "excluded.version");
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, pid);
    sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, (sqlite3_int64)hash);
    sqlite3_bind_int64(s, 4, (sqlite3_int64)version);
    return sqlite3_step(s) == SQLITE_DONE ? 0 : -1;
}

static int stage_sql(weir_state *st, const char *pipeline, const char *sql)
{
    int64_t pid = pipeline_id(st, pipeline);
    sqlite3_stmt *s;
    if (!pid)
        return 0;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(s, 1, pid);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

int weir_state_snapshot_publish(weir_state *st, const char *pipeline)
{
    return stage_sql(st, pipeline,
                     "INSERT INTO snapshots(pid, key, hash, version) SELECT "
                     "pid, key, hash, version FROM snapshot_stage WHERE "
                     "pid = ?1 ON CONFLICT(pid, key) DO UPDATE SET hash = "
                     "excluded.hash, version = excluded.version") ||
           weir_state_snapshot_discard(st, pipeline);
}

int weir_state_snapshot_discard(weir_state *st, const char *pipeline)
{
    return stage_sql(st, pipeline,
                     "DELETE FROM snapshot_stage WHERE pid = ?1");
}

int64_t weir_state_last_full_refresh(weir_state *st, const char *pipeline)
{
    const char *args[] = {pipeline};
    sqlite3_stmt *s = weir_state__prepare(
        st, "SELECT last_full_refresh FROM track_state WHERE pipeline = ?1", 1,
        args);
    int64_t when = 0;
    if (s && sqlite3_step(s) == SQLITE_ROW)
        when = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return when;
}

int weir_state_set_last_full_refresh(weir_state *st, const char *pipeline,
                                     int64_t when_ms)
{
    sqlite3_stmt *s = weir_state__prepare(
        st,
        "INSERT INTO track_state(pipeline, last_full_refresh) VALUES (?1, ?2) "
        "ON CONFLICT(pipeline) DO UPDATE SET last_full_refresh = "
        "excluded.last_full_refresh",
        0, NULL);
    if (!s)
        return -1;
    sqlite3_bind_text(s, 1, pipeline, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, when_ms);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : -1;
}
