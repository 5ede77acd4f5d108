/* reader.c - a run's source, read one batch ahead when it may be
 * (reader.h). */
#include "config.h"

#include <stdlib.h>

#include "base/worker.h"
#include "engine/reader.h"

struct weir_reader {
    weir_instance *src;
    const char *pipeline;
    int beside;        /* WEIR_PLUGIN_READ_BESIDE */
    weir_batch *ahead; /* (owned) beside: what the worker reads into */
    weir_worker worker;
    int reading;       /* the worker was started and not joined */
    weir_status rc;    /* what its read() returned */
};

/* One read() into `b`, as the run has always made it. */
static weir_status read_into(weir_reader *r, weir_batch *b)
{
    weir_batch_clear(b);
    weir_batch_set_context(b, r->pipeline, r->src->spec->name);
    return r->src->spec->plugin->read(r->src->state, b);
}

static void read_ahead(void *arg)
{
    weir_reader *r = arg;
    r->rc = read_into(r, r->ahead);
}

static void start(weir_reader *r)
{
    r->reading = 1;
    r->src->beside = 1;
    weir_worker_start(&r->worker, read_ahead, r);
}

static void finish(weir_reader *r)
{
    weir_worker_join(&r->worker);
    r->src->beside = 0;
    r->reading = 0;
}

weir_reader *weir_reader_new(weir_instance *src, const char *pipeline,
                             size_t capacity, const weir_secrets *secrets)
{
    weir_reader *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    const weir_plugin *pl = src->spec->plugin;
    r->src = src;
    r->pipeline = pipeline;
    r->beside = pl->abi_minor >= 6 && (pl->flags & WEIR_PLUGIN_READ_BESIDE);
    if (r->beside && !(r->ahead = weir_batch_new(capacity))) {
        free(r);
        return NULL;
    }
    if (r->ahead)
        weir_batch_set_secrets(r->ahead, secrets);
    return r;
}

weir_status weir_reader_next(weir_reader *r, weir_batch *b)
{
    if (!r->beside)
        return read_into(r, b);
    if (!r->reading)
        start(r);
    finish(r);
    weir_status rc = r->rc;
    weir_batch_swap(b, r->ahead);
    if (rc == WEIR_STATUS_OK)
        start(r); /* the next one, while the caller works on this */
    return rc;
}

void weir_reader_free(weir_reader *r)
{
    if (!r)
        return;
    if (r->reading)
        finish(r);
    weir_batch_free(r->ahead);
    free(r);
}
