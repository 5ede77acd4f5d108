/* endpoint.c - the health of a sink's endpoint (endpoint.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "engine/endpoint.h"
#include "engine/retry.h"
#include "plugin/host.h"
#include "plugin/instance.h"
#include "plugin/plugins.h"

static void set_error(weir_health *h, const char *error)
{
    char *copy = error ? strdup(error) : NULL;
    free(h->error);
    h->error = copy;
    h->ep.error = copy;
}

int weir_health_load(weir_health *h, weir_state *st, const char *pipeline,
                     weir_instance *inst, weir_notices *n)
{
    memset(h, 0, sizeof(*h));
    h->st = st;
    h->pipeline = pipeline;
    h->inst = inst;
    h->n = n;
    if (weir_state_endpoint_get(st, pipeline, inst->spec->name, &h->ep) < 0)
        return -1;
    set_error(h, h->ep.error);
    return 0;
}

void weir_health_clear(weir_health *h)
{
    free(h->error);
    h->error = NULL;
}

/* Store `next` as the endpoint's health unless another worker changed it
 * since it was read; then take that worker's view instead.  1 when
 * `next` was stored (the caller may tell people), 0 when not. */
static int store(weir_health *h, const weir_endpoint *next)
{
    int rc = weir_state_endpoint_set(h->st, h->pipeline, h->inst->spec->name,
                                     next);
    if (rc == 0) {
        const char *error = next->error;
        h->ep = *next;
        h->ep.version++;
        h->ep.error = h->error;
        if (error != h->error)
            set_error(h, error);
        return 1;
    }
    if (rc < 0 || weir_state_endpoint_get(h->st, h->pipeline,
                                          h->inst->spec->name, &h->ep) < 0) {
        weir_log(WEIR_LOG_WARNING, "%s: cannot keep the health of sink '%s' "
                 "in the state: %s", h->pipeline, h->inst->spec->name,
                 weir_error_message(weir_state_error(h->st)));
        h->ep.error = h->error;
        return 0;
    }
    set_error(h, h->ep.error);
    return 0;
}

int weir_health_try(weir_health *h, int64_t now)
{
    if (!h->ep.down)
        return 1;
    if (now < h->ep.next_probe)
        return 0;
    weir_instance *inst = h->inst;
    const weir_plugin *p = inst->spec->plugin;
    if (!WEIR_PLUGIN_HAS(p, probe, 2) || !p->probe)
        return 1;
    weir_host_error_clear(inst);
    if (p->probe(inst->state) == WEIR_STATUS_OK) {
        weir_health_up(h, now);
        return 1;
    }
    const char *why = weir_host_error(inst);
    weir_health_failed(h, now, 1, why ? why : "its probe found it down");
    return 0;
}

void weir_health_learn(weir_health *h, weir_batch *b, int64_t now)
{
    size_t sent = weir_batch_count(b), ok = 0, transient = 0, down = 0;
    const char *error = NULL;
    for (size_t i = 0; i < sent; i++) {
        const weir_record *r = weir_batch_at(b, i);
        ok += r->result == WEIR_RESULT_OK;
        down += r->result == WEIR_RESULT_DOWN;
        transient += r->result == WEIR_RESULT_RETRY || r->result == WEIR_RESULT_DOWN;
        if (!error && (r->result == WEIR_RESULT_DOWN || r->result == WEIR_RESULT_RETRY))
            error = r->message;
    }
    if (!sent)
        return;
    if (ok || transient < sent)
        weir_health_up(h, now);
    else
        weir_health_failed(h, now, down > 0, error);
}

void weir_health_up(weir_health *h, int64_t now)
{
    if (!h->ep.down && !h->ep.failures)
        return;
    weir_endpoint next = h->ep;
    next.failures = 0;
    int came_back = next.down;
    if (came_back) {
        next.down = 0;
        next.probes = 0;
        next.since = now;
        next.error = NULL;
    }
    if (store(h, &next) && came_back)
        weir_notices_endpoint(h->n, h->inst->spec->name, 0, NULL);
}

void weir_health_failed(weir_health *h, int64_t now, int down,
                        const char *error)
{
    const weir_retry_policy *pol = &h->inst->spec->retry;
    weir_endpoint next = h->ep;
    next.failures++;
    int went_down = 0;
    if (next.down) { /* a probe failed: wait longer */
        next.probes++;
        next.next_probe =
            now + weir_retry_wait_ms(pol, next.probes + 1, weir_retry_random());
        next.error = error;
    } else if (down || next.failures >= pol->down_after) {
        went_down = 1;
        next.down = 1;
        next.probes = 0;
        next.since = now;
        next.next_probe = now + weir_retry_wait_ms(pol, 1, weir_retry_random());
        next.error = error;
    }
    if (store(h, &next) && went_down)
        weir_notices_endpoint(h->n, h->inst->spec->name, 1, error);
}
