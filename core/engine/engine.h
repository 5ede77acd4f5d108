/*
 * engine.h - one run of a pipeline, and a drain of its outbox.
 *
 * Without <track>, records stream through in batches: source, transforms,
 * sinks.  With <track>, the source is read to its end first (changes
 * parked in a spool): a source that fails, or a delete guard that trips,
 * then changes nothing at all; only then are the changes and deletes
 * delivered.  Either way each batch's outcome is committed to the state
 * in one transaction, and what a sink did not acknowledge waits in the
 * outbox (deliver.h).  Memory stays bounded by a batch plus, with
 * <track>, the key index.
 */
#ifndef WEIR_ENGINE_H
#define WEIR_ENGINE_H

#include <signal.h>

#include "base/error.h"
#include "engine/run.h"
#include "pipeline/pipeline.h"
#include "store/state.h"

/* Where a run is, for whoever shows it (the engine never prints). */
typedef struct weir_progress {
    const char *pipeline;
    const char *phase;    /* "reading", "reading and comparing", "delivering" */
    uint64_t done, total; /* rows read (total 0), or changes delivered of total */
    double seconds;       /* wall time since the run started */
    int final;            /* the run is over: clear what was shown */
} weir_progress;

typedef struct weir_run_options {
    int full;     /* --full: re-send everything (change-tracking) */
    int dry_run;  /* --dry-run: read and transform, send nothing */
    int force;    /* --force: override the delete guard */
    /* Nullable: told where the run is, at most twice a second. */
    void (*progress)(const weir_progress *p, void *ctx);
    /* Nullable, dry run only: each key that would be sent ("insert",
     * "update", "delete"; the key as weir_key_display() shows it), with
     * its record as <track> left it, r->changes and r->sent_for saying
     * what changed (engine/changes.h); r is NULL for a delete. */
    void (*would_send)(const char *op, const char *key, const weir_record *r,
                       void *ctx);
    /* Nullable, dry run of a pipeline with <track> only: each record
     * that would be sent, as the transforms up to <track> and <track>
     * left it (r->key set; a dry run runs no transform after <track>).
     * What `weir xref suggest` reads a pipeline's records with. */
    void (*on_record)(const weir_record *r, void *ctx);
    void *ctx; /* for progress, would_send and on_record */
    /* Nullable: called once the run holds its lock and every plugin is
     * open, before the source is read or anything is delivered: from
     * here on the run changes the state (a run refused before, exit 3,
     * changed nothing).  Nonzero stops the run (exit 3). */
    int (*started)(weir_pipeline *p, weir_state *st, void *ctx);
    void *started_ctx;
} weir_run_options;

/* How a run or drain ended (the CLI turns it into an exit code). */
typedef enum weir_run_status {
    WEIR_RUN_OK = 0,      /* everything delivered, held or waiting to retry */
    WEIR_RUN_SOME_FAILED, /* some records failed: rejected, out of attempts */
    WEIR_RUN_ABORTED      /* it could not complete: `error` says why */
} weir_run_status;

typedef struct weir_run_result {
    weir_run_counts counts;
    double seconds;
    weir_run_status status;
    weir_error error; /* why it could not complete: class and message
                       * (owned: weir_error_clear); none when it did */
} weir_run_result;

/* Read the source of run->p and deliver (run.h: its store may be NULL
 * only for a dry run).  Fills *res; returns its status.  Every instance
 * is closed again at the end. */
weir_run_status weir_engine_run(weir_run *run, const weir_run_options *opts,
                                weir_run_result *res);

/* One pass over the outbox of run->p: deliver what is due (weir drain,
 * resend; engine/scheduler.h repeats it).  Fills *res (counts of this
 * pass); returns its status.  When `next_due` is given it gets the time
 * (ms) something is next due (0: nothing but failed records left), and
 * *down whether an endpoint is down.  The sinks and notifiers it opened
 * stay open for the next pass on the same run (weir_run_free closes
 * them), except a sink with finish(), which published this pass's
 * output, and everything after a pass that could not complete. */
weir_run_status weir_engine_drain(weir_run *run, weir_run_result *res,
                                  int64_t *next_due, int *down);

/* What `wait_key` names exists now (a link appeared: the xref store
 * calls this): the records transforms hold for it, in every pipeline of
 * `st`, are released.  Back to pending, each re-enters its pipeline at
 * the transform that held it on the next drain (or a run's drain), in
 * order per key; held again, it waits again.  Inside the caller's
 * transaction or in one of its own.  Returns how many, or -1
 * (weir_state_error says why). */
int64_t weir_engine_release(weir_state *st, const char *wait_key);

#endif
