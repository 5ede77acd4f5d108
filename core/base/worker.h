/*
 * worker.h - a short-lived thread that works beside the run's thread:
 * one job, started, then joined.  It takes no signals (the run's thread
 * handles SIGTERM and friends, between batches, as always), and when no
 * thread can be started the job runs in the caller's thread instead, so
 * a shortage of threads costs speed, never a run.
 *
 * Not thread-safe: one weir_worker is started and joined by one thread.
 */
#ifndef WEIR_WORKER_H
#define WEIR_WORKER_H

#include <pthread.h>

typedef struct weir_worker {
    pthread_t thread;
    int running; /* started as a thread, not joined yet */
} weir_worker;

/* Run fn(arg) on a thread of its own (or, failing that, here, before
 * returning).  `w` must not be running. */
void weir_worker_start(weir_worker *w, void (*fn)(void *arg), void *arg);
/* Wait until the job is done (at once when it ran here or never ran). */
void weir_worker_join(weir_worker *w);

#endif
