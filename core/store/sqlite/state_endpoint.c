/* state_endpoint.c - endpoint health in the SQLite state backend. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "store/sqlite/state_int.h"

static void read_endpoint(weir_store_conn *st, sqlite3_stmt *s, int col,
                          weir_endpoint *e)
{
    e->down = sqlite3_column_int(s, col);
    e->failures = sqlite3_column_int(s, col + 1);
    e->probes = sqlite3_column_int(s, col + 2);
    e->since = sqlite3_column_int64(s, col + 3);
    e->next_probe = sqlite3_column_int64(s, col + 4);
    e->version = sqlite3_column_int64(s, col + 6);
    free(st->endpoint_err);
    const char *err = sq__text_or_null(s, col + 5);
    st->endpoint_err = err ? strdup(err) : NULL;
    e->error = st->endpoint_err;
}

int sq_endpoint_get(weir_store_conn *st, const char *pipeline,
                            const char *sink, weir_endpoint *e)
{
    memset(e, 0, sizeof(*e));
    const char *args[] = {pipeline, sink};
    sqlite3_stmt *s = sq__prepare(
        st,
        "SELECT down, failures, probes, since, next_probe, error, version "
        "FROM "
        "endpoints WHERE pipeline = ?1 AND sink = ?2",
        2, args);
    if (!s)
        return -1;
    int rc = 1;
    if (sqlite3_step(s) == SQLITE_ROW) {
        read_endpoint(st, s, 0, e);
        rc = 0;
    }
    sqlite3_finalize(s);
    return rc;
}

int sq_endpoint_set(weir_store_conn *st, const char *pipeline,
                            const char *sink, const weir_endpoint *e)
{
    const char *args[] = {pipeline, sink};
    sqlite3_stmt *s = sq__prepare(
        st,
        "INSERT INTO endpoints(pipeline, sink, down, failures, probes, since, "
        "next_probe, error, version) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
        "?9 + 1) ON CONFLICT(pipeline, sink) DO UPDATE SET down = "
        "excluded.down, failures = excluded.failures, probes = "
        "excluded.probes, since = excluded.since, next_probe = "
        "excluded.next_probe, error = excluded.error, version = "
        "excluded.version WHERE endpoints.version = ?9",
        2, args);
    if (!s)
        return -1;
    sqlite3_bind_int(s, 3, e->down);
    sqlite3_bind_int(s, 4, e->failures);
    sqlite3_bind_int(s, 5, e->probes);
    sqlite3_bind_int64(s, 6, e->since);
    sqlite3_bind_int64(s, 7, e->next_probe);
    if (e->error)
        sqlite3_bind_text(s, 8, e->error, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(s, 8);
    sqlite3_bind_int64(s, 9, e->version);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return -1;
    /* no change: the row is at another version than the caller read */
    return sqlite3_changes(st->db) ? 0 : 1;
}

int sq_each_endpoint(weir_store_conn *st,
                             int (*fn)(const char *pipeline, const char *sink,
                                       const weir_endpoint *e, void *ctx),
                             void *ctx)
{
    sqlite3_stmt *s = sq__prepare(
        st,
        "SELECT pipeline, sink, down, failures, probes, since, next_probe, "
        "error, version FROM endpoints ORDER BY pipeline, sink",
        0, NULL);
    if (!s)
        return -1;
    int rc = 0, step;
    while (!rc && (step = sqlite3_step(s)) == SQLITE_ROW) {
        weir_endpoint e;
        read_endpoint(st, s, 2, &e);
        rc = fn(sq__text(s, 0), sq__text(s, 1), &e, ctx);
    }
    if (!rc && step != SQLITE_DONE)
        rc = -1;
    sqlite3_finalize(s);
    return rc;
}
