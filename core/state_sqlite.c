/*
 * state_sqlite.c - the SQLite backend of the state database (state.h).
 *
 * WAL so readers (monitor, status) never block a run; a busy timeout so
 * two weir processes on one file queue instead of failing at once.
 * Migrations only go forward; each runs in one transaction.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "state.h"

#define BUSY_TIMEOUT_MS 10000

struct weir_state {
    sqlite3 *db;
    char *path;
};

/* Migration N takes schema N-1 to N. */
static const char *const migrations[] = {
    /* 1: run history, pipeline files, plugin state */
    "CREATE TABLE pipelines ("
    "  name TEXT PRIMARY KEY, file TEXT NOT NULL, type TEXT,"
    "  first_seen TEXT NOT NULL, last_seen TEXT NOT NULL);"
    "CREATE TABLE runs ("
    "  id INTEGER PRIMARY KEY, pipeline TEXT NOT NULL, mode TEXT,"
    "  started TEXT NOT NULL, finished TEXT, status TEXT NOT NULL,"
    "  records_read INTEGER NOT NULL DEFAULT 0,"
    "  written INTEGER NOT NULL DEFAULT 0, rejected INTEGER NOT NULL DEFAULT 0,"
    "  dropped INTEGER NOT NULL DEFAULT 0, held INTEGER NOT NULL DEFAULT 0,"
    "  retry INTEGER NOT NULL DEFAULT 0, message TEXT, pid INTEGER);"
    "CREATE INDEX runs_by_pipeline ON runs(pipeline, id);"
    "CREATE TABLE plugin_state ("
    "  pipeline TEXT NOT NULL, instance TEXT NOT NULL, key TEXT NOT NULL,"
    "  value TEXT, PRIMARY KEY (pipeline, instance, key));",
};
#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

static char *fmt_err(const char *path, const char *what, const char *detail)
{
    size_t n = strlen(path) + strlen(what) + (detail ? strlen(detail) : 0) + 64;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "state database %s: %s%s%s", path, what,
                 detail ? ": " : "", detail ? detail : "");
    return s;
}

static void now_iso(char *buf, size_t size)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int get_version(sqlite3 *db, int *version)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
        return -1;
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *version = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return rc == SQLITE_ROW ? 0 : -1;
}

static int migrate(weir_state *st, char **err)
{
    int version = 0;
    if (get_version(st->db, &version)) {
        *err = fmt_err(st->path, "cannot read the schema version",
                       sqlite3_errmsg(st->db));
        return -1;
    }
    if (version > NMIGRATIONS) {
        char detail[128];
        snprintf(detail, sizeof(detail),
                 "schema version %d, this weir knows up to %d; upgrade weir",
                 version, NMIGRATIONS);
        *err = fmt_err(st->path, "written by a newer weir", detail);
        return -1;
    }
    for (int v = version; v < NMIGRATIONS; v++) {
        char pragma[64];
        snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v + 1);
        char *msg = NULL;
        if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, &msg) ||
            sqlite3_exec(st->db, migrations[v], NULL, NULL, &msg) ||
            sqlite3_exec(st->db, pragma, NULL, NULL, &msg) ||
            sqlite3_exec(st->db, "COMMIT", NULL, NULL, &msg)) {
            *err = fmt_err(st->path, "cannot migrate the schema",
                           msg ? msg : sqlite3_errmsg(st->db));
            sqlite3_free(msg);
            sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
            return -1;
        }
    }
    return 0;
}

weir_state *weir_state_open(const char *path, char **err)
{
    *err = NULL;
    /* Create the file ourselves so it is 0600 whatever the umask: it
     * holds business data and cross-references. */
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        int e = errno;
        if (e == EACCES || e == EROFS) {
            fd = open(path, O_RDONLY | O_CLOEXEC);
            *err = fmt_err(path, fd >= 0 ? "is read-only" : "cannot open",
                           strerror(e));
            if (fd >= 0)
                close(fd);
        } else {
            *err = fmt_err(path, "cannot open", strerror(e));
        }
        return NULL;
    }
    close(fd);

    weir_state *st = calloc(1, sizeof(*st));
    if (!st || !(st->path = strdup(path))) {
        free(st);
        *err = fmt_err(path, "out of memory", NULL);
        return NULL;
    }
    int rc = sqlite3_open_v2(path, &st->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        *err = fmt_err(path, "cannot open", sqlite3_errstr(rc));
        weir_state_close(st);
        return NULL;
    }
    if (sqlite3_db_readonly(st->db, "main") == 1) {
        *err = fmt_err(path, "is read-only", NULL);
        weir_state_close(st);
        return NULL;
    }
    sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(st->db, 1);
    char *msg = NULL;
    /* journal_mode reads the header: a corrupt file or a foreign one
     * fails here, before anything is written. */
    if (sqlite3_exec(st->db, "PRAGMA journal_mode=WAL", NULL, NULL, &msg) ||
        sqlite3_exec(st->db, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON",
                     NULL, NULL, &msg)) {
        int code = sqlite3_extended_errcode(st->db);
        const char *what = (code & 0xff) == SQLITE_BUSY ||
                                   (code & 0xff) == SQLITE_LOCKED
                               ? "is locked by another process"
                           : (code & 0xff) == SQLITE_NOTADB ||
                                   (code & 0xff) == SQLITE_CORRUPT
                               ? "is corrupt or not a weir state database"
                               : "cannot be used";
        *err = fmt_err(path, what, msg ? msg : sqlite3_errmsg(st->db));
        sqlite3_free(msg);
        weir_state_close(st);
        return NULL;
    }
    if (migrate(st, err)) {
        weir_state_close(st);
        return NULL;
    }
    return st;
}

void weir_state_close(weir_state *st)
{
    if (!st)
        return;
    sqlite3_close(st->db);
    free(st->path);
    free(st);
}

const char *weir_state_path(const weir_state *st) { return st->path; }

/* Run one statement with text parameters (NULL binds SQL NULL). */
static int exec_bound(weir_state *st, const char *sql, int n,
                      const char *const *args, int64_t *last_id)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return -1;
    for (int i = 0; i < n; i++)
        sqlite3_bind_text(s, i + 1, args[i], -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (last_id)
        *last_id = sqlite3_last_insert_rowid(st->db);
    return rc == SQLITE_DONE ? 0 : -1;
}

int weir_state_remember_pipeline(weir_state *st, const char *name,
                                 const char *file, const char *type)
{
    char now[32];
    now_iso(now, sizeof(now));
    const char *args[] = {name, file, type, now};
    return exec_bound(st,
                      "INSERT INTO pipelines(name, file, type, first_seen, "
                      "last_seen) VALUES (?1, ?2, ?3, ?4, ?4) "
                      "ON CONFLICT(name) DO UPDATE SET file = excluded.file, "
                      "type = excluded.type, last_seen = excluded.last_seen",
                      4, args, NULL);
}

static char *query_text(weir_state *st, const char *sql, int n,
                        const char *const *args)
{
    sqlite3_stmt *s;
    char *out = NULL;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return NULL;
    for (int i = 0; i < n; i++)
        sqlite3_bind_text(s, i + 1, args[i], -1, SQLITE_TRANSIENT);
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
        out = strdup((const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    return out;
}

char *weir_state_pipeline_file(weir_state *st, const char *name)
{
    const char *args[] = {name};
    return query_text(st, "SELECT file FROM pipelines WHERE name = ?1", 1, args);
}

int64_t weir_state_run_begin(weir_state *st, const char *pipeline,
                             const char *mode)
{
    char now[32], pid[32];
    now_iso(now, sizeof(now));
    snprintf(pid, sizeof(pid), "%ld", (long)getpid());
    const char *args[] = {pipeline, mode, now, pid};
    int64_t id = -1;
    if (exec_bound(st,
                   "INSERT INTO runs(pipeline, mode, started, status, pid) "
                   "VALUES (?1, ?2, ?3, 'running', ?4)",
                   4, args, &id))
        return -1;
    return id;
}

int weir_state_run_end(weir_state *st, int64_t run, const char *status,
                       const weir_run_counts *c, const char *message)
{
    char now[32];
    now_iso(now, sizeof(now));
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db,
                           "UPDATE runs SET finished = ?1, status = ?2, "
                           "records_read = ?3, written = ?4, rejected = ?5, "
                           "dropped = ?6, held = ?7, retry = ?8, message = ?9 "
                           "WHERE id = ?10",
                           -1, &s, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(s, 1, now, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, status, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, (sqlite3_int64)c->read);
    sqlite3_bind_int64(s, 4, (sqlite3_int64)c->written);
    sqlite3_bind_int64(s, 5, (sqlite3_int64)c->rejected);
    sqlite3_bind_int64(s, 6, (sqlite3_int64)c->dropped);
    sqlite3_bind_int64(s, 7, (sqlite3_int64)c->held);
    sqlite3_bind_int64(s, 8, (sqlite3_int64)c->retry);
    sqlite3_bind_text(s, 9, message, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 10, run);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

char *weir_state_kv_get(weir_state *st, const char *pipeline,
                        const char *instance, const char *key)
{
    const char *args[] = {pipeline, instance, key};
    return query_text(st,
                      "SELECT value FROM plugin_state WHERE pipeline = ?1 AND "
                      "instance = ?2 AND key = ?3",
                      3, args);
}

int weir_state_kv_set(weir_state *st, const char *pipeline,
                      const char *instance, const char *key, const char *value)
{
    const char *args[] = {pipeline, instance, key, value};
    return exec_bound(st,
                      "INSERT INTO plugin_state(pipeline, instance, key, value) "
                      "VALUES (?1, ?2, ?3, ?4) ON CONFLICT(pipeline, instance, "
                      "key) DO UPDATE SET value = excluded.value",
                      4, args, NULL);
}
