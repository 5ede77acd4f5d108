#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "host.h"
#include "log.h"
#include "record.h"

/* Per-record problems are printed up to this many per run; the summary
 * and the exit code still count all of them. */
#define MAX_REPORTED 100

typedef struct run_ctx {
    weir_pipeline *p;
    weir_run_result *res;
    const char *stage;      /* name of the stage that answered */
    const char *stage_kind; /* "source", "transform", "sink" */
    size_t reported;
    double started, last_progress;
    int progress;
} run_ctx;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fail(run_ctx *c, const char *fmt, ...) WEIR_PRINTF(2, 3);
static void fail(run_ctx *c, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (!c->res->error)
        c->res->error = strdup(msg);
    c->res->exit_code = 3;
}

static void report(run_ctx *c, const weir_record *r, const char *what)
{
    if (c->reported++ == MAX_REPORTED) {
        weir_log(WEIR_LOG_WARNING, "%s: more records %s; not shown (see the "
                 "summary)", c->p->name, what);
        return;
    }
    if (c->reported > MAX_REPORTED)
        return;
    char where[64] = "";
    if (r->origin > 0)
        snprintf(where, sizeof(where), ":%ld", r->origin);
    weir_log(WEIR_LOG_WARNING, "%s/%s%s%s%s: %s by %s '%s': %s", c->p->name,
             c->p->source->name, where, r->key ? " key " : "",
             r->key ? r->key : "", what, c->stage_kind, c->stage,
             r->message ? r->message : "(no reason given)");
}

/* A record a source or transform answered other than OK. */
static void on_answered(weir_record *r, void *vctx)
{
    run_ctx *c = vctx;
    weir_run_counts *n = &c->res->counts;
    switch (r->result) {
    case WEIR_RESULT_DROP:
        n->dropped++;
        break;
    case WEIR_RESULT_REJECT:
        n->rejected++;
        report(c, r, "rejected");
        break;
    case WEIR_RESULT_HOLD:
        n->held++;
        report(c, r, "held");
        break;
    default: /* RETRY, DOWN: not deliverable now, and no outbox yet */
        n->retry++;
        report(c, r, "not delivered");
        break;
    case WEIR_RESULT_OK:
        break;
    }
}

static int open_instance(run_ctx *c, weir_instance *inst)
{
    inst->state = NULL;
    if (inst->plugin->open(inst, &weir_host_table, inst->kind, &inst->state) !=
        WEIR_STATUS_OK) {
        fail(c, "%s '%s' (plugin %s) could not open", weir_kind_name(inst->kind),
             inst->name, inst->plugin_name);
        return -1;
    }
    inst->opened = 1;
    return 0;
}

static void close_instance(weir_instance *inst)
{
    if (inst->opened) {
        inst->plugin->close(inst->state);
        inst->opened = 0;
        inst->state = NULL;
    }
}

static void show_progress(run_ctx *c, int final)
{
    if (!c->progress)
        return;
    double t = now_s();
    if (!final && t - c->last_progress < 0.5)
        return;
    c->last_progress = t;
    double el = t - c->started;
    unsigned long long rows = (unsigned long long)c->res->counts.read;
    if (final)
        fprintf(stderr, "\r\033[K");
    else
        fprintf(stderr, "\r\033[K%s: %llu rows, %.0f rows/s", c->p->name, rows,
                el > 0 ? (double)rows / el : 0.0);
    fflush(stderr);
}

/* Deliver the live records of `b` to every sink. */
static int deliver(run_ctx *c, weir_batch *b)
{
    weir_run_counts *n = &c->res->counts;
    for (size_t s = 0; s < c->p->nsinks; s++) {
        weir_instance *sink = c->p->sinks[s];
        weir_batch_set_context(b, c->p->name, sink->name);
        weir_batch_reset_answers(b);
        c->stage = sink->name;
        c->stage_kind = "sink";
        if (sink->plugin->write(sink->state, b) == WEIR_STATUS_ERROR) {
            /* Nothing of the batch was applied. */
            for (size_t i = 0; i < weir_batch_count(b); i++) {
                weir_record *r = weir_batch_at(b, i);
                if (r->result == WEIR_RESULT_OK)
                    weir_record_answer(r, WEIR_RESULT_RETRY,
                                       "sink failed the whole batch", NULL);
            }
        }
        for (size_t i = 0; i < weir_batch_count(b); i++) {
            weir_record *r = weir_batch_at(b, i);
            switch (r->result) {
            case WEIR_RESULT_OK:
                n->written++;
                break;
            case WEIR_RESULT_REJECT:
                n->rejected++;
                report(c, r, "rejected");
                break;
            default:
                /* RETRY, DOWN, HOLD (and a stray DROP): the outbox will
                 * keep these; until then they are failed deliveries. */
                n->retry++;
                report(c, r, "not delivered");
                break;
            }
        }
    }
    return 0;
}

/* One batch through the transforms; 0, or -1 when a transform failed as
 * a whole. */
static int transform(run_ctx *c, weir_batch *b)
{
    for (size_t t = 0; t < c->p->ntransforms && weir_batch_count(b); t++) {
        weir_instance *tr = c->p->transforms[t];
        weir_batch_set_context(b, c->p->name, tr->name);
        weir_batch_reset_answers(b);
        if (tr->plugin->process(tr->state, b) == WEIR_STATUS_ERROR) {
            fail(c, "transform '%s' failed", tr->name);
            return -1;
        }
        c->stage = tr->name;
        c->stage_kind = "transform";
        weir_batch_take_answered(b, on_answered, c);
    }
    return 0;
}

static int stream(run_ctx *c, weir_batch *b, const weir_run_options *opts)
{
    weir_instance *src = c->p->source;
    for (;;) {
        weir_batch_clear(b);
        weir_batch_set_context(b, c->p->name, src->name);
        int rc = src->plugin->read(src->state, b);
        if (rc == WEIR_STATUS_ERROR) {
            fail(c, "source '%s' failed while reading; the run stopped",
                 src->name);
            return -1;
        }
        c->res->counts.read += weir_batch_count(b);
        c->stage = src->name;
        c->stage_kind = "source";
        weir_batch_take_answered(b, on_answered, c);
        if (transform(c, b))
            return -1;
        if (opts->dry_run)
            c->res->counts.written += weir_batch_count(b);
        else
            deliver(c, b);
        show_progress(c, 0);
        if (rc == WEIR_STATUS_END)
            return 0;
    }
}

int weir_engine_run(weir_pipeline *p, weir_state *st,
                    const weir_run_options *opts, weir_run_result *res)
{
    memset(res, 0, sizeof(*res));
    run_ctx c = {.p = p, .res = res, .progress = opts->progress};
    c.started = c.last_progress = now_s();
    if (p->track.present) {
        res->error = strdup("<track> (change-tracking) is not available in "
                            "this version of weir yet");
        res->exit_code = 2;
        return res->exit_code;
    }
    p->state_store = st;
    weir_batch *b = weir_batch_new(p->batch_size);
    if (!b) {
        fail(&c, "out of memory");
        return res->exit_code;
    }
    weir_instance *all[256];
    size_t n = weir_pipeline_instances(p, all, 256);
    int ok = 1;
    for (size_t i = 0; i < n && ok; i++)
        if (!(opts->dry_run && all[i]->kind == WEIR_KIND_SINK))
            ok = open_instance(&c, all[i]) == 0;
    if (ok && stream(&c, b, opts) == 0 && !opts->dry_run) {
        for (size_t s = 0; s < p->nsinks; s++) {
            weir_instance *sink = p->sinks[s];
            if (sink->plugin->flush && sink->plugin->flush(sink->state) !=
                                           WEIR_STATUS_OK)
                fail(&c, "sink '%s' could not make its writes durable",
                     sink->name);
        }
    }
    for (size_t i = n; i-- > 0;)
        close_instance(all[i]);
    show_progress(&c, 1);
    weir_batch_free(b);
    p->state_store = NULL;
    res->seconds = now_s() - c.started;
    if (res->exit_code == 0 && (res->counts.rejected || res->counts.retry))
        res->exit_code = 1;
    return res->exit_code;
}
