/*
 * state.c - a store handle: the location parsed into a backend, and
 * every state.h call passed to that backend's table of operations.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "store/backend.h"

/* weir_state_watch(): one pipeline's snapshot writes through this
 * handle.  `gen` is the generation the rows had after the last write
 * seen; each write is checked to start from it (else another handle
 * wrote: broken). */
typedef struct watch {
    char *pipeline; /* NULL: no watch */
    weir_snapshot_watcher by;
    int64_t gen;
    int broken, recovered;
    int in_tx;                 /* a write in the open transaction */
    int puts;                  /* entries given to by.put, not yet ended */
    int64_t intent, settled;   /* highest put and settled, committed */
    int64_t tx_intent, tx_settled;
} watch;

struct weir_state {
    const weir_store_ops *ops;
    weir_store_conn *conn;
    char *location;
    watch w;
};

/* The backend for `location`, and in *target what it opens.  NULL with
 * *err filled when there is none. */
static const weir_store_ops *backend_for(const char *location,
                                         const char **target, weir_error *err)
{
    if (strncmp(location, "sqlite:", 7) == 0) {
        *target = location + 7;
        if (**target)
            return &weir_store_sqlite;
        weir_error_set(err, WEIR_ERR_USAGE, "state store %s: no file named",
                       location);
        return NULL;
    }
    if (strncmp(location, "postgresql://", 13) == 0 ||
        strncmp(location, "postgres://", 11) == 0) {
        /* the URI may hold a password: never repeated */
        weir_error_set(err, WEIR_ERR_VERSION,
                       "state store postgresql://...: PostgreSQL support not "
                       "built (this weir was configured without libpq)");
        return NULL;
    }
    const char *colon = strstr(location, "://");
    if (colon && colon > location &&
        strspn(location, "abcdefghijklmnopqrstuvwxyz+-.") ==
            (size_t)(colon - location)) {
        weir_error_set(err, WEIR_ERR_USAGE,
                       "state store %.*s: unknown kind of store (use a file, "
                       "sqlite:FILE or postgresql://...)",
                       (int)(colon - location + 3), location);
        return NULL;
    }
    *target = location;
    return &weir_store_sqlite;
}

static weir_state *open_at(const char *location, weir_store_mode mode,
                           weir_error *err)
{
    const char *target;
    const weir_store_ops *ops = backend_for(location, &target, err);
    if (!ops)
        return NULL;
    weir_state *st = calloc(1, sizeof(*st));
    if (!st || !(st->location = strdup(location))) {
        free(st);
        weir_error_set(err, WEIR_ERR_NOMEM, "state store %s: out of memory",
                       location);
        return NULL;
    }
    st->ops = ops;
    if (ops->version < WEIR_STORE_OPS_VERSION) {
        weir_error_set(err, WEIR_ERR_VERSION, "state store %s: its backend "
                       "(%s) implements operations version %d, this weir "
                       "needs %d", location, ops->name, ops->version,
                       WEIR_STORE_OPS_VERSION);
        free(st->location);
        free(st);
        return NULL;
    }
    if (!(st->conn = ops->open(target, mode, err))) {
        free(st->location);
        free(st);
        return NULL;
    }
    return st;
}

weir_state *weir_state_open(const char *location, weir_error *err)
{
    return open_at(location, WEIR_STORE_CREATE, err);
}

weir_state *weir_state_open_existing(const char *location, weir_error *err)
{
    return open_at(location, WEIR_STORE_EXISTING, err);
}

weir_state *weir_state_open_reader(const char *location, weir_error *err)
{
    return open_at(location, WEIR_STORE_READ, err);
}

static void watch_clear(watch *w)
{
    free(w->pipeline);
    memset(w, 0, sizeof(*w));
}

void weir_state_close(weir_state *st)
{
    if (!st)
        return;
    watch_clear(&st->w);
    st->ops->close(st->conn);
    free(st->location);
    free(st);
}

const char *weir_state_path(const weir_state *st) { return st->location; }

const char *weir_state_file(const weir_state *st)
{
    if (st->ops != &weir_store_sqlite)
        return NULL;
    const char *f = strncmp(st->location, "sqlite:", 7) == 0
                        ? st->location + 7
                        : st->location;
    /* not an in-memory database or a URI */
    return *f && *f != ':' && strncmp(f, "file:", 5) != 0 ? f : NULL;
}

const weir_error *weir_state_error(weir_state *st)
{
    return st->ops->error(st->conn);
}

const char *weir_state_worker(const weir_state *st)
{
    return st->ops->worker(st->conn);
}

const weir_store_ops *weir_state_backend(weir_state *st,
                                         weir_store_conn **conn)
{
    *conn = st->conn;
    return st->ops;
}

/* ---- everything else passes straight through ------------------------ */

int weir_state_remember_pipeline(weir_state *st, const char *name,
                                 const char *file, const char *type)
{
    return st->ops->remember_pipeline(st->conn, name, file, type);
}

int weir_state_pipeline_file(weir_state *st, const char *name, char **file)
{
    return st->ops->pipeline_file(st->conn, name, file);
}

int weir_state_sink_identity(weir_state *st, const char *pipeline,
                             const char *sink, char **identity)
{
    return st->ops->sink_identity(st->conn, pipeline, sink, identity);
}

int weir_state_set_sink_identity(weir_state *st, const char *pipeline,
                                 const char *sink, const char *identity)
{
    return st->ops->set_sink_identity(st->conn, pipeline, sink, identity);
}

int64_t weir_state_run_begin(weir_state *st, const char *pipeline,
                             const char *mode)
{
    return st->ops->run_begin(st->conn, pipeline, mode);
}

int weir_state_run_end(weir_state *st, int64_t run, const char *status,
                       const weir_run_counts *counts, const char *message)
{
    return st->ops->run_end(st->conn, run, status, counts, message);
}

int weir_state_kv_get(weir_state *st, const char *pipeline,
                      const char *instance, const char *key, char **value)
{
    return st->ops->kv_get(st->conn, pipeline, instance, key, value);
}

int weir_state_kv_set(weir_state *st, const char *pipeline,
                      const char *instance, const char *key,
                      const char *value)
{
    return st->ops->kv_set(st->conn, pipeline, instance, key, value);
}

int weir_state_each_pipeline(weir_state *st, int (*fn)(const char *name,
                             const char *file, void *ctx), void *ctx)
{
    return st->ops->each_pipeline(st->conn, fn, ctx);
}

int weir_state_begin(weir_state *st)
{
    return st->ops->begin(st->conn);
}

int weir_state_begin_lazy(weir_state *st)
{
    return st->ops->begin_lazy(st->conn);
}

/* The writes since the last end committed. */
static void watch_flush(watch *w)
{
    if (w->puts)
        w->by.end(1, w->by.ctx);
    if (w->tx_intent > w->intent)
        w->intent = w->tx_intent;
    if (w->tx_settled > w->settled)
        w->settled = w->tx_settled;
    w->puts = 0;
    w->tx_intent = w->tx_settled = 0;
}

static void watch_drop(watch *w)
{
    if (w->puts)
        w->by.end(0, w->by.ctx);
    w->puts = 0;
    w->tx_intent = w->tx_settled = 0;
}

int weir_state_commit(weir_state *st)
{
    watch *w = &st->w;
    int64_t gen = 0;
    if (w->in_tx && st->ops->snapshot_generation(st->conn, w->pipeline, &gen))
        w->broken = 1;
    int rc = st->ops->commit(st->conn);
    if (w->in_tx) {
        w->in_tx = 0;
        if (rc)
            w->broken = 1;
        w->gen = gen;
        watch_flush(w);
    }
    return rc;
}

void weir_state_rollback(weir_state *st)
{
    st->ops->rollback(st->conn);
    /* the new generation is rolled back with the rows */
    if (st->w.in_tx) {
        st->w.in_tx = 0;
        if (st->ops->in_transaction(st->conn))
            st->w.broken = 1;
        watch_drop(&st->w);
    }
}

/* Before a write to `pipeline`'s snapshot: 1 when it is watched (the
 * write to be followed), 0 when not. */
static int watch_before(weir_state *st, const char *pipeline)
{
    watch *w = &st->w;
    if (!w->pipeline || w->broken || strcmp(w->pipeline, pipeline) != 0)
        return 0;
    if (w->in_tx)
        return 1;
    int64_t gen;
    if (st->ops->snapshot_generation(st->conn, pipeline, &gen) ||
        gen != w->gen) {
        w->broken = 1;
        return 0;
    }
    w->in_tx = st->ops->in_transaction(st->conn);
    return 1;
}

/* After it (rc: its result): a write outside a transaction is committed
 * already. */
static void watch_after(weir_state *st, int rc)
{
    watch *w = &st->w;
    if (rc)
        w->broken = 1;
    if (w->in_tx)
        return;
    if (w->broken) {
        watch_drop(w);
        return;
    }
    if (st->ops->snapshot_generation(st->conn, w->pipeline, &w->gen))
        w->broken = 1;
    watch_flush(w);
}

int weir_state_in_place(weir_state *st)
{
    return st->ops->in_place(st->conn);
}

int weir_state_in_transaction(weir_state *st)
{
    return st->ops->in_transaction(st->conn);
}

int weir_state_lock_pipeline(weir_state *st, const char *pipeline,
                             long *holder)
{
    return st->ops->lock_pipeline(st->conn, pipeline, holder);
}

void weir_state_unlock_pipeline(weir_state *st, const char *pipeline)
{
    st->ops->unlock_pipeline(st->conn, pipeline);
}

int weir_state_snapshot_each(weir_state *st, const char *pipeline,
                             int (*fn)(const char *key, size_t len,
                             uint64_t hash, uint64_t version, int doubt,
                             void *ctx), void *ctx)
{
    return st->ops->snapshot_each(st->conn, pipeline, fn, ctx);
}

int64_t weir_state_snapshot_count(weir_state *st, const char *pipeline)
{
    return st->ops->snapshot_count(st->conn, pipeline);
}

int64_t weir_state_intent_begin(weir_state *st, const char *pipeline)
{
    return st->ops->intent_begin(st->conn, pipeline);
}

int weir_state_snapshot_put(weir_state *st, const char *pipeline,
                            const weir_snapshot_entry *e, size_t n,
                            int64_t intent)
{
    int watched = watch_before(st, pipeline);
    if (watched) {
        watch *w = &st->w;
        if (!w->recovered) /* see intent_settle */
            w->broken = 1;
        else if (n && w->by.put(e, n, w->by.ctx))
            w->broken = 1;
        w->puts = 1;
        if (intent > w->tx_intent)
            w->tx_intent = intent;
    }
    int rc = st->ops->snapshot_put(st->conn, pipeline, e, n, intent);
    if (watched)
        watch_after(st, rc);
    return rc;
}

int weir_state_intent_settle(weir_state *st, const char *pipeline,
                             int64_t intent)
{
    int watched = watch_before(st, pipeline);
    if (watched && !st->w.recovered) /* it could settle loaded doubts */
        st->w.broken = 1;
    if (watched && intent > st->w.tx_settled)
        st->w.tx_settled = intent;
    int rc = st->ops->intent_settle(st->conn, pipeline, intent);
    if (watched)
        watch_after(st, rc);
    return rc;
}

int weir_state_snapshot_doubt(weir_state *st, const char *pipeline,
                              const char *key)
{
    /* a doubt the watcher's copy cannot follow: no longer a copy */
    if (watch_before(st, pipeline))
        st->w.broken = 1;
    return st->ops->snapshot_doubt(st->conn, pipeline, key);
}

int64_t weir_state_snapshot_recover(weir_state *st, const char *pipeline)
{
    /* Keys in doubt stay in doubt (their intent becomes -1): the rows
     * loaded are still the rows. */
    int watched = watch_before(st, pipeline);
    int64_t n = st->ops->snapshot_recover(st->conn, pipeline);
    if (watched) {
        st->w.recovered = 1;
        watch_after(st, n < 0);
    }
    return n;
}

int weir_state_snapshot_generation(weir_state *st, const char *pipeline,
                                   int64_t *gen)
{
    return st->ops->snapshot_generation(st->conn, pipeline, gen);
}

int weir_state_watch(weir_state *st, const char *pipeline, int64_t gen,
                     const weir_snapshot_watcher *by)
{
    if (st->w.pipeline)
        return 1;
    if (!(st->w.pipeline = strdup(pipeline)))
        return -1;
    st->w.by = *by;
    st->w.gen = gen;
    return 0;
}

int weir_state_watch_end(weir_state *st, const void *ctx, int64_t *gen)
{
    watch *w = &st->w;
    if (!w->pipeline || w->by.ctx != ctx)
        return 0;
    int ok = !w->broken && !w->in_tx &&
             w->settled >= w->intent &&
             st->ops->snapshot_generation(st->conn, w->pipeline, gen) == 0 &&
             *gen == w->gen;
    watch_clear(w);
    return ok;
}

int weir_state_last_full_refresh(weir_state *st, const char *pipeline,
                                 int64_t *when_ms)
{
    return st->ops->last_full_refresh(st->conn, pipeline, when_ms);
}

int weir_state_set_last_full_refresh(weir_state *st, const char *pipeline,
                                     int64_t when_ms)
{
    return st->ops->set_last_full_refresh(st->conn, pipeline, when_ms);
}

int weir_state_echo_put(weir_state *st, const char *system,
                        const char *entity, const char *key,
                        const void *blob, size_t len)
{
    return st->ops->echo_put(st->conn, system, entity, key, blob, len);
}

int weir_state_echo_get(weir_state *st, const char *system,
                        const char *entity, const char *key, void **blob,
                        size_t *len)
{
    return st->ops->echo_get(st->conn, system, entity, key, blob, len);
}

int weir_state_track_fields_put(weir_state *st, const char *pipeline,
                                const char *key, uint64_t hash,
                                const void *blob, size_t len)
{
    return st->ops->track_fields_put(st->conn, pipeline, key, hash, blob, len);
}

int weir_state_track_fields_get(weir_state *st, const char *pipeline,
                                const char *key, void **blob, size_t *len)
{
    return st->ops->track_fields_get(st->conn, pipeline, key, blob, len);
}

int weir_state_track_values_put(weir_state *st, const char *pipeline,
                                const weir_track_values *v, size_t n)
{
    return st->ops->track_values_put(st->conn, pipeline, v, n);
}

int weir_state_track_values_get(weir_state *st, const char *pipeline,
                                const char *const *keys, size_t n,
                                int (*fn)(size_t i, const void *blob,
                                          size_t len, void *ctx),
                                void *ctx)
{
    return st->ops->track_values_get(st->conn, pipeline, keys, n, fn, ctx);
}

int64_t weir_state_track_values_clear(weir_state *st, const char *pipeline)
{
    return st->ops->track_values_clear(st->conn, pipeline);
}

int weir_state_outbox_add(weir_state *st, const weir_outbox_row *rows,
                          size_t n, int64_t *ids)
{
    return st->ops->outbox_add(st->conn, rows, n, ids);
}

int64_t weir_state_outbox_claim(weir_state *st, const weir_outbox_claim *c,
                                int (*fn)(const weir_outbox_row *row,
                                void *ctx), void *ctx)
{
    return st->ops->outbox_claim(st->conn, c, fn, ctx);
}

int64_t weir_state_outbox_renew(weir_state *st, int64_t until)
{
    return st->ops->outbox_renew(st->conn, until);
}

int64_t weir_state_outbox_unclaim(weir_state *st)
{
    return st->ops->outbox_unclaim(st->conn);
}

int weir_state_outbox_hold(weir_state *st, int64_t id, const char *stage,
                           const char *wait_key, const char *message,
                           const char *payload)
{
    return st->ops->outbox_hold(st->conn, id, stage, wait_key, message,
                                payload);
}

int weir_state_outbox_creating(weir_state *st, const char *link,
                               const char *pipeline, const char *key,
                               int64_t self)
{
    return st->ops->outbox_creating(st->conn, link, pipeline, key, self);
}

int64_t weir_state_outbox_release(weir_state *st, const char *wait_key)
{
    return st->ops->outbox_release(st->conn, wait_key);
}

int weir_state_assigned_put(weir_state *st, const char *pipeline,
                            const char *sink, const char *key,
                            int64_t outbox_id, const char *assigned_id)
{
    return st->ops->assigned_put(st->conn, pipeline, sink, key, outbox_id,
                                 assigned_id);
}

int weir_state_assigned_get(weir_state *st, const char *pipeline,
                            const char *sink, const char *key,
                            char **assigned_id)
{
    return st->ops->assigned_get(st->conn, pipeline, sink, key, assigned_id);
}

int64_t weir_state_outbox_settle(weir_state *st, const weir_outbox_answer *a,
                                 size_t n)
{
    return st->ops->outbox_settle(st->conn, a, n);
}

int weir_state_outbox_keys(weir_state *st, const char *pipeline,
                           const char *sink, unsigned statuses,
                           int (*fn)(const char *key, void *ctx), void *ctx)
{
    return st->ops->outbox_keys(st->conn, pipeline, sink, statuses, fn, ctx);
}

int64_t weir_state_outbox_supersede(weir_state *st, const char *pipeline,
                                    const char *sink, const char *key,
                                    int64_t below, int64_t *inserts)
{
    return st->ops->outbox_supersede(st->conn, pipeline, sink, key, below,
                                     inserts);
}

int64_t weir_state_outbox_drop_deletes(weir_state *st, const char *pipeline,
                                       const char *why)
{
    return st->ops->outbox_drop_deletes(st->conn, pipeline, why);
}

int64_t weir_state_outbox_next_due(weir_state *st, const char *pipeline,
                                   const char *sink)
{
    return st->ops->outbox_next_due(st->conn, pipeline, sink);
}

int weir_state_outbox_counts(weir_state *st, const char *pipeline,
                             uint64_t counts[WEIR_OUTBOX_NSTATUS])
{
    return st->ops->outbox_counts(st->conn, pipeline, counts);
}

int weir_state_outbox_get(weir_state *st, int64_t id,
                          int (*fn)(const weir_outbox_row *row, void *ctx),
                          int (*attempt)(const char *at, const char *result,
                          const char *message, void *ctx), void *ctx)
{
    return st->ops->outbox_get(st->conn, id, fn, attempt, ctx);
}

int64_t weir_state_outbox_resend(weir_state *st, const weir_outbox_filter *f)
{
    return st->ops->outbox_resend(st->conn, f);
}

int64_t weir_state_outbox_discard(weir_state *st, const weir_outbox_filter *f,
                                  const char *why)
{
    return st->ops->outbox_discard(st->conn, f, why);
}

int weir_state_outbox_open_sinks(weir_state *st, const char *pipeline,
                                 int (*fn)(const char *sink, int64_t rows,
                                 void *ctx), void *ctx)
{
    return st->ops->outbox_open_sinks(st->conn, pipeline, fn, ctx);
}

char *weir_state_outbox_pipeline(weir_state *st, int64_t id)
{
    return st->ops->outbox_pipeline(st->conn, id);
}

int weir_state_outbox_settled_since(weir_state *st, const char *pipeline,
                                    int64_t when,
                                    uint64_t counts[WEIR_OUTBOX_NSTATUS])
{
    return st->ops->outbox_settled_since(st->conn, pipeline, when, counts);
}

int weir_state_history_prune(weir_state *st, int64_t before)
{
    return st->ops->history_prune(st->conn, before);
}

int weir_state_monitor(weir_state *st, const char *pipeline,
                       const char *status, const char *type,
                       int (*group)(const weir_monitor_group *g, void *ctx),
                       void *ctx)
{
    return st->ops->monitor(st->conn, pipeline, status, type, group, ctx);
}

int weir_state_monitor_records(weir_state *st, const weir_monitor_group *g,
                               int (*fn)(const weir_outbox_row *row,
                               void *ctx), void *ctx)
{
    return st->ops->monitor_records(st->conn, g, fn, ctx);
}

int weir_state_endpoint_get(weir_state *st, const char *pipeline,
                            const char *sink, weir_endpoint *e)
{
    return st->ops->endpoint_get(st->conn, pipeline, sink, e);
}

int weir_state_endpoint_set(weir_state *st, const char *pipeline,
                            const char *sink, const weir_endpoint *e)
{
    return st->ops->endpoint_set(st->conn, pipeline, sink, e);
}

int weir_state_each_endpoint(weir_state *st, int (*fn)(const char *pipeline,
                             const char *sink, const weir_endpoint *e,
                             void *ctx), void *ctx)
{
    return st->ops->each_endpoint(st->conn, fn, ctx);
}

int weir_state_last_run(weir_state *st, const char *pipeline,
                        int64_t *started, int64_t *finished, char **status,
                        weir_run_counts *counts)
{
    return st->ops->last_run(st->conn, pipeline, started, finished, status,
                             counts);
}

int weir_state_run_tally(weir_state *st, const char *pipeline,
                         int (*fn)(const char *status, int64_t runs,
                                   void *ctx),
                         void *ctx)
{
    return st->ops->run_tally(st->conn, pipeline, fn, ctx);
}
