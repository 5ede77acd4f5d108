/* ref_sqlite.c - load the reference from a SQLite table; see lookup_int.h.
 *
 * The database is opened read-only and read with one statement,
 * SELECT * FROM "table", the name quoted as an identifier (a '"' in it
 * doubled), so no name can change the statement.  NULL stays NULL; an
 * integer or real is matched and copied as SQLite's text for it ("42",
 * "1.5"); a BLOB as its bytes. */
#include "lookup_int.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

/* "SELECT * FROM \"" name "\"" with each '"' doubled. (owned) */
static char *select_all(const char *table)
{
    static const char head[] = "SELECT * FROM \"";
    size_t n = strlen(table);
    char *sql = malloc(sizeof head + 2 * n + 2);
    if (!sql)
        return NULL;
    char *p = sql;
    memcpy(p, head, sizeof head - 1);
    p += sizeof head - 1;
    for (const char *s = table; *s; s++) {
        if (*s == '"')
            *p++ = '"';
        *p++ = *s;
    }
    *p++ = '"';
    *p = '\0';
    return sql;
}

int lk_load_sqlite(lk_table *t, lk_spec *spec, const char *database,
                   const char *table)
{
    const weir_host *h = spec->host;
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char *sql = NULL;
    const char **names = NULL;
    lk_cell *cells = NULL;
    int rc = -1;

    int e = sqlite3_open_v2(database, &db, SQLITE_OPEN_READONLY, NULL);
    if (e != SQLITE_OK) {
        h->log(spec->inst, WEIR_LOG_ERROR, "lookup: cannot open database %s: %s",
               database, db ? sqlite3_errmsg(db) : sqlite3_errstr(e));
        goto out;
    }
    sqlite3_busy_timeout(db, 10000);
    sql = select_all(table);
    if (!sql) {
        h->log(spec->inst, WEIR_LOG_ERROR, "lookup: out of memory");
        goto out;
    }
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        h->log(spec->inst, WEIR_LOG_ERROR, "lookup: cannot read %s: %s",
               spec->what, sqlite3_errmsg(db));
        goto out;
    }
    int ncols = sqlite3_column_count(st);
    names = calloc((size_t)ncols + 1, sizeof *names);
    cells = calloc((size_t)ncols + 1, sizeof *cells);
    if (!names || !cells) {
        h->log(spec->inst, WEIR_LOG_ERROR, "lookup: out of memory");
        goto out;
    }
    for (int c = 0; c < ncols; c++) {
        names[c] = sqlite3_column_name(st, c);
        if (!names[c]) {
            h->log(spec->inst, WEIR_LOG_ERROR, "lookup: out of memory");
            goto out;
        }
    }
    if (lk_table_bind(t, spec, names, (size_t)ncols) != 0)
        goto out;
    long row = 0;
    while ((e = sqlite3_step(st)) == SQLITE_ROW) {
        row++;
        for (int c = 0; c < ncols; c++) {
            int type = sqlite3_column_type(st, c);
            if (type == SQLITE_NULL) {
                cells[c].p = NULL;
                cells[c].len = LK_NULL;
                continue;
            }
            const void *p = type == SQLITE_BLOB ? sqlite3_column_blob(st, c)
                                                : sqlite3_column_text(st, c);
            int len = sqlite3_column_bytes(st, c);
            if (!p && len > 0) {
                h->log(spec->inst, WEIR_LOG_ERROR, "lookup: out of memory");
                goto out;
            }
            cells[c].p = p ? p : "";
            cells[c].len = (size_t)len;
        }
        if (lk_table_add(t, spec, cells, row) != 0)
            goto out;
    }
    if (e != SQLITE_DONE) {
        h->log(spec->inst, WEIR_LOG_ERROR,
               "lookup: cannot read %s (row %ld): %s", spec->what, row + 1,
               sqlite3_errmsg(db));
        goto out;
    }
    rc = 0;
out:
    free(names);
    free(cells);
    free(sql);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}
