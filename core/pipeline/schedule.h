/*
 * schedule.h - when a pipeline's next scheduled run is due, from its
 * <schedule> and the start of its last run (weir serve, weir status).
 *
 * Every process that shares a state computes the same answer from the
 * run history in the store, so several `weir serve` workers agree on
 * what is due without talking to each other.
 * Thread-safe: reads the pipeline only.
 */
#ifndef WEIR_SCHEDULE_H
#define WEIR_SCHEDULE_H

#include <stdint.h>

#include "pipeline/pipeline.h"

/* The time (ms since the epoch) the next run of `p` is due, given the
 * start of its last run (`last_start`, 0: never ran) and the time now;
 * may be <= now (due now: a run missed while nothing served it is made
 * up once, not once per missed slot).  0: `p` has no <schedule>. */
int64_t weir_schedule_next(const weir_pipeline *p, int64_t last_start,
                           int64_t now);

#endif
