/*
 * host.c - the weir_host table: the core as plugins see it.
 *
 * Every entry is a thin adapter over the core's own modules, so the
 * plugin ABI stays independent of how the core is built inside.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/duration.h"
#include "base/log.h"
#include "base/secrets.h"
#include "base/utf8.h"
#include "store/created_link.h"
#include "pipeline/pipeline.h"
#include "plugin/event.h"
#include "plugin/host.h"
#include "plugin/instance.h"
#include "plugin/options.h"
#include "record/record.h"
#include "store/state.h"
#include "store/xref.h"

static void host_logv(weir_instance *inst, weir_log_level level,
                      const char *fmt, va_list ap);

static void host_log(weir_instance *inst, weir_log_level level,
                     const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    host_logv(inst, level, fmt, ap);
    va_end(ap);
}

/* Every entry that reads configuration reads the shared spec; only the
 * plugin's errors and state belong to the instance of the run. */
static const char *host_instance_name(weir_instance *inst)
{
    return inst->spec->name;
}
static const char *host_pipeline_name(weir_instance *inst)
{
    return inst->spec->pipeline->name;
}
static const char *host_system_name(weir_instance *inst)
{
    return inst->spec->system;
}

static const char *host_option(weir_instance *inst, const char *name)
{
    const weir_option_value *v = weir_instance_option(inst->spec, name, 0);
    if (v)
        return v->value;
    const weir_option_spec *s = weir_instance_option_spec(inst->spec, name);
    return s ? s->default_value : NULL;
}

/* Only what the pipeline file gave counts and is walked here; processed
 * defaults (kept as options) are for host_option() alone. */
static size_t host_option_count(weir_instance *inst, const char *name)
{
    size_t n = 0;
    const weir_option_value *v;
    while ((v = weir_instance_option(inst->spec, name, n)) && !v->is_default)
        n++;
    return n;
}

static const char *host_option_at(weir_instance *inst, const char *name,
                                  size_t i)
{
    const weir_option_value *v = weir_instance_option(inst->spec, name, i);
    return v && !v->is_default ? v->value : NULL;
}

static int host_option_bool(weir_instance *inst, const char *name, int *out)
{
    const char *v = host_option(inst, name);
    return v ? weir_parse_bool(v, out) : -1;
}

static int host_option_int(weir_instance *inst, const char *name,
                           long long *out)
{
    const char *v = host_option(inst, name);
    return v ? weir_parse_int(v, out) : -1;
}

static int host_option_duration(weir_instance *inst, const char *name,
                                long long *out)
{
    const char *v = host_option(inst, name);
    return v ? weir_duration_parse(v, out) : -1;
}

static const weir_node *host_config_first(weir_instance *inst)
{
    return inst->spec->config;
}
static const weir_node *host_node_next(const weir_node *n) { return n->next; }
static const weir_node *host_node_first_child(const weir_node *n)
{
    return n->child;
}
static const char *host_node_name(const weir_node *n) { return n->name; }
static const char *host_node_text(const weir_node *n) { return n->text; }

static const char *host_node_attr(const weir_node *n, const char *name)
{
    for (size_t i = 0; n->attrs && n->attrs[i]; i += 2)
        if (strcmp(n->attrs[i], name) == 0)
            return n->attrs[i + 1];
    return NULL;
}

static const char *host_node_attr_at(const weir_node *n, size_t i,
                                     const char **name)
{
    int have = i < n->nattrs;
    if (name)
        *name = have ? n->attrs[2 * i] : NULL;
    return have ? n->attrs[2 * i + 1] : NULL;
}

static void host_node_error(weir_instance *inst, const weir_node *node,
                            const char *fmt, ...)
{
    const weir_instance_spec *spec = inst->spec;
    const weir_pipeline *p = spec->pipeline;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    long line = node ? node->line : spec->line;
    if (p->diag)
        weir_diag_add(p->diag, p->file, line, "%s '%s': %s",
                      weir_kind_name(spec->kind), spec->name, msg);
    else
        weir_log(WEIR_LOG_ERROR, "%s:%ld: %s '%s': %s", p->file, line,
                 weir_kind_name(spec->kind), spec->name, msg);
}

static size_t host_batch_count(const weir_batch *b) { return weir_batch_count(b); }
static weir_record *host_batch_at(weir_batch *b, size_t i)
{
    return weir_batch_at(b, i);
}
static size_t host_batch_room(const weir_batch *b) { return weir_batch_room(b); }
static weir_record *host_batch_add(weir_batch *b) { return weir_batch_add(b); }

static size_t host_field_count(const weir_record *r) { return r->nfields; }
static const char *host_field_name(const weir_record *r, size_t i)
{
    return i < r->nfields ? r->fields[i].name : NULL;
}
static const char *host_field_value(const weir_record *r, size_t i, size_t *len)
{
    if (i >= r->nfields) {
        if (len)
            *len = 0;
        return NULL;
    }
    if (len)
        *len = r->fields[i].len;
    return r->fields[i].value;
}
static weir_op host_record_op(const weir_record *r) { return r->op; }
static const char *host_record_key(const weir_record *r) { return r->key; }
static void host_set_origin(weir_record *r, long line) { r->origin = line; }

static void host_answerf(weir_record *r, weir_result result, const char *fmt,
                         ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    weir_record_answer(r, result, msg, NULL);
}

/* Plugin state writes wait in memory until the engine commits the run's
 * next transaction, so a source's watermark never runs ahead of the
 * records delivered or queued (weir_host_commit_plugin_state). */
typedef struct pending_kv {
    struct pending_kv *next;
    weir_instance *inst;
    char *key, *value;
} pending_kv;

static pending_kv *find_in(pending_kv *list, const weir_instance *inst,
                           const char *key)
{
    for (pending_kv *k = list; k; k = k->next)
        if (k->inst == inst && strcmp(k->key, key) == 0)
            return k;
    return NULL;
}

/* The value `inst` set for `key` and is not committed: pending (which
 * a later state_set() changes), else parked. */
static pending_kv *find_pending(weir_instance *inst, const char *key)
{
    pending_kv *k = find_in(inst->run->pending, inst, key);
    return k ? k : find_in(inst->run->parked, inst, key);
}

/* The store of the run `inst` belongs to: none in check() or a dry run. */
static weir_state *store_of(const weir_instance *inst)
{
    return inst->run ? inst->run->st : NULL;
}

/* A source reading or a sink writing beside the run's thread
 * (WEIR_PLUGIN_READ_BESIDE, WEIR_PLUGIN_WRITE_BESIDE) may not use the
 * state or the run's shared lists, which are that thread's: 1 (logged)
 * when `inst` is one. */
static int refused_beside(const weir_instance *inst, const char *what)
{
    if (!inst->beside)
        return 0;
    int sink = inst->spec->kind == WEIR_KIND_SINK;
    weir_log(WEIR_LOG_ERROR, "%s: %s '%s' (plugin %s) declares "
             "WEIR_PLUGIN_%s_BESIDE, so its %s() cannot call %s",
             inst->spec->pipeline->name, weir_kind_name(inst->spec->kind),
             inst->spec->name, inst->spec->plugin_name,
             sink ? "WRITE" : "READ", sink ? "write" : "read", what);
    return 1;
}
static int host_state_get(weir_instance *inst, const char *key, char **value)
{
    *value = NULL;
    if (refused_beside(inst, "state_get()"))
        return -1;
    weir_state *st = store_of(inst);
    if (!st)
        return -1;
    pending_kv *k = find_pending(inst, key);
    if (k) {
        *value = k->value ? strdup(k->value) : NULL;
        return k->value ? (*value ? 0 : -1) : 1;
    }
    return weir_state_kv_get(st, inst->spec->pipeline->name, inst->spec->name,
                             key, value);
}

static int host_state_set(weir_instance *inst, const char *key,
                          const char *value)
{
    if (refused_beside(inst, "state_set()"))
        return -1;
    if (!store_of(inst))
        return -1;
    pending_kv *k = find_in(inst->run->pending, inst, key);
    if (!k) {
        k = calloc(1, sizeof(*k));
        if (!k || !(k->key = strdup(key))) {
            free(k);
            return -1;
        }
        k->inst = inst;
        k->next = inst->run->pending;
        inst->run->pending = k;
    }
    char *copy = value ? strdup(value) : NULL;
    if (value && !copy)
        return -1;
    free(k->value);
    k->value = copy;
    return 0;
}

/* Write the values of `*list` (newest first) to `st` (NULL: none),
 * oldest first, so that of a key set twice the newer stays; drop them
 * all. */
static int take_pending(weir_instances *in, pending_kv **list, weir_state *st)
{
    pending_kv *rev = NULL; /* the list is newest first */
    while (*list) {
        pending_kv *k = *list;
        *list = k->next;
        k->next = rev;
        rev = k;
    }
    int rc = 0;
    while (rev) {
        pending_kv *k = rev;
        if (!rc && st && weir_state_kv_set(st, in->p->name, k->inst->spec->name,
                                           k->key, k->value) != 0)
            rc = -1;
        rev = k->next;
        free(k->key);
        free(k->value);
        free(k);
    }
    return rc;
}

int weir_host_commit_plugin_state(weir_instances *in)
{
    return take_pending(in, &in->pending, in->st);
}

void weir_host_drop_plugin_state(weir_instances *in)
{
    take_pending(in, &in->pending, NULL);
    take_pending(in, &in->parked, NULL);
}

void weir_host_park_plugin_state(weir_instances *in)
{
    if (!in->pending)
        return;
    pending_kv *last = in->pending;
    while (last->next)
        last = last->next;
    last->next = in->parked; /* both newest first: the newer in front */
    in->parked = in->pending;
    in->pending = NULL;
}

int weir_host_commit_parked_plugin_state(weir_instances *in)
{
    return take_pending(in, &in->parked, in->st);
}

/* The secrets of the pipeline `inst` belongs to (nullable). */
static const weir_secrets *secrets_of(const weir_instance *inst)
{
    return inst ? inst->spec->pipeline->secrets : NULL;
}

/* *slot becomes the formatted text, the pipeline's secrets masked (owned;
 * NULL out of memory).  `ap` is left for the caller to use again. */
static void keep_masked(const weir_instance *inst, char **slot,
                        const char *fmt, va_list ap)
{
    char raw[1024], masked[1024];
    va_list copy;
    va_copy(copy, ap);
    vsnprintf(raw, sizeof(raw), fmt, copy);
    va_end(copy);
    weir_secrets_mask(secrets_of(inst), raw, masked, sizeof(masked));
    /* a target's answer in it may be no UTF-8: the reason goes into
     * JSON (weir status --json dropped the endpoint) */
    weir_utf8_sanitize(masked);
    free(*slot);
    *slot = strdup(masked);
}

void weir_host_error_clear(weir_instance *inst)
{
    free(inst->error);
    free(inst->last_error);
    inst->error = inst->last_error = NULL;
}

const char *weir_host_error(const weir_instance *inst)
{
    return inst->error ? inst->error : inst->last_error;
}

static void host_set_error(weir_instance *inst, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    keep_masked(inst, &inst->error, fmt, ap);
    va_end(ap);
}

static void host_logv(weir_instance *inst, weir_log_level level,
                      const char *fmt, va_list ap)
{
    /* the reason of a plugin built before host->set_error() (ABI 1.2) */
    if (inst && level == WEIR_LOG_ERROR)
        keep_masked(inst, &inst->last_error, fmt, ap);
    char prefix[256];
    snprintf(prefix, sizeof(prefix), "%s/%s",
             inst && inst->spec->pipeline->name ? inst->spec->pipeline->name
                                                : "?",
             inst && inst->spec->name ? inst->spec->name : "?");
    weir_logv(level, prefix, secrets_of(inst), fmt, ap);
}

static int host_record_attempt(const weir_record *r) { return r->attempt; }

static void host_record_retry_after(weir_record *r, long long ms)
{
    r->retry_after_ms = ms > 0 ? ms : 0;
}

static const char *host_event_type(const weir_event *e) { return e->type; }
static const char *host_event_json(const weir_event *e) { return e->json; }

static int host_option_is_secret(weir_instance *inst, const char *name)
{
    const weir_option_value *v = weir_instance_option(inst->spec, name, 0);
    return v && v->secret;
}

/* ---- links (ABI 1.4) ------------------------------------------------- */

static const char *host_source_system(weir_instance *inst)
{
    return inst->spec->pipeline->source->system;
}

/* The store failed: say so as the plugin's error (its record is retried). */
static int link_failed(weir_instance *inst, const char *what)
{
    const weir_error *e = weir_state_error(store_of(inst));
    host_log(inst, WEIR_LOG_ERROR, "%s: %s", what, e && e->message ? e->message : "the state store failed");
    return -1;
}

static int host_link_get(weir_instance *inst, const char *entity,
                         const char *from, const char *id, const char *to,
                         char **to_id)
{
    *to_id = NULL;
    if (refused_beside(inst, "link_get()"))
        return -1;
    weir_state *st = store_of(inst);
    if (!st)
        return 1; /* no state (a dry run of a new pipeline): no links */
    int rc = weir_xref_get(st, entity, (weir_xref_end){from, id}, to, to_id);
    return rc < 0 ? link_failed(inst, "cannot read the cross-reference") : rc;
}

static int host_link_generate(weir_instance *inst, const char *entity,
                              const char *from, const char *id,
                              const char *to, const char *prefix, int digits,
                              char **to_id)
{
    *to_id = NULL;
    if (refused_beside(inst, "link_generate()"))
        return -1;
    weir_state *st = store_of(inst);
    if (!st || inst->run->dry_run) {
        /* what it would be, not yet taken */
        size_t lp = strlen(prefix);
        if (digits < 0 || !(*to_id = malloc(lp + (size_t)digits + 1)))
            return -1;
        memcpy(*to_id, prefix, lp);
        memset(*to_id + lp, '?', (size_t)digits);
        (*to_id)[lp + (size_t)digits] = '\0';
        return 0;
    }
    if (weir_state_begin(st))
        return link_failed(inst, "cannot generate an id");
    char *made = weir_xref_generate(st, entity, to, prefix, digits);
    if (!made || weir_xref_add(st, entity, (weir_xref_end){from, id},
                               (weir_xref_end){to, made}, WEIR_XREF_GENERATED) ||
        weir_state_commit(st)) {
        free(made);
        link_failed(inst, "cannot generate an id");
        weir_state_rollback(st);
        return -1;
    }
    *to_id = made;
    return 0;
}

typedef struct link_walk {
    const char *a;
    int (*fn)(void *ctx, const char *a_id, const char *b_id,
              const char *origin, long long created);
    void *ctx;
} link_walk;

static int link_step(const weir_xref_link *l, void *ctx)
{
    link_walk *w = ctx;
    int a_first = strcmp(l->a.system, w->a) == 0;
    return w->fn(w->ctx, a_first ? l->a.id : l->b.id, a_first ? l->b.id : l->a.id,
                 weir_xref_origin_name(l->origin), (long long)l->created);
}

static int host_link_each(weir_instance *inst, const char *entity,
                          const char *a, const char *b,
                          int (*fn)(void *ctx, const char *a_id,
                                    const char *b_id, const char *origin,
                                    long long created),
                          void *ctx)
{
    if (refused_beside(inst, "link_each()"))
        return -1;
    weir_state *st = store_of(inst);
    if (!st)
        return 0;
    link_walk w = {a, fn, ctx};
    int64_t last = 0;
    int rc = weir_xref_each_since(st, entity, a, b, 0, &last, link_step, &w);
    return rc < 0 ? link_failed(inst, "cannot read the cross-reference") : rc;
}

static int host_link_create(weir_instance *inst, weir_record *r,
                            const char *entity, const char *from,
                            const char *id, const char *to)
{
    if (refused_beside(inst, "link_create()"))
        return -1;
    char link[1024];
    if (weir_created_link_text(entity, from, id, to, link, sizeof link)) {
        host_log(inst, WEIR_LOG_ERROR, "cannot create %s %s %s in %s: the id is "
                 "too long or holds a control character", from, entity, id, to);
        return -1;
    }
    /* Only the acknowledgement of a sink of system `to` makes the link:
     * without one every change would be a new create. */
    const weir_pipeline *p = inst->spec->pipeline;
    size_t k = 0;
    while (k < p->nsinks && strcmp(p->sinks[k]->system, to) != 0)
        k++;
    if (k == p->nsinks) {
        host_log(inst, WEIR_LOG_ERROR, "cannot create %s %s %s in %s: no <sink> of "
                 "this pipeline has system=\"%s\" (its acknowledgement makes the "
                 "link)", from, entity, id, to, to);
        return -1;
    }
    int under_way = weir_instances_creating(inst->run, link);
    weir_state *st = store_of(inst);
    if (under_way == 0 && st)
        under_way = weir_state_outbox_creating(st, link, inst->spec->pipeline->name,
                                               r->key, r->outbox_id);
    if (under_way < 0)
        return link_failed(inst, "cannot read the creates under way");
    if (under_way)
        return 1;
    /* refused, it goes through this transform again (resent, or released
     * by a link of the id) */
    char wait_key[1100];
    weir_xref_wait_key(entity, (weir_xref_end){from, id}, wait_key, sizeof wait_key);
    if (weir_instances_add_creating(inst->run, link) || weir_record_set_link(r, link))
        return -1;
    weir_record_set_provisional(r, wait_key); /* none before <track>: fine */
    weir_record_set_op(r, WEIR_OP_INSERT);
    return 0;
}

const weir_host weir_host_table = {
    .size = sizeof(weir_host),
    .abi_minor = WEIR_ABI_MINOR,
    .log = host_log,
    .instance_name = host_instance_name,
    .pipeline_name = host_pipeline_name,
    .system_name = host_system_name,
    .option = host_option,
    .option_count = host_option_count,
    .option_at = host_option_at,
    .option_bool = host_option_bool,
    .option_int = host_option_int,
    .option_duration_ms = host_option_duration,
    .config_first = host_config_first,
    .node_next = host_node_next,
    .node_first_child = host_node_first_child,
    .node_name = host_node_name,
    .node_attr = host_node_attr,
    .node_text = host_node_text,
    .node_error = host_node_error,
    .batch_count = host_batch_count,
    .batch_at = host_batch_at,
    .batch_room = host_batch_room,
    .batch_add = host_batch_add,
    .record_get = weir_record_get,
    .record_has = weir_record_has,
    .record_set = weir_record_set,
    .record_unset = weir_record_unset,
    .record_field_count = host_field_count,
    .record_field_name = host_field_name,
    .record_field_value = host_field_value,
    .record_op = host_record_op,
    .record_key = host_record_key,
    .record_id = weir_record_id,
    .record_set_origin = host_set_origin,
    .record_answer = weir_record_answer,
    .record_answerf = host_answerf,
    .state_get = host_state_get,
    .state_set = host_state_set,
    .free = free,
    .node_attr_at = host_node_attr_at,
    .logv = host_logv,
    .record_attempt = host_record_attempt,
    .record_retry_after = host_record_retry_after,
    .event_type = host_event_type,
    .event_json = host_event_json,
    .option_is_secret = host_option_is_secret,
    /* ABI 1.2 */
    .set_error = host_set_error,
    /* since ABI minor 3 (which also added WEIR_STATUS_SPLIT from a sink's
     * write() or flush(), whose set_error() text rejects the record found
     * alone: plugin/sink_write.c) */
    .record_set_op = weir_record_set_op,
    .record_hold = weir_record_hold,
    /* since ABI minor 4 */
    .source_system = host_source_system,
    .link_get = host_link_get,
    .link_generate = host_link_generate,
    .link_each = host_link_each,
    .link_create = host_link_create,
    .record_provisional = weir_record_set_provisional,
    /* since ABI minor 5: a source's rows by column (record/record.h);
     * <track> reads their key and fields by position */
    .batch_columns = weir_batch_columns,
    .batch_add_row = weir_batch_add_row,
};
