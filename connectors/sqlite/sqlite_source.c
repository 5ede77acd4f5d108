/*
 * connectors/sqlite/sqlite_source.c - stream the rows of one read-only query.
 *
 * The query is prepared once at open and stepped across read() calls, so a
 * million-row table never sits in memory: each read() fills the batch it is
 * given and leaves the cursor where the batch filled up.  Values are handed
 * on as SQLite's own text rendering (integers and reals included); SQL NULL
 * stays NULL, distinct from "".  A BLOB has no text form weir could carry
 * safely, so that row is rejected rather than mangled.
 */
#include <stdlib.h>
#include <string.h>

#include "sqlite_int.h"

typedef struct wsq_source {
    wsq_common c;
    const char *path;     /* (borrowed: option value, valid until close) */
    sqlite3 *db;
    sqlite3_stmt *stmt;
    int ncols;
    char **names;         /* column names, copied: SQLite may re-prepare */
    long row;             /* rows read so far: the next row's origin - 1 */
    int done;             /* SQLITE_DONE seen: never step again (it would restart) */
    /* Within one read(): 1 when the batch takes whole rows by column
     * (host->batch_columns), 0 when not, -1 not asked yet. */
    int by_column;
    const char **values;  /* ncols entries: one row's */
    size_t *lens;
} wsq_source;

void wsq_source_close(void *state)
{
    wsq_source *s = state;
    if (s == NULL)
        return;
    sqlite3_finalize(s->stmt);
    sqlite3_close_v2(s->db);
    if (s->names != NULL) {
        for (int i = 0; i < s->ncols; i++)
            free(s->names[i]);
        free(s->names);
    }
    free(s->values);
    free(s->lens);
    free(s);
}

/* Only whitespace, comments and semicolons may follow the first
 * statement: preparing the rest must yield no statement at all. */
static int only_one_statement(wsq_source *s, const char *tail)
{
    while (tail != NULL && *tail != '\0') {
        sqlite3_stmt *extra = NULL;
        const char *next = NULL;
        int rc = sqlite3_prepare_v2(s->db, tail, -1, &extra, &next);
        sqlite3_finalize(extra);
        if (rc != SQLITE_OK || extra != NULL || next == tail)
            return 0;
        tail = next;
    }
    return 1;
}

static int source_prepare(wsq_source *s, const char *query)
{
    const weir_host *h = s->c.host;
    const char *tail = NULL;

    int rc = sqlite3_prepare_v3(s->db, query, -1, SQLITE_PREPARE_PERSISTENT,
                                &s->stmt, &tail);
    if (rc != SQLITE_OK) {
        h->set_error(s->c.inst, "database %s: query: %s", s->path,
                     sqlite3_errmsg(s->db));
        return -1;
    }
    if (s->stmt == NULL) {
        h->set_error(s->c.inst, "database %s: query is empty", s->path);
        return -1;
    }
    if (!only_one_statement(s, tail)) {
        h->set_error(s->c.inst,
                     "database %s: query must be exactly one SQL statement",
                     s->path);
        return -1;
    }
    /* The connection is read-only anyway; this says why up front instead
     * of failing on the first step. */
    if (!sqlite3_stmt_readonly(s->stmt)) {
        h->set_error(s->c.inst,
                     "database %s: query must be read-only (a SELECT), "
                     "it would change the database", s->path);
        return -1;
    }
    s->ncols = sqlite3_column_count(s->stmt);
    if (s->ncols == 0) {
        h->set_error(s->c.inst,
                     "database %s: query returns no columns (not a SELECT)",
                     s->path);
        return -1;
    }
    s->names = calloc((size_t)s->ncols, sizeof *s->names);
    s->values = calloc((size_t)s->ncols, sizeof *s->values);
    s->lens = calloc((size_t)s->ncols, sizeof *s->lens);
    if (s->names == NULL || s->values == NULL || s->lens == NULL)
        goto oom;
    for (int i = 0; i < s->ncols; i++) {
        const char *name = sqlite3_column_name(s->stmt, i);
        if (name == NULL)
            goto oom;
        /* Two columns of one name would silently become one field. */
        for (int j = 0; j < i; j++) {
            if (strcmp(s->names[j], name) == 0) {
                h->set_error(s->c.inst,
                             "database %s: query returns column \"%s\" "
                             "twice; give one an alias (AS)", s->path, name);
                return -1;
            }
        }
        s->names[i] = wsq_strdup(name);
        if (s->names[i] == NULL)
            goto oom;
    }
    return 0;
oom:
    h->set_error(s->c.inst, "database %s: out of memory", s->path);
    return -1;
}

weir_status wsq_source_open(weir_instance *inst, const weir_host *host,
                            void **state)
{
    wsq_source *s = calloc(1, sizeof *s);
    if (s == NULL) {
        host->set_error(inst, "out of memory");
        return WEIR_STATUS_ERROR;
    }
    s->c.kind = WEIR_KIND_SOURCE;
    s->c.inst = inst;
    s->c.host = host;
    s->path = host->option(inst, "database");
    const char *query = host->option(inst, "query");
    if (s->path == NULL || query == NULL) {
        host->set_error(inst, "options database and query are required");
        goto fail;
    }
    int code;
    s->db = wsq_db_open(inst, host, s->path, SQLITE_OPEN_READONLY, &code);
    if (s->db == NULL)
        goto fail;
    if (source_prepare(s, query) != 0)
        goto fail;
    *state = s;
    return WEIR_STATUS_OK;
fail:
    wsq_source_close(s);
    return WEIR_STATUS_ERROR;
}

/* The current row as one record of `batch` by column (host
 * batch_add_row): 1 added, 0 not (the batch takes no rows, a BLOB), -1
 * out of memory. */
static int add_whole_row(wsq_source *s, weir_batch *batch)
{
    const weir_host *h = s->c.host;
    if (s->by_column < 0) {
        s->by_column = WEIR_HOST_HAS(h, batch_add_row)
                           ? h->batch_columns(batch,
                                              (const char *const *)s->names,
                                              (size_t)s->ncols)
                           : 0;
        if (s->by_column < 0)
            return -1;
    }
    if (!s->by_column)
        return 0;
    for (int i = 0; i < s->ncols; i++) {
        switch (sqlite3_column_type(s->stmt, i)) {
        case SQLITE_NULL:
            s->values[i] = NULL;
            s->lens[i] = 0;
            break;
        case SQLITE_BLOB:
            return 0; /* rejected, field by field */
        default:
            s->values[i] = (const char *)sqlite3_column_text(s->stmt, i);
            if (s->values[i] == NULL)
                return -1; /* out of memory converting to text */
            s->lens[i] = (size_t)sqlite3_column_bytes(s->stmt, i);
            break;
        }
    }
    if (!h->batch_add_row(batch, s->values, s->lens, s->row + 1))
        return -1;
    s->row++;
    return 1;
}

/* Copy the current row into a new record of `batch`. */
static int add_row(wsq_source *s, weir_batch *batch)
{
    const weir_host *h = s->c.host;
    int whole = add_whole_row(s, batch);
    if (whole != 0)
        return whole < 0 ? -1 : 0;
    weir_record *r = h->batch_add(batch);
    if (r == NULL)
        return -1;
    s->row++;
    h->record_set_origin(r, s->row);
    for (int i = 0; i < s->ncols; i++) {
        int rc = 0;
        switch (sqlite3_column_type(s->stmt, i)) {
        case SQLITE_NULL:
            rc = h->record_set(r, s->names[i], NULL, 0);
            break;
        case SQLITE_BLOB:
            h->record_answerf(r, WEIR_RESULT_REJECT,
                              "column \"%s\" holds a BLOB; only text, "
                              "numbers and NULL can be read", s->names[i]);
            break;
        default: {
            const char *text = (const char *)sqlite3_column_text(s->stmt, i);
            if (text == NULL)
                return -1; /* out of memory converting to text */
            rc = h->record_set(r, s->names[i], text,
                               (size_t)sqlite3_column_bytes(s->stmt, i));
            break;
        }
        }
        if (rc != 0)
            return -1;
    }
    return 0;
}

weir_status wsq_source_read(void *state, weir_batch *batch)
{
    wsq_source *s = state;
    const weir_host *h = s->c.host;

    if (s->done)
        return WEIR_STATUS_END;
    s->by_column = -1; /* the batch forgot its columns */
    while (h->batch_room(batch) > 0) {
        int rc = sqlite3_step(s->stmt);
        if (rc == SQLITE_DONE) {
            s->done = 1;
            return WEIR_STATUS_END;
        }
        if (rc != SQLITE_ROW) {
            h->log(s->c.inst, WEIR_LOG_ERROR,
                   "database %s: reading row %ld failed: %s", s->path,
                   s->row + 1, sqlite3_errmsg(s->db));
            return WEIR_STATUS_ERROR;
        }
        if (add_row(s, batch) != 0) {
            h->log(s->c.inst, WEIR_LOG_ERROR,
                   "database %s: row %ld: out of memory", s->path, s->row);
            return WEIR_STATUS_ERROR;
        }
    }
    return WEIR_STATUS_OK;
}
