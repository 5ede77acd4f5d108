/* status.c - see status.h. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/diag.h"
#include "pipeline/pipeline.h"
#include "pipeline/schedule.h"
#include "report/status.h"
#include "report/values.h"

typedef struct status_ctx {
    weir_state *st;
    weir_plugins *reg;
    int details;
    json_t *pipelines, *endpoints;
} status_ctx;

/* What a pipeline's file plans: its <schedule>, the next run after a
 * last run that started at `started`, the next full refresh after the
 * last one at `last_full`.  Zero and "" when the file is gone. */
typedef struct plan {
    char schedule[256];
    int64_t next_run, next_full;
} plan;

static void plan_of(weir_plugins *reg, const char *file, int64_t started,
                    int64_t last_full, plan *out)
{
    weir_diag *d = weir_diag_new();
    weir_pipeline *p = d ? weir_pipeline_load(file, reg, d) : NULL;
    snprintf(out->schedule, sizeof(out->schedule), "%s",
             p && p->schedule_text ? p->schedule_text : "");
    out->next_run = p ? weir_schedule_next(p, started, weir_clock_now_ms())
                      : 0;
    out->next_full = p ? weir_schedule_full_refresh(p, last_full) : 0;
    weir_pipeline_unref(p);
    weir_diag_free(d);
}

/* Append "N what" to `buf` at *used, ", "-separated, when n > 0. */
static void add_count(char *buf, size_t size, size_t *used, uint64_t n,
                      const char *what)
{
    if (!n || *used >= size)
        return;
    int w = snprintf(buf + *used, size - *used, "%s%llu %s",
                     *used ? ", " : "", (unsigned long long)n, what);
    if (w > 0)
        *used += (size_t)w;
}

/* The last run's result as it recorded it and, when it failed, what is
 * true now: "failed: 3 rejected; all since delivered". */
static void describe_result(char *buf, size_t size, const char *status,
                            const weir_run_counts *run, const uint64_t *now,
                            const uint64_t *since)
{
    snprintf(buf, size, "%s", status ? status : "-");
    if (!status || strcmp(status, "failed") != 0)
        return;
    char settled[128] = "";
    size_t used = 0;
    add_count(settled, sizeof(settled), &used, since[WEIR_OUTBOX_DELIVERED],
              "delivered");
    add_count(settled, sizeof(settled), &used, since[WEIR_OUTBOX_DISCARDED],
              "discarded");
    add_count(settled, sizeof(settled), &used, since[WEIR_OUTBOX_SUPERSEDED],
              "superseded");
    char rejected[48] = "";
    if (run->rejected)
        snprintf(rejected, sizeof(rejected), ": %llu rejected",
                 (unsigned long long)run->rejected);
    uint64_t failed = now[WEIR_OUTBOX_FAILED];
    int only_delivered = since[WEIR_OUTBOX_DELIVERED] &&
                         !since[WEIR_OUTBOX_DISCARDED] &&
                         !since[WEIR_OUTBOX_SUPERSEDED];
    if (!failed && only_delivered)
        snprintf(buf, size, "failed%s; all since delivered", rejected);
    else if (!failed)
        snprintf(buf, size, "failed%s; %s%s%snone failed now", rejected,
                 used ? "since: " : "", settled, used ? "; " : "");
    else
        snprintf(buf, size, "failed%s; %s%s%s%llu still failed", rejected,
                 used ? "since: " : "", settled, used ? "; " : "",
                 (unsigned long long)failed);
}

static int tally_run(const char *status, int64_t runs, void *ctx)
{
    json_object_set_new(ctx, status, json_integer((json_int_t)runs));
    return 0;
}

/* What <track> holds for a pipeline: live keys, deleted ones (kept for
 * their change numbers) and values in doubt (sent again next run). */
typedef struct snap_tally {
    int64_t keys, deleted, in_doubt;
} snap_tally;

static int tally_key(const char *key, size_t len, uint64_t hash,
                     uint64_t version, int doubt, void *ctx)
{
    (void)key, (void)len, (void)version;
    snap_tally *t = ctx;
    if (hash)
        t->keys++;
    else
        t->deleted++;
    t->in_doubt += doubt != 0;
    return 0;
}

/* The details: the run history by status, the last run's counts,
 * settled rows the outbox keeps, the snapshot. */
static int add_details(status_ctx *c, json_t *o, const char *name,
                       const weir_run_counts *run, const uint64_t *q)
{
    json_t *runs = json_object();
    snap_tally t = {0, 0, 0};
    json_object_set_new(o, "runs", runs);
    if (weir_state_run_tally(c->st, name, tally_run, runs) ||
        weir_state_snapshot_each(c->st, name, tally_key, &t))
        return -1;
    json_object_set_new(
        o, "last_counts",
        json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "read",
                  (json_int_t)run->read, "written", (json_int_t)run->written,
                  "rejected", (json_int_t)run->rejected, "dropped",
                  (json_int_t)run->dropped, "held", (json_int_t)run->held,
                  "retry", (json_int_t)run->retry));
    json_object_set_new(
        o, "settled",
        json_pack("{s:I, s:I, s:I}", "delivered",
                  (json_int_t)q[WEIR_OUTBOX_DELIVERED], "discarded",
                  (json_int_t)q[WEIR_OUTBOX_DISCARDED], "superseded",
                  (json_int_t)q[WEIR_OUTBOX_SUPERSEDED]));
    json_object_set_new(o, "snapshot",
                        json_pack("{s:I, s:I, s:I}", "keys",
                                  (json_int_t)t.keys, "deleted",
                                  (json_int_t)t.deleted, "in_doubt",
                                  (json_int_t)t.in_doubt));
    return 0;
}

static int on_pipeline(const char *name, const char *file, void *vctx)
{
    status_ctx *c = vctx;
    int64_t started, finished, last_full;
    char *status = NULL;
    weir_run_counts run;
    int64_t retry_due = weir_state_outbox_next_due(c->st, name, NULL);
    uint64_t q[WEIR_OUTBOX_NSTATUS], since[WEIR_OUTBOX_NSTATUS];
    if (weir_state_last_run(c->st, name, &started, &finished, &status,
                            &run) < 0 ||
        retry_due < 0 || weir_state_outbox_counts(c->st, name, q) ||
        weir_state_last_full_refresh(c->st, name, &last_full) ||
        weir_state_outbox_settled_since(c->st, name, finished ? finished
                                                              : INT64_MAX,
                                        since)) {
        free(status);
        return -1;
    }
    char result[256];
    describe_result(result, sizeof(result), status, &run, q, since);
    plan pl;
    plan_of(c->reg, file, started, last_full, &pl);
    json_t *o = json_pack(
        "{s:s, s:s, s:o, s:o, s:o, s:s, s:o, s:o, s:o, s:o, s:{s:I, s:I, "
        "s:I, s:I, s:I}, s:{s:I, s:I, s:I}}",
        "pipeline", name, "file", file, "last_run", weir_report_time(started),
        "finished", weir_report_time(finished), "status",
        weir_report_str(status), "result", result, "next_run",
        weir_report_time(pl.next_run), "schedule",
        weir_report_str(pl.schedule[0] ? pl.schedule : NULL),
        "next_full_refresh", weir_report_time(pl.next_full), "retry_due",
        weir_report_time(retry_due),
        "queue", "pending", (json_int_t)q[WEIR_OUTBOX_PENDING], "in_flight",
        (json_int_t)q[WEIR_OUTBOX_IN_FLIGHT], "retry",
        (json_int_t)q[WEIR_OUTBOX_RETRY], "held",
        (json_int_t)q[WEIR_OUTBOX_HELD], "failed",
        (json_int_t)q[WEIR_OUTBOX_FAILED], "since_last_run", "delivered",
        (json_int_t)since[WEIR_OUTBOX_DELIVERED], "discarded",
        (json_int_t)since[WEIR_OUTBOX_DISCARDED], "superseded",
        (json_int_t)since[WEIR_OUTBOX_SUPERSEDED]);
    free(status);
    if (!o || json_array_append_new(c->pipelines, o))
        return -1;
    return c->details ? add_details(c, o, name, &run, q) : 0;
}

static int on_endpoint(const char *pipeline, const char *sink,
                       const weir_endpoint *e, void *vctx)
{
    status_ctx *c = vctx;
    return json_array_append_new(
        c->endpoints,
        json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:i, s:i}", "pipeline",
                  pipeline, "sink", sink, "health", e->down ? "down" : "up",
                  "since", weir_report_time(e->since), "next_probe",
                  e->down ? weir_report_time(e->next_probe) : json_null(),
                  "error", weir_report_str(e->error), "failures",
                  e->failures, "probes", e->probes));
}

json_t *weir_report_status(weir_state *st, weir_plugins *reg, int details)
{
    status_ctx c = {st, reg, details, json_array(), json_array()};
    json_t *doc = json_pack("{s:s, s:o, s:o}", "state", weir_state_path(st),
                            "pipelines", c.pipelines, "endpoints",
                            c.endpoints);
    if (doc && (weir_state_each_pipeline(st, on_pipeline, &c) ||
                weir_state_each_endpoint(st, on_endpoint, &c))) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}
