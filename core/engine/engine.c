#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "engine/changes.h"
#include "engine/deliver.h"
#include "engine/engine.h"
#include "engine/notify.h"
#include "engine/reader.h"
#include "engine/run.h"
#include "engine/track.h"
#include "plugin/host.h"
#include "record/record.h"
#include "record/spool.h"

/* A source that keeps answering "more" without adding records is broken;
 * stop it instead of spinning. */
#define MAX_EMPTY_READS 1000

typedef struct run_ctx {
    weir_run *run;
    weir_pipeline *p;   /* run->p */
    weir_instances *in; /* run->in */
    weir_state *st;     /* in->st */
    const weir_run_options *opts;
    weir_run_result *res;
    weir_notices *notices;
    weir_tracker *tracker;  /* with <track> */
    weir_spool *spool;      /* with <track>, not in a dry run */
    weir_delivery *delivery; /* not in a dry run */
    const char *stage;      /* who answered, for messages */
    const char *stage_kind;
    int before_track;       /* the stage runs before <track> */
    int reentering;         /* a drain's records re-enter (deliver.h) */
    unsigned char *keep;    /* batch-size: which records a transform sees */
    int finished;           /* finish_result done */
    int locked;             /* holds the pipeline's lock (a run) */
    int draining;           /* a drain pass: instances stay open after it */
    double started, last_progress;
    uint64_t deliver_done, deliver_total; /* <track>: changes and deletes */
    int warned_deletes_kept; /* keep_deletes() said so once this run */
    /* open_all(): per sink, why its target cannot be reached now; marked
     * down only once every plugin opened (a refused run changes nothing) */
    char **unreachable;
} run_ctx;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The run cannot complete: the first reason, with its class, is kept. */
static void fail(run_ctx *c, weir_error_class cls, const char *fmt, ...)
    WEIR_PRINTF(3, 4);
static void fail(run_ctx *c, weir_error_class cls, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (c->res->error.cls == WEIR_ERR_NONE)
        weir_error_set(&c->res->error, cls, "%s", msg);
    c->res->status = WEIR_RUN_ABORTED;
}

/* The store failed: its class, and its message after `what`. */
static void fail_store(run_ctx *c, const char *what)
{
    const weir_error *e = weir_state_error(c->st);
    fail(c, e->cls, "%s%s%s", what ? what : "", what ? ": " : "",
         weir_error_message(e));
}

static int cancelled(const run_ctx *c)
{
    return c->run->cancel && *c->run->cancel;
}

/* A record a source, transform or <track> answered other than OK. */
static void on_answered(weir_record *r, void *vctx)
{
    run_ctx *c = vctx;
    weir_run_counts *n = &c->res->counts;
    if (r->unchanged) {
        n->unchanged++;
        return;
    }
    if (r->result == WEIR_RESULT_DROP) {
        n->dropped++;
        return;
    }
    /* Not sent, but not gone either: its key must not become a delete. */
    if (c->tracker && c->before_track)
        weir_tracker_note_unsent(c->tracker, r);
    const char *what = r->result == WEIR_RESULT_REJECT ? "rejected" : "held";
    if (r->result == WEIR_RESULT_REJECT)
        n->rejected++;
    else
        n->held++;
    weir_notices_record(c->notices, r, what, c->stage_kind, c->stage,
                        r->message);
}

static void take(run_ctx *c, weir_batch *b, const char *kind, const char *stage)
{
    c->stage_kind = kind;
    c->stage = stage;
    weir_batch_take_answered(b, on_answered, c);
}

/* Tell the caller where the run is (the phase and how far it is), at
 * most twice a second. */
static void show_progress(run_ctx *c, int final)
{
    if (!c->opts->progress)
        return;
    double t = now_s();
    if (!final && t - c->last_progress < 0.5)
        return;
    c->last_progress = t;
    weir_progress p = {c->p->name, "reading", c->res->counts.read, 0,
                       t - c->started, final};
    if (c->deliver_total) {
        p.phase = "delivering";
        p.done = c->deliver_done;
        p.total = c->deliver_total;
    } else if (c->tracker) {
        p.phase = "reading and comparing";
    }
    c->opts->progress(&p, c->opts->ctx);
}

/* After <track> a delete carries only its key: a filter there has
 * nothing to judge it by, and dropping it would leave the row in the
 * target for good (the next run finds the same delete, and drops it
 * again).  So deletes pass filters after <track>; filters that choose
 * which records the target holds belong before it. */
static void keep_deletes(run_ctx *c, weir_batch *b, const char *transform)
{
    size_t kept = 0;
    for (size_t i = 0; i < weir_batch_count(b); i++) {
        weir_record *r = weir_batch_at(b, i);
        if (r->op == WEIR_OP_DELETE && r->result == WEIR_RESULT_DROP) {
            weir_record_answer(r, WEIR_RESULT_OK, NULL, NULL);
            kept++;
        }
    }
    if (kept && !c->warned_deletes_kept) {
        c->warned_deletes_kept = 1;
        weir_log(WEIR_LOG_WARNING,
                 "%s: transform '%s' after <track> dropped deletes; they go "
                 "on (a delete carries only its key): put filters that "
                 "choose the target's records before <track>",
                 c->p->name, transform);
    }
}

/* Is what transform `t` answers stored (the record stopped there, kept
 * in the view for the delivery)?  A hold or a reject, in a real run at
 * or after <track> (before it a record is no change yet: the next run
 * compares it again); in a drain whatever it answers.  A stored reject
 * is a failed record at that transform: in the monitor, and `weir
 * resend` sends it through that transform again. */
static int stores_answers(const run_ctx *c, size_t t)
{
    return c->reentering ||
           (c->delivery && (!c->tracker || t >= c->p->track.position));
}

/* Narrow the view to the records transform `t` runs over: not those a
 * transform stopped, nor, re-entering, those held at a later one (or
 * never held).  Returns whether it narrowed. */
static int narrow_to(run_ctx *c, weir_batch *b, size_t t)
{
    size_t n = weir_batch_count(b), moving = 0;
    for (size_t i = 0; i < n; i++) {
        const weir_record *r = weir_batch_at(b, i);
        c->keep[i] = !r->stopped &&
                     (!c->reentering || (r->reenter && r->reenter <= t + 1));
        moving += c->keep[i];
    }
    if (moving == n)
        return 0;
    weir_batch_narrow(b, c->keep);
    return 1;
}

/* After transform `t`: the answers the delivery stores stop there. */
static void stop_answered(run_ctx *c, weir_batch *b, size_t t)
{
    const char *name = c->p->transforms[t]->name;
    for (size_t i = 0; i < weir_batch_count(b); i++) {
        weir_record *r = weir_batch_at(b, i);
        if (r->result == WEIR_RESULT_OK ||
            (r->result != WEIR_RESULT_HOLD && r->result != WEIR_RESULT_REJECT &&
             !c->reentering))
            continue;
        if (!c->reentering) /* a drain's delivery reports its own */
            weir_notices_record(c->notices, r,
                                r->result == WEIR_RESULT_HOLD ? "held" : "rejected",
                                "transform", name, r->message);
        weir_record_stop(r, t);
    }
}

/* Transforms [from, to) over the live records. */
static int transform(run_ctx *c, weir_batch *b, size_t from, size_t to)
{
    for (size_t t = from; t < to && weir_batch_count(b); t++) {
        weir_instance *tr = &c->in->transforms[t];
        const char *name = tr->spec->name;
        int stores = stores_answers(c, t);
        int narrowed = narrow_to(c, b, t);
        weir_status rc = WEIR_STATUS_OK;
        if (weir_batch_count(b)) {
            weir_batch_set_context(b, c->p->name, name);
            weir_batch_reset_answers(b, WEIR_RESULT_OK);
            if (stores)
                weir_batch_mark(b);
            rc = tr->spec->plugin->process(tr->state, b);
        }
        if (rc == WEIR_STATUS_OK && c->tracker && t >= c->p->track.position)
            keep_deletes(c, b, name);
        if (rc == WEIR_STATUS_OK && stores)
            stop_answered(c, b, t);
        if (narrowed)
            weir_batch_widen(b);
        if (rc != WEIR_STATUS_OK) {
            fail(c, WEIR_ERR_PLUGIN, "transform '%s' failed", name);
            return -1;
        }
        take(c, b, "transform", name);
    }
    return 0;
}

static size_t track_position(const run_ctx *c)
{
    return c->tracker ? c->p->track.position : c->p->ntransforms;
}

/* Send the live records of `b` (after the transforms that follow
 * <track>), or count them in a dry run. */
static int send(run_ctx *c, weir_batch *b)
{
    c->before_track = 0;
    if (transform(c, b, track_position(c), c->p->ntransforms))
        return -1;
    if (c->opts->dry_run) {
        c->res->counts.written += weir_batch_count(b);
        return 0;
    }
    if (weir_delivery_send(c->delivery, b)) {
        fail_store(c, "the delivery could not be recorded");
        return -1;
    }
    return 0;
}

/* A dry run tells the caller each key it would send, with its record
 * (NULL for a delete). */
static void tell_key(const run_ctx *c, const char *key, const char *op,
                     const weir_record *r)
{
    if (!c->opts->would_send)
        return;
    char *shown = weir_key_display(key);
    c->opts->would_send(op, shown ? shown : key, r, c->opts->ctx);
    free(shown);
}

/* What changed in the records <track> sends (changes.h): before the
 * transforms after it, as <track> compared them. */
static int explain(run_ctx *c, weir_batch *b)
{
    if (weir_changes_explain(c->st, c->p, b) == 0)
        return 0;
    if (c->st)
        fail_store(c, "cannot read what changed");
    else
        fail(c, WEIR_ERR_NOMEM, "out of memory");
    return -1;
}

/* Where the spool's folder came from, for its errors: an admin whose
 * TMPDIR is set by systemd or cron may not know the path. */
static const char *spool_dir_origin(void)
{
    const char *dir = getenv("TMPDIR");
    return dir && *dir ? " (TMPDIR)" : "";
}

/* One batch from the source up to <track> (or through everything). */
static int read_stage(run_ctx *c, weir_batch *b)
{
    c->before_track = 1;
    take(c, b, "source", c->p->source->name);
    if (transform(c, b, 0, track_position(c)))
        return -1;
    if (!c->tracker)
        return send(c, b);
    c->stage_kind = "track";
    if (weir_tracker_process(c->tracker, b)) {
        fail(c, WEIR_ERR_NOMEM, "out of memory or the state failed while "
             "tracking changes");
        return -1;
    }
    c->before_track = 0; /* <track> has seen them: no more note_unsent */
    take(c, b, "<track>", "track");
    if (c->opts->dry_run && c->opts->would_send && explain(c, b))
        return -1;
    for (size_t i = 0; i < weir_batch_count(b); i++) {
        weir_record *r = weir_batch_at(b, i);
        if (c->opts->dry_run) {
            c->res->counts.written++;
            tell_key(c, r->key, r->op == WEIR_OP_INSERT ? "insert" : "update",
                     r);
            if (c->opts->on_record)
                c->opts->on_record(r, c->opts->ctx);
        } else if (weir_spool_put(c->spool, r)) {
            fail(c, WEIR_ERR_IO, "cannot park the changes in a temporary file "
                 "in %s%s: %s", weir_spool_dir(), spool_dir_origin(),
                 strerror(errno));
            return -1;
        }
    }
    return 0;
}

static int stream_batches(run_ctx *c, weir_reader *reader, weir_batch *b)
{
    const char *name = c->in->source->spec->name;
    int empty = 0;
    for (;;) {
        if (cancelled(c)) {
            fail(c, WEIR_ERR_CANCELLED, "interrupted; nothing more was read");
            return -1;
        }
        weir_status rc = weir_reader_next(reader, b);
        if (rc != WEIR_STATUS_OK && rc != WEIR_STATUS_END) {
            fail(c, WEIR_ERR_PLUGIN, "source '%s' failed while reading; the run stopped%s",
                 name, c->tracker ? " and changed nothing" : "");
            return -1;
        }
        size_t n = weir_batch_count(b);
        c->res->counts.read += n;
        empty = rc == WEIR_STATUS_OK && n == 0 ? empty + 1 : 0;
        if (empty > MAX_EMPTY_READS) {
            fail(c, WEIR_ERR_PLUGIN, "source '%s' keeps returning no records without ending",
                 name);
            return -1;
        }
        if (read_stage(c, b))
            return -1;
        show_progress(c, 0);
        if (rc == WEIR_STATUS_END)
            return 0;
    }
}

/* The whole source through read_stage(), batch by batch; a source that
 * may read ahead (reader.h) reads the next batch meanwhile. */
static int stream_source(run_ctx *c, weir_batch *b)
{
    weir_reader *reader = weir_reader_new(c->in->source, c->p->name,
                                          c->p->batch_size, c->p->secrets);
    if (!reader) {
        fail(c, WEIR_ERR_NOMEM, "out of memory");
        return -1;
    }
    int rc = stream_batches(c, reader, b);
    weir_reader_free(reader);
    return rc;
}

static int tell_delete(const char *key, void *ctx)
{
    tell_key(ctx, key, "delete", NULL);
    return 0;
}

static int warn_unfound_field(const char *field, void *ctx)
{
    run_ctx *c = ctx;
    weir_log(WEIR_LOG_WARNING,
             "%s: <track fields> names '%s', which no record of this run "
             "has: a change to it can never be detected (a misspelt field?)",
             c->p->name, field);
    return 0;
}

/* With <track>: after the whole source was read, the changes and then
 * the deletes. */
static int deliver_changes(run_ctx *c, weir_batch *b)
{
    char why[512];
    weir_log(WEIR_LOG_DEBUG, "%s: <track> read %llu of %llu records by "
             "column", c->p->name,
             (unsigned long long)weir_tracker_counts(c->tracker)->by_column,
             (unsigned long long)c->res->counts.read);
    weir_tracker_each_unfound_field(c->tracker, warn_unfound_field, c);
    int deletes = 1;
    why[0] = '\0';
    switch (weir_tracker_check_deletes(c->tracker, c->opts->force, why,
                                       sizeof(why))) {
    case WEIR_DELETES_NONE:
        if (why[0])
            weir_log(WEIR_LOG_INFO, "%s: %s", c->p->name, why);
        deletes = 0;
        break;
    case WEIR_DELETES_REFUSED:
        fail(c, WEIR_ERR_REFUSED, "%s", why);
        return -1;
    case WEIR_DELETES_OFF:
        weir_log(WEIR_LOG_WARNING, "%s: %s", c->p->name, why);
        deletes = 0;
        break;
    case WEIR_DELETES_GO:
        break;
    }
    if (c->opts->dry_run) {
        if (deletes) {
            weir_batch_clear(b);
            size_t n;
            while ((n = weir_tracker_emit_deletes(c->tracker, b)) > 0) {
                c->res->counts.deletes += n;
                c->res->counts.written += n;
                weir_batch_clear(b);
            }
            weir_tracker_each_delete(c->tracker, tell_delete, c);
        }
        return 0;
    }
    /* what the source set while reading (its cursor) goes with the
     * whole export, once every change of it is recorded */
    weir_host_park_plugin_state(c->in);
    if (weir_spool_rewind(c->spool)) {
        fail(c, WEIR_ERR_IO, "cannot read back the parked changes: %s",
             strerror(errno));
        return -1;
    }
    c->deliver_total = weir_spool_count(c->spool) +
                       weir_tracker_deletes_due(c->tracker);
    for (;;) {
        if (cancelled(c)) {
            fail(c, WEIR_ERR_CANCELLED, "interrupted; what was delivered is recorded");
            return -1;
        }
        weir_batch_clear(b);
        long n = weir_spool_read(c->spool, b);
        if (n < 0) {
            fail(c, WEIR_ERR_IO, "cannot read back the parked changes: %s",
                 strerror(errno));
            return -1;
        }
        if (n == 0)
            break;
        if (explain(c, b) || send(c, b))
            return -1;
        c->deliver_done += (uint64_t)n;
        show_progress(c, 0);
    }
    while (deletes) {
        weir_batch_clear(b);
        size_t n = weir_tracker_emit_deletes(c->tracker, b);
        if (!n)
            break;
        c->res->counts.deletes += n;
        /* a delete <track> could not build whole is reported, not sent */
        c->before_track = 0;
        take(c, b, "<track>", "track");
        if (send(c, b))
            return -1;
        c->deliver_done += n;
        show_progress(c, 0);
    }
    if (weir_delivery_export_recorded(c->delivery)) {
        fail_store(c, "the delivery could not be recorded");
        return -1;
    }
    return 0;
}

static int open_instance(run_ctx *c, weir_instance *inst)
{
    const weir_instance_spec *spec = inst->spec;
    inst->state = NULL;
    weir_host_error_clear(inst);
    weir_status rc = spec->plugin->open(inst, &weir_host_table, spec->kind,
                                &inst->state);
    if (rc != WEIR_STATUS_OK) {
        const char *reason = weir_host_error(inst);
        char why[1280];
        snprintf(why, sizeof(why), "%s '%s' (plugin %s) could not open%s%s",
                 weir_kind_name(spec->kind), spec->name, spec->plugin_name,
                 reason ? ": " : "", reason ? reason : "");
        /* A target that cannot be reached now (its database locked, its
         * folder gone) is an endpoint that is down: the run's work waits
         * in the outbox for it instead of being dropped.  A setup that can
         * never work stops the run. */
        for (size_t k = 0; rc == WEIR_STATUS_DOWN && c->delivery &&
                           c->unreachable && k < c->p->nsinks; k++) {
            if (&c->in->sinks[k] != inst)
                continue;
            weir_log(WEIR_LOG_WARNING, "%s: %s; its records are held",
                     c->p->name, why);
            free(c->unreachable[k]);
            c->unreachable[k] = strdup(why);
            return 0;
        }
        fail(c, WEIR_ERR_PLUGIN, "%s", why);
        return -1;
    }
    inst->opened = 1;
    return 0;
}

/* Open what this run needs and is not open yet (a drain pass finds what
 * the one before it left open): a dry run opens no sink and no notifier.
 * Notifiers first, so that a source that cannot open is still told. */
static int open_all(run_ctx *c, int with_source)
{
    static const weir_kind order[] = {WEIR_KIND_NOTIFIER, WEIR_KIND_SOURCE,
                                      WEIR_KIND_TRANSFORM, WEIR_KIND_SINK};
    size_t nsinks = c->p->nsinks;
    int rc = 0;
    c->unreachable = nsinks ? calloc(nsinks, sizeof(*c->unreachable)) : NULL;
    for (size_t k = 0; !rc && k < sizeof(order) / sizeof(order[0]); k++)
        for (size_t i = 0; !rc && i < c->p->nall; i++) {
            weir_instance *inst = &c->in->all[i];
            weir_kind kind = inst->spec->kind;
            if (kind != order[k] || inst->opened)
                continue;
            int needed = kind == WEIR_KIND_SOURCE ||
                                 kind == WEIR_KIND_TRANSFORM
                             ? with_source
                             : !c->opts->dry_run;
            rc = needed ? open_instance(c, inst) : 0;
        }
    for (size_t k = 0; c->unreachable && k < nsinks; k++) {
        if (!rc && c->unreachable[k])
            weir_delivery_sink_unavailable(c->delivery, &c->in->sinks[k],
                                           c->unreachable[k]);
        free(c->unreachable[k]);
    }
    free(c->unreachable);
    c->unreachable = NULL;
    return rc;
}

/* The delivery's reentry (deliver.h): drained records that a transform
 * held run the transforms from there.  A drain opens the transforms
 * only when some record needs them. */
static int reenter(weir_batch *b, void *vctx)
{
    run_ctx *c = vctx;
    for (size_t t = 0; t < c->p->ntransforms; t++) {
        weir_instance *tr = &c->in->transforms[t];
        if (!tr->opened && open_instance(c, tr))
            return -1;
    }
    c->reentering = 1;
    int rc = transform(c, b, 0, c->p->ntransforms);
    c->reentering = 0;
    return rc;
}

/* Sinks publish what a completed run wrote (finish()); only then is what
 * they acknowledged final. */
static void finish_sinks(run_ctx *c)
{
    for (size_t i = 0; i < c->p->nsinks; i++) {
        weir_instance *s = &c->in->sinks[i];
        const weir_plugin *pl = s->spec->plugin;
        if (s->opened && pl->finish && pl->finish(s->state) != WEIR_STATUS_OK)
            fail(c, WEIR_ERR_PLUGIN, "sink '%s' could not complete its output", s->spec->name);
    }
    if (c->res->status != WEIR_RUN_ABORTED &&
        weir_delivery_finished(c->delivery))
        fail_store(c, "the completed output could not be recorded");
}

/* The run is about to change the state: tell the caller. */
static int started(run_ctx *c)
{
    if (!c->opts->started || c->opts->started(c->p, c->st,
                                              c->opts->started_ctx) == 0)
        return 0;
    fail(c, WEIR_ERR_IO, "the run could not be recorded in the state database; nothing "
         "was changed");
    return -1;
}

static int lock(run_ctx *c)
{
    long holder = 0;
    int rc = weir_state_lock_pipeline(c->st, c->p->name, &holder);
    if (rc == 1 && holder > 0)
        fail(c, WEIR_ERR_BUSY, "pipeline '%s' is already being run by another weir process "
             "(pid %ld); try again when it is done", c->p->name, holder);
    else if (rc == 1)
        fail(c, WEIR_ERR_BUSY, "pipeline '%s' is already being run by another weir process; "
             "try again when it is done", c->p->name);
    else if (rc < 0)
        fail_store(c, "cannot lock the pipeline");
    return rc;
}

static void finish_result(run_ctx *c)
{
    weir_run_result *res = c->res;
    if (c->finished)
        return;
    c->finished = 1;
    res->seconds = now_s() - c->started;
    if (res->status == WEIR_RUN_OK &&
        (res->counts.rejected || res->counts.failed))
        res->status = WEIR_RUN_SOME_FAILED;
    if (res->status == WEIR_RUN_ABORTED && c->notices)
        weir_notices_run_failed(c->notices, weir_error_message(&res->error));
}

/* After a run, close everything.  After a drain pass, what the next pass
 * can use stays open; a sink that publishes at the end (finish()) has
 * published and is opened afresh, and after a failed pass everything is
 * (a sink in an unknown state is not reused). */
static void close_after(run_ctx *c)
{
    if (!c->draining || c->res->status == WEIR_RUN_ABORTED) {
        weir_instances_close(c->in);
        return;
    }
    for (size_t i = 0; i < c->p->nsinks; i++)
        if (c->in->sinks[i].spec->plugin->finish)
            weir_instance_close(&c->in->sinks[i]);
}

/* What every run and drain does at its end: deliver what is due, prune
 * old history, notify, close. */
static void wrap_up(run_ctx *c, weir_batch *b, int64_t *next_due, int *down)
{
    /* the last batch a sink still writes: its answers, before any count */
    if (c->delivery && weir_delivery_flush(c->delivery))
        fail_store(c, "the delivery could not be recorded");
    if (c->delivery && c->res->status != WEIR_RUN_ABORTED) {
        if (weir_delivery_drain(c->delivery, b))
            fail_store(c, "the delivery could not be recorded");
        else
            finish_sinks(c);
        int64_t before = weir_clock_now_ms() - c->p->keep_delivered_ms;
        weir_state_history_prune(c->st, before);
        if (next_due && (*next_due = weir_delivery_next_due(c->delivery)) < 0)
            fail_store(c, NULL);
        if (down)
            *down = weir_delivery_any_down(c->delivery);
    }
    weir_delivery_free(c->delivery);
    c->delivery = NULL;
    show_progress(c, 1);
    finish_result(c);
    if (c->notices)
        weir_notices_send(c->notices);
    close_after(c);
}

/* deletes="ignore" holds for deletes already waiting in the outbox too
 * (queued before the pipeline said so, or by an older weir). */
static int drop_ignored_deletes(run_ctx *c)
{
    if (!c->p->track.present || c->p->track.emit_deletes)
        return 0;
    int64_t n = weir_state_outbox_drop_deletes(
        c->st, c->p->name, "not sent: the pipeline has deletes=\"ignore\"");
    if (n < 0) {
        fail_store(c, NULL);
        return -1;
    }
    if (n > 0)
        weir_log(WEIR_LOG_WARNING, "%s: %lld deletes waiting in the outbox "
                 "were discarded: the pipeline has deletes=\"ignore\"",
                 c->p->name, (long long)n);
    return 0;
}

/* `exclusive`: one live run per pipeline.  Drains share the pipeline:
 * each claims the rows it sends (state.h), so several may run at once;
 * but not with a sink that publishes at the end (finish(): a csv file
 * written whole), whose open instances would share one output. */
static int setup(run_ctx *c, weir_run *run, const weir_run_options *opts,
                 weir_run_result *res, int draining)
{
    int exclusive = !draining;
    for (size_t i = 0; i < run->p->nsinks; i++)
        exclusive |= run->p->sinks[i]->plugin->finish != NULL;
    memset(res, 0, sizeof(*res));
    memset(c, 0, sizeof(*c));
    c->run = run;
    c->p = run->p;
    c->in = run->in;
    c->in->dry_run = opts->dry_run;
    c->st = run->in->st;
    c->opts = opts;
    c->res = res;
    c->draining = draining;
    c->started = c->last_progress = now_s();
    c->notices = weir_notices_new(c->in);
    c->keep = malloc(c->p->batch_size ? c->p->batch_size : 1);
    if (!c->notices || !c->keep) {
        fail(c, WEIR_ERR_NOMEM, "out of memory");
        return -1;
    }
    c->locked = exclusive && c->st && !opts->dry_run;
    /* A dry run changes nothing, so it must not block a real run. */
    return c->locked && lock(c) != 0 ? -1 : 0;
}

static void teardown(run_ctx *c)
{
    if (c->tracker && c->locked)
        weir_tracker_save(c->tracker);
    if (c->locked)
        weir_state_unlock_pipeline(c->st, c->p->name);
    weir_tracker_free(c->tracker);
    weir_spool_free(c->spool);
    weir_notices_free(c->notices);
    free(c->keep);
}

/* Changes a run that died had sent without recording the answers stay
 * in doubt until this run compares them with the source again. */
static int recover_intents(run_ctx *c)
{
    int64_t n = weir_state_snapshot_recover(c->st, c->p->name);
    if (n < 0) {
        fail_store(c, NULL);
        return -1;
    }
    if (n > 0)
        weir_log(WEIR_LOG_WARNING,
                 "%s: the last run stopped before it recorded what the "
                 "targets answered for %lld changes; they are compared with "
                 "the source again and re-sent with the same idempotency ids",
                 c->p->name, (long long)n);
    return 0;
}

/* <track changes="none"> keeps no values: those an earlier
 * changes="keep" kept go. */
static int forget_values(run_ctx *c)
{
    if (c->p->track.keep_changes ||
        weir_state_track_values_clear(c->st, c->p->name) >= 0)
        return 0;
    fail_store(c, NULL);
    return -1;
}

/* Once the run or drain has started (locked, every plugin open, the
 * pipeline remembered; a refused one never gets here): the state put
 * right for what follows. */
static int prepare_state(run_ctx *c)
{
    if (!c->st || c->opts->dry_run)
        return 0;
    return drop_ignored_deletes(c) ||
                   (c->tracker && (recover_intents(c) || forget_values(c)))
               ? -1
               : 0;
}

weir_run_status weir_engine_run(weir_run *run, const weir_run_options *opts,
                                weir_run_result *res)
{
    run_ctx c;
    weir_batch *b = NULL;
    weir_pipeline *p = run->p;
    weir_state *st = run->in->st;
    if (setup(&c, run, opts, res, 0))
        goto out;
    weir_error err = {0};
    if (p->track.present) {
        if (!(c.tracker = weir_tracker_new(p, st, opts->full, &err))) {
            fail(&c, err.cls, "%s", weir_error_message(&err));
            weir_error_clear(&err);
            goto out;
        }
        if (opts->dry_run)
            weir_tracker_read_only(c.tracker);
        if (!opts->dry_run && !(c.spool = weir_spool_new())) {
            fail(&c, WEIR_ERR_IO, "cannot create a temporary file for the "
                 "changes in %s%s: %s", weir_spool_dir(), spool_dir_origin(),
                 strerror(errno));
            goto out;
        }
    }
    if (!opts->dry_run &&
        !(c.delivery = weir_delivery_new(run->in, &res->counts, c.notices,
                                         c.tracker != NULL, &err))) {
        fail(&c, err.cls, "%s", weir_error_message(&err));
        weir_error_clear(&err);
        goto out;
    }
    if (c.delivery) {
        weir_delivery_set_cancel(c.delivery, run->cancel);
        weir_delivery_set_reentry(c.delivery, reenter, &c);
    }
    if (!(b = weir_batch_new(p->batch_size))) {
        fail(&c, WEIR_ERR_NOMEM, "out of memory");
        goto out;
    }
    weir_batch_set_secrets(b, p->secrets);
    if (open_all(&c, 1) == 0 && started(&c) == 0 && prepare_state(&c) == 0 &&
        stream_source(&c, b) == 0 && c.tracker &&
        deliver_changes(&c, b) == 0 && !opts->dry_run) {
        const weir_track_counts *tc = weir_tracker_counts(c.tracker);
        /* A full refresh, or the first run, starts the full-refresh clock. */
        if (weir_tracker_is_full(c.tracker) ||
            tc->unchanged - tc->echoes + tc->updates == 0)
            weir_state_set_last_full_refresh(st, p->name, weir_clock_now_ms());
    }
    wrap_up(&c, b, NULL, NULL);
out:
    finish_result(&c);
    close_after(&c);
    weir_batch_free(b);
    teardown(&c);
    return res->status;
}

weir_run_status weir_engine_drain(weir_run *run, weir_run_result *res,
                                  int64_t *next_due, int *down)
{
    /* a drain reads no source and sends whatever is due: none of a run's
     * options applies */
    static const weir_run_options drain_opts;
    run_ctx c;
    weir_batch *b = NULL;
    weir_error err = {0};
    if (setup(&c, run, &drain_opts, res, 1))
        goto out;
    if (!(c.delivery = weir_delivery_new(run->in, &res->counts, c.notices, 0,
                                         &err)) ||
        !(b = weir_batch_new(run->p->batch_size))) {
        fail(&c, err.cls ? err.cls : WEIR_ERR_NOMEM, "%s",
             err.cls ? weir_error_message(&err) : "out of memory");
        weir_error_clear(&err);
        goto out;
    }
    weir_batch_set_secrets(b, run->p->secrets);
    weir_delivery_set_cancel(c.delivery, run->cancel);
    weir_delivery_set_reentry(c.delivery, reenter, &c);
    if (open_all(&c, 0) == 0 && prepare_state(&c) == 0)
        wrap_up(&c, b, next_due, down);
out:
    finish_result(&c);
    close_after(&c);
    weir_batch_free(b);
    teardown(&c);
    return res->status;
}

int64_t weir_engine_release(weir_state *st, const char *wait_key)
{
    return weir_state_outbox_release(st, wait_key);
}
