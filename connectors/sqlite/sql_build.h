/*
 * connectors/sqlite/sql_build.h - the SQL text the sqlite sink prepares.
 *
 * Pure string building: no SQLite handle, no I/O.  Every identifier is
 * quoted ("..." with inner quotes doubled) so a table or field named
 * `x"; DROP TABLE y; --` is only ever a name; values never appear in SQL
 * text, only as numbered parameters (?1, ?2, ...), bound by the caller.
 *
 * Every function returns a malloc'd NUL-terminated string (owned: free)
 * or NULL when out of memory.
 */
#ifndef WEIR_SQLITE_SQL_BUILD_H
#define WEIR_SQLITE_SQL_BUILD_H

#include <stddef.h>

/* "name" with inner quotes doubled. */
char *wsq_sql_ident(const char *name);

/* CREATE TABLE IF NOT EXISTS "t" ("c1" TEXT, ..., PRIMARY KEY("k1", ...)).
 * `cols` must hold every key column. */
char *wsq_sql_create(const char *table, const char *const *cols, size_t ncols,
                     const char *const *keys, size_t nkeys);

/* ALTER TABLE "t" ADD COLUMN "c" TEXT */
char *wsq_sql_add_column(const char *table, const char *col);

/* INSERT INTO "t" ("c1", ...) VALUES (?1, ...)
 *   ON CONFLICT ("k1", ...) DO UPDATE SET "c"=excluded."c", ...
 * Parameter i+1 is cols[i].  is_key[i] marks the key columns, which are
 * not updated; when every column is a key the action is DO NOTHING. */
char *wsq_sql_upsert(const char *table, const char *const *cols,
                     const unsigned char *is_key, size_t ncols,
                     const char *const *keys, size_t nkeys);

/* UPDATE "t" SET "c"=?i+1, ... WHERE "k1"=?j+1 AND ...: the same
 * parameters as wsq_sql_upsert(); at least one column must be no key.
 * The upsert alone cannot update part of a row: SQLite checks NOT NULL
 * on the row to insert before it looks for the conflict. */
char *wsq_sql_update(const char *table, const char *const *cols,
                     const unsigned char *is_key, size_t ncols);

/* DELETE FROM "t" WHERE "k1" = ?1 AND ... (parameter i+1 is keys[i]) */
char *wsq_sql_delete(const char *table, const char *const *keys,
                     size_t nkeys);

/* INSERT INTO "t" ("k1", ...) VALUES (?1, ...) ON CONFLICT ("k1", ...)
 * DO NOTHING.  Never run: SQLite refuses to prepare it unless the table
 * has a PRIMARY KEY or UNIQUE index on exactly the key columns, which is
 * the very condition the sink's upsert needs, judged by SQLite itself. */
char *wsq_sql_conflict_probe(const char *table, const char *const *keys,
                             size_t nkeys);

/* Split a space-separated list (the `key` option) into words.
 * Returns 0 and sets *out (owned: wsq_words_free) and *n, or -1 when out
 * of memory.  An empty list gives *n = 0. */
int wsq_words_split(const char *text, char ***out, size_t *n);
void wsq_words_free(char **words, size_t n);

#endif
