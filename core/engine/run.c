/* run.c - one execution of a pipeline (run.h). */
#include "config.h"

#include <stdlib.h>

#include "engine/run.h"

weir_run *weir_run_new(weir_pipeline *p, weir_state *st,
                       const volatile sig_atomic_t *cancel)
{
    weir_run *r = calloc(1, sizeof(*r));
    if (!r || !(r->in = weir_instances_new(p, st))) {
        free(r);
        return NULL;
    }
    r->p = weir_pipeline_ref(p);
    r->cancel = cancel;
    return r;
}

void weir_run_free(weir_run *r)
{
    if (!r)
        return;
    weir_instances_free(r->in);
    weir_pipeline_unref(r->p);
    free(r);
}
