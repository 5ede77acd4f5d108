/*
 * connectors/sqlite/sqlite_plugin.c - the sqlite plugin's descriptor.
 *
 * One shared object serves both directions: in a <source> it streams the
 * rows of a read-only query, in a <sink> it upserts and deletes rows of a
 * table by key.  This file declares the options and routes each callback
 * to the side the instance was opened as.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite_int.h"

static const weir_option_spec sqlite_options[] = {
    WEIR_OPTION("database", WEIR_OPTION_PATH, WEIR_OPTION_REQUIRED, 0, NULL,
        "SQLite database file"),
    WEIR_OPTION("query", WEIR_OPTION_STRING, WEIR_OPTION_REQUIRED, WEIR_KIND_SOURCE, NULL,
        "one read-only SQL statement; its columns become the fields"),
    WEIR_OPTION("table", WEIR_OPTION_STRING, WEIR_OPTION_REQUIRED, WEIR_KIND_SINK, NULL,
        "table to upsert into and delete from"),
    WEIR_OPTION("key", WEIR_OPTION_LIST, WEIR_OPTION_REQUIRED, WEIR_KIND_SINK, NULL,
        "key column(s) matching the table's PRIMARY KEY or a UNIQUE index"),
    WEIR_OPTION("create", WEIR_OPTION_BOOL, 0, WEIR_KIND_SINK, "true",
        "create the table and add missing columns (as TEXT)"),
    WEIR_OPTION("busy-timeout", WEIR_OPTION_DURATION, 0, 0, "5s",
        "how long to wait for another connection's lock"),
    WEIR_OPTION_CHOICES("synchronous", 0, WEIR_KIND_SINK, NULL,
        "off, normal or full: PRAGMA synchronous for this connection "
         "(default: the database's own)",
        "off normal full"),
    WEIR_OPTION_CHOICES("journal-mode", 0, WEIR_KIND_SINK, NULL,
        "delete or wal: switch the database to this journal mode at open "
         "(wal stays on the file; default: the database's own)",
        "delete wal"),
    WEIR_OPTION_END,
};

char *wsq_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *copy = malloc(n);
    if (copy != NULL)
        memcpy(copy, s, n);
    return copy;
}

sqlite3 *wsq_db_open(weir_instance *inst, const weir_host *host,
                     const char *path, int flags, int *code)
{
    *code = SQLITE_OK;
    sqlite3 *db = NULL;
    char *name = NULL;
    long long timeout_ms = 5000;

    /* Without SQLITE_OPEN_URI a path is a path, but a build with
     * SQLITE_USE_URI=1 would still read "file:..." as a URI: "./" keeps
     * such a (relative) name a plain file name. */
    if (strncmp(path, "file:", 5) == 0) {
        name = malloc(strlen(path) + 3);
        if (name == NULL) {
            host->set_error(inst, "database %s: out of memory", path);
            return NULL;
        }
        strcpy(name, "./");
        strcat(name, path);
    }
    /* One instance's connection is used by one thread at a time (the
     * plugin ABI's rule, even writing beside): no mutex per call. */
    int rc = sqlite3_open_v2(name ? name : path, &db,
                             flags | SQLITE_OPEN_NOMUTEX, NULL);
    free(name);
    if (rc != SQLITE_OK) {
        *code = rc;
        host->set_error(inst, "database %s: cannot open: %s", path,
                        db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close_v2(db);
        return NULL;
    }
    sqlite3_extended_result_codes(db, 1);
    if (host->option_duration_ms(inst, "busy-timeout", &timeout_ms) != 0)
        timeout_ms = 5000;
    if (timeout_ms > 0x7fffffff)
        timeout_ms = 0x7fffffff;
    sqlite3_busy_timeout(db, (int)timeout_ms);
    return db;
}

static weir_status sqlite_open(weir_instance *inst, const weir_host *host,
                               weir_kind kind, void **state)
{
    *state = NULL;
    if (kind == WEIR_KIND_SOURCE)
        return wsq_source_open(inst, host, state);
    if (kind == WEIR_KIND_SINK)
        return wsq_sink_open(inst, host, state);
    host->set_error(inst, "sqlite is a source or a sink only");
    return WEIR_STATUS_ERROR;
}

static weir_status sqlite_read(void *state, weir_batch *batch)
{
    wsq_common *c = state;
    if (c == NULL || c->kind != WEIR_KIND_SOURCE)
        return WEIR_STATUS_ERROR;
    return wsq_source_read(state, batch);
}

static weir_status sqlite_write(void *state, weir_batch *batch)
{
    wsq_common *c = state;
    if (c == NULL || c->kind != WEIR_KIND_SINK)
        return WEIR_STATUS_ERROR;
    return wsq_sink_write(state, batch);
}

static weir_status sqlite_probe(void *state)
{
    wsq_common *c = state;
    if (c == NULL || c->kind != WEIR_KIND_SINK)
        return WEIR_STATUS_ERROR;
    return wsq_sink_probe(state);
}

/* Every batch is committed inside write(): nothing is pending here. */
static weir_status sqlite_flush(void *state)
{
    (void)state;
    return WEIR_STATUS_OK;
}

static void sqlite_close(void *state)
{
    wsq_common *c = state;
    if (c == NULL)
        return;
    if (c->kind == WEIR_KIND_SOURCE)
        wsq_source_close(state);
    else
        wsq_sink_close(state);
}

WEIR_PLUGIN_DEFINE = {
    WEIR_PLUGIN_HEADER,
    .kinds = WEIR_KIND_SOURCE | WEIR_KIND_SINK,
    /* its own connection per instance, no state from read() or write() */
    .flags = WEIR_PLUGIN_READ_BESIDE | WEIR_PLUGIN_WRITE_BESIDE,
    .name = "sqlite",
    .version = "1.0.0",
    .description = "SQLite: read a query's rows; upsert and delete rows by key",
    .options = sqlite_options,
    .check = NULL,
    .open = sqlite_open,
    .read = sqlite_read,
    .process = NULL,
    .write = sqlite_write,
    .flush = sqlite_flush,
    .notify = NULL,
    .close = sqlite_close,
    .probe = sqlite_probe,
};
