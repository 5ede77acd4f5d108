/* sink_identity.c - see sink_identity.h. */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <xxhash.h>

#include "engine/sink_identity.h"

/* An option's value as the identity shows it: a secret only hashed. */
static json_t *identity_value(const weir_option_value *o)
{
    if (!o->secret)
        return json_string(o->value);
    char hashed[64];
    snprintf(hashed, sizeof(hashed), "(from the environment, %016" PRIx64 ")",
             (uint64_t)XXH3_64bits(o->value, strlen(o->value)));
    return json_string(hashed);
}

char *weir_sink_identity(const weir_instance_spec *sink)
{
    json_t *options = json_object();
    for (size_t i = 0; options && i < sink->noptions; i++) {
        const weir_option_value *o = &sink->options[i];
        const weir_option_spec *spec = weir_instance_option_spec(sink, o->name);
        if (!spec || !(spec->flags & WEIR_OPTION_REQUIRED))
            continue;
        json_t *v = identity_value(o);
        json_t *have = json_object_get(options, o->name);
        if (have && !json_is_array(have)) { /* repeatable: a list */
            json_t *list = json_pack("[O]", have);
            json_object_set_new(options, o->name, list);
            have = list;
        }
        if (have)
            json_array_append_new(have, v);
        else
            json_object_set_new(options, o->name, v);
    }
    json_t *doc = options ? json_pack("{s:s, s:o}", "plugin", sink->plugin_name,
                                      "options", options)
                          : NULL;
    char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(doc);
    return text;
}

int weir_sink_identity_record(weir_state *st, const weir_pipeline *p)
{
    for (size_t i = 0; i < p->nsinks; i++) {
        char *id = weir_sink_identity(p->sinks[i]);
        int rc = id ? weir_state_set_sink_identity(st, p->name,
                                                   p->sinks[i]->name, id)
                    : -1;
        free(id);
        if (rc)
            return -1;
    }
    return 0;
}

typedef struct check_ctx {
    weir_state *st;
    const weir_pipeline *p;
    char *why;
} check_ctx;

static char *describe(const char *fmt, ...) WEIR_PRINTF(1, 2);
static char *describe(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *out = NULL;
    if (vasprintf(&out, fmt, ap) < 0)
        out = NULL;
    va_end(ap);
    return out;
}

static int check_sink(const char *name, int64_t rows, void *vctx)
{
    check_ctx *c = vctx;
    const weir_pipeline *p = c->p;
    const weir_instance_spec *sink = NULL;
    for (size_t i = 0; i < p->nsinks && !sink; i++)
        if (strcmp(p->sinks[i]->name, name) == 0)
            sink = p->sinks[i];
    if (!sink) {
        c->why = describe("%lld undelivered record%s of pipeline '%s' %s "
                          "for sink '%s', which %s does not have",
                          (long long)rows, rows == 1 ? "" : "s", p->name,
                          rows == 1 ? "is" : "are", name, p->file);
        return c->why ? 1 : -1;
    }
    char *then = NULL;
    int rc = weir_state_sink_identity(c->st, p->name, name, &then);
    if (rc != 0)
        return rc < 0 ? -1 : 0; /* never recorded: nothing to compare */
    char *now = weir_sink_identity(sink);
    if (!now) {
        free(then);
        return -1;
    }
    if (strcmp(then, now) != 0) {
        c->why = describe("sink '%s' of pipeline '%s' in %s writes to %s; "
                          "its %lld undelivered record%s %s queued for %s",
                          name, p->name, p->file, now, (long long)rows,
                          rows == 1 ? "" : "s", rows == 1 ? "was" : "were",
                          then);
        rc = c->why ? 1 : -1;
    }
    free(then);
    free(now);
    return rc;
}

int weir_sink_identity_check(weir_state *st, const weir_pipeline *p,
                             char **why)
{
    check_ctx c = {st, p, NULL};
    int rc = weir_state_outbox_open_sinks(st, p->name, check_sink, &c);
    *why = c.why;
    return rc;
}
