/* scheduler.c - passes over the outboxes, and the sleeps between them
 * (scheduler.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "engine/scheduler.h"

struct weir_scheduler {
    weir_state *st;
    const volatile sig_atomic_t *cancel;
    weir_run **runs; /* one per pipeline, open across passes */
    size_t n;
};

weir_scheduler *weir_scheduler_new(weir_state *st,
                                   const volatile sig_atomic_t *cancel)
{
    weir_scheduler *s = calloc(1, sizeof(*s));
    if (s) {
        s->st = st;
        s->cancel = cancel;
    }
    return s;
}

int weir_scheduler_add(weir_scheduler *s, weir_pipeline *p)
{
    weir_run **g = realloc(s->runs, (s->n + 1) * sizeof(*g));
    if (!g)
        return -1;
    s->runs = g;
    if (!(s->runs[s->n] = weir_run_new(p, s->st, s->cancel)))
        return -1;
    s->n++;
    return 0;
}

void weir_scheduler_free(weir_scheduler *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        weir_run_free(s->runs[i]);
    free(s->runs);
    free(s);
}

static int cancelled(const weir_scheduler *s)
{
    return s->cancel && *s->cancel;
}

/* Sleep `ms`, in slices, so that the cancel flag ends it promptly. */
static void sleep_ms(const weir_scheduler *s, int64_t ms)
{
    while (ms > 0 && !cancelled(s)) {
        int64_t slice = ms > 200 ? 200 : ms;
        struct timespec ts = {(time_t)(slice / 1000),
                              (long)(slice % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        ms -= slice;
    }
}

int weir_scheduler_has(const weir_scheduler *s, const weir_pipeline *p)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->runs[i]->p == p)
            return 1;
    return 0;
}

void weir_scheduler_remove(weir_scheduler *s, const weir_pipeline *p)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->runs[i]->p == p) {
            weir_run_free(s->runs[i]);
            memmove(&s->runs[i], &s->runs[i + 1],
                    (s->n - i - 1) * sizeof(*s->runs));
            s->n--;
            return;
        }
}

void weir_scheduler_pass(weir_scheduler *s, const weir_schedule_hooks *hooks,
                         weir_run_status *worst, int64_t *next, int *down)
{
    *next = 0;
    *down = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (hooks && hooks->skip && hooks->skip(i, s->runs[i]->p, hooks->ctx))
            continue;
        weir_run_result res;
        int64_t due = 0;
        int is_down = 0;
        weir_run_status st = weir_engine_drain(s->runs[i], &res, &due,
                                               &is_down);
        if (st > *worst)
            *worst = st;
        if (hooks && hooks->passed)
            hooks->passed(i, s->runs[i]->p, &res, hooks->ctx);
        else
            weir_error_clear(&res.error);
        if (due && (!*next || due < *next))
            *next = due;
        *down |= is_down;
    }
}

weir_schedule_end weir_scheduler_drain(weir_scheduler *s, int wait,
                                       int64_t max_wait_ms,
                                       const weir_schedule_hooks *hooks,
                                       weir_run_status *worst)
{
    weir_run_status w = WEIR_RUN_OK;
    weir_schedule_end end;
    const int64_t started = weir_clock_now_ms();
    for (;;) {
        int64_t next;
        int down;
        weir_scheduler_pass(s, hooks, &w, &next, &down);
        if (w == WEIR_RUN_ABORTED) {
            end = WEIR_SCHEDULE_ABORTED;
            break;
        }
        if (cancelled(s)) {
            end = WEIR_SCHEDULE_CANCELLED;
            break;
        }
        if (!wait || !next) {
            end = WEIR_SCHEDULE_DONE;
            break;
        }
        /* A retry waits for its time; an endpoint that stays down is
         * waited for max_wait_ms at most. */
        int64_t now = weir_clock_now_ms(), until = next;
        if (down && now - started >= max_wait_ms) {
            end = WEIR_SCHEDULE_GAVE_UP;
            break;
        }
        if (down && until > started + max_wait_ms)
            until = started + max_wait_ms;
        int64_t ms = until > now ? until - now : 0;
        if (hooks && hooks->waiting)
            hooks->waiting(ms, down, hooks->ctx);
        sleep_ms(s, ms);
        if (cancelled(s)) {
            end = WEIR_SCHEDULE_CANCELLED;
            break;
        }
    }
    if (worst)
        *worst = w;
    return end;
}
