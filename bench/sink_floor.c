/*
 * sink_floor - what SQLite itself takes to apply an incremental run's
 * changes: the statements the sqlite sink runs, with nothing around them.
 *
 *   cc -O2 -o sink_floor sink_floor.c -lsqlite3
 *   sink_floor TARGET.db CHANGES.db TABLE KEY BATCH
 *
 * CHANGES.db holds the run's changes: table `up` (the new and changed
 * rows, with TABLE's columns) and table `del` (one column: the keys
 * deleted).  Both are read into memory first, untimed.  Then, timed, on
 * TARGET.db as the sink opens it (default journal mode and synchronous):
 * the rows of `up` in transactions of BATCH, each row one step of the
 * sink's prepared upsert (INSERT ... ON CONFLICT (KEY) DO UPDATE SET
 * every other column = excluded.column), then the keys of `del` in
 * transactions of BATCH, each one step of DELETE ... WHERE KEY = ?.
 * Prints "upserted N deleted N wall S cpu S": the seconds from opening
 * TARGET.db to closing it.  A floor, not a tool: no record is read,
 * compared, recorded in a state or answered.
 */
#define _POSIX_C_SOURCE 200809L
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

typedef struct rows {
    int ncols;
    char **names;  /* ncols column names */
    char **values; /* n * ncols, NULL for NULL */
    size_t n;
} rows;

static void die(sqlite3 *db, const char *what)
{
    fprintf(stderr, "sink_floor: %s: %s\n", what, db ? sqlite3_errmsg(db) : "out of memory");
    exit(1);
}

static char *dup_or_null(const unsigned char *s)
{
    char *d = s ? strdup((const char *)s) : NULL;
    if (s && !d) die(NULL, "reading the changes");
    return d;
}

static void load(sqlite3 *db, const char *sql, rows *r)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK) die(db, sql);
    r->ncols = sqlite3_column_count(q);
    r->names = calloc((size_t)r->ncols, sizeof(char *));
    if (!r->names) die(NULL, "reading the changes");
    for (int i = 0; i < r->ncols; i++)
        r->names[i] = dup_or_null((const unsigned char *)sqlite3_column_name(q, i));
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (r->n == cap) {
            cap = cap ? 2 * cap : 4096;
            char **g = realloc(r->values, cap * (size_t)r->ncols * sizeof(char *));
            if (!g) die(NULL, "reading the changes");
            r->values = g;
        }
        for (int i = 0; i < r->ncols; i++)
            r->values[r->n * (size_t)r->ncols + (size_t)i] = dup_or_null(sqlite3_column_text(q, i));
        r->n++;
    }
    if (rc != SQLITE_DONE) die(db, sql);
    sqlite3_finalize(q);
}

/* "name" with its quotes doubled, appended to buf */
static void ident(char *buf, size_t cap, const char *name)
{
    size_t n = strlen(buf);
    if (n + 1 < cap) buf[n++] = '"';
    for (; *name && n + 2 < cap; name++) {
        if (*name == '"') buf[n++] = '"';
        buf[n++] = *name;
    }
    if (n + 1 < cap) buf[n++] = '"';
    buf[n] = '\0';
}

static void cat(char *buf, size_t cap, const char *s)
{
    strncat(buf, s, cap - strlen(buf) - 1);
}

static double seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double cpu_seconds(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

/* each row of r through stmt, BATCH rows a transaction */
static void apply(sqlite3 *db, sqlite3_stmt *stmt, const rows *r, size_t batch)
{
    for (size_t i = 0; i < r->n;) {
        if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) die(db, "BEGIN");
        for (size_t k = 0; k < batch && i < r->n; k++, i++) {
            for (int c = 0; c < r->ncols; c++) {
                const char *v = r->values[i * (size_t)r->ncols + (size_t)c];
                if (sqlite3_bind_text(stmt, c + 1, v, -1, SQLITE_STATIC) != SQLITE_OK)
                    die(db, "bind");
            }
            if (sqlite3_step(stmt) != SQLITE_DONE) die(db, "step");
            sqlite3_reset(stmt);
        }
        if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) die(db, "COMMIT");
    }
}

int main(int argc, char **argv)
{
    if (argc != 6 || atol(argv[5]) < 1) {
        fprintf(stderr, "usage: sink_floor TARGET.db CHANGES.db TABLE KEY BATCH\n");
        return 2;
    }
    const char *table = argv[3], *key = argv[4];
    size_t batch = (size_t)atol(argv[5]);
    sqlite3 *c;
    if (sqlite3_open_v2(argv[2], &c, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) die(c, argv[2]);
    rows up = {0}, del = {0};
    load(c, "SELECT * FROM up", &up);
    load(c, "SELECT * FROM del", &del);
    sqlite3_close(c);
    if (del.ncols != 1) die(NULL, "table del must have one column, the key");

    /* the sink's statements (connectors/sqlite/sql_build.c) */
    char upsert[8192] = "INSERT INTO ", del_sql[1024] = "DELETE FROM ";
    ident(upsert, sizeof upsert, table);
    cat(upsert, sizeof upsert, " (");
    for (int i = 0; i < up.ncols; i++) {
        if (i) cat(upsert, sizeof upsert, ", ");
        ident(upsert, sizeof upsert, up.names[i]);
    }
    cat(upsert, sizeof upsert, ") VALUES (");
    for (int i = 0; i < up.ncols; i++) {
        char p[16];
        snprintf(p, sizeof p, "%s?%d", i ? ", " : "", i + 1);
        cat(upsert, sizeof upsert, p);
    }
    cat(upsert, sizeof upsert, ") ON CONFLICT (");
    ident(upsert, sizeof upsert, key);
    cat(upsert, sizeof upsert, ")");
    for (int i = 0, set = 0; i < up.ncols; i++) {
        if (strcmp(up.names[i], key) == 0) continue;
        cat(upsert, sizeof upsert, set++ ? ", " : " DO UPDATE SET ");
        ident(upsert, sizeof upsert, up.names[i]);
        cat(upsert, sizeof upsert, " = excluded.");
        ident(upsert, sizeof upsert, up.names[i]);
    }
    ident(del_sql, sizeof del_sql, table);
    cat(del_sql, sizeof del_sql, " WHERE ");
    ident(del_sql, sizeof del_sql, key);
    cat(del_sql, sizeof del_sql, " = ?1");

    double t0 = seconds(), c0 = cpu_seconds();
    sqlite3 *db;
    sqlite3_stmt *u, *d;
    if (sqlite3_open(argv[1], &db) != SQLITE_OK) die(db, argv[1]);
    if (sqlite3_prepare_v2(db, upsert, -1, &u, NULL) != SQLITE_OK) die(db, upsert);
    if (sqlite3_prepare_v2(db, del_sql, -1, &d, NULL) != SQLITE_OK) die(db, del_sql);
    apply(db, u, &up, batch);
    apply(db, d, &del, batch);
    sqlite3_finalize(u);
    sqlite3_finalize(d);
    if (sqlite3_close(db) != SQLITE_OK) die(db, "close");
    printf("upserted %zu deleted %zu wall %.3f cpu %.3f\n", up.n, del.n,
           seconds() - t0, cpu_seconds() - c0);
    return 0;
}
