/* pipeline.c - lookups over a loaded pipeline model. */
#include "config.h"

#include <string.h>

#include "pipeline/pipeline.h"

const char *weir_event_name(unsigned event)
{
    switch (event) {
    case WEIR_EVENT_REJECTED: return "rejected";
    case WEIR_EVENT_ENDPOINT_DOWN: return "endpoint-down";
    case WEIR_EVENT_ENDPOINT_UP: return "endpoint-up";
    case WEIR_EVENT_RUN_FAILED: return "run-failed";
    }
    return NULL;
}

const char *weir_kind_name(weir_kind kind)
{
    switch (kind) {
    case WEIR_KIND_SOURCE: return "source";
    case WEIR_KIND_TRANSFORM: return "transform";
    case WEIR_KIND_SINK: return "sink";
    case WEIR_KIND_NOTIFIER: return "notifier";
    }
    return "plugin";
}

const char *weir_pipeline_record_type(const weir_pipeline *p,
                                      const weir_record *r)
{
    if (p->type_field) {
        const char *t = weir_record_get(r, p->type_field, NULL);
        if (t)
            return t;
    }
    return p->type;
}

weir_instance_spec *weir_pipeline_find(const weir_pipeline *p,
                                       const char *name)
{
    for (size_t i = 0; i < p->nall; i++)
        if (p->all[i]->name && strcmp(p->all[i]->name, name) == 0)
            return p->all[i];
    return NULL;
}

const weir_option_value *weir_instance_option(const weir_instance_spec *inst,
                                              const char *name, size_t nth)
{
    for (size_t i = 0; i < inst->noptions; i++)
        if (strcmp(inst->options[i].name, name) == 0 && nth-- == 0)
            return &inst->options[i];
    return NULL;
}

const weir_option_spec *
weir_instance_option_spec(const weir_instance_spec *inst, const char *name)
{
    if (!inst->plugin)
        return NULL;
    const weir_option_spec *o;
    WEIR_EACH_OPTION(o, inst->plugin, o_i)
        if (strcmp(o->name, name) == 0 && (!o->kinds || (o->kinds & inst->kind)))
            return o;
    return NULL;
}
