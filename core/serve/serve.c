/* serve.c - weir serve's loop: scheduled runs and drain passes in turn,
 * sleeping until the next is due (serve.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "base/clock.h"
#include "base/log.h"
#include "engine/engine.h"
#include "engine/run_history.h"
#include "engine/scheduler.h"
#include "engine/sink_identity.h"
#include "pipeline/schedule.h"
#include "serve/serve.h"
#include "serve/serve_folder.h"

/* A run refused before it started (its source missing, a plugin that
 * would not open) is tried again at its next slot, and sooner than this
 * for long schedules, so a fixed setup is picked up. */
#define REFUSED_RETRY_MS 60000

struct weir_serve {
    weir_serve_config cfg;
    weir_serve_folder folder;
    weir_scheduler *drains;
    int wake_rd, wake_wr; /* a pipe: a byte in it ends the sleep */
    volatile sig_atomic_t reload;
    int failed; /* the scheduler could not follow the folder */
};

static int make_pipe(weir_serve *s)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0)
        return -1;
    s->wake_rd = fds[0];
    s->wake_wr = fds[1];
    return 0;
}

weir_serve *weir_serve_new(const weir_serve_config *cfg)
{
    weir_serve *s = calloc(1, sizeof(*s));
    if (!s || make_pipe(s) != 0) {
        weir_log(WEIR_LOG_ERROR, "cannot start serving: %s",
                 s ? strerror(errno) : "out of memory");
        free(s);
        return NULL;
    }
    s->cfg = *cfg;
    if (!s->cfg.poll_ms)
        s->cfg.poll_ms = 2000;
    s->folder.reg = cfg->reg;
    if (!(s->folder.dir = strdup(cfg->dir)) ||
        !(s->drains = weir_scheduler_new(cfg->st, cfg->stop))) {
        weir_log(WEIR_LOG_ERROR, "cannot start serving: out of memory");
        weir_serve_free(s);
        return NULL;
    }
    return s;
}

void weir_serve_free(weir_serve *s)
{
    if (!s)
        return;
    weir_scheduler_free(s->drains);
    weir_serve_folder_clear(&s->folder);
    free(s->folder.dir);
    if (s->wake_rd > 0) {
        close(s->wake_rd);
        close(s->wake_wr);
    }
    free(s);
}

void weir_serve_wake(weir_serve *s)
{
    int saved = errno;
    ssize_t w = write(s->wake_wr, "", 1); /* full pipe: already awake */
    (void)w;
    errno = saved;
}

void weir_serve_reload(weir_serve *s)
{
    s->reload = 1;
    weir_serve_wake(s);
}

static int stopping(const weir_serve *s)
{
    return s->cfg.stop && *s->cfg.stop;
}

/* Deliver the outbox of `p` between runs, as `weir drain` would: only
 * while its file still names the targets its waiting records were
 * queued for (sink_identity.h).  When it does not, its next run (which
 * delivers them to the sink as it is now, as `weir run` does) lets the
 * drains take it up again.  Asked before every drain pass, not only when
 * the file is loaded: a copy of the file with another target may run on
 * the same state from elsewhere (`weir run`, another service reloaded
 * before this one) and queue records for its own target.  `announce`:
 * say why it is not drained even when it was not drained before. */
static void drain_if_same_targets(weir_serve *s, weir_pipeline *p,
                                  int announce)
{
    int has = weir_scheduler_has(s->drains, p);
    char *why = NULL;
    int rc = weir_sink_identity_check(s->cfg.st, p, &why);
    if (rc > 0 && (has || announce))
        weir_log(WEIR_LOG_ERROR, "%s: %s; nothing is sent for it until it "
                 "runs (%s)", p->name, why,
                 p->schedule_ms ? "at its next scheduled run"
                                : "weir run, or a <schedule> in its file");
    else if (rc < 0 && announce)
        weir_log(WEIR_LOG_ERROR, "%s: %s", p->name,
                 weir_error_message(weir_state_error(s->cfg.st)));
    if (rc > 0 && has)
        weir_scheduler_remove(s->drains, p);
    else if (rc == 0 && !has && weir_scheduler_add(s->drains, p) != 0)
        s->failed = 1;
    free(why);
}

/* The folder changed: its drains follow. */
static void follow(weir_pipeline *before, weir_pipeline *after, void *ctx)
{
    weir_serve *s = ctx;
    if (before)
        weir_scheduler_remove(s->drains, before);
    if (after)
        drain_if_same_targets(s, after, 1);
}

/* The run's counts as a log line's fields. */
static json_t *count_fields(const char *event, const char *pipeline,
                            const weir_run_result *res)
{
    const weir_run_counts *c = &res->counts;
    return json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
                     "s:I, s:f}",
                     "event", event, "pipeline", pipeline, "status",
                     res->status == WEIR_RUN_OK            ? "ok"
                     : res->status == WEIR_RUN_SOME_FAILED ? "failed"
                                                           : "error",
                     "read", (json_int_t)c->read, "written",
                     (json_int_t)c->written, "rejected",
                     (json_int_t)c->rejected, "dropped",
                     (json_int_t)c->dropped, "held", (json_int_t)c->held,
                     "retry", (json_int_t)c->retry, "failed",
                     (json_int_t)c->failed, "unchanged",
                     (json_int_t)c->unchanged, "seconds", res->seconds);
}

/* One line per run: its counts and duration. */
static void log_run(const weir_pipeline *p, const weir_run_result *res)
{
    const weir_run_counts *c = &res->counts;
    json_t *fields = count_fields("run", p->name, res);
    weir_log_fields(res->status == WEIR_RUN_OK ? WEIR_LOG_INFO
                                                : WEIR_LOG_WARNING,
                    NULL, fields,
                    "%s: scheduled run %s in %.2f s: %llu read, %llu "
                    "unchanged, %llu written, %llu rejected, %llu held, "
                    "%llu to retry, %llu failed%s%s",
                    p->name,
                    res->status == WEIR_RUN_OK            ? "done"
                    : res->status == WEIR_RUN_SOME_FAILED ? "done, some failed"
                                                          : "stopped",
                    res->seconds, (unsigned long long)c->read,
                    (unsigned long long)c->unchanged,
                    (unsigned long long)c->written,
                    (unsigned long long)c->rejected,
                    (unsigned long long)c->held, (unsigned long long)c->retry,
                    (unsigned long long)c->failed,
                    res->error.cls != WEIR_ERR_NONE ? ": " : "",
                    res->error.cls != WEIR_ERR_NONE
                        ? weir_error_message(&res->error)
                        : "");
    json_decref(fields);
}

/* When `e` is due next, from the run history every worker shares. */
static int64_t next_run(weir_serve *s, const weir_served *e, int64_t now)
{
    int64_t started = 0, finished = 0;
    char *status = NULL;
    weir_run_counts counts;
    if (weir_state_last_run(s->cfg.st, e->p->name, &started, &finished,
                            &status, &counts) < 0) {
        weir_log(WEIR_LOG_ERROR, "%s: %s", e->p->name,
                 weir_error_message(weir_state_error(s->cfg.st)));
        started = now; /* as if it had run: asked again at its next slot */
    }
    free(status);
    return weir_schedule_next(e->p, started, now);
}

/* The lock is ours: another worker may have run the pipeline since we
 * looked.  Then this run stops before it changes anything. */
typedef struct due_check {
    weir_run_history history;
    weir_serve *s;
    weir_served *e;
    int ran_elsewhere;
} due_check;

static int still_due(weir_pipeline *p, weir_state *st, void *ctx)
{
    due_check *c = ctx;
    int64_t now = weir_clock_now_ms();
    if (next_run(c->s, c->e, now) > now) {
        c->ran_elsewhere = 1;
        return -1;
    }
    return weir_run_history_started(p, st, &c->history);
}

/* A scheduled run of `e`, unless another worker has it. */
static void run_scheduled(weir_serve *s, weir_served *e)
{
    due_check check = {{e->file, "scheduled", 0}, s, e, 0};
    weir_run_options opts = {.started = still_due, .started_ctx = &check};
    weir_run_result res;
    weir_run *run = weir_run_new(e->p, s->cfg.st, s->cfg.stop);
    if (!run) {
        weir_log(WEIR_LOG_ERROR, "%s: out of memory", e->p->name);
        return;
    }
    weir_engine_run(run, &opts, &res);
    weir_run_free(run);
    int64_t now = weir_clock_now_ms();
    if (check.ran_elsewhere || res.error.cls == WEIR_ERR_BUSY) {
        weir_log(WEIR_LOG_DEBUG, "%s: run by another worker", e->p->name);
        e->next_run = next_run(s, e, now);
        if (e->next_run <= now) /* still running there: look again soon */
            e->next_run = now + s->cfg.poll_ms;
    } else {
        weir_run_history_end(s->cfg.st, &check.history, &res);
        log_run(e->p, &res);
        if (check.history.run) /* its sinks are recorded as they are now */
            drain_if_same_targets(s, e->p, 1);
        e->next_run = next_run(s, e, now);
        if (!check.history.run && e->next_run <= now + REFUSED_RETRY_MS)
            e->next_run = now + REFUSED_RETRY_MS; /* refused: not in a loop */
    }
    weir_error_clear(&res.error);
}

/* Every scheduled run that is due; the earliest next one into *next. */
static void run_due(weir_serve *s, int64_t *next)
{
    for (size_t i = 0; i < s->folder.n && !stopping(s); i++) {
        weir_served *e = &s->folder.v[i];
        if (!e->p || !e->p->schedule_ms)
            continue;
        int64_t now = weir_clock_now_ms();
        if (!e->next_run)
            e->next_run = next_run(s, e, now);
        if (e->next_run <= now)
            run_scheduled(s, e);
        if (e->next_run && (!*next || e->next_run < *next))
            *next = e->next_run;
    }
}

/* A drain pass that moved records is worth a line. */
static void drained(size_t i, const weir_pipeline *p, weir_run_result *res,
                    void *ctx)
{
    (void)i, (void)ctx;
    const weir_run_counts *c = &res->counts;
    if (res->error.cls != WEIR_ERR_NONE)
        weir_log(WEIR_LOG_ERROR, "%s: delivery: %s", p->name,
                 weir_error_message(&res->error));
    else if (c->written || c->rejected || c->failed || c->retry || c->held) {
        json_t *fields = count_fields("drain", p->name, res);
        weir_log_fields(WEIR_LOG_INFO, NULL, fields,
                        "%s: delivered %llu, %llu rejected, %llu to retry, "
                        "%llu held, %llu failed",
                        p->name, (unsigned long long)c->written,
                        (unsigned long long)c->rejected,
                        (unsigned long long)c->retry,
                        (unsigned long long)c->held,
                        (unsigned long long)c->failed);
        json_decref(fields);
    }
    weir_error_clear(&res->error);
}

/* Sleep until `until` (ms since the epoch), a wake-up or a signal. */
static void sleep_until(weir_serve *s, int64_t until)
{
    int64_t ms = until - weir_clock_now_ms();
    if (ms > 0 && !stopping(s) && !s->reload) {
        struct pollfd pfd = {s->wake_rd, POLLIN, 0};
        poll(&pfd, 1, ms > 60000 ? 60000 : (int)ms);
    }
    char buf[64];
    while (read(s->wake_rd, buf, sizeof(buf)) > 0)
        ;
}

int weir_serve_run(weir_serve *s)
{
    s->reload = 1;
    while (!stopping(s)) {
        if (s->reload) {
            s->reload = 0;
            weir_serve_folder_scan(&s->folder, follow, s);
        }
        if (weir_state_in_place(s->cfg.st)) {
            weir_log(WEIR_LOG_ERROR, "%s",
                     weir_error_message(weir_state_error(s->cfg.st)));
            return -1;
        }
        int64_t next = 0, due = 0;
        int down = 0;
        weir_run_status worst = WEIR_RUN_OK;
        run_due(s, &next);
        for (size_t i = 0; i < s->folder.n && !s->failed; i++)
            if (s->folder.v[i].p)
                drain_if_same_targets(s, s->folder.v[i].p, 0);
        if (s->failed) {
            weir_log(WEIR_LOG_ERROR, "out of memory");
            return -1;
        }
        if (stopping(s))
            break;
        const weir_schedule_hooks hooks = {.passed = drained, .ctx = s};
        weir_scheduler_pass(s->drains, &hooks, &worst, &due, &down);
        int64_t until = weir_clock_now_ms() + s->cfg.poll_ms;
        if (next && next < until)
            until = next;
        if (due && due < until)
            until = due;
        sleep_until(s, until);
    }
    weir_log(WEIR_LOG_INFO, "stopped: what was in flight is recorded, the "
             "rest waits in the outbox");
    return 0;
}
