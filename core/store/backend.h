/*
 * backend.h - what a state store backend implements (state.h is what
 * the rest of weir calls).
 *
 * A backend is one table of operations, modelled on SQLite's sqlite3_vfs:
 * `version` says which operations the table has, and new operations are
 * appended with a new version, so the core calls an operation only when
 * the backend's version has it.  Each operation is the state.h function
 * of the same name, taking the backend's connection in place of the
 * weir_state handle, with the same contract; state.c passes the calls
 * through.  A failed operation leaves its reason for `error`.
 *
 * Backends: store/sqlite/ (SQLite, the embedded default).  PostgreSQL
 * comes as store/postgresql/ behind the same table.
 */
#ifndef WEIR_STORE_BACKEND_H
#define WEIR_STORE_BACKEND_H

#include "store/state.h"
#include "store/xref.h"

/* A backend's open store. (opaque to the core) */
typedef struct weir_store_conn weir_store_conn;

typedef enum weir_store_mode {
    WEIR_STORE_CREATE,   /* weir_state_open: made when missing, migrated */
    WEIR_STORE_EXISTING, /* weir_state_open_existing */
    WEIR_STORE_READ      /* weir_state_open_reader */
} weir_store_mode;

/* Version 1: the operations from open to run_tally.
 * Version 2: in_transaction, the cross-reference store (xref.h),
 * outbox_creating and echo suppression (echo_put to track_fields_get),
 * from in_transaction on.
 * Version 3: the kept values of <track changes="keep"> (track_values_put
 * to track_values_clear), and the outbox rows' `changes` and `resent`.
 * Version 4: history_prune (was outbox_prune) prunes the run history too.
 * Version 5: in_place.
 * Version 6: begin_lazy, snapshot_generation.
 * state.c refuses to open a backend older than WEIR_STORE_OPS_VERSION,
 * so every operation here may be called. */
#define WEIR_STORE_OPS_VERSION 6

typedef struct weir_store_ops {
    int version;      /* WEIR_STORE_OPS_VERSION the backend implements */
    const char *name; /* "sqlite" */
    /* Open `target` (the location without its scheme) as state.h's
     * openers do.  NULL and *err filled on failure. */
    weir_store_conn *(*open)(const char *target, weir_store_mode mode,
                             weir_error *err);
    void (*close)(weir_store_conn *conn);
    /* The last failure's class and message. (borrowed) */
    const weir_error *(*error)(weir_store_conn *conn);
    /* Who this connection claims outbox rows as. (borrowed) */
    const char *(*worker)(weir_store_conn *conn);
    int (*remember_pipeline)(weir_store_conn *conn, const char *name,
                             const char *file, const char *type);
    int (*pipeline_file)(weir_store_conn *conn, const char *name, char **file);
    int (*sink_identity)(weir_store_conn *conn, const char *pipeline,
                         const char *sink, char **identity);
    int (*set_sink_identity)(weir_store_conn *conn, const char *pipeline,
                             const char *sink, const char *identity);
    int64_t (*run_begin)(weir_store_conn *conn, const char *pipeline,
                         const char *mode);
    int (*run_end)(weir_store_conn *conn, int64_t run, const char *status,
                   const weir_run_counts *counts, const char *message);
    int (*kv_get)(weir_store_conn *conn, const char *pipeline,
                  const char *instance, const char *key, char **value);
    int (*kv_set)(weir_store_conn *conn, const char *pipeline,
                  const char *instance, const char *key, const char *value);
    int (*each_pipeline)(weir_store_conn *conn, int (*fn)(const char *name,
                         const char *file, void *ctx), void *ctx);
    int (*begin)(weir_store_conn *conn);
    int (*commit)(weir_store_conn *conn);
    void (*rollback)(weir_store_conn *conn);
    int (*lock_pipeline)(weir_store_conn *conn, const char *pipeline,
                         long *holder);
    void (*unlock_pipeline)(weir_store_conn *conn, const char *pipeline);
    int (*snapshot_each)(weir_store_conn *conn, const char *pipeline,
                         int (*fn)(const char *key, size_t len, uint64_t hash,
                         uint64_t version, int doubt, void *ctx), void *ctx);
    int64_t (*snapshot_count)(weir_store_conn *conn, const char *pipeline);
    int64_t (*intent_begin)(weir_store_conn *conn, const char *pipeline);
    int (*snapshot_put)(weir_store_conn *conn, const char *pipeline,
                        const weir_snapshot_entry *e, size_t n,
                        int64_t intent);
    int (*intent_settle)(weir_store_conn *conn, const char *pipeline,
                         int64_t intent);
    int (*snapshot_doubt)(weir_store_conn *conn, const char *pipeline,
                          const char *key);
    int64_t (*snapshot_recover)(weir_store_conn *conn, const char *pipeline);
    int (*last_full_refresh)(weir_store_conn *conn, const char *pipeline,
                             int64_t *when_ms);
    int (*set_last_full_refresh)(weir_store_conn *conn, const char *pipeline,
                                 int64_t when_ms);
    int (*outbox_add)(weir_store_conn *conn, const weir_outbox_row *rows,
                      size_t n, int64_t *ids);
    int64_t (*outbox_claim)(weir_store_conn *conn, const weir_outbox_claim *c,
                            int (*fn)(const weir_outbox_row *row, void *ctx),
                            void *ctx);
    int64_t (*outbox_renew)(weir_store_conn *conn, int64_t until);
    int64_t (*outbox_unclaim)(weir_store_conn *conn);
    int (*outbox_hold)(weir_store_conn *conn, int64_t id, const char *stage,
                       const char *wait_key, const char *message,
                       const char *payload);
    int64_t (*outbox_release)(weir_store_conn *conn, const char *wait_key);
    int (*assigned_put)(weir_store_conn *conn, const char *pipeline,
                        const char *sink, const char *key, int64_t outbox_id,
                        const char *assigned_id);
    int (*assigned_get)(weir_store_conn *conn, const char *pipeline,
                        const char *sink, const char *key,
                        char **assigned_id);
    int64_t (*outbox_settle)(weir_store_conn *conn, const weir_outbox_answer *a,
                             size_t n);
    int (*outbox_keys)(weir_store_conn *conn, const char *pipeline,
                       const char *sink, unsigned statuses,
                       int (*fn)(const char *key, void *ctx), void *ctx);
    int64_t (*outbox_supersede)(weir_store_conn *conn, const char *pipeline,
                                const char *sink, const char *key,
                                int64_t below, int64_t *inserts);
    int64_t (*outbox_drop_deletes)(weir_store_conn *conn, const char *pipeline,
                                   const char *why);
    int64_t (*outbox_next_due)(weir_store_conn *conn, const char *pipeline,
                               const char *sink);
    int (*outbox_counts)(weir_store_conn *conn, const char *pipeline,
                         uint64_t counts[WEIR_OUTBOX_NSTATUS]);
    int (*outbox_get)(weir_store_conn *conn, int64_t id,
                      int (*fn)(const weir_outbox_row *row, void *ctx),
                      int (*attempt)(const char *at, const char *result,
                      const char *message, void *ctx), void *ctx);
    int64_t (*outbox_resend)(weir_store_conn *conn, const weir_outbox_filter *f);
    int64_t (*outbox_discard)(weir_store_conn *conn, const weir_outbox_filter *f,
                              const char *why);
    int (*outbox_open_sinks)(weir_store_conn *conn, const char *pipeline,
                             int (*fn)(const char *sink, int64_t rows,
                             void *ctx), void *ctx);
    char * (*outbox_pipeline)(weir_store_conn *conn, int64_t id);
    int (*outbox_settled_since)(weir_store_conn *conn, const char *pipeline,
                                int64_t when,
                                uint64_t counts[WEIR_OUTBOX_NSTATUS]);
    int (*history_prune)(weir_store_conn *conn, int64_t before);
    int (*monitor)(weir_store_conn *conn, const char *pipeline,
                   const char *status, const char *type,
                   int (*group)(const weir_monitor_group *g, void *ctx),
                   void *ctx);
    int (*monitor_records)(weir_store_conn *conn, const weir_monitor_group *g,
                           int (*fn)(const weir_outbox_row *row, void *ctx),
                           void *ctx);
    int (*endpoint_get)(weir_store_conn *conn, const char *pipeline,
                        const char *sink, weir_endpoint *e);
    int (*endpoint_set)(weir_store_conn *conn, const char *pipeline,
                        const char *sink, const weir_endpoint *e);
    int (*each_endpoint)(weir_store_conn *conn, int (*fn)(const char *pipeline,
                         const char *sink, const weir_endpoint *e, void *ctx),
                         void *ctx);
    int (*last_run)(weir_store_conn *conn, const char *pipeline,
                    int64_t *started, int64_t *finished, char **status,
                    weir_run_counts *counts);
    int (*run_tally)(weir_store_conn *conn, const char *pipeline,
                     int (*fn)(const char *status, int64_t runs, void *ctx),
                     void *ctx);
    /* ---- version 2 ---- */
    int (*in_transaction)(weir_store_conn *conn);
    /* xref.h's functions: xref.c checks nothing and opens the transaction
     * when the caller has none; the backend checks the names
     * (weir_xref_check) and keeps one to one in each direction even
     * against another process writing at once. */
    int (*xref_get)(weir_store_conn *conn, const char *entity,
                    weir_xref_end from, const char *to_system, char **id);
    /* 0 linked, 1 the identical link was there, -1 */
    int (*xref_add)(weir_store_conn *conn, const char *entity,
                    weir_xref_end a, weir_xref_end b,
                    weir_xref_origin origin);
    int (*xref_merge)(weir_store_conn *conn, const char *entity,
                      weir_xref_end a, weir_xref_end b);
    int64_t (*xref_remove)(weir_store_conn *conn, const char *entity,
                           weir_xref_end end);
    char *(*xref_generate)(weir_store_conn *conn, const char *entity,
                           const char *system, const char *prefix,
                           int digits);
    int (*xref_each)(weir_store_conn *conn, const char *entity,
                     const char *system,
                     int (*fn)(const weir_xref_link *link, void *ctx),
                     void *ctx);
    int (*xref_each_since)(weir_store_conn *conn, const char *entity,
                           const char *system, const char *to_system,
                           int64_t after, int64_t *last,
                           int (*fn)(const weir_xref_link *link, void *ctx),
                           void *ctx);
    int (*xref_history)(weir_store_conn *conn, const char *entity,
                        int (*fn)(const weir_xref_event *e, void *ctx),
                        void *ctx);
    int (*outbox_creating)(weir_store_conn *conn, const char *link,
                           const char *pipeline, const char *key, int64_t self);
    /* echo suppression (state.h) */
    int (*echo_put)(weir_store_conn *conn, const char *system,
                    const char *entity, const char *key, const void *blob,
                    size_t len);
    int (*echo_get)(weir_store_conn *conn, const char *system,
                    const char *entity, const char *key, void **blob,
                    size_t *len);
    int (*track_fields_put)(weir_store_conn *conn, const char *pipeline,
                            const char *key, uint64_t hash, const void *blob,
                            size_t len);
    int (*track_fields_get)(weir_store_conn *conn, const char *pipeline,
                            const char *key, void **blob, size_t *len);
    /* ---- version 3 ---- */
    int (*track_values_put)(weir_store_conn *conn, const char *pipeline,
                            const weir_track_values *v, size_t n);
    int (*track_values_get)(weir_store_conn *conn, const char *pipeline,
                            const char *const *keys, size_t n,
                            int (*fn)(size_t i, const void *blob, size_t len,
                                      void *ctx),
                            void *ctx);
    int64_t (*track_values_clear)(weir_store_conn *conn, const char *pipeline);
    /* ---- version 5 ---- */
    /* 0 while the store is still the one the connection opened; -1
     * (error set) when it was removed or replaced since. */
    int (*in_place)(weir_store_conn *conn);
    /* ---- version 6 ---- */
    int (*begin_lazy)(weir_store_conn *conn);
    /* Every operation that writes a pipeline's snapshot rows or what
     * decides their doubt (snapshot_put, snapshot_doubt, snapshot_recover,
     * intent_settle) gives it a new generation first, in the same
     * transaction; so must anything added later that does. */
    int (*snapshot_generation)(weir_store_conn *conn, const char *pipeline,
                               int64_t *gen);
} weir_store_ops;

/* The backend and connection behind `st`, for the store's own files
 * that pass calls through (xref.c). (borrowed) */
const weir_store_ops *weir_state_backend(weir_state *st,
                                         weir_store_conn **conn);

extern const weir_store_ops weir_store_sqlite;

#endif
