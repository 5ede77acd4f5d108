/* ownership.c - <field owner> across pipelines (ownership.h). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "pipeline/ownership.h"

/* Does p's <track> declare who owns `field`? */
static int declares(const weir_pipeline *p, const char *field)
{
    for (char **o = p->track.owners; o && o[0]; o += 2)
        if (strcmp(o[0], field) == 0)
            return 1;
    return 0;
}

/* Warn about p for each field `owner` pipeline q says `system` owns. */
static void check_pair(weir_pipeline *const *ps, size_t i, size_t j,
                       void (*warn)(void *ctx, size_t i, const char *text),
                       void *ctx)
{
    const weir_pipeline *p = ps[i], *q = ps[j];
    for (char **o = q->track.owners; o && o[0]; o += 2) {
        const char *field = o[0], *system = o[1];
        if (strcmp(p->source->system, system) == 0 || declares(p, field))
            continue;
        for (size_t k = 0; k < p->nsinks; k++) {
            const weir_instance_spec *s = p->sinks[k];
            if (strcmp(s->system, system) != 0)
                continue;
            char text[1024];
            snprintf(text, sizeof text,
                     "%s:%ld: warning: sink '%s' sends into %s, which owns %s "
                     "(%s:%ld): records of this pipeline that carry %s would "
                     "overwrite it there; declare <field name=\"%s\" owner=\"%s\"/> "
                     "in its <track> (or leave the field out)",
                     p->file, s->line, s->name, system, field, q->file,
                     q->track.line, field, field, system);
            warn(ctx, i, text);
        }
    }
}

void weir_ownership_check(weir_pipeline *const *ps, size_t n,
                          void (*warn)(void *ctx, size_t i, const char *text),
                          void *ctx)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            if (i != j && ps[i] && ps[j] && ps[i]->source && ps[j]->track.present)
                check_pair(ps, i, j, warn, ctx);
}
