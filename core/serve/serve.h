/*
 * serve.h - `weir serve DIR`: the service that runs every pipeline of a
 * folder on its <schedule>, keeps their outboxes moving (retries within
 * seconds of their time, probes of down endpoints, records a resend or
 * a merge made due), and stops or reloads when asked.
 *
 * One thread does the work: scheduled runs and drain passes take turns,
 * so a pipeline never overlaps itself in one process.  Across processes
 * sharing one state, a scheduled run takes the pipeline's lock in the
 * store and starts only if the run history says it is still due, and a
 * drain claims each outbox row it sends (store/state.h), so several
 * `weir serve` workers share the work without running a pipeline twice
 * at once or sending a record twice.
 *
 * Thread-safety: weir_serve_wake() and weir_serve_reload() may be called
 * from any thread or a signal handler; everything else from the thread
 * that runs weir_serve_run().
 */
#ifndef WEIR_SERVE_H
#define WEIR_SERVE_H

#include <signal.h>
#include <stdint.h>

#include "plugin/plugins.h"
#include "store/state.h"

typedef struct weir_serve weir_serve;

typedef struct weir_serve_config {
    const char *dir;         /* the folder of pipeline files (*.xml) */
    weir_state *st;          /* borrowed, open for writing */
    weir_plugins *reg;       /* borrowed */
    /* nonzero ends the loop: between batches of a run, at once while it
     * sleeps (the caller's SIGTERM/SIGINT flag; wake it too) */
    const volatile sig_atomic_t *stop;
    /* how long the loop sleeps at most before it looks at the outbox
     * again for records another process made due (a resend, a run from
     * cron); 0: 2 s */
    int64_t poll_ms;
} weir_serve_config;

/* A service for `cfg` (copied; what it points to is borrowed and must
 * outlive the service).  NULL, after logging why, when the folder cannot
 * be read or memory runs out.  (owned: weir_serve_free) */
weir_serve *weir_serve_new(const weir_serve_config *cfg);

/* Load the folder's pipelines (a file with problems is logged and
 * skipped, the others served) and serve them until the stop flag is
 * raised.  A run in flight stops between batches: what it delivered is
 * recorded, the rest waits in the outbox.  Returns 0, or -1 when the
 * state failed so that serving cannot go on (logged). */
int weir_serve_run(weir_serve *s);

/* Have the loop look again now (a resend or merge made records due, or
 * a signal arrived).  Async-signal-safe. */
void weir_serve_wake(weir_serve *s);
/* Read the folder again before the next turn: added files are served,
 * changed ones reloaded (a changed file with problems is logged and its
 * last good version kept), removed ones dropped.  Async-signal-safe. */
void weir_serve_reload(weir_serve *s);

void weir_serve_free(weir_serve *s);

#endif
