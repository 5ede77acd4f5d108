/*
 * connectors/sqlite/sqlite_sink.c - upsert and delete rows of one table by key.
 *
 * Each write() is one transaction (BEGIN IMMEDIATE ... COMMIT), so a batch
 * costs one journal sync, not one per record.  Inside it every record is
 * one prepared statement step, and the answer is per record:
 *
 *   - a permanent failure (constraint, a trigger's RAISE(ABORT, ...),
 *     datatype mismatch) undoes only that statement: the record is
 *     rejected with SQLite's own message and the batch goes on;
 *   - a transient failure (busy, locked, disk full, I/O) rolls the whole
 *     transaction back and every record not already rejected is answered
 *     RETRY: either all of the batch's good records are applied or none;
 *   - a failure that SQLite answers by rolling back the whole transaction
 *     itself (RAISE(ROLLBACK, ...), ON CONFLICT ROLLBACK) rejects that
 *     record, and a COMMIT refused by a deferred constraint (or a CREATE
 *     TABLE refused for the batch's fields) names no record: either way
 *     nothing of the batch is applied, and write() answers
 *     WEIR_STATUS_SPLIT with SQLite's text, so that the core sends the
 *     other records again in smaller batches (plugin.h, write()) and good
 *     records still land.
 *
 * Statements are cached per field list (records of a batch nearly always
 * share one), values are bound in place (SQLITE_STATIC: a record's values
 * live until the batch moves on) and the table's columns are read once,
 * again only after a rollback undid a CREATE or ALTER of ours.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql_build.h"
#include "sqlite_int.h"

/* Distinct field lists kept prepared; least recently used goes first. */
#define CACHE_MAX 16

typedef struct stmt_entry {
    char **names;       /* the record's field names, in order (owned) */
    size_t n;
    size_t *key_at;     /* key j is field key_at[j] (owned) */
    sqlite3_stmt *stmt; /* the upsert for exactly these fields */
    sqlite3_stmt *update; /* their UPDATE by key; NULL: keys only */
    unsigned long used; /* LRU tick */
} stmt_entry;

/* Where a record stands within one write(); the pending ones are
 * answered OK when the transaction commits. */
enum { ST_PENDING = 0, ST_REJECTED };

/* apply_record() outcomes. */
enum {
    AR_OK = 0,   /* the statement ran */
    AR_REJECTED, /* answered REJECT; the transaction may have been rolled back */
    AR_TRANSIENT /* s->msg says why; the caller rolls back */
};

typedef struct wsq_sink {
    wsq_common c;
    const char *path;  /* (borrowed: option value, valid until close) */
    const char *table; /* (borrowed) */
    char **keys;
    size_t nkeys;
    int create;
    sqlite3 *db;

    int schema_known; /* table_exists and cols reflect the database */
    int table_exists;
    char **cols;
    size_t ncols, cols_cap;

    stmt_entry cache[CACHE_MAX];
    size_t ncache;
    unsigned long tick;
    stmt_entry *last;  /* fast path: the entry the previous record used */
    sqlite3_stmt *del; /* DELETE by key */

    int ddl; /* this transaction created or altered the table */

    unsigned char *st; /* per-record ST_* of the current write() */
    size_t st_cap;

    char msg[512]; /* the last failure's text, kept across a ROLLBACK */
} wsq_sink;

/* Permanent: the record (or what it asks of the table) is at fault, and
 * sending it again unchanged fails again.  Everything else (busy, locked,
 * full, I/O, cantopen, protocol, out of memory, ...) is transient. */
static int is_permanent(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_CONSTRAINT: /* NOT NULL, CHECK, UNIQUE, FK, RAISE(ABORT) */
    case SQLITE_MISMATCH:   /* non-integer into an INTEGER PRIMARY KEY */
    case SQLITE_TOOBIG:     /* a value over SQLITE_MAX_LENGTH */
    case SQLITE_ERROR:      /* an SQL error raised by a trigger, say */
    case SQLITE_RANGE:
        return 1;
    default:
        return 0;
    }
}

static void set_msg(wsq_sink *s, const char *text)
{
    snprintf(s->msg, sizeof s->msg, "%s", text);
}

/* ---- cached statements and schema -------------------------------- */

static void entry_free(stmt_entry *e)
{
    sqlite3_finalize(e->stmt);
    sqlite3_finalize(e->update);
    wsq_words_free(e->names, e->n);
    free(e->key_at);
    memset(e, 0, sizeof *e);
}

/* Forget what we know of the table: after a rollback undid our own
 * CREATE/ALTER, or at close. */
static void schema_forget(wsq_sink *s)
{
    for (size_t i = 0; i < s->ncache; i++)
        entry_free(&s->cache[i]);
    s->ncache = 0;
    s->last = NULL;
    sqlite3_finalize(s->del);
    s->del = NULL;
    wsq_words_free(s->cols, s->ncols);
    s->cols = NULL;
    s->ncols = s->cols_cap = 0;
    s->schema_known = 0;
    s->table_exists = 0;
}

/* Column names compare as SQLite compares them: ASCII case-insensitive. */
static int col_find(const wsq_sink *s, const char *name)
{
    for (size_t i = 0; i < s->ncols; i++)
        if (sqlite3_stricmp(s->cols[i], name) == 0)
            return (int)i;
    return -1;
}

static int col_add(wsq_sink *s, const char *name)
{
    if (s->ncols == s->cols_cap) {
        size_t cap = s->cols_cap ? 2 * s->cols_cap : 16;
        char **grown = realloc(s->cols, cap * sizeof *grown);
        if (grown == NULL)
            return -1;
        s->cols = grown;
        s->cols_cap = cap;
    }
    s->cols[s->ncols] = wsq_strdup(name);
    if (s->cols[s->ncols] == NULL)
        return -1;
    s->ncols++;
    return 0;
}

/* "a, b" for messages. */
static void keys_text(const wsq_sink *s, char *out, size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t j = 0; j < s->nkeys && len < size; j++) {
        int w = snprintf(out + len, size - len, "%s%s", j ? ", " : "",
                         s->keys[j]);
        if (w < 0)
            break;
        len += (size_t)w;
    }
}

/* Read the table's columns and check that upsert by the key can work.
 * Returns 0, or -1 with the reason in s->msg. */
static int schema_load(wsq_sink *s)
{
    sqlite3_stmt *q = NULL;
    char *probe = NULL;
    char keys[256];
    int ret = -1;

    schema_forget(s);
    keys_text(s, keys, sizeof keys);

    int rc = sqlite3_prepare_v2(s->db,
                                "SELECT type FROM sqlite_master WHERE "
                                "type IN ('table', 'view') AND "
                                "name = ?1 COLLATE NOCASE",
                                -1, &q, NULL);
    if (rc != SQLITE_OK)
        goto sqlfail;
    sqlite3_bind_text(q, 1, s->table, -1, SQLITE_STATIC);
    rc = sqlite3_step(q);
    if (rc == SQLITE_DONE) {
        if (!s->create) {
            snprintf(s->msg, sizeof s->msg,
                     "table \"%s\" does not exist (and create is false)",
                     s->table);
            goto out;
        }
        s->schema_known = 1; /* created by the first write */
        ret = 0;
        goto out;
    }
    if (rc != SQLITE_ROW)
        goto sqlfail;
    const char *type = (const char *)sqlite3_column_text(q, 0);
    if (type == NULL || strcmp(type, "table") != 0) {
        snprintf(s->msg, sizeof s->msg, "\"%s\" is a view, not a table",
                 s->table);
        goto out;
    }
    sqlite3_finalize(q);
    q = NULL;

    rc = sqlite3_prepare_v2(s->db, "SELECT name FROM pragma_table_info(?1)",
                            -1, &q, NULL);
    if (rc != SQLITE_OK)
        goto sqlfail;
    sqlite3_bind_text(q, 1, s->table, -1, SQLITE_STATIC);
    for (rc = sqlite3_step(q); rc == SQLITE_ROW; rc = sqlite3_step(q)) {
        const char *name = (const char *)sqlite3_column_text(q, 0);
        if (name == NULL || col_add(s, name) != 0) {
            set_msg(s, "out of memory");
            goto out;
        }
    }
    if (rc != SQLITE_DONE)
        goto sqlfail;
    for (size_t j = 0; j < s->nkeys; j++) {
        if (col_find(s, s->keys[j]) < 0) {
            snprintf(s->msg, sizeof s->msg,
                     "key column \"%s\" is not a column of table \"%s\"",
                     s->keys[j], s->table);
            goto out;
        }
    }
    /* Let SQLite itself judge whether ON CONFLICT (keys) has an index. */
    probe = wsq_sql_conflict_probe(s->table, (const char *const *)s->keys,
                                   s->nkeys);
    if (probe == NULL) {
        set_msg(s, "out of memory");
        goto out;
    }
    sqlite3_finalize(q);
    q = NULL;
    rc = sqlite3_prepare_v2(s->db, probe, -1, &q, NULL);
    if (rc != SQLITE_OK) {
        snprintf(s->msg, sizeof s->msg,
                 "table \"%s\" has no PRIMARY KEY or UNIQUE index on "
                 "exactly the key (%s): %s",
                 s->table, keys, sqlite3_errmsg(s->db));
        goto out;
    }
    s->table_exists = 1;
    s->schema_known = 1;
    ret = 0;
    goto out;
sqlfail:
    snprintf(s->msg, sizeof s->msg, "reading the schema of \"%s\": %s",
             s->table, sqlite3_errmsg(s->db));
out:
    sqlite3_finalize(q);
    free(probe);
    return ret;
}

/* Run one statement of our own (DDL, transaction control). */
static int exec_sql(wsq_sink *s, const char *sql)
{
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        rc = sqlite3_extended_errcode(s->db);
        set_msg(s, sqlite3_errmsg(s->db));
    }
    return rc;
}

/* Hash of a column name as SQLite compares names: ASCII case folded. */
static uint32_t name_hash_nocase(const char *name)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ (uint32_t)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p)) *
            16777619u;
    return h;
}

/* Distinct column names in first-seen order, with a hash index so that
 * a batch of wide records costs one probe per field, not a scan. */
typedef struct name_set {
    const char **names; /* (mask + 1) / 2 entries; names borrowed */
    size_t count;
    uint32_t *slots;    /* index + 1; 0 empty; at most half full */
    size_t mask;
} name_set;

static void name_set_free(name_set *set)
{
    free(set->names);
    free(set->slots);
    memset(set, 0, sizeof *set);
}

/* Add `name` unless an equal one is there.  Returns 0 when added, 1
 * when names[*at] equals it (at may be NULL), -1 out of memory. */
static int name_set_add(name_set *set, const char *name, size_t *at)
{
    if (2 * (set->count + 1) > (set->slots ? set->mask + 1 : 0)) {
        size_t n = set->slots ? 2 * (set->mask + 1) : 64;
        uint32_t *slots = calloc(n, sizeof *slots);
        const char **names = realloc(set->names, n / 2 * sizeof *names);
        if (names != NULL)
            set->names = names;
        if (slots == NULL || names == NULL) {
            free(slots);
            return -1;
        }
        free(set->slots);
        set->slots = slots;
        set->mask = n - 1;
        for (size_t i = 0; i < set->count; i++) {
            size_t k = name_hash_nocase(set->names[i]) & set->mask;
            while (set->slots[k])
                k = (k + 1) & set->mask;
            set->slots[k] = (uint32_t)i + 1;
        }
    }
    size_t k = name_hash_nocase(name) & set->mask;
    for (; set->slots[k]; k = (k + 1) & set->mask) {
        if (sqlite3_stricmp(set->names[set->slots[k] - 1], name) == 0) {
            if (at != NULL)
                *at = set->slots[k] - 1;
            return 1;
        }
    }
    set->names[set->count] = name;
    set->slots[k] = (uint32_t)++set->count;
    return 0;
}

/* CREATE TABLE with every field of the batch's records, in the order
 * first seen, plus any key column none of them has. */
static int create_table(wsq_sink *s, weir_batch *b)
{
    const weir_host *h = s->c.host;
    name_set set = {0};
    char *sql = NULL;
    int rc = SQLITE_NOMEM;

    for (size_t i = 0, n = h->batch_count(b); i < n; i++) {
        weir_record *r = h->batch_at(b, i);
        size_t nf = h->record_field_count(r);
        for (size_t f = 0; f < nf; f++)
            if (name_set_add(&set, h->record_field_name(r, f), NULL) < 0)
                goto out;
    }
    for (size_t j = 0; j < s->nkeys; j++)
        if (name_set_add(&set, s->keys[j], NULL) < 0)
            goto out;
    sql = wsq_sql_create(s->table, set.names, set.count,
                         (const char *const *)s->keys, s->nkeys);
    if (sql == NULL)
        goto out;
    rc = exec_sql(s, sql);
    if (rc != SQLITE_OK)
        goto out;
    s->ddl = 1;
    if (schema_load(s) != 0)
        rc = SQLITE_ERROR;
out:
    if (rc == SQLITE_NOMEM)
        set_msg(s, "out of memory");
    free(sql);
    name_set_free(&set);
    return rc;
}

/* ---- one record ---------------------------------------------------- */

static int reject(wsq_sink *s, weir_record *r, const char *message)
{
    s->c.host->record_answer(r, WEIR_RESULT_REJECT, message, NULL);
    return AR_REJECTED;
}

/* A statement failed with `rc`: reject the record with SQLite's words,
 * or leave the text for the caller's rollback. */
static int failed(wsq_sink *s, weir_record *r, int rc, const char *message)
{
    if (message != s->msg)
        set_msg(s, message);
    if (is_permanent(rc))
        return reject(s, r, s->msg);
    return AR_TRANSIENT;
}

/* Step a bound statement once and reset it. */
static int run(wsq_sink *s, weir_record *r, sqlite3_stmt *stmt)
{
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(stmt);
        return AR_OK;
    }
    /* Copy the text before reset, which may rewrite it. */
    set_msg(s, sqlite3_errmsg(s->db));
    sqlite3_reset(stmt);
    return failed(s, r, rc, s->msg);
}

/* Bind in place: the value lives until the batch moves on, long past
 * the step, so SQLite need not copy it.  NULL binds SQL NULL. */
static int bind_value(sqlite3_stmt *stmt, int param, const char *v,
                      size_t len)
{
    if (v == NULL)
        return sqlite3_bind_null(stmt, param);
    if (len > 0x7fffffff)
        return SQLITE_TOOBIG;
    return sqlite3_bind_text(stmt, param, v, (int)len, SQLITE_STATIC);
}

static int apply_delete(wsq_sink *s, weir_record *r)
{
    const weir_host *h = s->c.host;

    if (s->del == NULL) {
        char *sql = wsq_sql_delete(s->table, (const char *const *)s->keys,
                                   s->nkeys);
        if (sql == NULL)
            return failed(s, r, SQLITE_NOMEM, "out of memory");
        int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
                                    &s->del, NULL);
        free(sql);
        if (rc != SQLITE_OK)
            return failed(s, r, sqlite3_extended_errcode(s->db),
                          sqlite3_errmsg(s->db));
    }
    for (size_t j = 0; j < s->nkeys; j++) {
        size_t len = 0;
        const char *v = h->record_get(r, s->keys[j], &len);
        if (v == NULL) {
            h->record_answerf(r, WEIR_RESULT_REJECT, "missing key field %s",
                              s->keys[j]);
            return AR_REJECTED;
        }
        int rc = bind_value(s->del, (int)j + 1, v, len);
        if (rc != SQLITE_OK)
            return failed(s, r, rc, sqlite3_errstr(rc));
    }
    return run(s, r, s->del);
}

/* The cached statement for r's field list, or NULL. */
static stmt_entry *entry_find(wsq_sink *s, const weir_record *r, size_t nf)
{
    const weir_host *h = s->c.host;
    stmt_entry *e = s->last;

    if (e != NULL && e->n == nf) {
        size_t i = 0;
        while (i < nf && strcmp(h->record_field_name(r, i), e->names[i]) == 0)
            i++;
        if (i == nf)
            return e;
    }
    for (size_t c = 0; c < s->ncache; c++) {
        e = &s->cache[c];
        if (e == s->last || e->n != nf)
            continue;
        size_t i = 0;
        while (i < nf && strcmp(h->record_field_name(r, i), e->names[i]) == 0)
            i++;
        if (i == nf)
            return e;
    }
    return NULL;
}

/* Give the table a column for each of r's fields that has none, when
 * `create` allows.  All or none: the columns of a record that SQLite
 * refuses part-way (too many columns) do not stay behind in the batch's
 * transaction.  Returns AR_OK, AR_REJECTED or AR_TRANSIENT. */
static int add_columns(wsq_sink *s, weir_record *r, const char *const *names,
                       size_t nf)
{
    const weir_host *h = s->c.host;
    size_t ncols = s->ncols;
    int ddl = s->ddl;
    int saved = 0;
    int ret = AR_OK;

    for (size_t i = 0; i < nf && ret == AR_OK; i++) {
        if (col_find(s, names[i]) >= 0)
            continue;
        if (!s->create) {
            h->record_answerf(r, WEIR_RESULT_REJECT,
                              "field %s: table %s has no such column",
                              names[i], s->table);
            ret = AR_REJECTED;
            break;
        }
        int rc = saved ? SQLITE_OK : exec_sql(s, "SAVEPOINT wsq_columns");
        char *sql = NULL;
        if (rc == SQLITE_OK) {
            saved = 1;
            sql = wsq_sql_add_column(s->table, names[i]);
            rc = sql ? exec_sql(s, sql) : SQLITE_NOMEM;
            free(sql);
        }
        if (rc == SQLITE_OK) {
            s->ddl = 1;
            rc = col_add(s, names[i]) == 0 ? SQLITE_OK : SQLITE_NOMEM;
        }
        if (rc != SQLITE_OK)
            ret = failed(s, r, rc, rc == SQLITE_NOMEM ? "out of memory"
                                                      : s->msg);
    }
    if (!saved)
        return ret;
    if (ret == AR_OK) {
        sqlite3_exec(s->db, "RELEASE wsq_columns", NULL, NULL, NULL);
        return ret;
    }
    /* Undo this record's columns, in the database and in our list.  (If
     * SQLite rolled the whole transaction back, this fails harmlessly and
     * the caller's rollback forgets the schema.) */
    sqlite3_exec(s->db, "ROLLBACK TO wsq_columns; RELEASE wsq_columns", NULL,
                 NULL, NULL);
    while (s->ncols > ncols)
        free(s->cols[--s->ncols]);
    s->ddl = ddl;
    return ret;
}

/* Prepare the upsert for r's field list, adding missing columns when
 * `create` allows.  Returns AR_OK with *out set, or AR_REJECTED /
 * AR_TRANSIENT. */
static int entry_build(wsq_sink *s, weir_record *r, size_t nf,
                       stmt_entry **out)
{
    const weir_host *h = s->c.host;
    stmt_entry e = {0};
    unsigned char *is_key = NULL;
    char *sql = NULL;
    int ret = AR_TRANSIENT;

    set_msg(s, "out of memory");
    e.names = calloc(nf ? nf : 1, sizeof *e.names);
    e.key_at = calloc(s->nkeys, sizeof *e.key_at);
    is_key = calloc(nf ? nf : 1, 1);
    if (e.names == NULL || e.key_at == NULL || is_key == NULL)
        goto out;
    for (size_t i = 0; i < nf; i++) {
        e.names[i] = wsq_strdup(h->record_field_name(r, i));
        if (e.names[i] == NULL)
            goto out;
        e.n = i + 1;
    }
    for (size_t j = 0; j < s->nkeys; j++) {
        size_t i = 0;
        while (i < nf && strcmp(e.names[i], s->keys[j]) != 0)
            i++;
        if (i == nf) {
            h->record_answerf(r, WEIR_RESULT_REJECT, "missing key field %s",
                              s->keys[j]);
            ret = AR_REJECTED;
            goto out;
        }
        e.key_at[j] = i;
        is_key[i] = 1;
    }
    /* SQLite would silently keep one of two fields naming the same
     * column ("Name" and "name"); say so instead. */
    name_set seen = {0};
    for (size_t i = 0; i < nf; i++) {
        size_t k = 0;
        int added = name_set_add(&seen, e.names[i], &k);
        if (added < 0)
            break; /* out of memory: ret is AR_TRANSIENT */
        if (added == 1) {
            h->record_answerf(r, WEIR_RESULT_REJECT,
                              "fields %s and %s name the same column",
                              e.names[k], e.names[i]);
            ret = AR_REJECTED;
            break;
        }
    }
    int complete = seen.count == nf;
    name_set_free(&seen);
    if (!complete)
        goto out;
    ret = add_columns(s, r, (const char *const *)e.names, nf);
    if (ret != AR_OK)
        goto out;
    ret = AR_TRANSIENT;
    set_msg(s, "out of memory");
    sql = wsq_sql_upsert(s->table, (const char *const *)e.names, is_key, nf,
                         (const char *const *)s->keys, s->nkeys);
    if (sql == NULL)
        goto out;
    int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
                                &e.stmt, NULL);
    if (rc == SQLITE_OK && nf > s->nkeys) {
        free(sql);
        if ((sql = wsq_sql_update(s->table, (const char *const *)e.names, is_key,
                                  nf)) == NULL)
            goto out;
        rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
                                &e.update, NULL);
    }
    if (rc != SQLITE_OK) {
        ret = failed(s, r, sqlite3_extended_errcode(s->db),
                     sqlite3_errmsg(s->db));
        goto out;
    }
    /* Into the cache, evicting the least recently used when full. */
    size_t slot = s->ncache;
    if (slot == CACHE_MAX) {
        slot = 0;
        for (size_t c = 1; c < CACHE_MAX; c++)
            if (s->cache[c].used < s->cache[slot].used)
                slot = c;
        entry_free(&s->cache[slot]);
    } else {
        s->ncache++;
    }
    s->cache[slot] = e;
    memset(&e, 0, sizeof e);
    *out = &s->cache[slot];
    ret = AR_OK;
out:
    entry_free(&e);
    free(is_key);
    free(sql);
    return ret;
}

/* Bind r's nf fields to stmt, parameter i+1 field i. */
static int bind_all(wsq_sink *s, weir_record *r, sqlite3_stmt *stmt, size_t nf)
{
    const weir_host *h = s->c.host;
    for (size_t i = 0; i < nf; i++) {
        size_t len = 0;
        const char *v = h->record_field_value(r, i, &len);
        int rc = bind_value(stmt, (int)i + 1, v, len);
        if (rc != SQLITE_OK)
            return rc;
    }
    return SQLITE_OK;
}

static int apply_upsert(wsq_sink *s, weir_record *r)
{
    const weir_host *h = s->c.host;
    size_t nf = h->record_field_count(r);
    stmt_entry *e = entry_find(s, r, nf);

    if (e == NULL) {
        int ar = entry_build(s, r, nf, &e);
        if (ar != AR_OK)
            return ar;
    }
    e->used = ++s->tick;
    s->last = e;
    for (size_t j = 0; j < s->nkeys; j++) {
        if (h->record_field_value(r, e->key_at[j], NULL) == NULL) {
            h->record_answerf(r, WEIR_RESULT_REJECT, "missing key field %s",
                              s->keys[j]);
            return AR_REJECTED;
        }
    }
    int rc = bind_all(s, r, e->stmt, nf);
    if (rc != SQLITE_OK)
        return failed(s, r, rc, sqlite3_errstr(rc));
    rc = sqlite3_step(e->stmt);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(e->stmt);
        return AR_OK;
    }
    /* SQLite checks NOT NULL on the row to insert before it looks for
     * the conflict: a record that carries only some of a row's fields
     * is refused by the upsert even though the row is there.  Then the
     * row is updated, when it is there; else the refusal stands. */
    set_msg(s, sqlite3_errmsg(s->db));
    int xrc = sqlite3_extended_errcode(s->db);
    sqlite3_reset(e->stmt);
    if (xrc == SQLITE_CONSTRAINT_NOTNULL && e->update) {
        int urc = bind_all(s, r, e->update, nf);
        if (urc != SQLITE_OK)
            return failed(s, r, urc, sqlite3_errstr(urc));
        int ar = run(s, r, e->update);
        if (ar != AR_OK || sqlite3_changes(s->db) > 0)
            return ar;
    }
    return failed(s, r, xrc, s->msg); /* the upsert's refusal */
}

static int apply_record(wsq_sink *s, weir_record *r)
{
    if (s->c.host->record_op(r) == WEIR_OP_DELETE)
        return apply_delete(s, r);
    return apply_upsert(s, r);
}

/* ---- transactions -------------------------------------------------- */

/* Roll back if a transaction is still open (SQLite rolls back by itself
 * on some errors), and forget the schema if that undid our DDL. */
static void rollback(wsq_sink *s)
{
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    if (s->ddl)
        schema_forget(s);
    s->ddl = 0;
}

/* Every record of the batch not rejected: RETRY. */
static void retry_pending(wsq_sink *s, weir_batch *b, size_t n)
{
    const weir_host *h = s->c.host;
    for (size_t i = 0; i < n; i++)
        if (s->st[i] == ST_PENDING)
            h->record_answer(h->batch_at(b, i), WEIR_RESULT_RETRY, s->msg,
                             NULL);
}

/* begin() outcomes. */
enum {
    BEGIN_OK = 0,
    BEGIN_TRANSIENT, /* s->msg says why; the records may go again later */
    BEGIN_REFUSED    /* SQLite refused to create the table from these
                      * records' fields (too many columns, say): their
                      * fault, and it never goes away */
};

/* Start a transaction, knowing the table (reloading its schema after a
 * rollback undid our DDL) and creating it if it is still missing, with
 * the fields of the batch's records. */
static int begin(wsq_sink *s, weir_batch *b)
{
    if (!s->schema_known && schema_load(s) != 0)
        return BEGIN_TRANSIENT;
    if (exec_sql(s, "BEGIN IMMEDIATE") != SQLITE_OK)
        return BEGIN_TRANSIENT;
    if (!s->table_exists) {
        int rc = create_table(s, b);
        if (rc != SQLITE_OK) {
            rollback(s);
            return is_permanent(rc) ? BEGIN_REFUSED : BEGIN_TRANSIENT;
        }
    }
    return BEGIN_OK;
}

static int commit(wsq_sink *s)
{
    int rc = exec_sql(s, "COMMIT");
    if (rc == SQLITE_OK)
        s->ddl = 0;
    return rc;
}

/* The transaction was refused as a whole and rolled back, for a fault of
 * some record (rejected already when SQLite named it): the core sends the
 * rest again in smaller batches to find it. */
static weir_status refused(wsq_sink *s)
{
    s->c.host->set_error(s->c.inst, "%s", s->msg);
    return WEIR_STATUS_SPLIT;
}

weir_status wsq_sink_write(void *state, weir_batch *b)
{
    wsq_sink *s = state;
    const weir_host *h = s->c.host;
    size_t n = h->batch_count(b);

    if (n == 0)
        return WEIR_STATUS_OK;
    if (n > s->st_cap) {
        unsigned char *grown = realloc(s->st, n);
        if (grown == NULL) {
            h->log(s->c.inst, WEIR_LOG_ERROR, "out of memory");
            return WEIR_STATUS_ERROR;
        }
        s->st = grown;
        s->st_cap = n;
    }
    memset(s->st, ST_PENDING, n);
    /* Nothing is applied yet: a table that cannot take upserts (dropped,
     * replaced since open) fails the call as a whole. */
    if (!s->schema_known && schema_load(s) != 0) {
        h->log(s->c.inst, WEIR_LOG_ERROR, "database %s: %s", s->path, s->msg);
        return WEIR_STATUS_ERROR;
    }
    int bg = begin(s, b);
    if (bg == BEGIN_REFUSED)
        return refused(s);
    if (bg != BEGIN_OK) {
        retry_pending(s, b, n);
        return WEIR_STATUS_OK;
    }
    for (size_t i = 0; i < n; i++) {
        int ar = apply_record(s, h->batch_at(b, i));
        if (ar == AR_OK)
            continue;
        if (ar == AR_TRANSIENT) {
            rollback(s);
            retry_pending(s, b, n);
            return WEIR_STATUS_OK;
        }
        s->st[i] = ST_REJECTED;
        if (sqlite3_get_autocommit(s->db)) {
            /* The failure took the whole transaction with it (a trigger's
             * RAISE(ROLLBACK), ON CONFLICT ROLLBACK). */
            rollback(s);
            return refused(s);
        }
    }
    int rc = commit(s);
    if (rc != SQLITE_OK) {
        rollback(s);
        if (is_permanent(rc))
            return refused(s); /* a deferred constraint names no record */
        retry_pending(s, b, n);
        return WEIR_STATUS_OK;
    }
    /* The rest was answered REJECT on the way. */
    for (size_t i = 0; i < n; i++)
        if (s->st[i] == ST_PENDING)
            h->record_answer(h->batch_at(b, i), WEIR_RESULT_OK, NULL, NULL);
    return WEIR_STATUS_OK;
}

/* ---- probe ------------------------------------------------------------ */

static int unreachable(int code);

/* Is the database writable again?  BEGIN IMMEDIATE takes the write lock
 * (waiting up to busy-timeout) and ROLLBACK lets it go: nothing of the
 * target's data is touched, no record is spent. */
weir_status wsq_sink_probe(void *state)
{
    wsq_sink *s = state;
    int rc = exec_sql(s, "BEGIN IMMEDIATE");
    if (rc == SQLITE_OK)
        rc = exec_sql(s, "ROLLBACK");
    if (rc == SQLITE_OK)
        return WEIR_STATUS_OK;
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    s->c.host->set_error(s->c.inst, "database %s: %s", s->path, s->msg);
    return unreachable(rc) ? WEIR_STATUS_DOWN : WEIR_STATUS_ERROR;
}

/* ---- open / close ---------------------------------------------------- */

void wsq_sink_close(void *state)
{
    wsq_sink *s = state;
    if (s == NULL)
        return;
    schema_forget(s);
    sqlite3_close_v2(s->db);
    wsq_words_free(s->keys, s->nkeys);
    free(s->st);
    free(s);
}

/* The option's value as one of `values` (*out NULL: unset); -1 when it
 * is none of them, with s->msg saying which it may be (`said`). */
static int option_choice(wsq_sink *s, const char *option,
                         const char *const *values, size_t n,
                         const char *said, const char **out)
{
    const char *v = s->c.host->option(s->c.inst, option);
    *out = NULL;
    if (v == NULL)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (sqlite3_stricmp(v, values[i]) == 0) {
            *out = values[i];
            return 0;
        }
    }
    snprintf(s->msg, sizeof s->msg, "%s must be %s, not \"%s\"", option,
             said, v);
    return -1;
}

/* PRAGMA synchronous for this connection only, when the user asks. */
static int set_synchronous(wsq_sink *s)
{
    static const char *const levels[] = {"off", "normal", "full"};
    const char *level;
    if (option_choice(s, "synchronous", levels, 3, "off, normal or full",
                      &level) != 0)
        return -1;
    if (level == NULL)
        return 0;
    char sql[40];
    snprintf(sql, sizeof sql, "PRAGMA synchronous = %s", level);
    return exec_sql(s, sql) == SQLITE_OK ? 0 : -1;
}

/* How long the journal-mode switch waits between tries. */
#define SWITCH_RETRY_MS 20

/* *v = the integer a PRAGMA answers; 0, or -1 (s->msg set). */
static int pragma_int(wsq_sink *s, const char *sql, int *v)
{
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &q, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        *v = sqlite3_column_int(q, 0);
    else
        set_msg(s, sqlite3_errmsg(s->db));
    sqlite3_finalize(q);
    return rc == SQLITE_ROW ? 0 : -1;
}

/* PRAGMA journal_mode, when the user asks.  SQLite answers a switch it
 * cannot make (no shared memory for WAL on this file system, say) with
 * the mode the database stays in: that fails the open, rather than
 * leaving the user's choice silently unmade.  *wal: whether the database
 * is in WAL mode now (asked for here or chosen by its owner). */
static int set_journal_mode(wsq_sink *s, int *wal)
{
    static const char *const modes[] = {"delete", "wal"};
    const char *mode;
    if (option_choice(s, "journal-mode", modes, 2, "delete or wal", &mode) !=
        0)
        return -1;
    char sql[40];
    snprintf(sql, sizeof sql, "PRAGMA journal_mode%s%s", mode ? " = " : "",
             mode ? mode : "");
    /* While another connection writes, SQLite refuses the switch at once
     * instead of waiting (waiting with our read lock could deadlock), so
     * the sink tries again, holding nothing, up to its busy-timeout.  The
     * busy handler is off meanwhile: past a writer's exclusive lock each
     * try would wait it out, busy-timeout for every 20 ms of it. */
    int timeout_ms, waited = 0;
    if (pragma_int(s, "PRAGMA busy_timeout", &timeout_ms) != 0)
        return -1;
    sqlite3_busy_timeout(s->db, 0);
    sqlite3_stmt *q = NULL;
    int rc;
    for (;;) {
        rc = sqlite3_prepare_v2(s->db, sql, -1, &q, NULL);
        if (rc == SQLITE_OK)
            rc = sqlite3_step(q);
        if ((rc & 0xff) != SQLITE_BUSY || waited >= timeout_ms)
            break;
        sqlite3_finalize(q);
        q = NULL;
        waited += sqlite3_sleep(SWITCH_RETRY_MS);
    }
    sqlite3_busy_timeout(s->db, timeout_ms);
    if (rc != SQLITE_ROW) {
        /* say it was the switch: "database is locked" alone puzzles a
         * user whose target is only being read */
        if (mode)
            snprintf(s->msg, sizeof s->msg, "journal-mode %s: %s", mode,
                     sqlite3_errmsg(s->db));
        else
            set_msg(s, sqlite3_errmsg(s->db));
        sqlite3_finalize(q);
        return -1;
    }
    const char *now = (const char *)sqlite3_column_text(q, 0);
    int ok = mode == NULL || (now != NULL && sqlite3_stricmp(now, mode) == 0);
    if (!ok)
        snprintf(s->msg, sizeof s->msg,
                 "journal-mode %s: SQLite keeps the database in %s mode",
                 mode, now ? now : "an unknown");
    *wal = now != NULL && sqlite3_stricmp(now, "wal") == 0;
    sqlite3_finalize(q);
    return ok ? 0 : -1;
}

/* How much of one transaction's changes the page cache holds before it
 * spills pages into the database file.  In a rollback journal each spill
 * first syncs the journal: a batch of 5,000 changes at random keys
 * dirties a few thousand pages, overflows SQLite's 2 MB cache and was
 * synced about ten times instead of twice.  Only the pages a transaction
 * changes are kept past cache_size (and freed at its commit), so this
 * costs memory only while a batch needs it; a spill into a WAL needs no
 * sync, and there the default stays. */
#define SPILL_BYTES (64 << 20)

static int set_spill(wsq_sink *s)
{
    int page;
    if (pragma_int(s, "PRAGMA page_size", &page) != 0 || page <= 0)
        return -1;
    char sql[48];
    snprintf(sql, sizeof sql, "PRAGMA cache_spill = %d", SPILL_BYTES / page);
    return exec_sql(s, sql) == SQLITE_OK ? 0 : -1;
}

/* A target that may answer later (locked, its folder or share not there
 * now, an I/O error) rather than a setup that can never work (a table
 * without the key's index, a bad option). */
static int unreachable(int code)
{
    switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
        return 1;
    default:
        return 0;
    }
}

weir_status wsq_sink_open(weir_instance *inst, const weir_host *host,
                          void **state)
{
    int code = SQLITE_OK; /* SQLite's answer, when that is what failed */
    wsq_sink *s = calloc(1, sizeof *s);
    if (s == NULL) {
        host->set_error(inst, "out of memory");
        return WEIR_STATUS_ERROR;
    }
    s->c.kind = WEIR_KIND_SINK;
    s->c.inst = inst;
    s->c.host = host;
    s->path = host->option(inst, "database");
    s->table = host->option(inst, "table");
    const char *key = host->option(inst, "key");
    if (s->path == NULL || s->table == NULL || key == NULL) {
        host->set_error(inst,
                        "options database, table and key are required");
        goto fail;
    }
    if (wsq_words_split(key, &s->keys, &s->nkeys) != 0) {
        host->set_error(inst, "out of memory");
        goto fail;
    }
    if (s->nkeys == 0) {
        host->set_error(inst, "key names no column");
        goto fail;
    }
    for (size_t j = 0; j < s->nkeys; j++) {
        for (size_t k = 0; k < j; k++) {
            if (sqlite3_stricmp(s->keys[j], s->keys[k]) == 0) {
                host->set_error(inst, "key names column %s twice",
                                s->keys[j]);
                goto fail;
            }
        }
    }
    s->create = 1;
    if (host->option_bool(inst, "create", &s->create) != 0)
        s->create = 1;
    s->db = wsq_db_open(inst, host, s->path,
                        SQLITE_OPEN_READWRITE |
                            (s->create ? SQLITE_OPEN_CREATE : 0),
                        &code);
    if (s->db == NULL)
        goto fail;
    int wal = 0;
    /* Foreign keys declared in the schema are enforced, as the user who
     * declared them expects; this is a setting of our connection only. */
    if (exec_sql(s, "PRAGMA foreign_keys = ON") != SQLITE_OK ||
        set_journal_mode(s, &wal) != 0 || (!wal && set_spill(s) != 0) ||
        set_synchronous(s) != 0 || schema_load(s) != 0) {
        code = sqlite3_extended_errcode(s->db);
        host->set_error(inst, "database %s: %s", s->path, s->msg);
        goto fail;
    }
    *state = s;
    return WEIR_STATUS_OK;
fail:
    wsq_sink_close(s);
    return unreachable(code) ? WEIR_STATUS_DOWN : WEIR_STATUS_ERROR;
}
