/*
 * run.h - one execution of a pipeline, apart from the pipeline itself.
 *
 * The pipeline is configuration, shared read-only (the run holds a
 * reference).  Everything an execution changes is the run's: its plugin
 * instances (plugin/instance.h: their plugin state and errors, the store
 * handle the host table reads and writes through, plugin state waiting
 * for the next commit) and its cancel token.  A run lives as long as its
 * instances should stay open: one `weir run`, or every pass of a drain
 * the scheduler repeats (engine/scheduler.h), so that a sink keeps its
 * connections from one pass to the next.
 * Not thread-safe: one thread at a time uses a run.
 */
#ifndef WEIR_RUN_H
#define WEIR_RUN_H

#include <signal.h>

#include "pipeline/pipeline.h"
#include "plugin/instance.h"
#include "store/state.h"

typedef struct weir_run {
    weir_pipeline *p;   /* a reference */
    weir_instances *in; /* its instances, all closed at first */
    /* nullable: nonzero asks the run or drain to stop between batches
     * (the caller's SIGINT/SIGTERM flag) */
    const volatile sig_atomic_t *cancel;
} weir_run;

/* A run of `p` (a pipeline loaded without problems) against `st`
 * (borrowed; NULL only for a dry run).  NULL out of memory.
 * (owned: weir_run_free) */
weir_run *weir_run_new(weir_pipeline *p, weir_state *st,
                       const volatile sig_atomic_t *cancel);
/* Close what is still open, drop the reference to the pipeline. */
void weir_run_free(weir_run *r);

#endif
