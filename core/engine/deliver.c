#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/worker.h"
#include "store/created_link.h"
#include "engine/changes.h"
#include "engine/deliver.h"
#include "engine/echo.h"
#include "engine/endpoint.h"
#include "engine/engine.h"
#include "engine/retry.h"
#include "engine/sink_identity.h"
#include "engine/track_index.h"
#include "plugin/host.h"
#include "plugin/plugins.h"
#include "plugin/sink_write.h"
#include "record/payload.h"

/* What became of a record at one sink.  The first five are the sink's
 * own answers; the rest are decided before sending. */
enum {
    OUT_OK = WEIR_RESULT_OK,
    OUT_REJECT = WEIR_RESULT_REJECT,
    OUT_RETRY = WEIR_RESULT_RETRY,
    OUT_HOLD = WEIR_RESULT_HOLD,
    OUT_DOWN = WEIR_RESULT_DOWN,
    OUT_QUEUED = 100, /* an earlier record of its key is still waiting */
    OUT_HELD = 101,   /* the endpoint is down: not sent */
    OUT_WAITING = 102, /* a transform holds it (stopped): not sent */
    OUT_REFUSED = 103  /* a transform rejected it (stopped): failed there */
};

typedef struct outcome {
    int what;
    const char *message; /* in the batch's arena */
    long long retry_after_ms;
    const char *assigned_id; /* OK: the target's id, in the batch's arena */
} outcome;

typedef struct awaiting awaiting;

/* One batch from its intent to its settle: how each sink got it and
 * what each answered.  Two of them, so that the next batch's intent is
 * recorded while a sink still writes this one. */
typedef struct flight {
    int64_t intent;           /* its snapshot intent (state.h) */
    int64_t now;              /* when it was handed to the sinks */
    outcome *out;             /* nsinks x cap */
    unsigned char *keep;      /* nsinks x cap: sent to that sink */
    /* nsinks x cap: the record's update superseded an insert that never
     * reached that sink, so it goes there as the insert */
    unsigned char *as_insert;
} flight;

typedef struct sink_rt {
    const weir_instance_spec *inst; /* the sink as configured */
    weir_instance *live;            /* and as this run opened it */
    weir_health h;          /* its endpoint's health */
    /* Keys a fresh record must queue behind: with <track>, rows in
     * flight (the rest it supersedes); without, every undelivered row. */
    weir_track_index *busy;
    weir_track_index *stale; /* <track>: keys with rows it supersedes */
    int superseding;         /* record_intent(): the batch has such keys */
} sink_rt;

struct weir_delivery {
    weir_instances *in; /* the run's */
    weir_pipeline *p;
    weir_state *st;
    weir_run_counts *c;
    weir_notices *n;
    int tracked;
    /* Some sink publishes only when the run completes (finish()): its OKs
     * are final only then, so snapshots are staged and drained rows stay
     * in flight until weir_delivery_finished(). */
    int provisional;
    struct awaiting {
        int64_t id;
        int attempts;
    } *awaiting;           /* outbox rows answered OK, not yet final */
    size_t nawaiting, capawaiting;
    int64_t intent;        /* the last batch's snapshot intent */
    const volatile sig_atomic_t *cancel; /* nullable: stop between batches */
    /* runs the transforms over drained records that re-enter */
    int (*reenter)(weir_batch *b, void *ctx);
    void *reenter_ctx;
    sink_rt *sinks;
    flight fl[2];          /* fl[next] takes the next batch */
    int next;
    size_t cap;
    /* The pipeline's one sink writes beside this thread
     * (WEIR_PLUGIN_WRITE_BESIDE): a batch handed to it moves into
     * `aside` and is written by `writer` while the caller reads the next
     * one; weir_delivery_flush() takes its answers. */
    int beside;
    weir_batch *aside;     /* (owned) */
    flight *aloft;         /* the flight of `aside`, NULL when none */
    weir_worker writer;
    /* the export's parked plugin state waits for finished() */
    int parked_due;
};

static int load_key(const char *key, void *ctx)
{
    return weir_track_index_load(ctx, key, strlen(key), 0, 0);
}

#define STATUS(s) (1u << WEIR_OUTBOX_##s)
/* What a fresh record of a key meets in the outbox: rows it must queue
 * behind, and rows it supersedes (DESIGN: the latest state wins; records
 * of pipelines without <track> are events, never superseded). */
static int load_outbox_keys(weir_delivery *d, sink_rt *s)
{
    unsigned open = STATUS(PENDING) | STATUS(IN_FLIGHT) | STATUS(RETRY) |
                    STATUS(HELD) | STATUS(FAILED);
    unsigned busy = d->tracked ? STATUS(IN_FLIGHT) : open;
    if (!(s->busy = weir_track_index_new()) ||
        weir_state_outbox_keys(d->st, d->p->name, s->inst->name, busy,
                               load_key, s->busy))
        return -1;
    if (!d->tracked)
        return 0;
    return !(s->stale = weir_track_index_new()) ||
                   weir_state_outbox_keys(d->st, d->p->name, s->inst->name,
                                          open & ~busy, load_key, s->stale)
               ? -1
               : 0;
}

static int flight_init(flight *f, size_t nsinks, size_t cap)
{
    size_t n = (nsinks ? nsinks : 1) * cap;
    return (f->out = calloc(n, sizeof(*f->out))) &&
                   (f->keep = calloc(n, 1)) && (f->as_insert = calloc(n, 1))
               ? 0
               : -1;
}

static void flight_clear(flight *f)
{
    free(f->out);
    free(f->keep);
    free(f->as_insert);
}

/* Does the pipeline's one sink write beside the caller's thread?  Only
 * a plugin that says it can (plugin.h), built for ABI 1.6 or later. */
static int writes_beside(const weir_pipeline *p)
{
    const weir_plugin *pl = p->nsinks == 1 ? p->sinks[0]->plugin : NULL;
    return pl && pl->abi_minor >= 6 && (pl->flags & WEIR_PLUGIN_WRITE_BESIDE);
}

weir_delivery *weir_delivery_new(weir_instances *in, weir_run_counts *counts,
                                 weir_notices *notices, int tracked,
                                 weir_error *err)
{
    weir_pipeline *p = in->p;
    weir_state *st = in->st;
    weir_delivery *d = calloc(1, sizeof(*d));
    size_t cap = p->batch_size;
    if (!d || !(d->sinks = calloc(p->nsinks ? p->nsinks : 1, sizeof(*d->sinks))) ||
        flight_init(&d->fl[0], p->nsinks, cap) ||
        flight_init(&d->fl[1], p->nsinks, cap) ||
        ((d->beside = writes_beside(p)) && !(d->aside = weir_batch_new(cap)))) {
        weir_delivery_free(d);
        weir_error_set(err, WEIR_ERR_NOMEM, "out of memory");
        return NULL;
    }
    if (d->aside)
        weir_batch_set_secrets(d->aside, p->secrets);
    d->in = in;
    d->p = p;
    d->st = st;
    d->c = counts;
    d->n = notices;
    d->tracked = tracked;
    d->cap = cap;
    for (size_t i = 0; i < p->nsinks; i++) {
        sink_rt *s = &d->sinks[i];
        s->inst = p->sinks[i];
        s->live = &in->sinks[i];
        if (weir_health_load(&s->h, st, p->name, s->live, notices) < 0 ||
            load_outbox_keys(d, s)) {
            const weir_error *e = weir_state_error(in->st);
            weir_error_set(err, e->cls, "cannot read the outbox or endpoint "
                           "state: %s", weir_error_message(e));
            weir_delivery_free(d);
            return NULL;
        }
        d->provisional |= s->inst->plugin->finish != NULL;
    }
    return d;
}

void weir_delivery_set_cancel(weir_delivery *d,
                              const volatile sig_atomic_t *cancel)
{
    d->cancel = cancel;
}

void weir_delivery_set_reentry(weir_delivery *d,
                               int (*fn)(weir_batch *b, void *ctx), void *ctx)
{
    d->reenter = fn;
    d->reenter_ctx = ctx;
}

void weir_delivery_free(weir_delivery *d)
{
    if (!d)
        return;
    weir_delivery_flush(d); /* a state error is logged */
    for (size_t i = 0; d->sinks && i < d->p->nsinks; i++) {
        sink_rt *s = &d->sinks[i];
        weir_track_index_free(s->busy);
        weir_track_index_free(s->stale);
        weir_health_clear(&s->h);
    }
    free(d->sinks);
    flight_clear(&d->fl[0]);
    flight_clear(&d->fl[1]);
    weir_batch_free(d->aside);
    free(d->awaiting);
    free(d);
}

int weir_delivery_any_down(const weir_delivery *d)
{
    for (size_t i = 0; i < d->p->nsinks; i++)
        if (d->sinks[i].h.ep.down)
            return 1;
    return 0;
}

int64_t weir_delivery_next_due(const weir_delivery *d)
{
    int64_t next = 0;
    for (size_t i = 0; i < d->p->nsinks; i++) {
        const sink_rt *s = &d->sinks[i];
        /* a down endpoint's retries wait for its probe as well */
        int64_t due = weir_state_outbox_next_due(d->st, d->p->name,
                                                 s->inst->name);
        if (due < 0)
            return -1;
        if (s->h.ep.down && (!due || due < s->h.ep.next_probe))
            due = s->h.ep.next_probe;
        if (due && (!next || due < next))
            next = due;
    }
    return next;
}

/* ---- endpoint health ----------------------------------------------- */

/* May records be handed to `s` now?  Not when it could not be opened. */
static int sink_usable(sink_rt *s, int64_t now)
{
    return s->live->opened && weir_health_try(&s->h, now);
}

void weir_delivery_sink_unavailable(weir_delivery *d,
                                    const weir_instance *inst,
                                    const char *why)
{
    for (size_t i = 0; i < d->p->nsinks; i++)
        if (d->sinks[i].live == inst)
            weir_health_failed(&d->sinks[i].h, weir_clock_now_ms(), 1, why);
}

/* ---- writing one batch to one sink --------------------------------- */

static int any_kept(const weir_batch *b, const unsigned char *keep)
{
    for (size_t i = 0; i < weir_batch_count(b); i++)
        if (keep[i])
            return 1;
    return 0;
}

/* Send the records with keep[i] to sink `s`.  Touches nothing but `b`
 * and the sink: it may run on the writer's thread. */
static void hand_over(sink_rt *s, weir_batch *b, const unsigned char *keep)
{
    if (!any_kept(b, keep))
        return;
    weir_batch_narrow(b, keep);
    weir_sink_write(s->live, b);
    weir_batch_widen(b);
}

/* What sink `s` answered the records with keep[i], after hand_over():
 * the endpoint's health, and the answers, with the decided outcomes of
 * the others, in out[]. */
static void take_answers(weir_delivery *d, sink_rt *s, weir_batch *b,
                         const unsigned char *keep, outcome *out, int64_t now)
{
    size_t n = weir_batch_count(b);
    if (!any_kept(b, keep))
        return;
    weir_batch_narrow(b, keep);
    weir_health_learn(&s->h, b, now);
    weir_batch_widen(b);
    for (size_t i = 0; i < n; i++) {
        if (!keep[i])
            continue;
        weir_record *r = weir_batch_at(b, i);
        int what = r->result == WEIR_RESULT_DROP ? OUT_REJECT : (int)r->result;
        /* While the endpoint is down (this write found it so, or a probe
         * failed) a transient answer spends no attempt. */
        if (what == OUT_RETRY && s->h.ep.down)
            what = OUT_HELD;
        /* A create acknowledged without the id it got cannot be linked:
         * failed, with its link kept, so later changes wait instead of
         * creating it again. */
        char why[1024], marked[2048];
        if (what == OUT_OK && weir_created_link_by(r->link, s->inst->system) &&
            (!r->assigned_id || !*r->assigned_id) &&
            weir_created_link_make(d->st, r->link, NULL, why, sizeof(why)) == 1) {
            weir_record_answer(r, WEIR_RESULT_REJECT, why, NULL);
            what = OUT_REJECT;
            if (weir_created_link_unknown(r->link, marked, sizeof(marked)) == 0)
                weir_record_set_link(r, marked);
        }
        out[i] = (outcome){what, r->message, r->retry_after_ms,
                           what == OUT_OK ? r->assigned_id : NULL};
    }
}

static void write_sink(weir_delivery *d, sink_rt *s, weir_batch *b,
                       const unsigned char *keep, outcome *out, int64_t now)
{
    hand_over(s, b, keep);
    take_answers(d, s, b, keep, out, now);
}

/* ---- recording the outcomes ----------------------------------------- */

/* The transform that stopped `r` (weir_record_stop), for messages and
 * the outbox row. */
static const char *stopped_by(const weir_delivery *d, const weir_record *r)
{
    return r->stopped && r->stopped <= d->p->ntransforms
               ? d->p->transforms[r->stopped - 1]->name
               : "?";
}

static const char *op_name(weir_op op)
{
    static const char *const names[] = {"upsert", "insert", "update", "delete"};
    return (unsigned)op < 4 ? names[op] : "upsert";
}

/* The status, attempts and next attempt for a record answered `o` on
 * its `attempt`-th send.  Counts it, and reports it. */
static weir_outbox_status settle(weir_delivery *d, sink_rt *s,
                                 const weir_record *r, const outcome *o,
                                 int attempt, int *attempts, int64_t *next,
                                 const char **result, const char **error,
                                 char *buf, size_t bufsize)
{
    /* A row that was held and stays held is no news: count it once. */
    int was_held = r->outbox_id > 0 && r->held;
    const weir_retry_policy *pol = &s->inst->retry;
    int64_t now = weir_clock_now_ms();
    int what = o->what;
    *error = o->message;
    *next = 0;
    *attempts = attempt;
    /* (never a create the target made without its id: sent again, it
     * would make another) */
    if (what == OUT_REJECT && pol->retry_rejects &&
        !weir_created_link_is_unknown(r->link))
        what = OUT_RETRY;
    switch (what) {
    case OUT_REJECT:
        *result = "rejected";
        d->c->rejected++;
        weir_notices_record(d->n, r, "rejected", "sink", s->inst->name,
                            o->message);
        return WEIR_OUTBOX_FAILED;
    case OUT_RETRY:
        *result = "retry";
        if (!weir_retry_allowed(pol, attempt)) {
            snprintf(buf, bufsize, "gave up after %d attempts: %s", attempt,
                     o->message ? o->message : "temporary failure");
            *error = buf;
            d->c->failed++;
            weir_notices_record(d->n, r, "failed", "sink", s->inst->name, buf);
            return WEIR_OUTBOX_FAILED;
        }
        *next = now + weir_retry_wait_ms(pol, attempt, weir_retry_random());
        if (o->retry_after_ms > 0 && now + o->retry_after_ms > *next)
            *next = now + o->retry_after_ms;
        d->c->retry++;
        return WEIR_OUTBOX_RETRY;
    case OUT_WAITING: /* until released: no next attempt, none spent */
        *result = "held";
        *attempts = attempt - 1;
        if (!*error) {
            snprintf(buf, bufsize, "held by transform '%s'", stopped_by(d, r));
            *error = buf;
        }
        if (!was_held)
            d->c->held++;
        return WEIR_OUTBOX_HELD;
    case OUT_REFUSED: /* reported when the transform answered */
        *result = "rejected";
        *attempts = attempt - 1;
        d->c->rejected++;
        return WEIR_OUTBOX_FAILED;
    case OUT_QUEUED:
        *result = NULL;
        *attempts = attempt - 1;
        *error = "waiting behind an earlier record of the same key";
        d->c->queued++;
        return WEIR_OUTBOX_PENDING;
    default: /* DOWN, HOLD, HELD: kept, no attempt spent */
        *result = what == OUT_HELD ? NULL : what == OUT_HOLD ? "held" : "down";
        *attempts = attempt - 1;
        /* The target asked to wait (a missing link), or said it is down
         * while the endpoint as a whole is not: ask again at the retry
         * pace.  Records of a down endpoint wait for its probe (next 0). */
        if (what == OUT_HOLD || (what == OUT_DOWN && !s->h.ep.down))
            *next = now + weir_retry_wait_ms(pol, attempt, weir_retry_random());
        if (what == OUT_HELD && !*error)
            *error = s->h.ep.error ? s->h.ep.error : "endpoint down";
        if (!was_held)
            d->c->held++;
        return WEIR_OUTBOX_HELD;
    }
}

/* The outbox rows of sink `s` for the records of `b` it did not
 * acknowledge, added in one call.  payloads[i] is encoded on first need;
 * a record that cannot be stored gets unstorable[i] set (and is counted
 * rejected). */
/* An acknowledged create links the ids (created_link.h): 0, -1. */
static int make_link(weir_delivery *d, const sink_rt *s, const weir_record *r,
                     const outcome *o)
{
    char why[8];
    return weir_created_link_by(r->link, s->inst->system) &&
           weir_created_link_make(d->st, r->link, o->assigned_id, why, sizeof(why)) < 0;
}

static int queue_unacked(weir_delivery *d, sink_rt *s, weir_batch *b,
                         const outcome *out, char **payloads,
                         unsigned char *unstorable)
{
    weir_pipeline *p = d->p;
    size_t n = weir_batch_count(b), m = 0;
    weir_outbox_row *rows = calloc(n ? n : 1, sizeof(*rows));
    /* "gave up ...", then the payloads of provisional values */
    char **texts = calloc(n ? 2 * n : 1, sizeof(*texts));
    int rc = rows && texts ? 0 : -1;
    weir_batch_set_context(b, p->name, s->inst->name);
    for (size_t i = 0; !rc && i < n; i++) {
        weir_record *r = weir_batch_at(b, i);
        const outcome *o = &out[i];
        if (o->what == OUT_OK) {
            d->c->written++;
            rc = (o->assigned_id &&
                  weir_state_assigned_put(d->st, p->name, s->inst->name,
                                          r->key, 0, o->assigned_id)) ||
                 make_link(d, s, r, o);
            continue;
        }
        if (unstorable[i])
            continue;
        char why[256];
        /* refused, or not through yet, with a provisional value: kept as
         * it reached the transform that gave it, to go through it again
         * (once resolved).  A create goes through its transform again
         * only when refused: one not through yet is sent again as it was,
         * with its idempotency key. */
        weir_record as_reached;
        int provisional = (o->what == OUT_REJECT || !r->link) &&
                          weir_record_provisional_view(r, &as_reached) == 0;
        char *own = provisional ? weir_payload_encode(&as_reached, why, sizeof(why)) : NULL;
        if (provisional && !own)
            provisional = 0; /* stored as sent, then */
        if (!provisional && !payloads[i] &&
            !(payloads[i] = weir_payload_encode(r, why, sizeof(why)))) {
            /* Not storable: count it rejected and leave its snapshot, so
             * the next run finds the change again. */
            unstorable[i] = 1;
            d->c->rejected++;
            weir_notices_record(d->n, r, "rejected", "sink", s->inst->name, why);
            continue;
        }
        char buf[2048];
        weir_outbox_row *row = &rows[m++];
        row->status = settle(d, s, r, o, 1, &row->attempts,
                             &row->next_attempt, &row->attempt_result,
                             &row->error, buf, sizeof(buf));
        if (row->error == buf && !(row->error = texts[i] = strdup(buf)))
            rc = -1;
        row->pipeline = p->name;
        row->sink = s->inst->name;
        row->key = r->key;
        row->idem = weir_record_id(r);
        row->op = op_name(r->op);
        row->type = weir_pipeline_record_type(p, r);
        row->payload = provisional ? own : payloads[i];
        if (provisional) {
            texts[n + i] = own; /* freed with the texts */
            row->stage = r->prov_stage;
            row->wait_key = r->prov_key;
            row->op = op_name(r->prov_op);
        }
        row->held_by = row->status == WEIR_OUTBOX_HELD ? s->inst->name : NULL;
        if (o->what == OUT_WAITING) {
            row->stage = row->held_by = stopped_by(d, r);
            row->wait_key = r->wait_key;
        } else if (o->what == OUT_REFUSED) { /* resent, it goes through there again */
            row->stage = stopped_by(d, r);
        }
        row->origin = r->origin;
        row->link = r->link;
        row->changes = r->changes;
        row->resent = weir_changes_resent(r->sent_for);
    }
    rc = rc || weir_state_outbox_add(d->st, rows, m, NULL);
    for (size_t i = 0; !rc && i < m; i++)
        if (rows[i].key && rows[i].status != WEIR_OUTBOX_FAILED)
            weir_track_index_load(s->busy, rows[i].key, strlen(rows[i].key),
                                  0, 0);
    for (size_t i = 0; texts && i < 2 * n; i++)
        free(texts[i]);
    free(texts);
    free(rows);
    return rc ? -1 : 0;
}

/* The operations of the batch as sink k gets them: `on` makes the
 * updates record_intent() marked for it inserts, off puts them back. */
static void sink_ops(const weir_delivery *d, weir_batch *b, const flight *f,
                     size_t k, int on)
{
    const unsigned char *ins = &f->as_insert[k * d->cap];
    for (size_t i = 0; d->tracked && i < weir_batch_count(b); i++)
        if (ins[i])
            weir_batch_at(b, i)->op = on ? WEIR_OP_INSERT : WEIR_OP_UPDATE;
}

/* Before any sink sees the batch: its keys' new snapshot values as one
 * intent (state.h: the lost answer), with the values they pass on
 * (changes.h), and the older waiting changes of its keys superseded.
 * One transaction. */
static int record_intent(weir_delivery *d, weir_batch *b, flight *f)
{
    weir_pipeline *p = d->p;
    size_t n = weir_batch_count(b), m = 0, nv = 0;
    weir_snapshot_entry *e = calloc(n ? n : 1, sizeof(*e));
    weir_track_values *v = calloc(n ? n : 1, sizeof(*v));
    if (!e || !v || weir_state_begin(d->st)) {
        free(e);
        free(v);
        return -1;
    }
    d->intent = f->intent = weir_state_intent_begin(d->st, p->name);
    int rc = f->intent < 0;
    memset(f->as_insert, 0, (p->nsinks ? p->nsinks : 1) * d->cap);
    for (size_t i = 0; !rc && i < n; i++) {
        weir_record *r = weir_batch_at(b, i);
        if (!r->key)
            continue;
        size_t len = strlen(r->key);
        int op = (int)r->op;
        for (size_t k = 0; !rc && k < p->nsinks; k++) {
            sink_rt *s = &d->sinks[k];
            if (!weir_track_index_has(s->stale, r->key, len))
                continue;
            s->superseding = 1;
            int64_t inserts = 0;
            int64_t gone = weir_state_outbox_supersede(d->st, p->name,
                                                       s->inst->name, r->key,
                                                       0, &inserts);
            rc = gone < 0;
            d->c->superseded += gone > 0 ? (uint64_t)gone : 0;
            /* the key's insert may never have reached this target */
            if (inserts > 0 && r->op == WEIR_OP_UPDATE) {
                f->as_insert[k * d->cap + i] = 1;
                op = WEIR_OP_INSERT; /* what a send in doubt goes again as */
            }
        }
        /* A deleted key stays, hash 0, for its change number. */
        e[m++] = (weir_snapshot_entry){
            r->key, r->op == WEIR_OP_DELETE ? 0 : r->hash, r->version, op};
        /* its kept values go with it */
        if (p->track.keep_changes && (r->sent_values || r->op == WEIR_OP_DELETE))
            v[nv++] = (weir_track_values){r->key, r->hash, r->sent_values,
                                          r->sent_values_len};
    }
    /* A drain (it takes no pipeline lock) may have claimed a row of a
     * stale key since the outbox was loaded: in flight, it was not
     * superseded, and the new change must queue behind it.  This
     * transaction holds the write lock, so no claim slips in between. */
    for (size_t k = 0; k < p->nsinks; k++) {
        sink_rt *s = &d->sinks[k];
        rc = rc || (s->superseding &&
                    weir_state_outbox_keys(d->st, p->name, s->inst->name,
                                           STATUS(IN_FLIGHT), load_key,
                                           s->busy));
        s->superseding = 0;
    }
    rc = rc || weir_state_snapshot_put(d->st, p->name, e, m, f->intent) ||
         weir_state_track_values_put(d->st, p->name, v, nv);
    free(e);
    free(v);
    if (rc || weir_state_commit(d->st)) {
        weir_log(WEIR_LOG_ERROR, "%s: %s", p->name,
                 weir_error_message(weir_state_error(d->st)));
        weir_state_rollback(d->st);
        return -1;
    }
    return 0;
}

/* After the sinks answered, in one transaction: outbox rows for what was
 * not acknowledged, and the intent settled (unless a sink publishes only
 * at finish()).  With <track> that transaction is lazy (state.h): lost
 * in a crash of the machine, it leaves the batch's intent unsettled, as
 * a crash before it does, and its keys go again with the same ids; the
 * next intent's durable commit makes it durable (inline: before any sink
 * sees another record; beside: the one after, so a power loss may leave
 * two batches in doubt, both sent again with their ids).  The plugin
 * state set since the last commit goes with it (`plugin_state`) only when
 * it was set before the batch was sent: a batch written beside settles
 * after the next one was read, and a source's cursor must not run ahead
 * of what is recorded. */
static int commit_fresh(weir_delivery *d, weir_batch *b, const flight *f,
                        int plugin_state)
{
    weir_pipeline *p = d->p;
    size_t n = weir_batch_count(b);
    char **payloads = calloc(n, sizeof(*payloads));
    unsigned char *unstorable = calloc(n, 1);
    int rc = -1;
    if (!payloads || !unstorable ||
        (d->tracked ? weir_state_begin_lazy(d->st) : weir_state_begin(d->st)))
        goto out;
    for (size_t k = 0; k < p->nsinks; k++) {
        sink_ops(d, b, f, k, 1);
        int failed = queue_unacked(d, &d->sinks[k], b, &f->out[k * d->cap],
                                   payloads, unstorable);
        sink_ops(d, b, f, k, 0);
        for (size_t i = 0; !failed && p->sinks[k]->system_given && i < n; i++)
            failed = f->out[k * d->cap + i].what == OUT_OK &&
                     weir_echo_written(d->st, p, p->sinks[k],
                                       weir_batch_at(b, i));
        if (failed)
            goto out;
    }
    for (size_t i = 0; d->tracked && i < n; i++) {
        weir_record *r = weir_batch_at(b, i);
        /* Not acknowledged and not storable: the next run sends it again. */
        if (unstorable[i] && r->key &&
            weir_state_snapshot_doubt(d->st, p->name, r->key))
            goto out;
    }
    if ((d->tracked && !d->provisional &&
         weir_state_intent_settle(d->st, p->name, f->intent)) ||
        (plugin_state && weir_host_commit_plugin_state(d->in)) ||
        weir_state_commit(d->st))
        goto out;
    rc = 0;
out:
    if (rc) {
        weir_log(WEIR_LOG_ERROR, "%s: %s", p->name,
                 weir_error_message(weir_state_error(d->st)));
        weir_state_rollback(d->st);
    }
    for (size_t i = 0; payloads && i < n; i++)
        free(payloads[i]);
    free(payloads);
    free(unstorable);
    return rc;
}

/* Before sending: what becomes of each record at each sink (queued
 * behind an older change of its key, held while its endpoint is down,
 * stopped by a transform, or sent: keep). */
static void choose(weir_delivery *d, weir_batch *b, flight *f)
{
    size_t n = weir_batch_count(b);
    f->now = weir_clock_now_ms();
    for (size_t k = 0; k < d->p->nsinks; k++) {
        sink_rt *s = &d->sinks[k];
        outcome *out = &f->out[k * d->cap];
        unsigned char *keep = &f->keep[k * d->cap];
        int open = sink_usable(s, f->now);
        for (size_t i = 0; i < n; i++) {
            const weir_record *r = weir_batch_at(b, i);
            int queued = r->key && weir_track_index_has(s->busy, r->key,
                                                        strlen(r->key));
            int what = r->stopped  ? (r->result == WEIR_RESULT_REJECT ? OUT_REFUSED
                                                                      : OUT_WAITING)
                       : queued    ? OUT_QUEUED
                       : open      ? OUT_OK
                                   : OUT_HELD;
            out[i] = (outcome){what, r->stopped ? r->message : NULL, 0, NULL};
            keep[i] = out[i].what == OUT_OK;
        }
    }
}

/* Sink k's part of the batch: as the records' operations it gets. */
static void write_part(weir_delivery *d, size_t k, weir_batch *b,
                       const flight *f)
{
    sink_rt *s = &d->sinks[k];
    sink_ops(d, b, f, k, 1);
    weir_batch_set_context(b, d->p->name, s->inst->name);
    hand_over(s, b, &f->keep[k * d->cap]);
    sink_ops(d, b, f, k, 0);
}

/* The writer's thread: the one sink writes the batch aside. */
static void write_aside(void *arg)
{
    weir_delivery *d = arg;
    write_part(d, 0, d->aside, d->aloft);
}

int weir_delivery_send(weir_delivery *d, weir_batch *b)
{
    size_t n = weir_batch_count(b);
    if (!n)
        return 0;
    flight *f = &d->fl[d->next];
    d->next = !d->next;
    /* The intent first, while a sink may still write the batch before:
     * it is durable before any sink sees this one. */
    if (d->tracked && record_intent(d, b, f))
        return -1;
    if (weir_delivery_flush(d))
        return -1;
    choose(d, b, f);
    /* plugin state set since the last commit (a source's cursor) is
     * committed with this batch: written inline, as it can only be */
    if (d->beside && !d->in->pending) {
        weir_batch_swap(b, d->aside);
        d->aloft = f;
        d->sinks[0].live->beside = 1;
        weir_worker_start(&d->writer, write_aside, d);
        return 0;
    }
    for (size_t k = 0; k < d->p->nsinks; k++) {
        write_part(d, k, b, f);
        take_answers(d, &d->sinks[k], b, &f->keep[k * d->cap],
                     &f->out[k * d->cap], f->now);
    }
    return commit_fresh(d, b, f, 1);
}

int weir_delivery_flush(weir_delivery *d)
{
    flight *f = d->aloft;
    if (!f)
        return 0;
    weir_worker_join(&d->writer);
    d->sinks[0].live->beside = 0;
    d->aloft = NULL;
    take_answers(d, &d->sinks[0], d->aside, f->keep, f->out, f->now);
    return commit_fresh(d, d->aside, f, 0);
}

/* ---- the outbox ----------------------------------------------------- */

typedef struct due_ctx {
    weir_delivery *d;
    weir_batch *b;
    int failed;
} due_ctx;

/* A row a transform held re-enters at that transform: r->reenter.  One
 * whose transform is gone from the pipeline cannot: it fails, stopped. */
static void find_stage(const weir_delivery *d, weir_record *r,
                       const char *stage)
{
    for (size_t t = 0; t < d->p->ntransforms; t++)
        if (strcmp(d->p->transforms[t]->name, stage) == 0) {
            r->reenter = (uint32_t)t + 1;
            return;
        }
    char why[512];
    snprintf(why, sizeof(why), "transform '%s', where this record re-enters "
             "the pipeline, is no longer in it", stage);
    weir_record_answer(r, WEIR_RESULT_REJECT, why, NULL);
    r->stopped = UINT32_MAX;
}

static int add_due(const weir_outbox_row *row, void *vctx)
{
    due_ctx *c = vctx;
    weir_record *r = weir_batch_add(c->b);
    if (!r)
        return 1;
    r->outbox_id = row->id;
    r->held = row->status == WEIR_OUTBOX_HELD;
    r->attempt = row->attempts + 1;
    r->origin = row->origin;
    r->op = strcmp(row->op, "delete") == 0   ? WEIR_OP_DELETE
            : strcmp(row->op, "insert") == 0 ? WEIR_OP_INSERT
            : strcmp(row->op, "update") == 0 ? WEIR_OP_UPDATE
                                             : WEIR_OP_UPSERT;
    if ((row->key && weir_record_set_key(r, row->key)) ||
        weir_payload_decode(r, row->payload)) {
        c->failed = 1;
        return 1;
    }
    weir_record_fix_id(r, row->idem);
    if (row->link && weir_record_set_link(r, row->link)) {
        c->failed = 1;
        return 1;
    }
    if (row->stage)
        find_stage(c->d, r, row->stage);
    return 0;
}

static int await_finish(weir_delivery *d, int64_t id, int attempts)
{
    if (d->nawaiting == d->capawaiting) {
        size_t cap = d->capawaiting ? d->capawaiting * 2 : 256;
        awaiting *g = realloc(d->awaiting, cap * sizeof(*g));
        if (!g)
            return -1;
        d->awaiting = g;
        d->capawaiting = cap;
    }
    d->awaiting[d->nawaiting++] = (awaiting){id, attempts};
    return 0;
}

int weir_delivery_export_recorded(weir_delivery *d)
{
    if (weir_delivery_flush(d))
        return -1;
    if (d->provisional) {
        d->parked_due = 1;
        return 0;
    }
    if (weir_state_begin(d->st))
        return -1;
    if (weir_host_commit_parked_plugin_state(d->in) ||
        weir_state_commit(d->st)) {
        weir_state_rollback(d->st);
        return -1;
    }
    return 0;
}

int weir_delivery_finished(weir_delivery *d)
{
    if (weir_delivery_flush(d))
        return -1;
    if (!d->provisional)
        return 0;
    if (weir_state_begin(d->st))
        return -1;
    int rc = (d->tracked && d->intent > 0 &&
              weir_state_intent_settle(d->st, d->p->name, d->intent)) ||
             (d->parked_due && weir_host_commit_parked_plugin_state(d->in));
    for (size_t i = 0; !rc && i < d->nawaiting; i++) {
        weir_outbox_answer a = {.id = d->awaiting[i].id,
                                .status = WEIR_OUTBOX_DELIVERED,
                                .attempts = d->awaiting[i].attempts};
        rc = weir_state_outbox_settle(d->st, &a, 1) < 0;
    }
    if (rc || weir_state_commit(d->st)) {
        weir_state_rollback(d->st);
        return -1;
    }
    d->nawaiting = 0;
    return 0;
}

/* A row that did not go through (retry, failed, held) while a newer
 * change of its key waits behind it (it was in flight when that change
 * came): the latest state wins here too. */
static int supersede_by_newer(weir_delivery *d, sink_rt *s,
                              const weir_record *r)
{
    if (!d->p->track.present || !r->key)
        return 0;
    int64_t n = weir_state_outbox_supersede(d->st, d->p->name, s->inst->name,
                                            r->key, -1, NULL);
    d->c->superseded += n > 0 ? (uint64_t)n : 0;
    return n < 0;
}

/* A drained record re-entered and a transform stopped it: held again
 * (stored as it reached that transform, its claim given up), or its
 * answer in *a: refused, or dropped.  buf (2048) holds a's text. */
static int commit_stopped(weir_delivery *d, weir_record *r,
                          weir_outbox_answer *a, char *buf)
{
    const char *by = stopped_by(d, r);
    a->attempts = r->attempt - 1;
    if (r->result == WEIR_RESULT_HOLD) {
        char *payload = weir_payload_encode(r, buf, 2048);
        if (payload) {
            if (!r->held)
                d->c->held++;
            weir_notices_record(d->n, r, "held", "transform", by, r->message);
            int rc = weir_state_outbox_hold(d->st, r->outbox_id, by,
                                            r->wait_key, r->message, payload);
            free(payload);
            a->id = 0; /* settled here */
            return rc;
        }
        weir_record_answer(r, WEIR_RESULT_REJECT, buf, NULL);
    }
    if (r->result == WEIR_RESULT_DROP) {
        d->c->dropped++;
        snprintf(buf, 2048, "dropped by transform '%s'", by);
        a->status = WEIR_OUTBOX_DISCARDED;
        a->error = buf;
        a->attempt = "discarded";
        return 0;
    }
    d->c->rejected++;
    weir_notices_record(d->n, r, "rejected", "transform", by, r->message);
    snprintf(buf, 2048, "%s", r->message ? r->message : "rejected");
    a->status = WEIR_OUTBOX_FAILED;
    a->error = buf;
    a->attempt = "rejected";
    return 0;
}

/* The answers of a drained batch, in one transaction. */
static int commit_drained(weir_delivery *d, sink_rt *s, weir_batch *b,
                          const outcome *out)
{
    size_t n = weir_batch_count(b);
    weir_outbox_answer *a = calloc(n ? n : 1, sizeof(*a));
    char (*bufs)[2048] = calloc(n ? n : 1, sizeof(*bufs));
    int rc = !a || !bufs || weir_state_begin(d->st) ? -1 : 0;
    for (size_t i = 0; !rc && i < n; i++) {
        weir_record *r = weir_batch_at(b, i);
        const outcome *o = &out[i];
        a[i].id = r->outbox_id;
        a[i].attempts = r->attempt;
        if (r->stopped) {
            rc = commit_stopped(d, r, &a[i], bufs[i]);
        } else if (o->what == OUT_OK) {
            d->c->written++;
            a[i].attempt = "ok";
            /* final only once the sink's finish() succeeds: in flight,
             * under this worker's claim, until then */
            a[i].status = s->inst->plugin->finish ? WEIR_OUTBOX_IN_FLIGHT
                                                  : WEIR_OUTBOX_DELIVERED;
            rc = (s->inst->plugin->finish &&
                  await_finish(d, r->outbox_id, r->attempt)) ||
                 (o->assigned_id &&
                  weir_state_assigned_put(d->st, d->p->name, s->inst->name,
                                          r->key, r->outbox_id,
                                          o->assigned_id)) ||
                 make_link(d, s, r, o) ||
                 weir_echo_written(d->st, d->p, s->inst, r);
        } else {
            a[i].status = settle(d, s, r, o, r->attempt, &a[i].attempts,
                                 &a[i].next_attempt, &a[i].attempt,
                                 &a[i].error, bufs[i], sizeof(bufs[i]));
            a[i].held_by = s->inst->name;
            if (weir_created_link_is_unknown(r->link))
                a[i].link = r->link;
        }
    }
    size_t m = 0; /* rows a transform held again are settled already */
    for (size_t i = 0; i < n; i++)
        if (a[i].id > 0)
            a[m++] = a[i];
    rc = rc || weir_state_outbox_settle(d->st, a, m) < 0;
    /* a row that did not go through while a newer change of its key
     * waits behind it: the latest state wins */
    for (size_t i = 0; !rc && i < n; i++)
        if (out[i].what != OUT_OK && !weir_batch_at(b, i)->stopped)
            rc = supersede_by_newer(d, s, weir_batch_at(b, i));
    if (rc)
        weir_state_rollback(d->st);
    else
        rc = weir_state_commit(d->st);
    free(a);
    free(bufs);
    return rc ? -1 : 0;
}

/* A drain that cannot try a down endpoint yet says so, instead of a
 * bare "0 written". */
static void say_waiting_for_probe(const weir_delivery *d, const sink_rt *s)
{
    if (!s->h.ep.down)
        return;
    char at[32];
    weir_clock_iso(s->h.ep.next_probe, at, sizeof(at));
    weir_log(WEIR_LOG_INFO, "%s: endpoint of sink '%s' is down (%s); its "
             "records stay held until it is tried again at %s",
             d->p->name, s->inst->name, s->h.ep.error ? s->h.ep.error : "no answer",
             at);
}

/* How long a claim is this worker's alone; renewed before every batch,
 * so only a worker that stopped (or hangs in one write longer) loses it.
 * A worker on this machine that died loses it at once (state.h). */
#define LEASE_MS (5 * 60 * 1000)
/* Records of `b` that a transform held run the transforms from there
 * (after a release); every record stays in the view, stopped or not. */
static int reenter(weir_delivery *d, weir_batch *b)
{
    for (size_t i = 0; i < weir_batch_count(b); i++)
        if (weir_batch_at(b, i)->reenter)
            return d->reenter ? d->reenter(b, d->reenter_ctx) : -1;
    return 0;
}

/* `identity`: the target this sink writes to (sink_identity.h). */
static int drain_sink(weir_delivery *d, sink_rt *s, weir_batch *b,
                      const char *identity)
{
    int64_t after = 0; /* one pass: each row at most once */
    for (;;) {
        int64_t now = weir_clock_now_ms();
        if (!sink_usable(s, now)) {
            say_waiting_for_probe(d, s);
            return 0;
        }
        if (d->cancel && *d->cancel)
            return 0;
        /* A down endpoint that is still down here has no probe(): it is
         * probed with one record. */
        weir_outbox_claim claim = {
            .pipeline = d->p->name, .sink = s->inst->name, .now = now,
            .lease_ms = LEASE_MS, .after_id = after, .with_held = 1,
            .limit = s->h.ep.down ? 1 : d->cap, .identity = identity};
        weir_batch_clear(b);
        due_ctx c = {d, b, 0};
        if (weir_state_outbox_renew(d->st, now + LEASE_MS) < 0 ||
            weir_state_outbox_claim(d->st, &claim, add_due, &c) < 0 ||
            c.failed) {
            weir_log(WEIR_LOG_ERROR, "%s: cannot read the outbox of sink "
                     "'%s': %s", d->p->name, s->inst->name,
                     c.failed ? "a stored record cannot be read"
                              : weir_error_message(weir_state_error(d->st)));
            return -1;
        }
        size_t n = weir_batch_count(b);
        if (!n)
            return 0;
        after = weir_batch_at(b, n - 1)->outbox_id;
        if (reenter(d, b))
            return -1;
        outcome *out = d->fl[0].out;
        unsigned char *keep = d->fl[0].keep;
        for (size_t i = 0; i < n; i++) {
            keep[i] = !weir_batch_at(b, i)->stopped;
            out[i] = (outcome){OUT_WAITING, NULL, 0, NULL};
        }
        weir_batch_set_context(b, d->p->name, s->inst->name);
        write_sink(d, s, b, keep, out, now);
        if (commit_drained(d, s, b, out))
            return -1;
        if (s->h.ep.down) {
            say_waiting_for_probe(d, s);
            return 0;
        }
    }
}

int weir_delivery_drain(weir_delivery *d, weir_batch *b)
{
    if (weir_delivery_flush(d))
        return -1;
    /* Only rows queued for the target each sink writes to: a copy of the
     * file with another target may run on the same state during the pass
     * (a drain takes no pipeline lock) and queue rows for its own; the
     * claims leave those (and, from then on, every row) alone.  Drain
     * and serve check before each pass, and say why. */
    for (size_t k = 0; k < d->p->nsinks; k++) {
        char *identity = weir_sink_identity(d->sinks[k].inst);
        int rc = identity ? drain_sink(d, &d->sinks[k], b, identity) : -1;
        if (!identity)
            weir_log(WEIR_LOG_ERROR, "out of memory");
        free(identity);
        if (rc)
            return -1;
    }
    return 0;
}
