/*
 * connectors/sqlite/sql_build.c - the SQL text the sqlite sink prepares.
 * See sql_build.h.  A tiny growable buffer keeps the builders free of
 * length arithmetic; it latches out-of-memory so callers check once.
 */
#include "sql_build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sbuf {
    char *p;
    size_t len, cap;
    int oom;
} sbuf;

static void sb_putn(sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 128;
        while (b->len + n + 1 > cap)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (p == NULL) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_puts(sbuf *b, const char *s)
{
    sb_putn(b, s, strlen(s));
}

/* "name", doubling inner quotes: the only escaping SQL identifiers need. */
static void sb_ident(sbuf *b, const char *name)
{
    sb_putn(b, "\"", 1);
    for (const char *q = strchr(name, '"'); q != NULL; q = strchr(name, '"')) {
        sb_putn(b, name, (size_t)(q - name) + 1);
        sb_putn(b, "\"", 1);
        name = q + 1;
    }
    sb_puts(b, name);
    sb_putn(b, "\"", 1);
}

static void sb_param(sbuf *b, size_t i)
{
    char num[32];
    snprintf(num, sizeof num, "?%zu", i);
    sb_puts(b, num);
}

/* "a", "b", ... */
static void sb_ident_list(sbuf *b, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            sb_puts(b, ", ");
        sb_ident(b, names[i]);
    }
}

/* Hand over the text, or NULL if any append ran out of memory. */
static char *sb_done(sbuf *b)
{
    if (b->oom || b->p == NULL) {
        free(b->p);
        return NULL;
    }
    return b->p;
}

char *wsq_sql_ident(const char *name)
{
    sbuf b = {0};
    sb_ident(&b, name);
    return sb_done(&b);
}

char *wsq_sql_create(const char *table, const char *const *cols, size_t ncols,
                     const char *const *keys, size_t nkeys)
{
    sbuf b = {0};
    sb_puts(&b, "CREATE TABLE IF NOT EXISTS ");
    sb_ident(&b, table);
    sb_puts(&b, " (");
    for (size_t i = 0; i < ncols; i++) {
        if (i > 0)
            sb_puts(&b, ", ");
        sb_ident(&b, cols[i]);
        sb_puts(&b, " TEXT");
    }
    sb_puts(&b, ", PRIMARY KEY (");
    sb_ident_list(&b, keys, nkeys);
    sb_puts(&b, "))");
    return sb_done(&b);
}

char *wsq_sql_add_column(const char *table, const char *col)
{
    sbuf b = {0};
    sb_puts(&b, "ALTER TABLE ");
    sb_ident(&b, table);
    sb_puts(&b, " ADD COLUMN ");
    sb_ident(&b, col);
    sb_puts(&b, " TEXT");
    return sb_done(&b);
}

/* INSERT INTO "t" ("c1", ...) VALUES (?1, ...) ON CONFLICT ("k1", ...) */
static void sb_insert_head(sbuf *b, const char *table, const char *const *cols,
                           size_t ncols, const char *const *keys, size_t nkeys)
{
    sb_puts(b, "INSERT INTO ");
    sb_ident(b, table);
    sb_puts(b, " (");
    sb_ident_list(b, cols, ncols);
    sb_puts(b, ") VALUES (");
    for (size_t i = 0; i < ncols; i++) {
        if (i > 0)
            sb_puts(b, ", ");
        sb_param(b, i + 1);
    }
    sb_puts(b, ") ON CONFLICT (");
    sb_ident_list(b, keys, nkeys);
    sb_puts(b, ")");
}

char *wsq_sql_upsert(const char *table, const char *const *cols,
                     const unsigned char *is_key, size_t ncols,
                     const char *const *keys, size_t nkeys)
{
    sbuf b = {0};
    sb_insert_head(&b, table, cols, ncols, keys, nkeys);
    size_t set = 0;
    for (size_t i = 0; i < ncols; i++) {
        if (is_key[i])
            continue;
        sb_puts(&b, set == 0 ? " DO UPDATE SET " : ", ");
        sb_ident(&b, cols[i]);
        sb_puts(&b, " = excluded.");
        sb_ident(&b, cols[i]);
        set++;
    }
    if (set == 0)
        sb_puts(&b, " DO NOTHING");
    return sb_done(&b);
}

char *wsq_sql_update(const char *table, const char *const *cols,
                     const unsigned char *is_key, size_t ncols)
{
    sbuf b = {0};
    sb_puts(&b, "UPDATE ");
    sb_ident(&b, table);
    size_t set = 0, where = 0;
    for (size_t i = 0; i < ncols; i++) {
        if (is_key[i])
            continue;
        sb_puts(&b, set++ == 0 ? " SET " : ", ");
        sb_ident(&b, cols[i]);
        sb_puts(&b, " = ");
        sb_param(&b, i + 1);
    }
    for (size_t i = 0; i < ncols; i++) {
        if (!is_key[i])
            continue;
        sb_puts(&b, where++ == 0 ? " WHERE " : " AND ");
        sb_ident(&b, cols[i]);
        sb_puts(&b, " = ");
        sb_param(&b, i + 1);
    }
    return sb_done(&b);
}

char *wsq_sql_delete(const char *table, const char *const *keys, size_t nkeys)
{
    sbuf b = {0};
    sb_puts(&b, "DELETE FROM ");
    sb_ident(&b, table);
    for (size_t i = 0; i < nkeys; i++) {
        sb_puts(&b, i == 0 ? " WHERE " : " AND ");
        sb_ident(&b, keys[i]);
        sb_puts(&b, " = ");
        sb_param(&b, i + 1);
    }
    return sb_done(&b);
}

char *wsq_sql_conflict_probe(const char *table, const char *const *keys,
                             size_t nkeys)
{
    sbuf b = {0};
    sb_insert_head(&b, table, keys, nkeys, keys, nkeys);
    sb_puts(&b, " DO NOTHING");
    return sb_done(&b);
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int wsq_words_split(const char *text, char ***out, size_t *n)
{
    char **words = NULL;
    size_t count = 0;
    int rc = -1;

    for (const char *p = text; *p != '\0';) {
        while (is_space(*p))
            p++;
        if (*p == '\0')
            break;
        const char *start = p;
        while (*p != '\0' && !is_space(*p))
            p++;
        char **grown = realloc(words, (count + 1) * sizeof *words);
        if (grown == NULL)
            goto out;
        words = grown;
        words[count] = malloc((size_t)(p - start) + 1);
        if (words[count] == NULL)
            goto out;
        memcpy(words[count], start, (size_t)(p - start));
        words[count][p - start] = '\0';
        count++;
    }
    rc = 0;
out:
    if (rc != 0) {
        wsq_words_free(words, count);
        words = NULL;
        count = 0;
    }
    *out = words;
    *n = count;
    return rc;
}

void wsq_words_free(char **words, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(words[i]);
    free(words);
}
