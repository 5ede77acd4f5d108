/* monitor.c - see monitor.h. */
#include "config.h"

#include <stdlib.h>

#include "engine/track.h"
#include "report/monitor.h"
#include "report/values.h"

typedef struct mon_ctx {
    weir_state *st;
    json_t *groups;
    int records;
    size_t limit;    /* records a group lists at most; 0: all */
    json_t *listed;  /* the group's "records" being filled */
} mon_ctx;

/* 1 (stop) once the group lists `limit` records. */
static int on_record(const weir_outbox_row *row, void *vctx)
{
    mon_ctx *c = vctx;
    if (c->limit && json_array_size(c->listed) >= c->limit)
        return 1;
    char *key = row->key ? weir_key_display(row->key) : NULL;
    int rc = json_array_append_new(
        c->listed,
        json_pack("{s:I, s:o, s:i, s:o, s:o, s:o, s:o, s:o}", "id",
                  (json_int_t)row->id, "key", weir_report_str(key),
                  "attempts", row->attempts, "error",
                  weir_report_str(row->error), "next_attempt",
                  row->status == WEIR_OUTBOX_RETRY
                      ? weir_report_time(row->next_attempt)
                      : json_null(),
                  "held_by",
                  weir_report_str(row->status == WEIR_OUTBOX_HELD
                                      ? row->held_by
                                      : NULL),
                  "reenters_at", weir_report_str(row->stage), "waits_for",
                  weir_report_str(row->wait_key)));
    free(key);
    return rc;
}

static int on_group(const weir_monitor_group *g, void *vctx)
{
    mon_ctx *c = vctx;
    json_t *o = json_pack(
        "{s:s, s:s, s:o, s:s, s:o, s:I, s:o, s:o, s:o}", "pipeline",
        g->pipeline, "sink", g->sink, "type", weir_report_str(g->type),
        "status", g->status, "error", weir_report_str(g->error), "count",
        (json_int_t)g->count, "oldest", weir_report_time(g->oldest),
        "newest", weir_report_time(g->newest), "held_by_transform",
        weir_report_str(g->held_by));
    if (!o || json_array_append_new(c->groups, o))
        return -1;
    if (!c->records)
        return 0;
    c->listed = json_array();
    if (json_object_set_new(o, "records", c->listed))
        return -1;
    int rc = weir_state_monitor_records(c->st, g, on_record, c);
    if (rc > 0) /* more than the limit: the count says how many */
        return json_object_set_new(o, "more_records", json_true());
    return rc;
}

json_t *weir_report_monitor(weir_state *st, const char *pipeline,
                            const char *status, const char *type,
                            int records, size_t limit)
{
    mon_ctx c = {st, json_array(), records, limit, NULL};
    json_t *doc = json_pack("{s:o}", "groups", c.groups);
    if (doc && weir_state_monitor(st, pipeline, status, type, on_group, &c)) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}
