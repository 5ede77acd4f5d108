/* instance.c - a run's plugin instances (instance.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "plugin/host.h"
#include "plugin/instance.h"

weir_instances *weir_instances_new(weir_pipeline *p, weir_state *st)
{
    weir_instances *in = calloc(1, sizeof(*in));
    if (!in || !(in->all = calloc(p->nall ? p->nall : 1, sizeof(*in->all)))) {
        free(in);
        return NULL;
    }
    in->p = p;
    in->st = st;
    for (size_t i = 0; i < p->nall; i++) {
        in->all[i].spec = p->all[i];
        in->all[i].run = in;
    }
    /* p->all holds the source, the transforms, the sinks, the notifiers
     * in this order */
    in->source = p->source ? in->all : NULL;
    in->transforms = in->all + (p->source != NULL);
    in->sinks = in->transforms + p->ntransforms;
    in->notifiers = in->sinks + p->nsinks;
    return in;
}

void weir_instance_close(weir_instance *inst)
{
    if (!inst->opened)
        return;
    inst->spec->plugin->close(inst->state);
    inst->opened = 0;
    inst->state = NULL;
}

void weir_instances_close(weir_instances *in)
{
    for (size_t i = in->p->nall; i-- > 0;)
        weir_instance_close(&in->all[i]);
}

void weir_instances_free(weir_instances *in)
{
    if (!in)
        return;
    weir_instances_close(in);
    weir_host_drop_plugin_state(in);
    for (size_t i = 0; i < in->p->nall; i++)
        weir_host_error_clear(&in->all[i]);
    for (size_t i = 0; i < in->ncreating; i++)
        free(in->creating[i]);
    free(in->creating);
    free(in->all);
    free(in);
}

/* A run creates few objects (a CRM's new accounts since the last run): a
 * list is enough. */
int weir_instances_creating(const weir_instances *in, const char *link)
{
    for (size_t i = 0; i < in->ncreating; i++)
        if (strcmp(in->creating[i], link) == 0)
            return 1;
    return 0;
}

int weir_instances_add_creating(weir_instances *in, const char *link)
{
    if (in->ncreating == in->capcreating) {
        size_t cap = in->capcreating ? in->capcreating * 2 : 16;
        char **v = realloc(in->creating, cap * sizeof(*v));
        if (!v)
            return -1;
        in->creating = v;
        in->capcreating = cap;
    }
    size_t len = strlen(link) + 1;
    if (!(in->creating[in->ncreating] = malloc(len)))
        return -1;
    memcpy(in->creating[in->ncreating++], link, len);
    return 0;
}
