/*
 * schedule.h - when a pipeline's next scheduled run is due, from its
 * <schedule> and the start of its last run (weir serve, weir status),
 * and when its next full refresh is.
 *
 * Every process that shares a state computes the same answer from the
 * run history in the store, so several `weir serve` workers agree on
 * what is due without talking to each other.
 * Thread-safe: reads the pipeline only (a cron schedule's time zone is
 * applied as base/cron.h says).
 */
#ifndef WEIR_SCHEDULE_H
#define WEIR_SCHEDULE_H

#include <stdint.h>

#include "pipeline/pipeline.h"

/* The time (ms since the epoch) the next run of `p` is due, given the
 * start of its last run (`last_start`, 0: never ran) and the time now;
 * may be <= now (due now: a run missed while nothing served it is made
 * up once, not once per missed slot).  <schedule every>: `last_start`
 * plus the period; a pipeline that never ran is due now.
 * <schedule cron>: the first firing after `last_start`; a pipeline that
 * never ran is due at the first firing after `now`, not at once (so a
 * caller that asks again later must keep that answer, or pass the time
 * it started waiting as `last_start`).  0: `p` has no <schedule>, or its
 * cron never fires again. */
int64_t weir_schedule_next(const weir_pipeline *p, int64_t last_start,
                           int64_t now);

/* When the next full refresh of `p` (<track full-refresh>) comes due,
 * given when the last one ran (`last_full`, 0: never; the first run
 * starts the clock): the first run from then on re-sends everything.
 * 0: no full refresh is planned. */
int64_t weir_schedule_full_refresh(const weir_pipeline *p, int64_t last_full);

#endif
