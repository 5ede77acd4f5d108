/*
 * tests/test_sqlite.c - the sqlite connector, source and sink, against
 * real SQLite files in the test's scratch directory, driven through the
 * real core by tests/harness.h and inspected with sqlite3 directly.
 */
#include "config.h"

#include <CUnit/CUnit.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cunit_main.h"
#include "harness.h"

/* ---- helpers ------------------------------------------------------ */

static char *xfmt(const char *fmt, ...) WEIR_PRINTF(1, 2);
static char *xfmt(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *out = malloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(out, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return out;
}

/* Escape text for an XML element body. (owned) */
static char *xml_text(const char *s)
{
    char *out = malloc(strlen(s) * 6 + 1), *o = out;
    for (; *s; s++) {
        const char *rep = NULL;
        switch (*s) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        default: *o++ = *s; continue;
        }
        strcpy(o, rep);
        o += strlen(rep);
    }
    *o = '\0';
    return out;
}

static char *path_in(const char *name)
{
    return xfmt("%s/%s", wt_tmpdir(), name);
}

static sqlite3 *db_open(const char *name)
{
    char *path = path_in(name);
    sqlite3 *db = NULL;
    CU_ASSERT_EQUAL_FATAL(sqlite3_open(path, &db), SQLITE_OK);
    free(path);
    sqlite3_busy_timeout(db, 2000);
    return db;
}

static void exec(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
    if (rc != SQLITE_OK)
        fprintf(stderr, "exec %s: %s\n", sql, err ? err : "?");
    CU_ASSERT_EQUAL_FATAL(rc, SQLITE_OK);
    sqlite3_free(err);
}

/* Create database `name` and run `sql` in it. */
static void make_db(const char *name, const char *sql)
{
    char *path = path_in(name);
    remove(path);
    free(path);
    sqlite3 *db = db_open(name);
    exec(db, sql);
    sqlite3_close(db);
}

/* First column of the first row of `sql` in `name`, or NULL when there
 * is no row or the value is NULL. (owned) */
static char *scalar(const char *name, const char *sql)
{
    sqlite3 *db = db_open(name);
    sqlite3_stmt *st = NULL;
    char *out = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        fprintf(stderr, "prepare %s: %s\n", sql, sqlite3_errmsg(db));
    CU_ASSERT_EQUAL(rc, SQLITE_OK);
    if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
        sqlite3_column_type(st, 0) != SQLITE_NULL)
        out = xfmt("%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
}

static long count(const char *name, const char *sql)
{
    char *v = scalar(name, sql);
    long n = v ? strtol(v, NULL, 10) : -1;
    free(v);
    return n;
}

/* The first value of `sql` in database `db` is `want` (NULL: no row or
 * NULL).  A mismatch is printed with the query, for the log. */
static void assert_scalar(const char *db, const char *sql, const char *want)
{
    char *got = scalar(db, sql);
    int same = want == NULL ? got == NULL
                            : got != NULL && strcmp(got, want) == 0;
    if (!same)
        fprintf(stderr, "%s: got [%s], want [%s]\n", sql,
                got ? got : "(null)", want ? want : "(null)");
    CU_ASSERT_TRUE(same);
    free(got);
}
#define ASSERT_SCALAR assert_scalar

/* CU_ASSERT_STRING_EQUAL without the crash on NULL. */
#define ASSERT_STR(got, want)                                              \
    do {                                                                   \
        const char *g_ = (got), *w_ = (want);                              \
        CU_ASSERT(g_ != NULL && strcmp(g_, w_) == 0);                      \
    } while (0)

#define PIPE_HEAD "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"t\">"
#define PIPE_TAIL "</pipeline>"
#define DUMMY_SOURCE                                                       \
    "<source plugin=\"sqlite\" name=\"in\">"                               \
    "<option name=\"database\">unused.db</option>"                         \
    "<option name=\"query\">SELECT 1</option></source>"
#define DUMMY_SINK                                                         \
    "<sink plugin=\"sqlite\" name=\"out\">"                                \
    "<option name=\"database\">unused.db</option>"                         \
    "<option name=\"table\">t</option>"                                    \
    "<option name=\"key\">k</option></sink>"

/* `extra`: more <option> elements, as XML. */
static wt_plugin *open_source_with(const char *db, const char *query,
                                   const char *extra)
{
    char *q = xml_text(query);
    char *xml = xfmt(PIPE_HEAD
                     "<source plugin=\"sqlite\" name=\"in\">"
                     "<option name=\"database\">%s</option>"
                     "<option name=\"query\">%s</option>%s</source>"
                     DUMMY_SINK PIPE_TAIL,
                     db, q, extra);
    wt_plugin *p = wt_open(xml, wt_tmpdir(), "in");
    free(xml);
    free(q);
    return p;
}

static wt_plugin *open_source(const char *db, const char *query)
{
    return open_source_with(db, query, "");
}

/* `extra`: more <option> elements, as XML. */
static wt_plugin *open_sink(const char *db, const char *table,
                            const char *key, const char *extra)
{
    char *t = xml_text(table), *k = xml_text(key);
    char *xml = xfmt(PIPE_HEAD DUMMY_SOURCE
                     "<sink plugin=\"sqlite\" name=\"out\">"
                     "<option name=\"database\">%s</option>"
                     "<option name=\"table\">%s</option>"
                     "<option name=\"key\">%s</option>%s</sink>" PIPE_TAIL,
                     db, t, k, extra ? extra : "");
    wt_plugin *p = wt_open(xml, wt_tmpdir(), "out");
    free(xml);
    free(t);
    free(k);
    return p;
}

static int contains(const char *hay, const char *needle)
{
    return hay != NULL && strstr(hay, needle) != NULL;
}

static weir_record *at(weir_batch *b, size_t i)
{
    return wt_host()->batch_at(b, i);
}

static const char *get(weir_batch *b, size_t i, const char *field)
{
    return wt_host()->record_get(at(b, i), field, NULL);
}

static weir_result result(weir_batch *b, size_t i, const char **msg)
{
    const char *m = NULL;
    weir_result res = wt_result(at(b, i), &m, NULL);
    if (msg != NULL)
        *msg = m;
    return res;
}

/* Assert record i was answered `want`, with a message containing `part`
 * (NULL: any). */
#define ASSERT_ANSWER(b, i, want, part)                                    \
    do {                                                                   \
        const char *m_ = NULL;                                             \
        weir_result r_ = result((b), (i), &m_);                            \
        if (r_ != (want) || ((part) != NULL && !contains(m_, (part))))     \
            fprintf(stderr, "record %d: result %d [%s], want %d [%s]\n",   \
                    (int)(i), (int)r_, m_ ? m_ : "", (int)(want),          \
                    (part) ? (const char *)(part) : "");                   \
        CU_ASSERT_EQUAL(r_, (want));                                       \
        if ((part) != NULL)                                                \
            CU_ASSERT(contains(m_, (part)));                               \
    } while (0)

/* ---- source ------------------------------------------------------- */

static void test_src_types(void)
{
    make_db("src_types.db",
            "CREATE TABLE c (i INTEGER, r REAL, t TEXT, n TEXT, e TEXT);"
            "INSERT INTO c VALUES (42, 1.5, 'h\xc3\xa9llo', NULL, '');"
            "INSERT INTO c VALUES (-7, NULL, 'x', 'y', 'z');");
    wt_plugin *p = open_source("src_types.db", "SELECT * FROM c ORDER BY i DESC");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(10);
    CU_ASSERT_EQUAL(wt_read(p, b), WEIR_STATUS_END);
    CU_ASSERT_EQUAL_FATAL(wt_host()->batch_count(b), 2);

    const weir_host *h = wt_host();
    size_t len = 99;
    ASSERT_STR(get(b, 0, "i"), "42");
    ASSERT_STR(get(b, 0, "r"), "1.5");
    ASSERT_STR(get(b, 0, "t"), "h\xc3\xa9llo");
    /* NULL: present, but no value */
    CU_ASSERT_TRUE(h->record_has(at(b, 0), "n"));
    CU_ASSERT_PTR_NULL(h->record_get(at(b, 0), "n", NULL));
    /* "": present, empty */
    const char *e = h->record_get(at(b, 0), "e", &len);
    CU_ASSERT_PTR_NOT_NULL(e);
    CU_ASSERT_EQUAL(len, 0);
    CU_ASSERT_EQUAL(h->record_field_count(at(b, 0)), 5);
    ASSERT_STR(get(b, 1, "i"), "-7");
    CU_ASSERT_PTR_NULL(get(b, 1, "r"));
    CU_ASSERT_EQUAL(wt_origin(at(b, 0)), 1);
    CU_ASSERT_EQUAL(wt_origin(at(b, 1)), 2);
    CU_ASSERT_EQUAL(result(b, 0, NULL), WEIR_RESULT_OK);

    /* After END, END again, and nothing more. */
    wt_batch_clear(b);
    CU_ASSERT_EQUAL(wt_read(p, b), WEIR_STATUS_END);
    CU_ASSERT_EQUAL(wt_host()->batch_count(b), 0);
    wt_batch_free(b);
    wt_close(p);
}

static void test_src_blob(void)
{
    make_db("src_blob.db",
            "CREATE TABLE c (id INTEGER, photo);"
            "INSERT INTO c VALUES (1, 'text');"
            "INSERT INTO c VALUES (2, x'00ff10');"
            "INSERT INTO c VALUES (3, NULL);");
    wt_plugin *p = open_source("src_blob.db", "SELECT id, photo FROM c ORDER BY id");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(10);
    CU_ASSERT_EQUAL(wt_read(p, b), WEIR_STATUS_END);
    CU_ASSERT_EQUAL_FATAL(wt_host()->batch_count(b), 3);
    ASSERT_ANSWER(b, 0, WEIR_RESULT_OK, NULL);
    ASSERT_ANSWER(b, 1, WEIR_RESULT_REJECT, "photo");
    ASSERT_ANSWER(b, 2, WEIR_RESULT_OK, NULL);
    ASSERT_STR(get(b, 1, "id"), "2"); /* the key stays readable */
    CU_ASSERT_EQUAL(wt_origin(at(b, 1)), 2);
    wt_batch_free(b);
    wt_close(p);
}

static void test_src_batches(void)
{
    make_db("src_batches.db",
            "CREATE TABLE c (id INTEGER PRIMARY KEY, v TEXT);"
            "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n "
            "WHERE x < 2500) INSERT INTO c SELECT x, 'v' || x FROM n;");
    wt_plugin *p = open_source("src_batches.db", "SELECT id, v FROM c ORDER BY id");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(100);
    long seen = 0;
    int status = WEIR_STATUS_OK, calls = 0, ordered = 1;
    while (status == WEIR_STATUS_OK && calls < 100) {
        wt_batch_clear(b);
        status = wt_read(p, b);
        calls++;
        size_t n = wt_host()->batch_count(b);
        CU_ASSERT(n <= 100);
        if (status == WEIR_STATUS_OK)
            CU_ASSERT_EQUAL(n, 100);
        for (size_t i = 0; i < n; i++) {
            seen++;
            char want[32];
            snprintf(want, sizeof want, "%ld", seen);
            if (strcmp(get(b, i, "id"), want) != 0 ||
                wt_origin(at(b, i)) != seen)
                ordered = 0;
        }
    }
    CU_ASSERT_EQUAL(status, WEIR_STATUS_END);
    CU_ASSERT_EQUAL(seen, 2500);
    CU_ASSERT_TRUE(ordered);
    CU_ASSERT(calls == 25 || calls == 26);
    wt_batch_free(b);
    wt_close(p);
}

static void test_src_refused(void)
{
    make_db("src_refused.db", "CREATE TABLE c (id INTEGER);"
                              "INSERT INTO c VALUES (1);");
    wt_plugin *p = open_source("src_refused.db", "SELECT * FROM c; SELECT 2");
    CU_ASSERT_PTR_NULL(p);
    CU_ASSERT(contains(wt_last_errors(), "one SQL statement"));
    CU_ASSERT(contains(wt_last_errors(), "src_refused.db"));
    wt_close(p);

    p = open_source("src_refused.db", "DELETE FROM c");
    CU_ASSERT_PTR_NULL(p);
    CU_ASSERT(contains(wt_last_errors(), "read-only"));
    wt_close(p);

    p = open_source("src_refused.db",
                    "INSERT INTO c VALUES (2) RETURNING id");
    CU_ASSERT_PTR_NULL(p);
    CU_ASSERT(contains(wt_last_errors(), "read-only"));
    wt_close(p);

    p = open_source("src_refused.db", "SELECT nope FROM c");
    CU_ASSERT_PTR_NULL(p);
    CU_ASSERT(contains(wt_last_errors(), "no such column"));
    wt_close(p);

    p = open_source("src_refused.db", "SELECT id, id FROM c");
    CU_ASSERT_PTR_NULL(p);
    CU_ASSERT(contains(wt_last_errors(), "twice"));
    wt_close(p);

    /* A trailing semicolon and comment are not a second statement. */
    p = open_source("src_refused.db", "SELECT id FROM c; -- all of them\n");
    CU_ASSERT_PTR_NOT_NULL(p);
    wt_close(p);

    /* The database is untouched. */
    CU_ASSERT_EQUAL(count("src_refused.db", "SELECT count(*) FROM c"), 1);
}

/* Read batches of 100 until the source stops; the rows seen go to *rows.
 * Returns the last status. */
static int read_rows(wt_plugin *p, long *rows)
{
    weir_batch *b = wt_batch_new(100);
    int status;
    *rows = 0;
    do {
        wt_batch_clear(b);
        status = wt_read(p, b);
        *rows += (long)wt_host()->batch_count(b);
    } while (status == WEIR_STATUS_OK);
    wt_batch_free(b);
    return status;
}

/* A query that fails part-way is a failed read, never a short one: with
 * <track> the rows not read would turn into deletes. */
static void test_src_fails_mid_query(void)
{
    make_db("src_mid.db",
            "CREATE TABLE c (id INTEGER PRIMARY KEY, v TEXT);"
            "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n "
            "WHERE x < 3000) INSERT INTO c SELECT x, printf('%0100d', x) "
            "FROM n;");

    /* An SQL error at row 250 (a function refusing its argument). */
    wt_plugin *p = open_source("src_mid.db",
                               "SELECT id, CASE id WHEN 250 THEN json('{') "
                               "ELSE v END AS v FROM c ORDER BY id");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    long rows = 0;
    CU_ASSERT_EQUAL(read_rows(p, &rows), WEIR_STATUS_ERROR);
    CU_ASSERT(rows < 250); /* the failed batch is dropped whole */
    CU_ASSERT(contains(wt_log(p), "src_mid.db: reading row 250 failed"));
    CU_ASSERT(contains(wt_log(p), "malformed JSON"));
    wt_close(p);

    /* Another connection holds the database locked once the query has
     * been prepared: SQLITE_BUSY at the first step. */
    p = open_source_with("src_mid.db", "SELECT id, v FROM c",
                         "<option name=\"busy-timeout\">50ms</option>");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    sqlite3 *other = db_open("src_mid.db");
    exec(other, "BEGIN EXCLUSIVE");
    CU_ASSERT_EQUAL(read_rows(p, &rows), WEIR_STATUS_ERROR);
    CU_ASSERT_EQUAL(rows, 0);
    CU_ASSERT(contains(wt_log(p), "database is locked"));
    exec(other, "COMMIT");
    sqlite3_close(other);
    wt_close(p);

    /* The last page of the table is garbage: SQLITE_CORRUPT part-way. */
    char *path = path_in("src_mid.db");
    FILE *f = fopen(path, "r+b");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(fseek(f, -4096, SEEK_END), 0);
    for (int i = 0; i < 4096; i++)
        fputc(0xff, f);
    fclose(f);
    free(path);
    p = open_source("src_mid.db", "SELECT id, v FROM c ORDER BY id");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(read_rows(p, &rows), WEIR_STATUS_ERROR);
    CU_ASSERT(rows > 0 && rows < 3000);
    CU_ASSERT(contains(wt_log(p), "malformed"));
    wt_close(p);
}

static void test_src_missing_db(void)
{
    char *path = path_in("src_missing.db");
    remove(path);
    wt_plugin *p = open_source("src_missing.db", "SELECT 1");
    CU_ASSERT_PTR_NULL(p);
    CU_ASSERT(contains(wt_last_errors(), "src_missing.db"));
    /* read-only open never creates the file */
    FILE *f = fopen(path, "r");
    CU_ASSERT_PTR_NULL(f);
    if (f != NULL)
        fclose(f);
    free(path);
    wt_close(p);
}

/* ---- sink --------------------------------------------------------- */

static void test_sink_create(void)
{
    char *path = path_in("sink_create.db");
    remove(path);
    free(path);
    wt_plugin *p = open_sink("sink_create.db", "customers", "code", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(10);
    wt_add(b, WEIR_OP_UPSERT, "code", "C1", "name", "Acme", "city", WT_NULL,
           NULL);
    wt_add(b, WEIR_OP_UPSERT, "code", "C2", "name", "", "city", "Lyon",
           NULL);
    CU_ASSERT_EQUAL(wt_write(p, b), WEIR_STATUS_OK);
    ASSERT_ANSWER(b, 0, WEIR_RESULT_OK, NULL);
    ASSERT_ANSWER(b, 1, WEIR_RESULT_OK, NULL);
    CU_ASSERT_EQUAL(wt_flush(p), WEIR_STATUS_OK);

    CU_ASSERT_EQUAL(count("sink_create.db", "SELECT count(*) FROM customers"), 2);
    ASSERT_SCALAR("sink_create.db",
                  "SELECT name FROM customers WHERE code = 'C1'", "Acme");
    /* NULL stays NULL, "" stays "" */
    ASSERT_SCALAR("sink_create.db",
                  "SELECT typeof(city) FROM customers WHERE code = 'C1'",
                  "null");
    ASSERT_SCALAR("sink_create.db",
                  "SELECT typeof(name) || length(name) FROM customers "
                  "WHERE code = 'C2'", "text0");
    /* TEXT columns, code is the primary key */
    ASSERT_SCALAR("sink_create.db",
                  "SELECT group_concat(name || ':' || type || ':' || pk, ' ') "
                  "FROM pragma_table_info('customers')",
                  "code:TEXT:1 name:TEXT:0 city:TEXT:0");

    /* A new field later: added as a column (create defaults to true). */
    wt_batch_clear(b);
    wt_add(b, WEIR_OP_UPSERT, "code", "C3", "name", "New", "phone", "555",
           NULL);
    CU_ASSERT_EQUAL(wt_write(p, b), WEIR_STATUS_OK);
    ASSERT_ANSWER(b, 0, WEIR_RESULT_OK, NULL);
    ASSERT_SCALAR("sink_create.db",
                  "SELECT phone FROM customers WHERE code = 'C3'", "555");

    /* Two fields naming one column (SQLite ignores case) are refused. */
    wt_batch_clear(b);
    wt_add(b, WEIR_OP_UPSERT, "code", "C4", "Name", "x", "city", "y",
           "name", "z", NULL);
    CU_ASSERT_EQUAL(wt_write(p, b), WEIR_STATUS_OK);
    ASSERT_ANSWER(b, 0, WEIR_RESULT_REJECT,
                  "fields Name and name name the same column");
    wt_batch_free(b);
    wt_close(p);
}

static void test_sink_upsert(void)
{
    make_db("sink_upsert.db",
            "CREATE TABLE customers (code TEXT PRIMARY KEY, name TEXT, "
            "city TEXT, credit INTEGER);");
    wt_plugin *p = open_sink("sink_upsert.db", "customers", "code", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(10);
    wt_add(b, WEIR_OP_UPSERT, "code", "A", "name", "Old", "city", "Paris",
           "credit", "10", NULL);
    wt_add(b, WEIR_OP_INSERT, "code", "B", "name", "Bee", NULL);
    CU_ASSERT_EQUAL(wt_write(p, b), WEIR_STATUS_OK);
    wt_batch_clear(b);
    /* update, insert of an existing key, and a partial upsert */
    wt_add(b, WEIR_OP_UPDATE, "code", "A", "name", "New", "city", "Nice",
           "credit", "20", NULL);
    wt_add(b, WEIR_OP_INSERT, "code", "B", "name", "Bee2", NULL);
    wt_add(b, WEIR_OP_UPSERT, "code", "A", "city", "Metz", NULL);
    CU_ASSERT_EQUAL(wt_write(p, b), WEIR_STATUS_OK);
    for (size_t i = 0; i < 3; i++)
        ASSERT_ANSWER(b, i, WEIR_RESULT_OK, NULL);
    CU_ASSERT_EQUAL(count("sink_upsert.db", "SELECT count(*) FROM customers"), 2);
    ASSERT_SCALAR("sink_upsert.db",
                  "SELECT name || '/' || city || '/' || credit || '/' || "
                  "typeof(credit) FROM customers WHERE code = 'A'",
                  "New/Metz/20/integer");
    ASSERT_SCALAR("sink_upsert.db",
                  "SELECT name FROM customers WHERE code = 'B'", "Bee2");
    wt_batch_free(b);
    wt_close(p);
}

static void test_sink_delete(void)
{
    make_db("sink_delete.db",
            "CREATE TABLE t (code TEXT PRIMARY KEY, name TEXT);"
            "INSERT INTO t VALUES ('A', 'a'), ('B', 'b'), ('C', 'c');");
    wt_plugin *p = open_sink("sink_delete.db", "t", "code", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(10);
    wt_add(b, WEIR_OP_DELETE, "code", "A", NULL);
    wt_add(b, WEIR_OP_DELETE, "code", "ZZZ", "name", "whatever", NULL);
    wt_add(b, WEIR_OP_UPSERT, "code", "D", "name", "d", NULL);
    wt_add(b, WEIR_OP_DELETE, "code", "D", NULL);
    wt_add(b, WEIR_OP_DELETE, "name", "b", NULL);
    CU_ASSERT_EQUAL(wt_write(p, b), WEIR_STATUS_OK);
    ASSERT_ANSWER(b, 0, WEIR_RESULT_OK, NULL);
    ASSERT_ANSWER(b, 1, WEIR_RESULT_OK, NULL); /* absent key: nothing to do */
    ASSERT_ANSWER(b, 2, WEIR_RESULT_OK, NULL);
    ASSERT_ANSWER(b, 3, WEIR_RESULT_OK, NULL);
    ASSERT_ANSWER(b, 4, WEIR_RESULT_REJECT, "missing key field code");
    ASSERT_SCALAR("sink_delete.db",
                  "SELECT group_concat(code, ',') FROM (SELECT code FROM t "
                  "ORDER BY code)", "B,C");
    wt_batch_free(b);
    wt_close(p);
}

static void test_sink_composite(void)
{
    char *path = path_in("sink_comp.db");
    remove(path);
    free(path);
    wt_plugin *p = open_sink("sink_comp.db", "stock", "warehouse sku", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(10);
    wt_add(b, WEIR_OP_UPSERT, "sku", "S1", "warehouse", "EU", "qty", "5", NULL);
    wt_add(b, WEIR_OP_UPSERT, "sku", "S1", "warehouse", "US", "qty", "7", NULL);
    wt_add(b, WEIR_OP_UPSERT, "sku", "S2", "warehouse", "EU", "qty", "1", NULL);
    CU_ASSERT_EQUAL(wt_write(p, b), WEIR_STATUS_OK);
    wt_batch_clear(b);
    wt_add(b, WEIR_OP_UPSERT, "warehouse", "EU", "sku", "S1", "qty", "6", NULL);
    wt_add(b, WEIR_OP_DELETE, "warehouse", "US", "sku", "S1", NULL);
    wt_add(b, WEIR_OP_UPSERT, "sku", "S3", "qty", "6", NULL);
    CU_ASSERT_EQUAL(wt_write(p, b), WEIR_STATUS_OK);
    ASSERT_ANSWER(b, 0, WEIR_RESULT_OK, NULL);
    ASSERT_ANSWER(b, 1, WEIR_RESULT_OK, NULL);
    ASSERT_ANSWER(b, 2, WEIR_RESULT_REJECT, "missing key field warehouse");
    ASSERT_SCALAR("sink_comp.db",
                  "SELECT group_concat(warehouse || sku || '=' || qty, ' ') "
                  "FROM (SELECT * FROM stock ORDER BY warehouse, sku)",
                  "EUS1=6 EUS2=1");
    ASSERT_SCALAR("sink_comp.db",
                  "SELECT group_concat(name, ',') FROM (SELECT name FROM "
                  "pragma_table_info('stock') WHERE pk > 0 ORDER BY pk)",
                  "warehouse,sku");
    wt_batch_free(b);
    wt_close(p);
}

static void test_sink_no_unique(void)
{
    make_db("sink_nouniq.db",
            "CREATE TABLE t (code TEXT, name TEXT);"
            "CREATE TABLE u (code TEXT, region TEXT, name TEXT);"
            "CREATE UNIQUE INDEX u_key ON u (region, code);"
            "CREATE TABLE partial (code TEXT, name TEXT);"
            "CREATE UNIQUE INDEX p_key ON partial (code) WHERE code > 'A';");
    static const char *const no_create =
        "<option name=\"create\">false</option>";

    wt_plugin *p = open_sink("sink_nouniq.db", "t", "code", no_create);
    CU_ASSERT_PTR_NULL(p);
    CU_ASSERT(contains(wt_last_errors(), "PRIMARY KEY or UNIQUE"));
    wt_close(p);
    /* an existing table is checked even with create=true */
    p = open_sink("sink_nouniq.db", "t", "code", NULL);
    CU_ASSERT_PTR_NULL(p);
    CU_ASSERT(contains(wt_last_errors(), "PRIMARY KEY or UNIQUE"));
    wt_close(p);
    /* an index on more columns than the key is not the key */
    p = open_sink("sink_nouniq.db", "u", "code", no_create);
    CU_ASSERT_PTR_NULL(p);
    wt_close(p);
    /* a partial index does not make the key unique */
    p = open_sink("sink_nouniq.db", "partial", "code", no_create);
    CU_ASSERT_PTR_NULL(p);
    wt_close(p);
    /* a key column the table lacks */
    p = open_sink("sink_nouniq.db", "u", "code nope", no_create);
    CU_ASSERT_PTR_NULL(p);
    CU_ASSERT(contains(wt_last_errors(), "nope"));
    wt_close(p);
    /* a missing table with create=false */
    p = open_sink("sink_nouniq.db", "absent", "code", no_create);
    CU_ASSERT_PTR_NULL(p);
    CU_ASSERT(contains(wt_last_errors(), "does not exist"));
    wt_close(p);
    /* a UNIQUE index on exactly the key, in any order, is enough */
    p = open_sink("sink_nouniq.db", "u", "code region", no_create);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(4);
    wt_add(b, WEIR_OP_UPSERT, "code", "1", "region", "r", "name", "x", NULL);
    wt_add(b, WEIR_OP_UPSERT, "code", "1", "region", "r", "name", "y", NULL);
    CU_ASSERT_EQUAL(wt_write(p, b), WEIR_STATUS_OK);
    ASSERT_SCALAR("sink_nouniq.db", "SELECT count(*) || name FROM u", "1y");
    wt_batch_free(b);
    wt_close(p);
}

static void test_sink_unknown_column(void)
{
    make_db("sink_unknown.db",
            "CREATE TABLE t (code TEXT PRIMARY KEY, name TEXT);");
    wt_plugin *p = open_sink("sink_unknown.db", "t", "code",
                             "<option name=\"create\">false</option>");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(10);
    wt_add(b, WEIR_OP_UPSERT, "code", "A", "name", "a", NULL);
    wt_add(b, WEIR_OP_UPSERT, "code", "B", "name", "b", "colour", "red", NULL);
    wt_add(b, WEIR_OP_UPSERT, "code", "C", "NAME", "c", NULL); /* case-blind */
    wt_add(b, WEIR_OP_UPSERT, "code", "D", "name", "d", "Name", "D", NULL);
    CU_ASSERT_EQUAL(wt_write(p, b), WEIR_STATUS_OK);
    ASSERT_ANSWER(b, 0, WEIR_RESULT_OK, NULL);
    ASSERT_ANSWER(b, 1, WEIR_RESULT_REJECT, "colour");
    ASSERT_ANSWER(b, 2, WEIR_RESULT_OK, NULL);
    ASSERT_ANSWER(b, 3, WEIR_RESULT_REJECT, "same column");
    CU_ASSERT_EQUAL(count("sink_unknown.db", "SELECT count(*) FROM t"), 2);
    ASSERT_SCALAR("sink_unknown.db",
                  "SELECT count(*) FROM pragma_table_info('t')", "2");
    wt_batch_free(b);
    wt_close(p);
}

/* A record with only some of a row's fields updates those, also when
 * the table has a NOT NULL column it does not carry (SQLite's upsert
 * checks NOT NULL before it finds the row: a write-back of one field
 * into a CRM table was refused).  A new key without that column is still
 * refused with SQLite's words. */
static void test_sink_partial_not_null(void)
{
    make_db("sink_partial.db",
            "CREATE TABLE accounts (account TEXT PRIMARY KEY, name TEXT NOT "
            "NULL, erp_code TEXT);"
            "INSERT INTO accounts VALUES ('K1', 'Brook Dairy', NULL);");
    wt_plugin *p = open_sink("sink_partial.db", "accounts", "account", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(10);
    wt_add(b, WEIR_OP_INSERT, "account", "K1", "erp_code", "C00001", NULL);
    wt_add(b, WEIR_OP_INSERT, "account", "K9", "erp_code", "C00009", NULL);
    wt_add(b, WEIR_OP_UPDATE, "account", "K1", "name", WT_NULL, NULL);
    CU_ASSERT_EQUAL(wt_write(p, b), WEIR_STATUS_OK);
    ASSERT_ANSWER(b, 0, WEIR_RESULT_OK, NULL);
    ASSERT_ANSWER(b, 1, WEIR_RESULT_REJECT, "NOT NULL constraint failed: accounts.name");
    ASSERT_ANSWER(b, 2, WEIR_RESULT_REJECT, "NOT NULL constraint failed: accounts.name");
    ASSERT_SCALAR("sink_partial.db",
                  "SELECT name || '/' || erp_code FROM accounts WHERE account = 'K1'",
                  "Brook Dairy/C00001");
    CU_ASSERT_EQUAL(count("sink_partial.db", "SELECT count(*) FROM accounts"), 1);
    wt_batch_free(b);
    wt_close(p);
}

static void test_sink_constraints(void)
{
    make_db("sink_cons.db",
            "CREATE TABLE t (code TEXT PRIMARY KEY, name TEXT NOT NULL, "
            "qty INTEGER CHECK (qty >= 0));");
    wt_plugin *p = open_sink("sink_cons.db", "t", "code", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(10);
    wt_add(b, WEIR_OP_UPSERT, "code", "A", "name", "a", "qty", "1", NULL);
    wt_add(b, WEIR_OP_UPSERT, "code", "B", "name", WT_NULL, "qty", "secret-42",
           NULL);
    wt_add(b, WEIR_OP_UPSERT, "code", "C", "name", "c", "qty", "-1", NULL);
    wt_add(b, WEIR_OP_UPSERT, "code", "D", "name", "d", "qty", "4", NULL);
    CU_ASSERT_EQUAL(wt_write(p, b), WEIR_STATUS_OK);
    ASSERT_ANSWER(b, 0, WEIR_RESULT_OK, NULL);
    const char *m = NULL;
    CU_ASSERT_EQUAL(result(b, 1, &m), WEIR_RESULT_REJECT);
    CU_ASSERT(m != NULL && strcmp(m, "NOT NULL constraint failed: t.name") == 0);
    ASSERT_ANSWER(b, 2, WEIR_RESULT_REJECT, "CHECK constraint failed");
    ASSERT_ANSWER(b, 3, WEIR_RESULT_OK, NULL);
    ASSERT_SCALAR("sink_cons.db",
                  "SELECT group_concat(code, ',') FROM (SELECT code FROM t "
                  "ORDER BY code)", "A,D");
    /* values never reach the log */
    CU_ASSERT(!contains(wt_log(p), "secret-42"));
    wt_batch_free(b);
    wt_close(p);
}

static void test_sink_mismatch(void)
{
    make_db("sink_mismatch.db",
            "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER) STRICT;");
    wt_plugin *p = open_sink("sink_mismatch.db", "t", "id", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(10);
    wt_add(b, WEIR_OP_UPSERT, "id", "1", "n", "10", NULL);
    wt_add(b, WEIR_OP_UPSERT, "id", "abc", "n", "1", NULL);
    wt_add(b, WEIR_OP_UPSERT, "id", "2", "n", "ten", NULL);
    wt_add(b, WEIR_OP_UPSERT, "id", "3", "n", "30", NULL);
    CU_ASSERT_EQUAL(wt_write(p, b), WEIR_STATUS_OK);
    ASSERT_ANSWER(b, 0, WEIR_RESULT_OK, NULL);
    ASSERT_ANSWER(b, 1, WEIR_RESULT_REJECT, "mismatch");
    ASSERT_ANSWER(b, 2, WEIR_RESULT_REJECT, "cannot store TEXT");
    ASSERT_ANSWER(b, 3, WEIR_RESULT_OK, NULL);
    ASSERT_SCALAR("sink_mismatch.db", "SELECT sum(n) FROM t", "40");
    wt_batch_free(b);
    wt_close(p);
}

static void test_sink_foreign_keys(void)
{
    make_db("sink_fk.db",
            "CREATE TABLE parent (id TEXT PRIMARY KEY);"
            "INSERT INTO parent VALUES ('P1');"
            "CREATE TABLE now (code TEXT PRIMARY KEY, "
            "pid TEXT REFERENCES parent (id));"
            "CREATE TABLE later (code TEXT PRIMARY KEY, "
            "pid TEXT REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);");
    /* immediate: the statement fails, the rest of the batch goes on */
    wt_plugin *p = open_sink("sink_fk.db", "now", "code", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(10);
    wt_add(b, WEIR_OP_UPSERT, "code", "A", "pid", "P1", NULL);
    wt_add(b, WEIR_OP_UPSERT, "code", "B", "pid", "P9", NULL);
    wt_add(b, WEIR_OP_UPSERT, "code", "C", "pid", "P1", NULL);
    CU_ASSERT_EQUAL(wt_write(p, b), WEIR_STATUS_OK);
    ASSERT_ANSWER(b, 0, WEIR_RESULT_OK, NULL);
    ASSERT_ANSWER(b, 1, WEIR_RESULT_REJECT, "FOREIGN KEY constraint failed");
    ASSERT_ANSWER(b, 2, WEIR_RESULT_OK, NULL);
    CU_ASSERT_EQUAL(count("sink_fk.db", "SELECT count(*) FROM now"), 2);
    wt_close(p);

    /* deferred: COMMIT fails and names no record.  The sink rolls the
     * whole batch back and says so (SPLIT, SQLite's text); the core's
     * replay in smaller batches finds the culprit. */
    p = open_sink("sink_fk.db", "later", "code", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(wt_write(p, b), WEIR_STATUS_SPLIT);
    CU_ASSERT_EQUAL(count("sink_fk.db", "SELECT count(*) FROM later"), 0);
    wt_deliver(p, b);
    ASSERT_ANSWER(b, 0, WEIR_RESULT_OK, NULL);
    ASSERT_ANSWER(b, 1, WEIR_RESULT_REJECT, "FOREIGN KEY constraint failed");
    ASSERT_ANSWER(b, 2, WEIR_RESULT_OK, NULL);
    CU_ASSERT_EQUAL(count("sink_fk.db", "SELECT count(*) FROM later"), 2);
    wt_batch_free(b);
    wt_close(p);
}

static void test_sink_trigger_abort(void)
{
    make_db("sink_abort.db",
            "CREATE TABLE invoices (code TEXT PRIMARY KEY, terms TEXT);"
            "CREATE TRIGGER terms_check BEFORE INSERT ON invoices "
            "WHEN NEW.terms = 'F48' BEGIN "
            "SELECT RAISE(ABORT, '1020 - Terms Code \"F48\" is not defined'); "
            "END;");
    wt_plugin *p = open_sink("sink_abort.db", "invoices", "code", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(10);
    wt_add(b, WEIR_OP_UPSERT, "code", "I1", "terms", "N30", NULL);
    wt_add(b, WEIR_OP_UPSERT, "code", "I2", "terms", "F48", NULL);
    wt_add(b, WEIR_OP_UPSERT, "code", "I3", "terms", "N60", NULL);
    CU_ASSERT_EQUAL(wt_write(p, b), WEIR_STATUS_OK);
    ASSERT_ANSWER(b, 0, WEIR_RESULT_OK, NULL);
    const char *m = NULL;
    CU_ASSERT_EQUAL(result(b, 1, &m), WEIR_RESULT_REJECT);
    CU_ASSERT(m != NULL &&
              strcmp(m, "1020 - Terms Code \"F48\" is not defined") == 0);
    ASSERT_ANSWER(b, 2, WEIR_RESULT_OK, NULL);
    ASSERT_SCALAR("sink_abort.db",
                  "SELECT group_concat(code, ',') FROM (SELECT code FROM "
                  "invoices ORDER BY code)", "I1,I3");
    wt_batch_free(b);
    wt_close(p);
}

static void test_sink_trigger_rollback(void)
{
    char *path = path_in("sink_rollback.db");
    remove(path);
    free(path);
    /* The table is created by the sink itself, so the isolation also has
     * to redo a CREATE TABLE the rollback took away. */
    wt_plugin *p = open_sink("sink_rollback.db", "t", "code", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(10);
    wt_add(b, WEIR_OP_UPSERT, "code", "seed", "name", "s", NULL);
    CU_ASSERT_EQUAL(wt_write(p, b), WEIR_STATUS_OK);
    sqlite3 *db = db_open("sink_rollback.db");
    exec(db, "CREATE TRIGGER no_bad BEFORE INSERT ON t "
             "WHEN NEW.name LIKE 'bad%' BEGIN "
             "SELECT RAISE(ROLLBACK, 'bad records are refused'); END;");
    sqlite3_close(db);

    wt_batch_clear(b);
    wt_add(b, WEIR_OP_UPSERT, "code", "A", "name", "a", NULL);
    wt_add(b, WEIR_OP_UPSERT, "code", "B", "name", "bad1", NULL);
    wt_add(b, WEIR_OP_UPSERT, "code", "C", "name", "c", "extra", "x", NULL);
    wt_add(b, WEIR_OP_UPSERT, "code", "D", "name", "bad2", NULL);
    wt_add(b, WEIR_OP_DELETE, "code", "seed", NULL);
    /* The sink names the first culprit and applies nothing... */
    CU_ASSERT_EQUAL(wt_write(p, b), WEIR_STATUS_SPLIT);
    ASSERT_ANSWER(b, 1, WEIR_RESULT_REJECT, "bad records are refused");
    CU_ASSERT_EQUAL(count("sink_rollback.db", "SELECT count(*) FROM t"), 1);
    /* ...and the core sends the rest again until only the bad ones fail. */
    wt_deliver(p, b);
    ASSERT_ANSWER(b, 0, WEIR_RESULT_OK, NULL);
    ASSERT_ANSWER(b, 1, WEIR_RESULT_REJECT, "bad records are refused");
    ASSERT_ANSWER(b, 2, WEIR_RESULT_OK, NULL);
    ASSERT_ANSWER(b, 3, WEIR_RESULT_REJECT, "bad records are refused");
    ASSERT_ANSWER(b, 4, WEIR_RESULT_OK, NULL);
    ASSERT_SCALAR("sink_rollback.db",
                  "SELECT group_concat(code || extra, ',') FROM (SELECT "
                  "code, coalesce(extra, '-') AS extra FROM t ORDER BY code)",
                  "A-,Cx");
    /* and the sink carries on normally */
    wt_batch_clear(b);
    wt_add(b, WEIR_OP_UPSERT, "code", "E", "name", "e", NULL);
    CU_ASSERT_EQUAL(wt_write(p, b), WEIR_STATUS_OK);
    ASSERT_ANSWER(b, 0, WEIR_RESULT_OK, NULL);
    CU_ASSERT_EQUAL(count("sink_rollback.db", "SELECT count(*) FROM t"), 3);
    wt_batch_free(b);
    wt_close(p);

    /* first batch of a fresh table, rolled back by the trigger */
    path = path_in("sink_rollback2.db");
    remove(path);
    free(path);
    p = open_sink("sink_rollback2.db", "t", "code", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    db = db_open("sink_rollback2.db");
    exec(db, "CREATE TABLE t (code TEXT PRIMARY KEY, name TEXT);"
             "CREATE TRIGGER no_bad BEFORE INSERT ON t "
             "WHEN NEW.name = 'bad' BEGIN "
             "SELECT RAISE(ROLLBACK, 'refused'); END;");
    sqlite3_close(db);
    b = wt_batch_new(10);
    wt_add(b, WEIR_OP_UPSERT, "code", "A", "name", "bad", NULL);
    wt_add(b, WEIR_OP_UPSERT, "code", "B", "name", "b", "more", "m", NULL);
    wt_deliver(p, b);
    ASSERT_ANSWER(b, 0, WEIR_RESULT_REJECT, "refused");
    ASSERT_ANSWER(b, 1, WEIR_RESULT_OK, NULL);
    ASSERT_SCALAR("sink_rollback2.db", "SELECT code || more FROM t", "Bm");
    wt_batch_free(b);
    wt_close(p);
}

static void test_sink_busy(void)
{
    make_db("sink_busy.db",
            "CREATE TABLE t (code TEXT PRIMARY KEY, name TEXT);");
    wt_plugin *p = open_sink("sink_busy.db", "t", "code",
                             "<option name=\"busy-timeout\">50ms</option>");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(10);

    /* Another writer holds the write lock: every record is RETRY. */
    sqlite3 *other = db_open("sink_busy.db");
    exec(other, "BEGIN IMMEDIATE; INSERT INTO t VALUES ('X', 'x');");
    wt_add(b, WEIR_OP_UPSERT, "code", "A", "name", "a", NULL);
    wt_add(b, WEIR_OP_UPSERT, "code", "B", "name", "b", NULL);
    wt_add(b, WEIR_OP_DELETE, "code", "X", NULL);
    CU_ASSERT_EQUAL(wt_write(p, b), WEIR_STATUS_OK);
    for (size_t i = 0; i < 3; i++)
        ASSERT_ANSWER(b, i, WEIR_RESULT_RETRY, "locked");
    exec(other, "COMMIT");

    /* A reader blocks our COMMIT: the applied records turn RETRY, the
     * rejected one stays rejected, nothing lands. */
    exec(other, "BEGIN; SELECT count(*) FROM t;");
    sqlite3_stmt *hold = NULL;
    CU_ASSERT_EQUAL(sqlite3_prepare_v2(other, "SELECT * FROM t", -1, &hold,
                                       NULL), SQLITE_OK);
    CU_ASSERT_EQUAL(sqlite3_step(hold), SQLITE_ROW); /* holds a read lock */
    wt_batch_clear(b);
    wt_add(b, WEIR_OP_UPSERT, "code", "A", "name", "a", NULL);
    wt_add(b, WEIR_OP_UPSERT, "name", "no key", NULL);
    wt_add(b, WEIR_OP_UPSERT, "code", "B", "name", "b", NULL);
    CU_ASSERT_EQUAL(wt_write(p, b), WEIR_STATUS_OK);
    ASSERT_ANSWER(b, 0, WEIR_RESULT_RETRY, "locked");
    ASSERT_ANSWER(b, 1, WEIR_RESULT_REJECT, "missing key field code");
    ASSERT_ANSWER(b, 2, WEIR_RESULT_RETRY, "locked");
    sqlite3_finalize(hold);
    exec(other, "COMMIT");
    sqlite3_close(other);
    CU_ASSERT_EQUAL(count("sink_busy.db", "SELECT count(*) FROM t"), 1);

    /* Lock gone: the same batch goes through. */
    CU_ASSERT_EQUAL(wt_write(p, b), WEIR_STATUS_OK);
    ASSERT_ANSWER(b, 0, WEIR_RESULT_OK, NULL);
    ASSERT_ANSWER(b, 2, WEIR_RESULT_OK, NULL);
    CU_ASSERT_EQUAL(count("sink_busy.db", "SELECT count(*) FROM t"), 3);
    wt_batch_free(b);
    wt_close(p);
}

/* probe(): can a write transaction start?  Touches no data. */
static void test_sink_probe(void)
{
    make_db("sink_probe.db",
            "CREATE TABLE t (code TEXT PRIMARY KEY, name TEXT);");
    wt_plugin *p = open_sink("sink_probe.db", "t", "code",
                             "<option name=\"busy-timeout\">50ms</option>");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(wt_probe(p), WEIR_STATUS_OK);
    CU_ASSERT_PTR_NULL(wt_error(p));
    /* another writer holds the lock: down, with SQLite's words */
    sqlite3 *other = db_open("sink_probe.db");
    exec(other, "BEGIN IMMEDIATE; INSERT INTO t VALUES ('X', 'x');");
    CU_ASSERT_EQUAL(wt_probe(p), WEIR_STATUS_DOWN);
    CU_ASSERT(contains(wt_error(p), "sink_probe.db: database is locked"));
    exec(other, "COMMIT");
    sqlite3_close(other);
    /* free again; the probe left nothing behind */
    CU_ASSERT_EQUAL(wt_probe(p), WEIR_STATUS_OK);
    CU_ASSERT_EQUAL(count("sink_probe.db", "SELECT count(*) FROM t"), 1);
    weir_batch *b = wt_batch_new(4);
    wt_add(b, WEIR_OP_UPSERT, "code", "A", "name", "a", NULL);
    CU_ASSERT_EQUAL(wt_write(p, b), WEIR_STATUS_OK);
    ASSERT_ANSWER(b, 0, WEIR_RESULT_OK, NULL);
    wt_batch_free(b);
    wt_close(p);
}

/* A record with `n` fields code, c1 .. c<n-1>. (borrowed; the batch's) */
static weir_record *add_wide(weir_batch *b, const char *code, int n)
{
    const weir_host *h = wt_host();
    weir_record *r = h->batch_add(b);
    h->record_set(r, "code", code, (size_t)-1);
    for (int i = 1; i < n; i++) {
        char name[16];
        snprintf(name, sizeof name, "c%d", i);
        h->record_set(r, name, "v", 1);
    }
    return r;
}

/* More columns than SQLite allows (2,000 by default) is the record's
 * fault and never goes away: rejected with SQLite's words, not retried,
 * and the records that fit still land. */
static void test_sink_too_many_columns(void)
{
    char *path = path_in("sink_wide.db");
    remove(path);
    free(path);
    wt_plugin *p = open_sink("sink_wide.db", "t", "code", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(10);
    /* The table does not exist yet: the first batch creates it. */
    add_wide(b, "W1", 2100);
    add_wide(b, "N1", 3);
    wt_deliver(p, b);
    ASSERT_ANSWER(b, 0, WEIR_RESULT_REJECT, "too many columns");
    ASSERT_ANSWER(b, 1, WEIR_RESULT_OK, NULL);
    CU_ASSERT_EQUAL(count("sink_wide.db", "SELECT count(*) FROM t"), 1);

    /* The table exists: adding columns hits the limit.  Nothing of the
     * refused record stays, not even the columns it added. */
    wt_batch_clear(b);
    add_wide(b, "N2", 3);
    add_wide(b, "W2", 2100);
    add_wide(b, "N3", 4);
    wt_deliver(p, b);
    ASSERT_ANSWER(b, 0, WEIR_RESULT_OK, NULL);
    ASSERT_ANSWER(b, 1, WEIR_RESULT_REJECT, "too many columns");
    ASSERT_ANSWER(b, 2, WEIR_RESULT_OK, NULL);
    CU_ASSERT_EQUAL(count("sink_wide.db", "SELECT count(*) FROM t"), 3);
    CU_ASSERT_EQUAL(count("sink_wide.db",
                          "SELECT count(*) FROM pragma_table_info('t')"), 4);
    wt_batch_free(b);
    wt_close(p);
}

static void test_sink_missing_key(void)
{
    make_db("sink_nokey.db",
            "CREATE TABLE t (code TEXT PRIMARY KEY, name TEXT);");
    wt_plugin *p = open_sink("sink_nokey.db", "t", "code", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(10);
    wt_add(b, WEIR_OP_UPSERT, "name", "no key", NULL);
    wt_add(b, WEIR_OP_UPSERT, "code", WT_NULL, "name", "null key", NULL);
    wt_add(b, WEIR_OP_UPSERT, "code", "", "name", "empty key", NULL);
    wt_add(b, WEIR_OP_DELETE, "code", WT_NULL, NULL);
    wt_add(b, WEIR_OP_UPSERT, "code", "K", "name", "k", NULL);
    CU_ASSERT_EQUAL(wt_write(p, b), WEIR_STATUS_OK);
    ASSERT_ANSWER(b, 0, WEIR_RESULT_REJECT, "missing key field code");
    ASSERT_ANSWER(b, 1, WEIR_RESULT_REJECT, "missing key field code");
    ASSERT_ANSWER(b, 2, WEIR_RESULT_OK, NULL); /* "" is a value */
    ASSERT_ANSWER(b, 3, WEIR_RESULT_REJECT, "missing key field code");
    ASSERT_ANSWER(b, 4, WEIR_RESULT_OK, NULL);
    CU_ASSERT_EQUAL(count("sink_nokey.db", "SELECT count(*) FROM t"), 2);
    wt_batch_free(b);
    wt_close(p);
}

static void test_sink_hostile(void)
{
    make_db("sink_hostile.db", "CREATE TABLE keep (x TEXT);"
                               "INSERT INTO keep VALUES ('still here');");
    const char *table = "we\"ird'; DROP TABLE keep; --";
    const char *key = "co\"de";
    const char *field = "na'me\"; DROP TABLE keep; --";
    const char *v1 = "'); DROP TABLE keep; --";
    const char *v2 = "\"x\" ' ; DELETE FROM keep";
    wt_plugin *p = open_sink("sink_hostile.db", table, key, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(10);
    wt_add(b, WEIR_OP_UPSERT, key, v1, field, v2, NULL);
    wt_add(b, WEIR_OP_UPSERT, key, v2, field, v1, NULL);
    CU_ASSERT_EQUAL(wt_write(p, b), WEIR_STATUS_OK);
    ASSERT_ANSWER(b, 0, WEIR_RESULT_OK, NULL);
    ASSERT_ANSWER(b, 1, WEIR_RESULT_OK, NULL);
    wt_batch_clear(b);
    wt_add(b, WEIR_OP_DELETE, key, v2, NULL);
    CU_ASSERT_EQUAL(wt_write(p, b), WEIR_STATUS_OK);
    ASSERT_ANSWER(b, 0, WEIR_RESULT_OK, NULL);
    wt_batch_free(b);
    wt_close(p);

    ASSERT_SCALAR("sink_hostile.db", "SELECT x FROM keep", "still here");
    sqlite3 *db = db_open("sink_hostile.db");
    sqlite3_stmt *st = NULL;
    CU_ASSERT_EQUAL(sqlite3_prepare_v2(db,
                        "SELECT \"co\"\"de\", \"na'me\"\"; DROP TABLE keep; --\" "
                        "FROM \"we\"\"ird'; DROP TABLE keep; --\"",
                        -1, &st, NULL), SQLITE_OK);
    CU_ASSERT_EQUAL(sqlite3_step(st), SQLITE_ROW);
    ASSERT_STR((const char *)sqlite3_column_text(st, 0), v1);
    ASSERT_STR((const char *)sqlite3_column_text(st, 1), v2);
    CU_ASSERT_EQUAL(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void test_sink_field_sets(void)
{
    /* Records with different field lists in one batch, alternating, more
     * distinct lists than the statement cache holds. */
    char *path = path_in("sink_sets.db");
    remove(path);
    free(path);
    wt_plugin *p = open_sink("sink_sets.db", "t", "id", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(100);
    char id[16], f[16];
    for (int i = 0; i < 60; i++) {
        snprintf(id, sizeof id, "%d", i);
        snprintf(f, sizeof f, "f%d", i % 20);
        if (i % 2)
            wt_add(b, WEIR_OP_UPSERT, "id", id, f, id, NULL);
        else
            wt_add(b, WEIR_OP_UPSERT, f, id, "id", id, NULL);
    }
    CU_ASSERT_EQUAL(wt_write(p, b), WEIR_STATUS_OK);
    for (size_t i = 0; i < 60; i++)
        ASSERT_ANSWER(b, i, WEIR_RESULT_OK, NULL);
    CU_ASSERT_EQUAL(count("sink_sets.db", "SELECT count(*) FROM t"), 60);
    ASSERT_SCALAR("sink_sets.db", "SELECT f13 FROM t WHERE id = '53'", "53");
    ASSERT_SCALAR("sink_sets.db",
                  "SELECT count(*) FROM pragma_table_info('t')", "21");
    wt_batch_free(b);
    wt_close(p);
}

static void test_sink_options(void)
{
    char *path = path_in("sink_opts.db");
    remove(path);
    free(path);
    wt_plugin *p = open_sink("sink_opts.db", "t", "k",
                             "<option name=\"synchronous\">sometimes</option>");
    CU_ASSERT_PTR_NULL(p);
    CU_ASSERT(contains(wt_last_errors(), "synchronous"));
    wt_close(p);
    p = open_sink("sink_opts.db", "t", "k",
                  "<option name=\"synchronous\">normal</option>");
    CU_ASSERT_PTR_NOT_NULL(p);
    wt_close(p);
    /* create=false never creates the database file */
    p = open_sink("sink_opts_none.db", "t", "k",
                  "<option name=\"create\">false</option>");
    CU_ASSERT_PTR_NULL(p);
    wt_close(p);
    /* the user's journal mode is left alone */
    make_db("sink_wal.db", "PRAGMA journal_mode = WAL;"
                           "CREATE TABLE t (k TEXT PRIMARY KEY);");
    p = open_sink("sink_wal.db", "t", "k", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(2);
    wt_add(b, WEIR_OP_UPSERT, "k", "1", NULL);
    CU_ASSERT_EQUAL(wt_write(p, b), WEIR_STATUS_OK);
    ASSERT_ANSWER(b, 0, WEIR_RESULT_OK, NULL);
    wt_batch_free(b);
    wt_close(p);
    ASSERT_SCALAR("sink_wal.db", "PRAGMA journal_mode", "wal");
}

/* ---- a VFS that counts journal syncs, or lacks shared memory -------
 * The default VFS, except that a main journal's methods are a copy of
 * the real ones whose xSync counts and, with `no_shm`, a main database's
 * are a copy of version 1 (no xShmMap: SQLite cannot use WAL there).
 * The file object stays the real VFS's own; only its method table is
 * ours. */
static sqlite3_vfs *real_vfs;
static sqlite3_vfs test_vfs;
static sqlite3_io_methods journal_methods, db_methods;
static int (*real_sync)(sqlite3_file *, int);
static int journal_syncs, no_shm;

static int counting_sync(sqlite3_file *f, int flags)
{
    journal_syncs++;
    return real_sync(f, flags);
}

static int test_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f,
                     int flags, int *out_flags)
{
    (void)vfs;
    int rc = real_vfs->xOpen(real_vfs, name, f, flags, out_flags);
    if (rc != SQLITE_OK || f->pMethods == NULL)
        return rc;
    if (flags & SQLITE_OPEN_MAIN_JOURNAL) {
        journal_methods = *f->pMethods;
        real_sync = f->pMethods->xSync;
        journal_methods.xSync = counting_sync;
        f->pMethods = &journal_methods;
    } else if ((flags & SQLITE_OPEN_MAIN_DB) && no_shm) {
        db_methods = *f->pMethods;
        db_methods.iVersion = 1;
        f->pMethods = &db_methods;
    }
    return rc;
}

/* Connections opened from now on use the test VFS. */
static void test_vfs_begin(int without_shm)
{
    real_vfs = sqlite3_vfs_find(NULL);
    test_vfs = *real_vfs;
    test_vfs.zName = "weir-test";
    test_vfs.xOpen = test_open;
    no_shm = without_shm;
    journal_syncs = 0;
    CU_ASSERT_EQUAL_FATAL(sqlite3_vfs_register(&test_vfs, 1), SQLITE_OK);
}

static void test_vfs_end(void)
{
    sqlite3_vfs_register(real_vfs, 1);
    sqlite3_vfs_unregister(&test_vfs);
}

/* The spill test's table: 20,000 rows of about 300 bytes, 6 MB, three
 * times SQLite's default page cache; and a batch that changes every
 * 10th row, nearly every page of it. */
static void spill_table(const char *name, const char *mode)
{
    char *sql = xfmt("PRAGMA journal_mode = %s;"
                     "CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT);"
                     "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT "
                     "i + 1 FROM n WHERE i < 19999) INSERT INTO t "
                     "SELECT printf('%%05d', i), hex(randomblob(150)) FROM n;",
                     mode);
    make_db(name, sql);
    free(sql);
}

/* Write a batch that changes every 10th row of spill_table()'s table
 * through `p`: the memory SQLite held at most while it did. */
static sqlite3_int64 write_spill_batch(wt_plugin *p)
{
    weir_batch *b = wt_batch_new(2000);
    char k[16];
    for (int i = 0; i < 2000; i++) {
        snprintf(k, sizeof k, "%05d", i * 10);
        wt_add(b, WEIR_OP_UPSERT, "k", k, "v", "changed", NULL);
    }
    sqlite3_int64 before = sqlite3_memory_used();
    sqlite3_memory_highwater(1);
    CU_ASSERT_EQUAL(wt_write(p, b), WEIR_STATUS_OK);
    sqlite3_int64 held = sqlite3_memory_highwater(0) - before;
    for (size_t i = 0; i < 2000; i++)
        ASSERT_ANSWER(b, i, WEIR_RESULT_OK, NULL);
    wt_batch_free(b);
    return held;
}

static void test_sink_no_spill(void)
{
    /* Spilled in mid-transaction, each spill would sync the journal;
     * held, the commit syncs it twice. */
    spill_table("sink_spill.db", "delete");
    test_vfs_begin(0);
    wt_plugin *p = open_sink("sink_spill.db", "t", "k", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    sqlite3_int64 held = write_spill_batch(p);
    if (journal_syncs < 1 || journal_syncs > 2)
        fprintf(stderr, "journal synced %d times for one batch\n",
                journal_syncs);
    CU_ASSERT(journal_syncs >= 1 && journal_syncs <= 2);
    CU_ASSERT(held > 5 << 20);
    wt_close(p);
    test_vfs_end();
    CU_ASSERT_EQUAL(count("sink_spill.db",
                          "SELECT count(*) FROM t WHERE v = 'changed'"), 2000);
}

static void test_sink_wal_spills(void)
{
    /* In WAL mode a spill syncs nothing: SQLite's own cache size stays,
     * and the batch's pages are not all held in memory at once. */
    spill_table("sink_spill_wal.db", "wal");
    wt_plugin *p = open_sink("sink_spill_wal.db", "t", "k", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    sqlite3_int64 held = write_spill_batch(p);
    CU_ASSERT(held < 4 << 20);
    wt_close(p);
    CU_ASSERT_EQUAL(count("sink_spill_wal.db",
                          "SELECT count(*) FROM t WHERE v = 'changed'"), 2000);
}

static void test_sink_journal_mode_refused(void)
{
    /* Where SQLite cannot use WAL it answers the switch with the mode it
     * keeps: the sink does not open, rather than run in another mode
     * than the one asked for. */
    make_db("sink_nowal.db", "CREATE TABLE t (k TEXT PRIMARY KEY);");
    test_vfs_begin(1);
    wt_plugin *p = open_sink("sink_nowal.db", "t", "k",
                             "<option name=\"journal-mode\">wal</option>");
    CU_ASSERT_PTR_NULL(p);
    CU_ASSERT(contains(wt_last_errors(), "sink_nowal.db: journal-mode wal: "
                       "SQLite keeps the database in delete mode"));
    wt_close(p);
    /* delete, the mode it is in: opens */
    p = open_sink("sink_nowal.db", "t", "k",
                  "<option name=\"journal-mode\">delete</option>");
    CU_ASSERT_PTR_NOT_NULL(p);
    wt_close(p);
    test_vfs_end();
    ASSERT_SCALAR("sink_nowal.db", "PRAGMA journal_mode", "delete");
}

static void test_sink_journal_mode_locked(void)
{
    /* Switching needs the database to itself: while another connection
     * reads it the sink does not open, and says it was the switch. */
    make_db("sink_wal_busy.db", "CREATE TABLE t (k TEXT PRIMARY KEY);");
    sqlite3 *other = db_open("sink_wal_busy.db");
    exec(other, "BEGIN; SELECT count(*) FROM t;");
    wt_plugin *p = open_sink("sink_wal_busy.db", "t", "k",
                             "<option name=\"journal-mode\">wal</option>"
                             "<option name=\"busy-timeout\">50ms</option>");
    CU_ASSERT_PTR_NULL(p);
    CU_ASSERT(contains(wt_last_errors(), "sink_wal_busy.db: journal-mode "
                       "wal: database is locked"));
    wt_close(p);
    exec(other, "COMMIT");
    sqlite3_close(other);
    ASSERT_SCALAR("sink_wal_busy.db", "PRAGMA journal_mode", "delete");
}

/* A child process that writes into `db` (table t) under `begin` and
 * holds that lock `hold_ms` before it commits; returned once it holds
 * it, -1 when it could not take it. */
static pid_t writer_holding(const char *db, const char *begin, int hold_ms)
{
    int ready[2];
    if (pipe(ready) != 0)
        return -1;
    pid_t child = fork();
    if (child == 0) {
        sqlite3 *w = db_open(db);
        char sql[128];
        snprintf(sql, sizeof(sql),
                 "%s; INSERT INTO t VALUES ('from-the-writer')", begin);
        int ok = sqlite3_exec(w, sql, NULL, NULL, NULL) == SQLITE_OK &&
                 write(ready[1], "w", 1) == 1;
        sqlite3_sleep(hold_ms);
        ok = ok && sqlite3_exec(w, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
        sqlite3_close(w);
        _exit(ok ? 0 : 1);
    }
    char c;
    close(ready[1]);
    if (child > 0 && read(ready[0], &c, 1) != 1) { /* it failed */
        waitpid(child, NULL, 0);
        child = -1;
    }
    close(ready[0]);
    return child;
}

static void test_sink_journal_mode_after_writer(void)
{
    /* While another connection writes, SQLite refuses the switch at once
     * rather than wait: the sink tries again until the writer is done,
     * within its busy-timeout, instead of holding the run's records. */
    make_db("sink_wal_writer.db", "CREATE TABLE t (k TEXT PRIMARY KEY);");
    pid_t child = writer_holding("sink_wal_writer.db", "BEGIN IMMEDIATE", 300);
    CU_ASSERT_FATAL(child > 0);
    wt_plugin *p = open_sink("sink_wal_writer.db", "t", "k",
                             "<option name=\"journal-mode\">wal</option>"
                             "<option name=\"busy-timeout\">20s</option>");
    CU_ASSERT_PTR_NOT_NULL(p);
    if (!p)
        fprintf(stderr, "open: %s\n", wt_last_errors());
    wt_close(p);
    int status;
    CU_ASSERT(waitpid(child, &status, 0) == child && WIFEXITED(status) &&
              WEXITSTATUS(status) == 0);
    ASSERT_SCALAR("sink_wal_writer.db", "PRAGMA journal_mode", "wal");
    ASSERT_SCALAR("sink_wal_writer.db", "SELECT k FROM t", "from-the-writer");
}

static void test_sink_journal_mode_exclusive_writer(void)
{
    /* A writer holding its exclusive lock (a rollback journal's commit)
     * keeps even a reader out: each try waits in SQLite's busy handler.
     * The switch still gives up after busy-timeout in all (1 s), not
     * after busy-timeout for every 20 ms of it (50 tries of 1 s).  The
     * bound is what the broken wait would take, not a speed. */
    make_db("sink_wal_exclusive.db", "CREATE TABLE t (k TEXT PRIMARY KEY);");
    pid_t child = writer_holding("sink_wal_exclusive.db", "BEGIN EXCLUSIVE",
                                 120000); /* stopped below */
    CU_ASSERT_FATAL(child > 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    wt_plugin *p = open_sink("sink_wal_exclusive.db", "t", "k",
                             "<option name=\"journal-mode\">wal</option>"
                             "<option name=\"busy-timeout\">1s</option>");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double took = (double)(t1.tv_sec - t0.tv_sec) +
                  (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    CU_ASSERT_PTR_NULL(p);
    CU_ASSERT(contains(wt_last_errors(), "journal-mode wal: database is "
                       "locked"));
    CU_ASSERT(took < 15);
    if (took >= 15)
        fprintf(stderr, "\n  the switch gave up after %.1f s\n", took);
    wt_close(p);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    ASSERT_SCALAR("sink_wal_exclusive.db", "PRAGMA journal_mode", "delete");
}

/* csv-shaped records in, source back out: the two sides agree. */
static void test_round_trip(void)
{
    char *path = path_in("round.db");
    remove(path);
    free(path);
    wt_plugin *sink = open_sink("round.db", "c", "code", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sink);
    weir_batch *b = wt_batch_new(500);
    char code[16];
    for (int i = 0; i < 500; i++) {
        snprintf(code, sizeof code, "C%04d", i);
        wt_add(b, WEIR_OP_UPSERT, "code", code, "name", "n", "note",
               i % 3 ? "x" : WT_NULL, NULL);
    }
    CU_ASSERT_EQUAL(wt_write(sink, b), WEIR_STATUS_OK);
    wt_close(sink);

    wt_plugin *src = open_source("round.db", "SELECT * FROM c ORDER BY code");
    CU_ASSERT_PTR_NOT_NULL_FATAL(src);
    wt_batch_clear(b);
    CU_ASSERT_EQUAL(wt_read(src, b), WEIR_STATUS_OK); /* full, maybe more */
    CU_ASSERT_EQUAL(wt_host()->batch_count(b), 500);
    ASSERT_STR(get(b, 499, "code"), "C0499");
    CU_ASSERT_PTR_NULL(get(b, 3, "note"));
    ASSERT_STR(get(b, 4, "note"), "x");
    wt_batch_clear(b);
    CU_ASSERT_EQUAL(wt_read(src, b), WEIR_STATUS_END);
    CU_ASSERT_EQUAL(wt_host()->batch_count(b), 0);
    wt_batch_free(b);
    wt_close(src);
}

void register_tests(void)
{
    CU_pSuite s = CU_add_suite("sqlite source", NULL, NULL);
    CU_add_test(s, "types as text, NULL vs empty", test_src_types);
    CU_add_test(s, "BLOB rejected naming the column", test_src_blob);
    CU_add_test(s, "batch boundaries, each row once, in order",
                test_src_batches);
    CU_add_test(s, "multi-statement and write queries refused",
                test_src_refused);
    CU_add_test(s, "missing database", test_src_missing_db);
    CU_add_test(s, "source: failure part-way is a failed read",
                test_src_fails_mid_query);

    s = CU_add_suite("sqlite sink", NULL, NULL);
    CU_add_test(s, "creates the table, adds columns", test_sink_create);
    CU_add_test(s, "too many columns: rejected, not retried",
                test_sink_too_many_columns);
    CU_add_test(s, "upsert updates existing rows", test_sink_upsert);
    CU_add_test(s, "delete by key", test_sink_delete);
    CU_add_test(s, "composite key", test_sink_composite);
    CU_add_test(s, "no unique index on the key refused", test_sink_no_unique);
    CU_add_test(s, "unknown column rejected (create=false)",
                test_sink_unknown_column);
    CU_add_test(s, "NOT NULL / CHECK rejected, batch committed",
                test_sink_constraints);
    CU_add_test(s, "sink: part of a row updated past a NOT NULL column",
                test_sink_partial_not_null);
    CU_add_test(s, "datatype mismatch rejected", test_sink_mismatch);
    CU_add_test(s, "foreign keys, immediate and deferred",
                test_sink_foreign_keys);
    CU_add_test(s, "trigger RAISE(ABORT) text", test_sink_trigger_abort);
    CU_add_test(s, "trigger RAISE(ROLLBACK) isolated",
                test_sink_trigger_rollback);
    CU_add_test(s, "busy and locked commit are RETRY", test_sink_busy);
    CU_add_test(s, "probe(): down while locked, no data touched",
                test_sink_probe);
    CU_add_test(s, "missing or NULL key rejected", test_sink_missing_key);
    CU_add_test(s, "hostile identifiers and values stored literally",
                test_sink_hostile);
    CU_add_test(s, "many field lists in one batch", test_sink_field_sets);
    CU_add_test(s, "options: synchronous, create, journal mode",
                test_sink_options);
    CU_add_test(s, "a batch's pages held: the journal synced at commit only",
                test_sink_no_spill);
    CU_add_test(s, "WAL: SQLite's own cache size kept",
                test_sink_wal_spills);
    CU_add_test(s, "journal-mode wal where SQLite cannot: refused",
                test_sink_journal_mode_refused);
    CU_add_test(s, "sink: journal-mode switch while another reads",
                test_sink_journal_mode_locked);
    CU_add_test(s, "journal-mode waits for another connection's write",
                test_sink_journal_mode_after_writer);
    CU_add_test(s, "journal-mode: busy-timeout in all past an exclusive lock",
                test_sink_journal_mode_exclusive_writer);
    CU_add_test(s, "sink then source round trip", test_round_trip);
}
