/*
 * state.h - the state database: one file shared by the pipelines that
 * name it (run history, each pipeline's file, per-plugin state; the next
 * issue adds snapshots, outbox and endpoint health).
 *
 * Every SQL statement and locking assumption of weir lives behind this
 * interface, so another backend (PostgreSQL) can replace SQLite.  The
 * store never resets itself: a database that is corrupt, read-only,
 * locked or from a newer weir fails to open with a message naming it.
 *
 * Not thread-safe: one weir_state per thread.
 */
#ifndef WEIR_STATE_H
#define WEIR_STATE_H

#include <stdint.h>

typedef struct weir_state weir_state;

/* The schema version this weir writes. */
#define WEIR_STATE_SCHEMA 1

/* Open (creating with mode 0600) and migrate forward.  On failure returns
 * NULL and sets *err (owned: free) to a message naming the file. */
weir_state *weir_state_open(const char *path, char **err);
void weir_state_close(weir_state *st);
const char *weir_state_path(const weir_state *st);

/* Remember which file defines pipeline `name` (drain, monitor and status
 * find it from the name alone). */
int weir_state_remember_pipeline(weir_state *st, const char *name,
                                 const char *file, const char *type);
/* The file last recorded for `name` (owned: free), NULL when unknown. */
char *weir_state_pipeline_file(weir_state *st, const char *name);

typedef struct weir_run_counts {
    uint64_t read, written, rejected, dropped, held, retry;
} weir_run_counts;

/* Record a run's start; returns its id (> 0) or -1. */
int64_t weir_state_run_begin(weir_state *st, const char *pipeline,
                             const char *mode);
/* Record its end: status "ok", "failed" (some records failed) or "error"
 * (the run could not complete); message nullable. */
int weir_state_run_end(weir_state *st, int64_t run, const char *status,
                       const weir_run_counts *counts, const char *message);

/* Per-plugin key/value state.  get: owned copy (free) or NULL. */
char *weir_state_kv_get(weir_state *st, const char *pipeline,
                        const char *instance, const char *key);
int weir_state_kv_set(weir_state *st, const char *pipeline,
                      const char *instance, const char *key, const char *value);

#endif
