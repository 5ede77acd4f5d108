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

#include "pipeline/pipeline.h"
#include "store/state.h"

typedef struct weir_run_options {
    int full;     /* --full: re-send everything (change-tracking) */
    int dry_run;  /* --dry-run: read and transform, send nothing */
    int force;    /* --force: override the delete guard */
    int progress; /* show rows and rows/s on stderr */
    int list_keys; /* dry run with -v: print the keys that would be sent */
    /* Nullable: called once the run holds its lock and every plugin is
     * open, before the source is read or anything is delivered: from
     * here on the run changes the state (a run refused before, exit 3,
     * changed nothing).  Nonzero stops the run (exit 3). */
    int (*started)(weir_pipeline *p, weir_state *st, void *ctx);
    void *started_ctx;
} weir_run_options;

typedef struct weir_run_result {
    weir_run_counts counts;
    double seconds;
    int exit_code; /* 0, 1, 2 or 3 as the CLI reference defines */
    char *error;   /* why the run could not complete (owned: free) */
} weir_run_result;

/* Set by SIGINT/SIGTERM handlers: runs stop between batches. */
extern volatile sig_atomic_t weir_stop_requested;

/* Run `p` (a pipeline loaded without problems).  `st` (borrowed) may be
 * NULL only for a dry run.  Fills *res; returns its exit_code. */
int weir_engine_run(weir_pipeline *p, weir_state *st,
                    const weir_run_options *opts, weir_run_result *res);

/* Deliver what the outbox of `p` holds that is due (weir drain, resend).
 * Fills *res (counts of this drain); returns its exit code.  When
 * `next_due` is given it gets the time (ms) something is next due (0:
 * nothing but failed records left), and *down whether an endpoint is
 * down. */
int weir_engine_drain(weir_pipeline *p, weir_state *st, weir_run_result *res,
                      int64_t *next_due, int *down);

#endif
