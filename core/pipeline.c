/* pipeline.c - lookups over a loaded pipeline model. */
#include "config.h"

#include <string.h>

#include "pipeline.h"

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

size_t weir_pipeline_instances(weir_pipeline *p, weir_instance **out,
                               size_t max)
{
    size_t n = 0;
    if (p->source && n < max)
        out[n++] = p->source;
    for (size_t i = 0; i < p->ntransforms && n < max; i++)
        out[n++] = p->transforms[i];
    for (size_t i = 0; i < p->nsinks && n < max; i++)
        out[n++] = p->sinks[i];
    return n;
}

weir_instance *weir_pipeline_find(weir_pipeline *p, const char *name)
{
    weir_instance *all[256];
    size_t n = weir_pipeline_instances(p, all, 256);
    for (size_t i = 0; i < n; i++)
        if (all[i]->name && strcmp(all[i]->name, name) == 0)
            return all[i];
    return NULL;
}

const weir_option_value *weir_instance_option(const weir_instance *inst,
                                              const char *name, size_t nth)
{
    for (size_t i = 0; i < inst->noptions; i++)
        if (strcmp(inst->options[i].name, name) == 0 && nth-- == 0)
            return &inst->options[i];
    return NULL;
}

const weir_option_spec *weir_instance_option_spec(const weir_instance *inst,
                                                  const char *name)
{
    if (!inst->plugin)
        return NULL;
    for (const weir_option_spec *o = inst->plugin->options; o && o->name; o++)
        if (strcmp(o->name, name) == 0 && (!o->kinds || (o->kinds & inst->kind)))
            return o;
    return NULL;
}
