/*
 * scheduler.h - the loop that keeps pipelines' outboxes moving: one pass
 * over every pipeline, then, for as long as the caller wants, sleep until
 * the next due time (a retry, the probe of an endpoint that is down) and
 * pass again; a cancel flag ends it between batches or while it sleeps.
 * `weir drain` is one pass, `drain --wait` the loop; `weir serve` makes
 * its own loop of passes, with scheduled runs between them.
 *
 * Each pipeline is one run (run.h) for the scheduler's life: its sinks
 * and notifiers stay open from pass to pass (an HTTP sink keeps its
 * connections), closed when the scheduler is freed.
 * Not thread-safe: one thread runs a scheduler.
 */
#ifndef WEIR_SCHEDULER_H
#define WEIR_SCHEDULER_H

#include <signal.h>
#include <stdint.h>

#include "engine/engine.h"

typedef struct weir_scheduler weir_scheduler;

/* What the caller hears (the engine never prints). */
typedef struct weir_schedule_hooks {
    /* Before each pipeline's turn in a pass: 0 drains it, anything else
     * leaves it out of this pass (weir drain --wait asks, every pass,
     * whether its file still names the targets its records were queued
     * for).  Nullable: every pipeline is drained. */
    int (*skip)(size_t i, const weir_pipeline *p, void *ctx);
    /* After each pipeline's pass: its counts and status; `res->error`
     * (owned) passes to the hook, which must free it.  Nullable. */
    void (*passed)(size_t i, const weir_pipeline *p, weir_run_result *res,
                   void *ctx);
    /* Before the scheduler sleeps `wait_ms`; `down`: an endpoint is down
     * (the wait may be for its probe).  Nullable. */
    void (*waiting)(int64_t wait_ms, int down, void *ctx);
    void *ctx;
} weir_schedule_hooks;

/* How the loop ended. */
typedef enum weir_schedule_end {
    WEIR_SCHEDULE_DONE,      /* one pass only, or nothing left but failed */
    WEIR_SCHEDULE_CANCELLED, /* the cancel flag was raised */
    WEIR_SCHEDULE_ABORTED,   /* a pass could not complete */
    WEIR_SCHEDULE_GAVE_UP    /* an endpoint still down after max_wait_ms */
} weir_schedule_end;

/* Against `st` (borrowed, outliving the scheduler); `cancel` nullable.
 * NULL out of memory. (owned: weir_scheduler_free) */
weir_scheduler *weir_scheduler_new(weir_state *st,
                                   const volatile sig_atomic_t *cancel);
/* Schedule `p` (a reference is taken): pipelines are served in the order
 * they were added.  0, or -1 out of memory. */
int weir_scheduler_add(weir_scheduler *s, weir_pipeline *p);
/* Is `p` (as added) scheduled? */
int weir_scheduler_has(const weir_scheduler *s, const weir_pipeline *p);
/* Stop scheduling `p` (as added): its instances are closed, its
 * reference dropped.  Nothing when it is not scheduled. */
void weir_scheduler_remove(weir_scheduler *s, const weir_pipeline *p);
/* One pass over every pipeline (weir serve makes its own loop of them):
 * the earliest time something is due next (0: nothing but failed
 * records) into *next, whether an endpoint is down into *down, the worst
 * status of any pipeline's pass into *worst when it is worse. */
void weir_scheduler_pass(weir_scheduler *s, const weir_schedule_hooks *hooks,
                         weir_run_status *worst, int64_t *next, int *down);
/* Pass over every pipeline; with `wait`, sleep until the next due time
 * and pass again, until nothing is due but failed records, a pass could
 * not complete, the cancel flag is raised, or an endpoint has stayed
 * down `max_wait_ms` since the loop began.  The worst status of any
 * pass goes to *worst (nullable). */
weir_schedule_end weir_scheduler_drain(weir_scheduler *s, int wait,
                                       int64_t max_wait_ms,
                                       const weir_schedule_hooks *hooks,
                                       weir_run_status *worst);
/* Close every instance, drop the pipelines. */
void weir_scheduler_free(weir_scheduler *s);

#endif
