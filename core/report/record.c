/* record.c - see record.h. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "base/clock.h"
#include "engine/track.h"
#include "report/record.h"
#include "report/values.h"

int weir_report_record_id(const char *text, int64_t *id)
{
    if (!(text[0] >= '0' && text[0] <= '9'))
        return -1; /* no sign, no blanks: strtoll would take them */
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (*end || errno == ERANGE || v <= 0)
        return -1;
    *id = v;
    return 0;
}

typedef struct record_ctx {
    json_t *doc, *history;
} record_ctx;

void weir_report_record_times(const weir_outbox_row *row,
                              weir_report_times *t)
{
    weir_clock_iso(row->created, t->created, sizeof(t->created));
    weir_clock_iso(row->updated, t->updated, sizeof(t->updated));
    t->next[0] = '\0';
    if ((row->status == WEIR_OUTBOX_RETRY || row->status == WEIR_OUTBOX_HELD) &&
        row->next_attempt > 0)
        weir_clock_iso(row->next_attempt, t->next, sizeof(t->next));
}

static int on_row(const weir_outbox_row *row, void *ctx)
{
    json_t **doc = &((record_ctx *)ctx)->doc;
    weir_report_times t;
    weir_report_record_times(row, &t);
    char *key = row->key ? weir_key_display(row->key) : NULL;
    json_t *payload = json_loads(row->payload, JSON_ALLOW_NUL, NULL);
    *doc = json_pack(
            "{s:I, s:s, s:s, s:o, s:s, s:o, s:s, s:i, s:o, s:o, s:o, s:s, "
            "s:o, s:o, s:o, s:s, s:s, s:o}",
            "id", (json_int_t)row->id, "pipeline", row->pipeline, "sink",
            row->sink, "key", weir_report_str(key), "op", row->op, "type",
            weir_report_str(row->type), "status",
            weir_outbox_status_name(row->status), "attempts", row->attempts,
            "next_attempt", weir_report_str(t.next[0] ? t.next : NULL), "error",
            weir_report_str(row->error), "held_by",
            weir_report_str(row->status == WEIR_OUTBOX_HELD ? row->held_by
                                                            : NULL),
            "idempotency_key", row->idem, "reenters_at",
            weir_report_str(row->stage), "waits_for",
            weir_report_str(row->wait_key), "assigned_id",
            weir_report_str(row->assigned_id), "created", t.created, "updated",
            t.updated, "payload", payload ? payload : json_null());
    /* what changed since the values <track changes="keep"> last passed on;
     * why an unchanged record was sent again */
    json_t *changes = row->changes ? json_loads(row->changes, 0, NULL) : NULL;
    if (*doc && (json_object_set_new(*doc, "changes",
                                     changes ? changes : json_null()) ||
                 json_object_set_new(*doc, "resent",
                                     weir_report_str(row->resent)))) {
        json_decref(*doc);
        *doc = NULL;
    }
    free(key);
    return *doc ? 0 : -1;
}

static int on_attempt(const char *at, const char *result, const char *message,
                      void *ctx)
{
    return json_array_append_new(((record_ctx *)ctx)->history,
                                 json_pack("{s:s, s:s, s:o}", "at", at,
                                           "result", result, "message",
                                           weir_report_str(message)));
}

int weir_report_record(weir_state *st, int64_t id, json_t **doc)
{
    record_ctx c = {NULL, json_array()};
    int rc = weir_state_outbox_get(st, id, on_row, on_attempt, &c);
    if (rc == 0 && json_object_set(c.doc, "history", c.history))
        rc = -1;
    json_decref(c.history);
    if (rc != 0) {
        json_decref(c.doc);
        c.doc = NULL;
    }
    *doc = c.doc;
    return rc;
}
