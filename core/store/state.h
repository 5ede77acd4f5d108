/*
 * state.h - the state store: everything weir keeps between runs (run
 * history, each pipeline's file, per-plugin state, change-tracking
 * snapshots, the outbox, endpoint health) for the pipelines that name it.
 *
 * A store is opened by location ("weir.db", "sqlite:FILE", later
 * "postgresql://...") and used only through these functions, which call
 * the backend's table of operations (store/backend.h).  No SQL, file
 * name or locking assumption of a backend shows here.  The store never
 * resets itself: a database that is corrupt, read-only, locked or from a
 * newer weir fails to open with a message naming it.
 *
 * Errors: a function that fails returns -1 (NULL for pointers) and
 * weir_state_error() says why, with a class (busy, corrupt, full, ...).
 * No query answers "nothing" when it failed.
 *
 * Not thread-safe: one weir_state per thread.  Several handles, in one
 * process or many, may share one store: the outbox is claimed row by row
 * with a lease (weir_state_outbox_claim).
 */
#ifndef WEIR_STATE_H
#define WEIR_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

typedef struct weir_state weir_state;

/* The schema version this weir writes. */
#define WEIR_STATE_SCHEMA 10

/* Open the store at `location` for a run, drain or resend, and migrate
 * it forward: "FILE" or "sqlite:FILE" (SQLite), "postgresql://..."
 * (refused: PostgreSQL support not built).  A new SQLite state (mode
 * 0600) is made only where no file exists: an existing file that is
 * empty, another application's database, corrupt or from a newer weir is
 * refused, unchanged.  On failure returns NULL and fills *err (owned by
 * the caller: weir_error_clear) with a message naming the location. */
weir_state *weir_state_open(const char *location, weir_error *err);
/* The same for a store that must exist already (resend, discard): a
 * missing one is an error ("not found"), never made new. */
weir_state *weir_state_open_existing(const char *location, weir_error *err);
/* Open an existing store to read it (monitor, status, show): read-only,
 * no migration, no waiting for a run that writes.  A schema older than
 * this weir's is refused (a run or drain brings it up to date), as are
 * the stores weir_state_open refuses.  Errors as there. */
weir_state *weir_state_open_reader(const char *location, weir_error *err);
/* Closing gives up the handle's outbox claims (weir_state_outbox_unclaim). */
void weir_state_close(weir_state *st);
/* The location as given to open, for messages. (borrowed) */
const char *weir_state_path(const weir_state *st);
/* Why the last failed call of this handle failed. (borrowed) */
const weir_error *weir_state_error(weir_state *st);
/* The name under which this handle claims outbox rows: unique among the
 * handles open on the store at one time ("host pid n"). (borrowed) */
const char *weir_state_worker(const weir_state *st);

/* Remember which file defines pipeline `name` (drain, monitor and status
 * find it from the name alone). */
int weir_state_remember_pipeline(weir_state *st, const char *name,
                                 const char *file, const char *type);
/* The file last recorded for `name` in *file (owned: free): 0, 1 when
 * the pipeline is unknown, -1 when it could not be read. */
int weir_state_pipeline_file(weir_state *st, const char *name, char **file);

/* What sink `sink` of `pipeline` was when a run of it last started: an
 * identity string (sink_identity.h), so that resend and drain can tell
 * when the file now describes another target.  get: 0 and *identity
 * owned (free); 1 when never recorded; -1 on error. */
int weir_state_sink_identity(weir_state *st, const char *pipeline,
                             const char *sink, char **identity);
int weir_state_set_sink_identity(weir_state *st, const char *pipeline,
                                 const char *sink, const char *identity);

typedef struct weir_run_counts {
    uint64_t read;      /* records from the source */
    uint64_t written;   /* acknowledgements by sinks */
    uint64_t rejected;  /* refused for good (source, transform, sink) */
    uint64_t dropped;   /* filtered out on purpose */
    uint64_t held;      /* kept without spending attempts (endpoint down) */
    uint64_t retry;     /* waiting for their next attempt */
    uint64_t failed;    /* out of attempts */
    uint64_t queued;    /* behind an earlier record of the same key */
    uint64_t unchanged; /* <track>: nothing new, not sent */
    uint64_t deletes;   /* <track>: delete records */
    uint64_t superseded; /* <track>: older waiting changes a newer replaced */
} weir_run_counts;

/* Record a run's start; returns its id (> 0) or -1. */
int64_t weir_state_run_begin(weir_state *st, const char *pipeline,
                             const char *mode);
/* Record its end: status "ok", "failed" (some records failed) or "error"
 * (the run could not complete); message nullable. */
int weir_state_run_end(weir_state *st, int64_t run, const char *status,
                       const weir_run_counts *counts, const char *message);

/* Per-plugin key/value state.  get: 0 and *value owned (free); 1 when
 * unset; -1 when it could not be read. */
int weir_state_kv_get(weir_state *st, const char *pipeline,
                      const char *instance, const char *key, char **value);
int weir_state_kv_set(weir_state *st, const char *pipeline,
                      const char *instance, const char *key, const char *value);

/* Every pipeline the state knows, with its file (both borrowed for the
 * call), in name order. */
int weir_state_each_pipeline(weir_state *st,
                             int (*fn)(const char *name, const char *file,
                                       void *ctx),
                             void *ctx);

/* ---- transactions ----------------------------------------------------
 * A run commits each batch's snapshots together with its outbox rows in
 * one durable transaction: that is the "nothing lost" rule. */
int weir_state_begin(weir_state *st);
int weir_state_commit(weir_state *st);
void weir_state_rollback(weir_state *st);
/* A transaction whose commit is atomic but durable only with the next
 * durable commit (of any handle on the store): a crash of weir keeps it,
 * a crash of the machine before that next commit may undo it, and never
 * undoes that commit without it.  Only for a transaction whose loss
 * leaves a state the lost-answer rule already covers: a batch's settle,
 * whose intent then stays in doubt, exactly as when weir dies before
 * settling.  It saves a sync per batch (PostgreSQL: synchronous_commit
 * off for the transaction). */
int weir_state_begin_lazy(weir_state *st);
/* 1 while a transaction of this handle is open (weir_state_begin), else
 * 0: a call that must be atomic opens its own only when there is none. */
int weir_state_in_transaction(weir_state *st);
/* Is the store still the one this handle opened?  A state database
 * removed or replaced under a long-lived handle (weir serve) would take
 * its writes with it, and the next start would begin afresh: 0 yes, -1
 * no (weir_state_error says so). */
int weir_state_in_place(weir_state *st);

/* ---- locks: one live run per pipeline --------------------------------
 * Held by the process and released when it exits, however it exits.
 * Returns 0 when taken, 1 when another process holds it (*holder gets its
 * pid when known), -1 on error. */
int weir_state_lock_pipeline(weir_state *st, const char *pipeline,
                             long *holder);
void weir_state_unlock_pipeline(weir_state *st, const char *pipeline);

/* ---- change-tracking snapshots ----------------------------------------
 * The lost answer: a sink may apply a change and weir die before it
 * records the answer.  So a batch's new snapshot values are written
 * first, as an *intent* (weir_state_intent_begin), committed before any
 * sink sees the batch, and *settled* once the answers are recorded.  A
 * value whose intent never settled is "in doubt": the target may hold it
 * or the one before; the next run compares the source with it and sends
 * the key again (tracker: RESEND) or deletes it again. */
/* Every key of `pipeline` with the hash of its tracked values, its
 * change number and its doubt: 0 settled, else 1 + the operation
 * (weir_op) it was sent with.  Hash 0 is a deleted key, kept so that its
 * change number (part of every idempotency id) never repeats. */
int weir_state_snapshot_each(weir_state *st, const char *pipeline,
                             int (*fn)(const char *key, size_t len,
                                       uint64_t hash, uint64_t version,
                                       int doubt, void *ctx),
                             void *ctx);
/* How many keys the snapshot of `pipeline` holds (deleted ones too), -1
 * when it could not be read. */
int64_t weir_state_snapshot_count(weir_state *st, const char *pipeline);
/* A new intent of `pipeline` (inside the caller's transaction): returns
 * its number (> 0) for weir_state_snapshot_put(), or -1. */
int64_t weir_state_intent_begin(weir_state *st, const char *pipeline);
/* One key's new snapshot value: hash (0: deleted), change number and
 * the operation (weir_op) it is sent with.  Strings borrowed. */
typedef struct weir_snapshot_entry {
    const char *key;
    uint64_t hash, version;
    int op;
} weir_snapshot_entry;
/* Store `n` keys' values as part of intent `intent`, in one call (a
 * batch costs one round trip on a networked store).  The pipeline must
 * have been remembered (weir_state_remember_pipeline). */
int weir_state_snapshot_put(weir_state *st, const char *pipeline,
                            const weir_snapshot_entry *e, size_t n,
                            int64_t intent);
/* The answers of every intent up to `intent` are recorded: their values
 * are no longer in doubt (inside the caller's transaction). */
int weir_state_intent_settle(weir_state *st, const char *pipeline,
                             int64_t intent);
/* Keep `key` in doubt although its intent settles (its answer could not
 * be recorded), until a later run sends it again. */
int weir_state_snapshot_doubt(weir_state *st, const char *pipeline,
                              const char *key);
/* At the start of a run: the values of intents that never settled (a
 * run that died) stay in doubt until sent again, whatever settles next.
 * Returns how many keys are in doubt, or -1. */
int64_t weir_state_snapshot_recover(weir_state *st, const char *pipeline);
/* The generation of `pipeline`'s snapshot in *gen: a value that changes,
 * in the same transaction, with every write to its rows or to what
 * decides their doubt, and never comes back; 0 until the pipeline's
 * first intent, and for a backend that keeps none.  A copy of the rows
 * made at one generation (engine/track.c's index image) is the rows
 * while the generation is the same.  0, or -1 when it could not be
 * read. */
int weir_state_snapshot_generation(weir_state *st, const char *pipeline,
                                   int64_t *gen);
/* Follow the writes to one pipeline's snapshot made through `st` (one
 * watch a handle), from generation `gen`, read with the rows, so that
 * the caller can keep its copy of the rows up to date: `put` gets the
 * entries of each snapshot_put as it is made (keys borrowed for the
 * call; -1 ends the copy), `end` whether the transaction of the puts
 * since its last call committed (1) or was rolled back (0).  Returns 0;
 * 1 when the handle has a watch already; -1 out of memory. */
typedef struct weir_snapshot_watcher {
    int (*put)(const weir_snapshot_entry *e, size_t n, void *ctx);
    void (*end)(int committed, void *ctx);
    void *ctx;
} weir_snapshot_watcher;
int weir_state_watch(weir_state *st, const char *pipeline, int64_t gen,
                     const weir_snapshot_watcher *by);
/* End the watch of `ctx`: 1 and *gen the generation now when the rows
 * are the rows at the start with the entries committed, none in doubt
 * (every intent settled, no snapshot_doubt, snapshot_recover before the
 * first write); 0 when not (a write through another handle or process,
 * a rollback that failed, a transaction still open), or no such watch. */
int weir_state_watch_end(weir_state *st, const void *ctx, int64_t *gen);
/* The file of a store kept in a local file (SQLite), NULL for others.
 * (borrowed) */
const char *weir_state_file(const weir_state *st);
/* When the last full refresh of `pipeline` ran, in *when_ms (ms since the
 * epoch, 0 when never): 0, or -1 when it could not be read. */
int weir_state_last_full_refresh(weir_state *st, const char *pipeline,
                                 int64_t *when_ms);
int weir_state_set_last_full_refresh(weir_state *st, const char *pipeline,
                                     int64_t when_ms);

/* ---- echo suppression (engine/echo.h) ---------------------------------
 * What weir last wrote into a system per entity and key, and, for the
 * <track>s that take part, each key's field hashes next to the snapshot
 * value they belong to.  Both are opaque blobs here (engine/echo.c). */
/* Replace what weir wrote into `system` for (entity, key) (inside the
 * caller's transaction). */
int weir_state_echo_put(weir_state *st, const char *system,
                        const char *entity, const char *key,
                        const void *blob, size_t len);
/* What weir wrote into `system` for (entity, key): 1 with *blob (owned:
 * free) and *len, 0 nothing, -1 on error. */
int weir_state_echo_get(weir_state *st, const char *system,
                        const char *entity, const char *key, void **blob,
                        size_t *len);
/* Keep `key`'s field hashes (an opaque blob) as those of its snapshot
 * value `hash`, replacing what was kept. */
int weir_state_track_fields_put(weir_state *st, const char *pipeline,
                                const char *key, uint64_t hash,
                                const void *blob, size_t len);
/* `key`'s field hashes, when they belong to its snapshot value as
 * stored now: 1 with *blob (owned: free) and *len, 0 when there are
 * none such, -1 on error. */
int weir_state_track_fields_get(weir_state *st, const char *pipeline,
                                const char *key, void **blob, size_t *len);

/* ---- what changed: each key's last sent values (engine/changes.h) -----
 * For a <track changes="keep">: per key, the tracked fields' values it
 * last passed on (an opaque blob here), next to the snapshot value
 * (hash) they belong to.  Written with the snapshot, in its transaction;
 * read only for the keys that changed. */
typedef struct weir_track_values {
    const char *key;
    uint64_t hash;    /* the snapshot value they are the values of */
    const void *blob; /* NULL: forget the key's values (a delete) */
    size_t len;
} weir_track_values;
/* Store `n` keys' values (inside the caller's transaction), replacing
 * what was kept.  Strings borrowed.  0, or -1. */
int weir_state_track_values_put(weir_state *st, const char *pipeline,
                                const weir_track_values *v, size_t n);
/* The kept values of `n` keys: fn(i, blob, len) for each keys[i] whose
 * values belong to its snapshot value as stored now (blob borrowed for
 * the call); keys without are skipped.  0, fn's nonzero, or -1. */
int weir_state_track_values_get(weir_state *st, const char *pipeline,
                                const char *const *keys, size_t n,
                                int (*fn)(size_t i, const void *blob,
                                          size_t len, void *ctx),
                                void *ctx);
/* Forget every kept value of `pipeline` (it keeps none: changes="none").
 * Returns how many keys had some, or -1. */
int64_t weir_state_track_values_clear(weir_state *st, const char *pipeline);

/* ---- the outbox ------------------------------------------------------ */

typedef enum weir_outbox_status {
    WEIR_OUTBOX_PENDING = 0,
    WEIR_OUTBOX_IN_FLIGHT,
    WEIR_OUTBOX_DELIVERED,
    WEIR_OUTBOX_RETRY,
    WEIR_OUTBOX_FAILED,
    WEIR_OUTBOX_HELD,
    /* ends without being sent: */
    WEIR_OUTBOX_DISCARDED,  /* by the admin (weir discard) */
    WEIR_OUTBOX_SUPERSEDED, /* by a newer change of its key (<track>) */
    WEIR_OUTBOX_NSTATUS
} weir_outbox_status;

const char *weir_outbox_status_name(weir_outbox_status s);
/* -1 when `name` is no status */
int weir_outbox_status_parse(const char *name);

/* One row.  Strings are borrowed: from the caller when adding, from the
 * state until the callback returns when reading. */
typedef struct weir_outbox_row {
    int64_t id;
    const char *pipeline, *sink;
    const char *key;     /* nullable: records without <track> or key */
    const char *idem;    /* idempotency id, stable across resends */
    const char *op;      /* upsert, insert, update, delete */
    const char *type;    /* nullable */
    const char *payload; /* JSON object of the fields */
    const char *error;   /* nullable: the last answer's text */
    const char *held_by; /* nullable: what holds it (a sink, a transform) */
    weir_outbox_status status;
    int attempts;
    int64_t next_attempt; /* ms since the epoch; 0 = now */
    int64_t created, updated;
    long origin;
    /* adding only: the first send's result for the attempt history
     * ("retry", "rejected", "down"), NULL when it was never sent */
    const char *attempt_result;
    /* A record a transform held: the transform it re-enters the pipeline
     * at (its payload is the record as it reached it), kept after release
     * so that every send runs that transform and the ones after it again.
     * NULL: the payload goes to the sink as stored.  While that transform
     * holds it, status is held and held_by equals stage. */
    const char *stage;
    const char *wait_key;    /* nullable: what the transform waits for */
    const char *assigned_id; /* reading: the id the target gave on its ok */
    /* nullable: the record creates its object in another system (xref's
     * missing="create"): the link its acknowledgement makes, as
     * weir_record's `link` */
    const char *link;
    /* nullable: why a <track> record was sent (engine/changes.h): a JSON
     * array of {"field", "old", "new"}, the tracked fields that changed
     * since the values last passed on for its key; "[]" when none did
     * (then `resent` says why it went); NULL when not known (an insert,
     * a delete, changes="none", no <track>) */
    const char *changes;
    /* nullable: sent though no field changed: "full refresh", or "in
     * doubt" (the answer to its last send was lost) */
    const char *resent;
} weir_outbox_row;

/* Add `n` rows (their ids ignored) in one call; ids (nullable) gets the
 * new ids.  0, or -1. */
int weir_state_outbox_add(weir_state *st, const weir_outbox_row *rows,
                          size_t n, int64_t *ids);
/* ---- claiming: several workers share one outbox ---------------------
 * A worker claims the rows it is about to send; a claimed row is in
 * flight under the worker's lease and is never handed to another worker
 * while the lease lives.  One whose worker died (its handle is gone) or
 * whose lease expired is due again: it may have reached the target (the
 * lost answer), so it goes again with the same idempotency id. */
typedef struct weir_outbox_claim {
    const char *pipeline, *sink;
    int64_t now;        /* ms since the epoch */
    int64_t lease_ms;   /* the claim is the caller's alone until now + this */
    int64_t after_id;   /* only rows above this id: a drain pass hands out
                         * each row once by passing the last id it got */
    int with_held;      /* held rows whose time has come too */
    size_t limit;
    /* Nullable: claim nothing unless the sink's recorded identity
     * (weir_state_sink_identity) is this one, or none is recorded.  In
     * the claim's transaction: a run of a copy of the file with another
     * target records its own before it queues a record. */
    const char *identity;
} weir_outbox_claim;
/* Claim up to c->limit rows of (pipeline, sink) that may be sent at
 * c->now, in id order: pending; in flight with no live claim (a worker
 * died, or an older weir crashed); retry and (with_held) held rows whose
 * time has come.  A row whose key has an older row not yet ended (failed
 * and in flight included) never goes before it: order per key.  The
 * claimed rows are in flight under this handle's lease when `fn` sees
 * them; `fn` gets each row as it was before (status, attempts).  Its own
 * transaction: call it outside one.  Returns how many, or -1. */
int64_t weir_state_outbox_claim(weir_state *st, const weir_outbox_claim *c,
                                int (*fn)(const weir_outbox_row *row, void *ctx),
                                void *ctx);
/* Extend this handle's claims to `until` (ms): a worker still busy with
 * them keeps them.  Returns how many, or -1. */
int64_t weir_state_outbox_renew(weir_state *st, int64_t until);
/* Give up this handle's claims: its rows in flight stay in flight (they
 * may have been sent) and are due at once for any worker. */
int64_t weir_state_outbox_unclaim(weir_state *st);

/* The answer for one claimed row. */
typedef struct weir_outbox_answer {
    int64_t id;
    weir_outbox_status status; /* in flight: the claim stays (an answer
                                * that is final only later, at finish()) */
    int attempts;
    int64_t next_attempt;      /* ms; 0 = now */
    const char *error;         /* nullable: the answer's text */
    const char *attempt;       /* nullable: a line of attempt history */
    const char *held_by;       /* with status held: what holds it */
    const char *link;          /* nullable: the row's new link (a create
                                * made without its id: created_link.h) */
} weir_outbox_answer;
/* Record `n` answers (inside the caller's transaction).  A row this
 * handle no longer holds (its lease expired and another worker claimed
 * it) is left to that worker.  Returns how many rows were settled, -1. */
int64_t weir_state_outbox_settle(weir_state *st, const weir_outbox_answer *a,
                                 size_t n);
/* Claimed row `id` re-entered at its transform and was held again, by
 * transform `stage`, waiting for `wait_key` (nullable), `payload` the
 * record as it reached that transform: held (no attempt spent, the claim
 * given up), with a line of history "held" and `message`. */
int weir_state_outbox_hold(weir_state *st, int64_t id, const char *stage,
                           const char *wait_key, const char *message,
                           const char *payload);
/* The rows held by a transform for `wait_key`, of every pipeline, back
 * to pending (with a line of history "released"): the next drain lets
 * them re-enter at that transform.  So too the failed rows a sink
 * refused with a provisional value waiting for it (a stage and the wait
 * key), their attempts reset.  Returns how many, or -1. */
int64_t weir_state_outbox_release(weir_state *st, const char *wait_key);
/* Sink `sink` of `pipeline` acknowledged a record and the target gave it
 * the id `assigned_id`: stored on outbox row `outbox_id` (when > 0) and,
 * for a record with `key` (nullable), as the key's latest assigned id at
 * that sink.  Inside the caller's transaction, with the acknowledgement. */
int weir_state_assigned_put(weir_state *st, const char *pipeline,
                            const char *sink, const char *key,
                            int64_t outbox_id, const char *assigned_id);
/* The id sink `sink` of `pipeline` last got from its target for `key`:
 * 0 and *assigned_id owned (free); 1 when none; -1 on error. */
int weir_state_assigned_get(weir_state *st, const char *pipeline,
                            const char *sink, const char *key,
                            char **assigned_id);
/* Is a create that makes `link` (weir_outbox_row.link) under way: a row
 * with it pending, in flight, retrying, held or failed, other than row
 * `self` (the asking record's own, 0 none)?  Rows of `pipeline` and
 * `key` (nullable) that were never sent or were refused (pending, held,
 * failed) do not count: the newer change of that key asking supersedes
 * them and is the create.  Retrying and in-flight ones do (the target
 * may have made the object already), and so does a create the target
 * made without saying its id (created_link.h), whatever its status.
 * 1 yes, 0 no, -1 on error. */
int weir_state_outbox_creating(weir_state *st, const char *link,
                               const char *pipeline, const char *key,
                               int64_t self);
/* Keys of (pipeline, sink) with rows in one of `statuses` (a mask of
 * 1u << weir_outbox_status). */
int weir_state_outbox_keys(weir_state *st, const char *pipeline,
                           const char *sink, unsigned statuses,
                           int (*fn)(const char *key, void *ctx), void *ctx);
/* The latest state wins (<track> pipelines): the pending, retry, held and
 * failed rows of `key` at (pipeline, sink) with an id below `below` end
 * as superseded, with a line of history.  `below` 0: every such row (a
 * fresh change is newer than all); -1: those older than the key's newest
 * row.  *inserts (nullable) gets how many of them were inserts (the key
 * may never have reached the target).  Returns how many, or -1. */
int64_t weir_state_outbox_supersede(weir_state *st, const char *pipeline,
                                    const char *sink, const char *key,
                                    int64_t below, int64_t *inserts);
/* deletes="ignore": the undelivered delete rows of `pipeline` end as
 * discarded, with `why` in their history.  Returns how many, or -1. */
int64_t weir_state_outbox_drop_deletes(weir_state *st, const char *pipeline,
                                       const char *why);
/* The earliest next_attempt of a retry row of `pipeline` (all pipelines
 * when NULL) and `sink` (all its sinks when NULL); 0 when there is none,
 * -1 when it could not be read. */
int64_t weir_state_outbox_next_due(weir_state *st, const char *pipeline,
                                   const char *sink);
/* Rows of `pipeline` (NULL: all) by status, into counts[status]. */
int weir_state_outbox_counts(weir_state *st, const char *pipeline,
                             uint64_t counts[WEIR_OUTBOX_NSTATUS]);
/* One row by id, with its attempt history lines (`attempt` nullable:
 * not read); 0 found, 1 not, -1 error. */
int weir_state_outbox_get(weir_state *st, int64_t id,
                          int (*fn)(const weir_outbox_row *row, void *ctx),
                          int (*attempt)(const char *at, const char *result,
                                         const char *message, void *ctx),
                          void *ctx);
/* The rows an admin's resend or discard picks: one row by id, or one
 * monitor group (a pipeline, and optionally its sink, type and exact
 * error text).  Strings borrowed. */
typedef struct weir_outbox_filter {
    int64_t id;           /* > 0: this row only; the rest is ignored */
    const char *pipeline; /* with id 0: required */
    const char *sink;     /* nullable: any */
    const char *type;     /* nullable: any (or none, with untyped) */
    int untyped;          /* with type NULL: only rows without a type
                           * (a monitor group whose type is "-") */
    const char *error;    /* nullable: any; else exactly this error text */
    int held;             /* held rows too, not only failed ones */
} weir_outbox_filter;
/* Failed (and with f->held, held) rows that `f` picks back to pending
 * with attempts reset.  Returns how many rows changed, -1 on error.  Take
 * the pipelines' locks first. */
int64_t weir_state_outbox_resend(weir_state *st, const weir_outbox_filter *f);
/* Failed (and with f->held, held) rows that `f` picks become discarded:
 * never sent, kept with their history (a line "discarded" with `why`),
 * no longer blocking later rows of their key.  One transaction of its
 * own.  Returns how many rows changed, -1 on error.  Take the pipelines'
 * locks first. */
int64_t weir_state_outbox_discard(weir_state *st, const weir_outbox_filter *f,
                                  const char *why);
/* The sinks of `pipeline` that have undelivered rows (pending, in
 * flight, retry, held, failed), with how many, in name order. */
int weir_state_outbox_open_sinks(weir_state *st, const char *pipeline,
                                 int (*fn)(const char *sink, int64_t rows,
                                           void *ctx),
                                 void *ctx);
/* The pipeline of outbox row `id` (owned: free), NULL when none. */
char *weir_state_outbox_pipeline(weir_state *st, int64_t id);
/* Rows of `pipeline` that were in the outbox, not delivered, at `when`
 * (ms) and have ended since (delivered, discarded, superseded), by status
 * into counts[status].  Delivered rows pruned since are not counted. */
int weir_state_outbox_settled_since(weir_state *st, const char *pipeline,
                                    int64_t when,
                                    uint64_t counts[WEIR_OUTBOX_NSTATUS]);
/* Forget outbox rows that ended (delivered, superseded, discarded)
 * before `before` (ms), and runs that finished before it, except the
 * last run of each pipeline (status shows it). */
int weir_state_history_prune(weir_state *st, int64_t before);

/* The monitor: undelivered rows grouped by pipeline, sink, type, status,
 * error and what holds them.  Filters are nullable. */
typedef struct weir_monitor_group {
    const char *pipeline, *sink, *type, *status, *error;
    int64_t count, oldest, newest;
    /* held rows: the transform holding them, NULL when it is the sink or
     * its endpoint */
    const char *held_by;
} weir_monitor_group;
int weir_state_monitor(weir_state *st, const char *pipeline,
                       const char *status, const char *type,
                       int (*group)(const weir_monitor_group *g, void *ctx),
                       void *ctx);
/* The rows of one group (as weir_state_monitor gave it). */
int weir_state_monitor_records(weir_state *st, const weir_monitor_group *g,
                               int (*fn)(const weir_outbox_row *row,
                                         void *ctx),
                               void *ctx);

/* ---- endpoint health (one per pipeline sink) ------------------------- */
typedef struct weir_endpoint {
    int down;              /* 0 up, 1 down */
    int failures;          /* consecutive failed writes */
    int probes;            /* probes since it went down */
    int64_t since;         /* when it went down or came back (ms) */
    int64_t next_probe;    /* when to try it again (ms) */
    const char *error;     /* last error; borrowed */
    int64_t version;       /* bumped by every change (compare and set) */
} weir_endpoint;
/* Fill *e (error owned by the state until the next call); 1 when the
 * state has no row (an endpoint never seen is up; version 0). */
int weir_state_endpoint_get(weir_state *st, const char *pipeline,
                            const char *sink, weir_endpoint *e);
/* Compare and set: store *e only when the stored version is still
 * e->version (0: no row yet), then the stored version is e->version + 1.
 * Returns 0 when stored, 1 when another worker changed it first (read it
 * again and decide anew), -1 on error.  Outside a transaction. */
int weir_state_endpoint_set(weir_state *st, const char *pipeline,
                            const char *sink, const weir_endpoint *e);
/* Every endpoint row, for `weir status`. */
int weir_state_each_endpoint(weir_state *st,
                             int (*fn)(const char *pipeline, const char *sink,
                                       const weir_endpoint *e, void *ctx),
                             void *ctx);

/* The last run of `pipeline`: fills started/finished (ms, 0 none; whole
 * seconds), status (owned: free) and, when `counts` is given, the counts
 * it recorded (read, written, rejected, dropped, held, retry).  Returns 0, 1
 * when it never ran, -1 when it could not be read. */
int weir_state_last_run(weir_state *st, const char *pipeline,
                        int64_t *started, int64_t *finished, char **status,
                        weir_run_counts *counts);
/* How many runs of `pipeline` the history holds, per recorded status
 * ("ok", "failed", "error", "running"), in status order.  0, or -1 when
 * it could not be read. */
int weir_state_run_tally(weir_state *st, const char *pipeline,
                         int (*fn)(const char *status, int64_t runs,
                                   void *ctx),
                         void *ctx);

#endif
