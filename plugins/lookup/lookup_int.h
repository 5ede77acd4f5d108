/*
 * lookup_int.h - the lookup transform's pieces: the in-memory reference
 * table (ref_table.c) and its two loaders, a CSV file (ref_csv.c) and a
 * SQLite table (ref_sqlite.c).  See docs/plugins/lookup.md.
 *
 * The reference is loaded once, at open.  Each row keeps only what the
 * transform needs: its key (the `match` columns, encoded into one byte
 * string) and the values of the copied columns.  All bytes live in one
 * growing buffer addressed by offsets, so loading costs a few reallocs and
 * a lookup costs one hash, one probe run and one memcmp: no malloc.
 */
#ifndef WEIR_LOOKUP_INT_H
#define WEIR_LOOKUP_INT_H

#include <stddef.h>
#include <stdint.h>

#include <weir/plugin.h>

/* A value length meaning SQL NULL. */
#define LK_NULL ((size_t)-1)

/* One cell handed to the table by a loader: `len` bytes at `p` (not
 * necessarily NUL-terminated), or NULL when len == LK_NULL. */
typedef struct lk_cell {
    const char *p;
    size_t len;
} lk_cell;

/* A value stored in the table: `len` bytes at buf + off (followed by a
 * NUL), or NULL when len == LK_NULL. */
typedef struct lk_val {
    size_t off;
    size_t len;
} lk_val;

typedef struct lk_row {
    uint64_t hash;
    size_t key_off, key_len; /* the encoded key, in buf */
    long origin;             /* file line or table row, for messages */
} lk_row;

typedef struct lk_table {
    /* which source columns make the key and which are copied; filled by
     * lk_table_bind() from the column names the loader found */
    size_t nkey;
    size_t *key_col;  /* nkey source column indexes */
    size_t nout;
    size_t *out_col;  /* nout source column indexes */

    char *buf;        /* keys and values */
    size_t buflen, bufcap;
    lk_row *rows;
    size_t nrows, rowcap;
    lk_val *vals;     /* nrows * nout */
    uint32_t *slots;  /* open addressing: row index + 1, 0 = empty */
    size_t mask;      /* slots has mask + 1 entries (a power of two) */
} lk_table;

/* What the reference looks like to the loaders: names to resolve, and
 * where to report. */
typedef struct lk_spec {
    weir_instance *inst;
    const weir_host *host;
    const char *what;      /* "table rep_users" or "/x/map.csv" */
    const char *unit;      /* what an origin counts: "line" or "row" */
    const char *const *match; /* nmatch reference column names */
    size_t nmatch;
    const char *const *fields; /* nfields copied columns; NULL: all but match */
    size_t nfields;
    /* filled by lk_table_bind when `fields` is NULL: the names of the
     * copied columns, (owned) strings and array */
    char **bound_fields;
    size_t nbound;
} lk_spec;

/* Resolve the spec's column names against the `ncols` names the loader
 * found (each NUL-terminated), and prepare `t`.  Logs and returns -1 when a
 * name is missing; 0 otherwise. */
int lk_table_bind(lk_table *t, lk_spec *spec, const char *const *names,
                  size_t ncols);
/* Add one row of `ncols` cells (as bound).  A row whose key has a NULL is
 * skipped (it could never match).  Returns 0; -1 out of memory (logged);
 * -2 a duplicate key (logged, naming the key and both origins). */
int lk_table_add(lk_table *t, lk_spec *spec, const lk_cell *cells,
                 long origin);
/* The row holding the encoded key, or NULL. */
const lk_row *lk_table_find(const lk_table *t, const char *key, size_t len);
/* The i-th copied value of row `row`. */
static inline const lk_val *lk_table_val(const lk_table *t, const lk_row *row,
                                         size_t i)
{
    return &t->vals[(size_t)(row - t->rows) * t->nout + i];
}
void lk_table_free(lk_table *t);
void lk_spec_free(lk_spec *spec);

/* Append one key component to a growing buffer (the encoding shared by
 * the table and the lookups).  Returns 0, or -1 out of memory. */
int lk_key_append(char **buf, size_t *len, size_t *cap, const char *p,
                  size_t n);
uint64_t lk_hash(const char *p, size_t n);
/* strdup (not in C11). (owned) */
char *lk_strdup(const char *s);

/* Loaders: fill `t` from the reference.  Return 0, or -1 after logging
 * why (naming the file or table, and the line). */
int lk_load_csv(lk_table *t, lk_spec *spec, const char *path, char delim);
int lk_load_sqlite(lk_table *t, lk_spec *spec, const char *database,
                   const char *table);

#endif
