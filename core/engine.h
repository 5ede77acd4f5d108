/*
 * engine.h - one run of a pipeline: read, transform, deliver.
 *
 * Records stream through in batches (pipeline batch-size, default 1000):
 * the source fills a batch, each transform answers every live record, and
 * each sink answers the records that survived.  Memory stays bounded by
 * one batch whatever the input size.
 */
#ifndef WEIR_ENGINE_H
#define WEIR_ENGINE_H

#include "pipeline.h"
#include "state.h"

typedef struct weir_run_options {
    int full;     /* --full: re-send everything (change-tracking) */
    int dry_run;  /* --dry-run: read and transform, send nothing */
    int force;    /* --force: override the delete guard */
    int progress; /* show rows and rows/s on stderr */
} weir_run_options;

typedef struct weir_run_result {
    weir_run_counts counts;
    double seconds;
    int exit_code; /* 0, 1, 2 or 3 as the CLI reference defines */
    char *error;   /* why the run could not complete (owned: free) */
} weir_run_result;

/* Run `p` (a pipeline loaded without problems).  `st` (borrowed) records
 * the run; it may be NULL for a dry run.  Fills *res; returns its
 * exit_code. */
int weir_engine_run(weir_pipeline *p, weir_state *st,
                    const weir_run_options *opts, weir_run_result *res);

#endif
