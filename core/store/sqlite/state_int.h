/*
 * state_int.h - what the SQLite state backend's files share (not part of
 * state.h: nothing outside core/store/sqlite/ sees SQLite).
 */
#ifndef WEIR_STATE_INT_H
#define WEIR_STATE_INT_H

#include <sqlite3.h>

#include "store/state.h"

struct weir_state {
    sqlite3 *db;
    char *path;
    int lock_fd;        /* the pipeline lock file, -1 until used */
    char *endpoint_err; /* weir_state_endpoint_get's error text */
    /* statements run once per record, prepared once per connection */
    sqlite3_stmt *snap_put;                     /* state_track.c */
    char *pid_name;     /* the pipeline whose rowid is pid (state_track.c) */
    int64_t pid;
    sqlite3_stmt *ob_add, *ob_update, *ob_attempt, *ob_due,
                 *ob_seen, *ob_assigned; /* state_outbox.c */
};

/* Prepare `sql` and bind `n` text arguments (NULL binds SQL NULL).
 * (owned: sqlite3_finalize) NULL on error. */
sqlite3_stmt *weir_state__prepare(weir_state *st, const char *sql, int n,
                                  const char *const *args);
/* Run one statement with text arguments; 0 when it completed. */
int weir_state__exec(weir_state *st, const char *sql, int n,
                     const char *const *args);
/* Run one statement with ?1 the text `text` (NULL binds SQL NULL) and ?2
 * the integer `value`; 0 when it completed. */
int weir_state__exec_int(weir_state *st, const char *sql, const char *text,
                         int64_t value);
/* The statement in *slot, prepared on first use and reset; it stays
 * prepared until weir_state_close().  (borrowed) NULL on error. */
sqlite3_stmt *weir_state__cached(weir_state *st, sqlite3_stmt **slot,
                                 const char *sql);
/* Column text as a C string, "" for NULL; borrowed until the next step. */
const char *weir_state__text(sqlite3_stmt *s, int col);
/* Column text or NULL. */
const char *weir_state__text_or_null(sqlite3_stmt *s, int col);

#endif
