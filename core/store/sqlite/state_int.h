/*
 * state_int.h - what the SQLite state backend's files share (not part of
 * state.h: nothing outside core/store/sqlite/ sees SQLite).
 */
#ifndef WEIR_STATE_INT_H
#define WEIR_STATE_INT_H

#include <sqlite3.h>

#include "store/backend.h"

struct weir_store_conn {
    sqlite3 *db;
    char *path;
    int lock_fd;        /* the pipeline lock file, -1 until used */
    char *endpoint_err; /* sq_endpoint_get's error text */
    weir_error err;     /* a failure outside SQLite (sq_error) */
    char *worker;       /* "host pid byte": claims, NULL until the first */
    /* statements run once per record, prepared once per connection */
    sqlite3_stmt *snap_put;                     /* state_track.c */
    char *pid_name;     /* the pipeline whose rowid is pid (state_track.c) */
    int64_t pid;
    sqlite3_stmt *ob_add, *ob_attempt;          /* state_outbox.c */
    sqlite3_stmt *ob_settle, *ob_claim, *ob_take; /* state_claim.c */
    sqlite3_stmt *ob_assigned;                  /* state_outbox.c */
    sqlite3_stmt *echo_put, *echo_get, *tf_put, *tf_get; /* state_echo.c */
    sqlite3_stmt *tv_put, *tv_del, *tv_get;     /* state_track.c */
    int lazy;           /* synchronous=NORMAL for a sq_begin_lazy() */
    int wal;            /* the file is in WAL mode (SQLite may refuse it) */
};

/* Prepare `sql` and bind `n` text arguments (NULL binds SQL NULL).
 * (owned: sqlite3_finalize) NULL on error. */
sqlite3_stmt *sq__prepare(weir_store_conn *st, const char *sql, int n,
                                  const char *const *args);
/* Run one statement with text arguments; 0 when it completed. */
int sq__exec(weir_store_conn *st, const char *sql, int n,
                     const char *const *args);
/* Run one statement with ?1 the text `text` (NULL binds SQL NULL) and ?2
 * the integer `value`; 0 when it completed. */
int sq__exec_int(weir_store_conn *st, const char *sql, const char *text,
                         int64_t value);
/* The statement in *slot, prepared on first use and reset; it stays
 * prepared until sq_close().  (borrowed) NULL on error. */
sqlite3_stmt *sq__cached(weir_store_conn *st, sqlite3_stmt **slot,
                                 const char *sql);
/* Add a line of outbox row `id`'s attempt history; 0 or -1. */
int sq__add_attempt(weir_store_conn *st, int64_t id, const char *result,
                    const char *message);
/* Bind `v` as text, NULL as SQL NULL. */
void sq__bind_text(sqlite3_stmt *s, int i, const char *v);
/* state_outbox.c: the columns of a row, and a row read from them */
#define SQ_ROW_COLUMNS                                                       \
    "id, pipeline, sink, key, idem, op, type, payload, status, attempts, "   \
    "next_attempt, error, held_by, created, updated, origin, stage, "        \
    "wait_key, assigned_id, link, changes, resent"
void sq__read_row(sqlite3_stmt *s, weir_outbox_row *r);
/* The SQL term for the statuses of `mask` (outbox.h), in the order the
 * schema's partial indexes list them, so a term the table makes repeats
 * an index's term exactly: "status IN ('pending', ...)", "status =
 * 'held'", or "0" for none.  Returns buf. */
#define SQ_STATUSES 160
const char *sq__statuses(unsigned mask, char *buf, size_t size);
/* Rows that are not ended: the partial indexes cover exactly these
 * (state_sqlite.c), so the ended history never slows the queries; the
 * planner uses them when a query repeats this very term. */
#define SQ_OPEN "status IN ('pending', 'in_flight', 'retry', 'held', 'failed')"
/* 0 when SQ_OPEN is the term of the table's open statuses (the writer
 * refuses to open otherwise: the two must never drift apart). */
int sq__check_open_term(void);
/* state_lock.c: this connection's worker name, registered on first use
 * (a lock held while the connection lives); NULL on error. (borrowed) */
const char *sq__worker_register(weir_store_conn *st);
/* Is the worker named `owner` still alive (its connection open)?  1
 * yes or not known (another host), 0 gone. */
int sq__worker_alive(weir_store_conn *st, const char *owner);
/* Run `sql` with ?1 `arg` and call `fn` with each row's text and count
 * (the first two columns).  0, fn's non-zero, or -1 on error. */
int sq__each_count(weir_store_conn *st, const char *sql, const char *arg,
                   int (*fn)(const char *name, int64_t n, void *ctx),
                   void *ctx);
/* Column text as a C string, "" for NULL; borrowed until the next step. */
const char *sq__text(sqlite3_stmt *s, int col);
/* state_track.c: the rowid of `pipeline` in `pipelines` (snapshots are
 * keyed by it); 0 when the pipeline never ran, -1 on error. */
int64_t sq__pipeline_id(weir_store_conn *st, const char *pipeline);
/* Column text or NULL. */
const char *sq__text_or_null(sqlite3_stmt *s, int col);

/* The operations (backend.h), one file per part of the store:
 * state_sqlite.c opening, transactions, runs, pipelines, key/value;
 * state_track.c snapshots; state_outbox.c and state_claim.c the outbox;
 * state_endpoint.c endpoint health; state_lock.c pipeline locks. */
weir_store_conn *sq_open(const char *target, weir_store_mode mode,
                         weir_error *err);
void sq_close(weir_store_conn *st);
const weir_error *sq_error(weir_store_conn *st);
const char *sq_worker(weir_store_conn *st);
int sq_remember_pipeline(weir_store_conn *st, const char *name,
                             const char *file, const char *type);
int sq_pipeline_file(weir_store_conn *st, const char *name, char **file);
int sq_sink_identity(weir_store_conn *st, const char *pipeline,
                         const char *sink, char **identity);
int sq_set_sink_identity(weir_store_conn *st, const char *pipeline,
                             const char *sink, const char *identity);
int64_t sq_run_begin(weir_store_conn *st, const char *pipeline,
                         const char *mode);
int sq_run_end(weir_store_conn *st, int64_t run, const char *status,
                   const weir_run_counts *counts, const char *message);
int sq_kv_get(weir_store_conn *st, const char *pipeline,
                  const char *instance, const char *key, char **value);
int sq_kv_set(weir_store_conn *st, const char *pipeline,
                  const char *instance, const char *key, const char *value);
int sq_each_pipeline(weir_store_conn *st, int (*fn)(const char *name,
                         const char *file, void *ctx), void *ctx);
int sq_begin(weir_store_conn *st);
int sq_commit(weir_store_conn *st);
void sq_rollback(weir_store_conn *st);
int sq_begin_lazy(weir_store_conn *st);
int sq_lock_pipeline(weir_store_conn *st, const char *pipeline,
                         long *holder);
void sq_unlock_pipeline(weir_store_conn *st, const char *pipeline);
int sq_snapshot_each(weir_store_conn *st, const char *pipeline,
                         int (*fn)(const char *key, size_t len, uint64_t hash,
                         uint64_t version, int doubt, void *ctx), void *ctx);
int64_t sq_snapshot_count(weir_store_conn *st, const char *pipeline);
int sq_snapshot_generation(weir_store_conn *st, const char *pipeline,
                           int64_t *gen);
int64_t sq_intent_begin(weir_store_conn *st, const char *pipeline);
int sq_snapshot_put(weir_store_conn *st, const char *pipeline,
                    const weir_snapshot_entry *e, size_t n, int64_t intent);
int sq_intent_settle(weir_store_conn *st, const char *pipeline,
                         int64_t intent);
int sq_snapshot_doubt(weir_store_conn *st, const char *pipeline,
                          const char *key);
int64_t sq_snapshot_recover(weir_store_conn *st, const char *pipeline);
int sq_last_full_refresh(weir_store_conn *st, const char *pipeline,
                             int64_t *when_ms);
int sq_set_last_full_refresh(weir_store_conn *st, const char *pipeline,
                                 int64_t when_ms);
int sq_outbox_add(weir_store_conn *st, const weir_outbox_row *rows,
                  size_t n, int64_t *ids);
int64_t sq_outbox_claim(weir_store_conn *st, const weir_outbox_claim *c,
                            int (*fn)(const weir_outbox_row *row, void *ctx),
                            void *ctx);
int64_t sq_outbox_renew(weir_store_conn *st, int64_t until);
int64_t sq_outbox_unclaim(weir_store_conn *st);
int sq_outbox_hold(weir_store_conn *st, int64_t id, const char *stage,
                   const char *wait_key, const char *message,
                   const char *payload);
int64_t sq_outbox_release(weir_store_conn *st, const char *wait_key);
int sq_assigned_put(weir_store_conn *st, const char *pipeline,
                    const char *sink, const char *key, int64_t outbox_id,
                    const char *assigned_id);
int sq_outbox_creating(weir_store_conn *st, const char *link,
                       const char *pipeline, const char *key, int64_t self);
int sq_assigned_get(weir_store_conn *st, const char *pipeline,
                    const char *sink, const char *key, char **assigned_id);
int64_t sq_outbox_settle(weir_store_conn *st, const weir_outbox_answer *a,
                             size_t n);
int sq_outbox_keys(weir_store_conn *st, const char *pipeline,
                       const char *sink, unsigned statuses,
                       int (*fn)(const char *key, void *ctx), void *ctx);
int64_t sq_outbox_supersede(weir_store_conn *st, const char *pipeline,
                                const char *sink, const char *key,
                                int64_t below, int64_t *inserts);
int64_t sq_outbox_drop_deletes(weir_store_conn *st, const char *pipeline,
                                   const char *why);
int64_t sq_outbox_next_due(weir_store_conn *st, const char *pipeline,
                               const char *sink);
int sq_outbox_counts(weir_store_conn *st, const char *pipeline,
                         uint64_t counts[WEIR_OUTBOX_NSTATUS]);
int sq_outbox_get(weir_store_conn *st, int64_t id,
                      int (*fn)(const weir_outbox_row *row, void *ctx),
                      int (*attempt)(const char *at, const char *result,
                      const char *message, void *ctx), void *ctx);
int64_t sq_outbox_resend(weir_store_conn *st, const weir_outbox_filter *f);
int64_t sq_outbox_discard(weir_store_conn *st, const weir_outbox_filter *f,
                              const char *why);
int sq_outbox_open_sinks(weir_store_conn *st, const char *pipeline,
                             int (*fn)(const char *sink, int64_t rows,
                             void *ctx), void *ctx);
char * sq_outbox_pipeline(weir_store_conn *st, int64_t id);
int sq_outbox_settled_since(weir_store_conn *st, const char *pipeline,
                                int64_t when,
                                uint64_t counts[WEIR_OUTBOX_NSTATUS]);
int sq_outbox_prune(weir_store_conn *st, int64_t before);
int sq_history_prune(weir_store_conn *st, int64_t before);
int sq_in_place(weir_store_conn *st);
int sq_monitor(weir_store_conn *st, const char *pipeline,
                   const char *status, const char *type,
                   int (*group)(const weir_monitor_group *g, void *ctx),
                   void *ctx);
int sq_monitor_records(weir_store_conn *st, const weir_monitor_group *g,
                           int (*fn)(const weir_outbox_row *row, void *ctx),
                           void *ctx);
int sq_endpoint_get(weir_store_conn *st, const char *pipeline,
                        const char *sink, weir_endpoint *e);
int sq_endpoint_set(weir_store_conn *st, const char *pipeline,
                        const char *sink, const weir_endpoint *e);
int sq_each_endpoint(weir_store_conn *st, int (*fn)(const char *pipeline,
                         const char *sink, const weir_endpoint *e, void *ctx),
                         void *ctx);
int sq_last_run(weir_store_conn *st, const char *pipeline,
                    int64_t *started, int64_t *finished, char **status,
                    weir_run_counts *counts);
int sq_run_tally(weir_store_conn *st, const char *pipeline,
                 int (*fn)(const char *status, int64_t runs, void *ctx),
                 void *ctx);
/* version 2: state_sqlite.c; state_xref.c the cross-references */
int sq_in_transaction(weir_store_conn *st);
int sq_xref_get(weir_store_conn *st, const char *entity, weir_xref_end from,
                const char *to_system, char **id);
int sq_xref_add(weir_store_conn *st, const char *entity, weir_xref_end a,
                weir_xref_end b, weir_xref_origin origin);
int sq_xref_merge(weir_store_conn *st, const char *entity, weir_xref_end a,
                  weir_xref_end b);
int64_t sq_xref_remove(weir_store_conn *st, const char *entity,
                       weir_xref_end end);
char *sq_xref_generate(weir_store_conn *st, const char *entity,
                       const char *system, const char *prefix, int digits);
int sq_xref_each(weir_store_conn *st, const char *entity, const char *system,
                 int (*fn)(const weir_xref_link *link, void *ctx), void *ctx);
int sq_xref_each_since(weir_store_conn *st, const char *entity,
                       const char *system, const char *to_system,
                       int64_t after, int64_t *last,
                       int (*fn)(const weir_xref_link *link, void *ctx),
                       void *ctx);
int sq_xref_history(weir_store_conn *st, const char *entity,
                    int (*fn)(const weir_xref_event *e, void *ctx), void *ctx);
/* state_echo.c: echo suppression */
int sq_echo_put(weir_store_conn *st, const char *system, const char *entity,
                const char *key, const void *blob, size_t len);
int sq_echo_get(weir_store_conn *st, const char *system, const char *entity,
                const char *key, void **blob, size_t *len);
int sq_track_fields_put(weir_store_conn *st, const char *pipeline,
                        const char *key, uint64_t hash, const void *blob,
                        size_t len);
int sq_track_fields_get(weir_store_conn *st, const char *pipeline,
                        const char *key, void **blob, size_t *len);
/* state_track.c: the kept values of changes="keep" */
int sq_track_values_put(weir_store_conn *st, const char *pipeline,
                        const weir_track_values *v, size_t n);
int sq_track_values_get(weir_store_conn *st, const char *pipeline,
                        const char *const *keys, size_t n,
                        int (*fn)(size_t i, const void *blob, size_t len,
                                  void *ctx),
                        void *ctx);
int64_t sq_track_values_clear(weir_store_conn *st, const char *pipeline);

#endif
