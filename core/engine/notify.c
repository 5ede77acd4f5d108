#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/clock.h"
#include "base/log.h"
#include "engine/notify.h"
#include "engine/track.h"
#include "plugin/event.h"
#include "plugin/instance.h"

/* Per-record lines on stderr, and records in one digest event. */
#define MAX_REPORTED 100
#define MAX_DIGEST 100

struct weir_notices {
    weir_pipeline *p;
    weir_instances *in;
    size_t reported;
    json_t *digest;     /* array of records */
    size_t digest_total;
    json_t *events;     /* other events, in order */
};

weir_notices *weir_notices_new(weir_instances *in)
{
    weir_notices *n = calloc(1, sizeof(*n));
    if (!n)
        return NULL;
    n->p = in->p;
    n->in = in;
    n->digest = json_array();
    n->events = json_array();
    return n;
}

void weir_notices_free(weir_notices *n)
{
    if (!n)
        return;
    json_decref(n->digest);
    json_decref(n->events);
    free(n);
}

/* The web monitor's address (weir_notify_set_monitor_url). */
static pthread_mutex_t monitor_lock = PTHREAD_MUTEX_INITIALIZER;
static char *monitor_url;

void weir_notify_set_monitor_url(const char *base)
{
    char *copy = base ? strdup(base) : NULL;
    for (size_t n = copy ? strlen(copy) : 0; n > 0 && copy[n - 1] == '/'; n--)
        copy[n - 1] = '\0'; /* "BASE/#pipeline=..." */
    pthread_mutex_lock(&monitor_lock);
    char *old = monitor_url;
    monitor_url = copy;
    pthread_mutex_unlock(&monitor_lock);
    free(old);
}

/* `s` percent-encoded into f, as a value of the page's #name=value&...
 * (only letters, digits and -._~ as they are). */
static void put_encoded(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || strchr("-._~", c))
            fputc(c, f);
        else
            fprintf(f, "%%%02X", c);
    }
}

/* Set "monitor" on event `e` to the page of the pipeline and, when
 * `sink` is given, of that sink's records; nothing while no monitor. */
static void add_monitor_link(json_t *e, const char *pipeline,
                             const char *sink)
{
    char *text = NULL;
    size_t len = 0;
    pthread_mutex_lock(&monitor_lock);
    FILE *f = monitor_url ? open_memstream(&text, &len) : NULL;
    if (f) {
        fprintf(f, "%s/#pipeline=", monitor_url);
        put_encoded(f, pipeline);
        if (sink) {
            fputs("&sink=", f);
            put_encoded(f, sink);
        }
    }
    pthread_mutex_unlock(&monitor_lock);
    if (f && fclose(f) == 0)
        json_object_set_new(e, "monitor", json_string(text));
    free(text);
}

static json_t *event_base(weir_notices *n, const char *type)
{
    char now[32];
    weir_clock_iso(weir_clock_now_ms(), now, sizeof(now));
    return json_pack("{s:s, s:s, s:s}", "event", type, "pipeline", n->p->name,
                     "time", now);
}

void weir_notices_record(weir_notices *n, const weir_record *r,
                         const char *what, const char *stage_kind,
                         const char *stage, const char *message)
{
    char *key = r->key ? weir_key_display(r->key) : NULL;
    if (n->reported < MAX_REPORTED) {
        char where[64] = "";
        if (r->origin > 0)
            snprintf(where, sizeof(where), ":%ld", r->origin);
        weir_log(WEIR_LOG_WARNING, "%s/%s%s%s%s: %s by %s '%s': %s", n->p->name,
                 n->p->source->name, where, key ? " key " : "",
                 key ? key : "", what, stage_kind, stage,
                 message ? message : "(no reason given)");
    } else if (n->reported == MAX_REPORTED) {
        weir_log(WEIR_LOG_WARNING, "%s: more records with problems; not "
                 "shown (see the summary and `weir monitor`)", n->p->name);
    }
    n->reported++;
    int digest = strcmp(what, "rejected") == 0 || strcmp(what, "failed") == 0;
    if (digest && n->digest_total++ < MAX_DIGEST) {
        /* `sink` only for a sink's records: those are in the outbox, and
         * `weir resend --sink S --type T --error TEXT` picks them. */
        json_t *rec = json_pack(
            "{s:s, s:s, s:s?, s:I, s:s?}", "status", what, "stage", stage,
            "key", key, "line", (json_int_t)r->origin, "error", message);
        if (rec && strcmp(stage_kind, "sink") == 0)
            json_object_set_new(rec, "sink", json_string(stage));
        const char *type = weir_pipeline_record_type(n->p, r);
        if (rec && type)
            json_object_set_new(rec, "type", json_string(type));
        json_array_append_new(n->digest, rec);
    }
    free(key);
}

void weir_notices_endpoint(weir_notices *n, const char *sink, int down,
                           const char *error)
{
    weir_log(down ? WEIR_LOG_WARNING : WEIR_LOG_INFO,
             "%s: endpoint of sink '%s' is %s%s%s", n->p->name, sink,
             down ? "down; its records are held" : "back up",
             down && error ? ": " : "", down && error ? error : "");
    json_t *e = event_base(n, down ? "endpoint-down" : "endpoint-up");
    json_object_set_new(e, "sink", json_string(sink));
    if (down && error)
        json_object_set_new(e, "error", json_string(error));
    add_monitor_link(e, n->p->name, sink);
    json_array_append_new(n->events, e);
}

void weir_notices_run_failed(weir_notices *n, const char *error)
{
    json_t *e = event_base(n, "run-failed");
    json_object_set_new(e, "error", json_string(error ? error : "unknown"));
    add_monitor_link(e, n->p->name, NULL);
    json_array_append_new(n->events, e);
}

static unsigned event_bit(const char *type)
{
    for (unsigned e = 1; e <= WEIR_EVENT_RUN_FAILED; e <<= 1)
        if (strcmp(type, weir_event_name(e)) == 0)
            return e;
    return 0;
}

static void deliver_event(weir_notices *n, json_t *e)
{
    const char *type = json_string_value(json_object_get(e, "event"));
    unsigned bit = event_bit(type);
    char *json = json_dumps(e, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!json)
        return;
    struct weir_event ev = {type, json};
    for (size_t i = 0; i < n->p->nnotifiers; i++) {
        weir_instance *inst = &n->in->notifiers[i];
        if (!inst->opened || !(inst->spec->events & bit))
            continue;
        if (inst->spec->plugin->notify(inst->state, &ev) != WEIR_STATUS_OK)
            weir_log(WEIR_LOG_WARNING, "%s: notifier '%s' could not deliver "
                     "the %s event", n->p->name, inst->spec->name, type);
    }
    free(json);
}

void weir_notices_send(weir_notices *n)
{
    if (n->digest_total) {
        json_t *e = event_base(n, "rejected");
        json_object_set_new(e, "count", json_integer((json_int_t)n->digest_total));
        add_monitor_link(e, n->p->name, NULL);
        json_object_set(e, "records", n->digest);
        deliver_event(n, e);
        json_decref(e);
    }
    size_t i;
    json_t *e;
    json_array_foreach(n->events, i, e)
        deliver_event(n, e);
}
