/*
 * run_history.h - what a real run records in the state once it has
 * started, and how it ended: the pipeline's file (so drain, monitor and
 * status find it from any folder), its sinks (sink_identity.h), and a row
 * of the run history with the run's counts.  `weir run` and `weir serve`
 * record their runs the same way.
 * Not thread-safe: one per run.
 */
#ifndef WEIR_RUN_HISTORY_H
#define WEIR_RUN_HISTORY_H

#include <stdint.h>

#include "engine/engine.h"

typedef struct weir_run_history {
    const char *file; /* the pipeline's file, as given (borrowed) */
    const char *kind; /* "run", "full", "scheduled" (borrowed) */
    int64_t run;      /* its row in the run history, 0 until started */
} weir_run_history;

/* For weir_run_options.started (ctx: a weir_run_history): the run holds
 * its lock and its plugins are open; only now is the pipeline re-pointed
 * to this file and its sinks and the run recorded.  A run refused before
 * (locked, source missing) leaves the state as it was.  0, or -1 after
 * logging why (the run stops, changing nothing). */
int weir_run_history_started(weir_pipeline *p, weir_state *st, void *ctx);

/* Record how the run ended (when it started): its status and counts, and
 * the error that stopped it. */
void weir_run_history_end(weir_state *st, weir_run_history *h,
                          const weir_run_result *res);

#endif
