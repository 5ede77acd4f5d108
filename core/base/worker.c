/* worker.c - one job on a thread beside the caller's (worker.h). */
#include "config.h"

#include <signal.h>
#include <stdlib.h>

#include "base/worker.h"

typedef struct job {
    void (*fn)(void *arg);
    void *arg;
} job;

static void *run_job(void *p)
{
    job j = *(job *)p;
    free(p);
    j.fn(j.arg);
    return NULL;
}

void weir_worker_start(weir_worker *w, void (*fn)(void *arg), void *arg)
{
    job *j = malloc(sizeof(*j));
    sigset_t all, was;
    w->running = 0;
    if (j) {
        *j = (job){fn, arg};
        /* the thread inherits the mask: every signal stays with us */
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &was);
        w->running = pthread_create(&w->thread, NULL, run_job, j) == 0;
        pthread_sigmask(SIG_SETMASK, &was, NULL);
    }
    if (!w->running) {
        free(j);
        fn(arg);
    }
}

void weir_worker_join(weir_worker *w)
{
    if (w->running)
        pthread_join(w->thread, NULL);
    w->running = 0;
}
