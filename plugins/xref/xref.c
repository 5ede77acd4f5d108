/*
 * xref.c - the xref plugin: ids across systems.  See docs/xref.md.
 *
 * As a transform it replaces the id in a field (the app's customer
 * HB_000123) by the id the same object has in another system (the ERP's
 * C00417), from the state's cross-reference store, and decides by
 * `missing` what a record without a link does.  As a source it reads the
 * links themselves, one record each, for the write-back of ids into the
 * system that did not make them.
 *
 * The store is the core's (host->link_*): a link made by one pipeline or
 * by `weir xref` is seen at once by every pipeline on the same state.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <weir/plugin.h>

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

typedef enum missing_mode {
    MISSING_REJECT,
    MISSING_HOLD,
    MISSING_GENERATE,
    MISSING_DROP,
    MISSING_KEEP,
    MISSING_CREATE
} missing_mode;

static const char *const missing_names[] = {"reject", "hold", "generate", "drop", "keep",
                                            "create"};

typedef struct link_row {
    char *a_id, *b_id, *origin;
    long long created;
} link_row;

typedef struct xref_state {
    weir_instance *inst;
    const weir_host *host;
    weir_kind kind;
    /* options (borrowed from the host) */
    const char *entity, *field, *from, *to, *into, *prefix;
    missing_mode missing;
    long long digits;
    int warned_keep; /* said once that keep before <track> resolves nothing */
    /* source: the links, read at the first read() */
    link_row *rows;
    size_t n, cap, next;
    int loaded;
} xref_state;

static missing_mode missing_of(const char *v)
{
    for (size_t i = 0; v && i < sizeof missing_names / sizeof *missing_names; i++)
        if (strcmp(v, missing_names[i]) == 0)
            return (missing_mode)i;
    return MISSING_REJECT;
}

/* Options both kinds check: every problem reported, 0 when none. */
static int check_options(weir_instance *inst, const weir_host *h, weir_kind kind)
{
    int bad = 0;
    const char *from = kind == WEIR_KIND_SOURCE ? h->option(inst, "system")
                                                : h->option(inst, "from");
    if (!from)
        from = kind == WEIR_KIND_SOURCE ? NULL : h->source_system(inst);
    const char *to = h->option(inst, "to");
    if (kind == WEIR_KIND_SOURCE && !from) {
        h->log(inst, WEIR_LOG_ERROR, "option 'system' is required for the xref source "
               "(the system whose ids come first in each record)");
        bad = 1;
    }
    if (kind == WEIR_KIND_TRANSFORM && !h->option(inst, "field")) {
        h->log(inst, WEIR_LOG_ERROR, "option 'field' is required for the xref "
               "transform (the field that holds the id)");
        bad = 1;
    }
    if (from && to && strcmp(from, to) == 0) {
        h->log(inst, WEIR_LOG_ERROR, "'%s' links to itself: 'to' must name another "
               "system than %s", to, kind == WEIR_KIND_SOURCE ? "'system'" : "'from'");
        bad = 1;
    }
    long long digits = 6;
    if (h->option_int(inst, "digits", &digits) == 0 && (digits < 1 || digits > 18)) {
        h->log(inst, WEIR_LOG_ERROR, "option 'digits': %lld is not 1 to 18", digits);
        bad = 1;
    }
    return bad;
}

static weir_status xref_check(weir_instance *inst, const weir_host *host,
                              weir_kind kind)
{
    return check_options(inst, host, kind) ? WEIR_STATUS_ERROR : WEIR_STATUS_OK;
}

static void xref_close(void *state)
{
    xref_state *st = state;
    if (!st)
        return;
    for (size_t i = 0; i < st->n; i++) {
        free(st->rows[i].a_id);
        free(st->rows[i].b_id);
        free(st->rows[i].origin);
    }
    free(st->rows);
    free(st);
}

static weir_status xref_open(weir_instance *inst, const weir_host *host,
                             weir_kind kind, void **state)
{
    *state = NULL;
    if (!WEIR_HOST_HAS(host, record_provisional)) {
        host->log(inst, WEIR_LOG_ERROR, "xref needs a weir with the cross-reference "
                  "store (plugin ABI 1.4)");
        return WEIR_STATUS_ERROR;
    }
    if (check_options(inst, host, kind))
        return WEIR_STATUS_ERROR;
    xref_state *st = calloc(1, sizeof *st);
    if (!st) {
        host->set_error(inst, "out of memory");
        return WEIR_STATUS_ERROR;
    }
    st->inst = inst;
    st->host = host;
    st->kind = kind;
    st->entity = host->option(inst, "entity");
    st->to = host->option(inst, "to");
    if (kind == WEIR_KIND_SOURCE) {
        st->from = host->option(inst, "system");
    } else {
        st->field = host->option(inst, "field");
        st->from = host->option(inst, "from");
        if (!st->from)
            st->from = host->source_system(inst);
        st->into = host->option(inst, "into");
        if (!st->into)
            st->into = st->field;
        st->missing = missing_of(host->option(inst, "missing"));
        st->prefix = host->option(inst, "prefix");
        if (host->option_int(inst, "digits", &st->digits) != 0)
            st->digits = 6;
    }
    *state = st;
    return WEIR_STATUS_OK;
}

/* ---- the transform ------------------------------------------------------ */

/* Hold r until `id` is linked: the store's wait key, which a link of
 * that id releases. */
static void wait_for_link(xref_state *st, weir_record *r, const char *id)
{
    char wait_key[512], why[600];
    snprintf(wait_key, sizeof wait_key, "xref:%s:%s:%s", st->entity, st->from, id);
    snprintf(why, sizeof why, "waiting until %s %s %s has an id in %s", st->from,
             st->entity, id, st->to);
    st->host->record_hold(r, wait_key, why);
}

/* A record whose id has no link, as `missing` says. */
static void unlinked(xref_state *st, weir_record *r, const char *id)
{
    const weir_host *h = st->host;
    char *made = NULL;
    switch (st->missing) {
    case MISSING_REJECT:
        h->record_answerf(r, WEIR_RESULT_REJECT, "no %s %s for %s %s %s", st->to,
                          st->entity, st->from, st->entity, id);
        return;
    case MISSING_HOLD:
        wait_for_link(st, r, id);
        return;
    case MISSING_CREATE: {
        int rc = h->link_create(st->inst, r, st->entity, st->from, id, st->to);
        if (rc == 1) /* an earlier record creates it: this one waits */
            wait_for_link(st, r, id);
        else if (rc < 0)
            h->record_answerf(r, WEIR_RESULT_RETRY, "could not create %s %s %s in %s",
                              st->from, st->entity, id, st->to);
        return;
    }
    case MISSING_GENERATE:
        if (h->link_generate(st->inst, st->entity, st->from, id, st->to, st->prefix,
                             (int)st->digits, &made) != 0) {
            h->record_answerf(r, WEIR_RESULT_RETRY, "could not generate a %s %s "
                              "for %s %s %s", st->to, st->entity, st->from,
                              st->entity, id);
            return;
        }
        if (h->record_set(r, st->into, made, strlen(made)) != 0)
            h->record_answer(r, WEIR_RESULT_RETRY, "out of memory", NULL);
        h->free(made);
        return;
    case MISSING_DROP:
        h->record_answer(r, WEIR_RESULT_DROP, NULL, NULL);
        return;
    case MISSING_KEEP: {
        /* refused for this id, it is resolved again when a link (a
         * merge) of the id appears */
        char wait_key[512];
        snprintf(wait_key, sizeof wait_key, "xref:%s:%s:%s", st->entity, st->from, id);
        if (h->record_provisional(r, wait_key) != 0 && !st->warned_keep) {
            st->warned_keep = 1;
            h->log(st->inst, WEIR_LOG_WARNING, "missing=keep before <track>: a "
                   "record the target refuses for an unlinked id is not sent "
                   "again when the id is linked (put this transform after "
                   "<track>)");
        }
        if (st->into != st->field && h->record_set(r, st->into, id, strlen(id)) != 0)
            h->record_answer(r, WEIR_RESULT_RETRY, "out of memory", NULL);
        return;
    }
    }
}

/* Is r the object `id` names (a CRM account, not an order of one)?  With
 * missing="create", or when id is r's own <track> key or one of its
 * parts (a composite key's parts are joined by \x1f): an update of
 * something that is no object is refused by the target at worst, a
 * create of one that is would make it twice.  Not for "generate": its
 * links are made before the target has the object. */
static int is_the_object(const xref_state *st, weir_record *r, const char *id)
{
    if (st->missing == MISSING_GENERATE)
        return 0;
    if (st->missing == MISSING_CREATE)
        return 1;
    const char *key = st->host->record_key(r);
    size_t n = strlen(id);
    for (const char *k = key; k; k = strchr(k, '\x1f') ? strchr(k, '\x1f') + 1 : NULL) {
        size_t len = strcspn(k, "\x1f");
        if (len == n && strncmp(k, id, n) == 0)
            return 1;
    }
    return 0;
}

static weir_status xref_process(void *state, weir_batch *batch)
{
    xref_state *st = state;
    const weir_host *h = st->host;
    size_t n = h->batch_count(batch);
    for (size_t i = 0; i < n; i++) {
        weir_record *r = h->batch_at(batch, i);
        size_t len = 0;
        const char *v = h->record_get(r, st->field, &len);
        if (!v || len == 0) {
            if (st->missing == MISSING_DROP)
                h->record_answer(r, WEIR_RESULT_DROP, NULL, NULL);
            else if (st->missing != MISSING_KEEP)
                h->record_answerf(r, WEIR_RESULT_REJECT, "field '%s' holds no %s "
                                  "%s id", st->field, st->from, st->entity);
            continue;
        }
        char *id = malloc(len + 1), *linked = NULL;
        if (!id) {
            h->record_answer(r, WEIR_RESULT_RETRY, "out of memory", NULL);
            continue;
        }
        memcpy(id, v, len);
        id[len] = '\0';
        int rc = h->link_get(st->inst, st->entity, st->from, id, st->to, &linked);
        if (rc < 0)
            h->record_answerf(r, WEIR_RESULT_RETRY, "could not read the link of %s "
                              "%s %s", st->from, st->entity, id);
        else if (rc == 1)
            unlinked(st, r, id);
        else if (h->record_set(r, st->into, linked, strlen(linked)) != 0)
            h->record_answer(r, WEIR_RESULT_RETRY, "out of memory", NULL);
        else if (is_the_object(st, r, id) && h->record_op(r) == WEIR_OP_INSERT)
            /* the target has it (linked by its create, or by someone who
             * made it there): an update, never a second one */
            h->record_set_op(r, WEIR_OP_UPDATE);
        h->free(linked);
        free(id);
    }
    return WEIR_STATUS_OK;
}

/* ---- the source --------------------------------------------------------- */

static char *dup_text(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    return d ? memcpy(d, s, n) : NULL;
}

static int keep_link(void *ctx, const char *a_id, const char *b_id,
                     const char *origin, long long created)
{
    xref_state *st = ctx;
    if (st->n == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 256;
        link_row *rows = realloc(st->rows, cap * sizeof *rows);
        if (!rows)
            return -1;
        st->rows = rows;
        st->cap = cap;
    }
    link_row *row = &st->rows[st->n];
    row->a_id = dup_text(a_id);
    row->b_id = dup_text(b_id);
    row->origin = dup_text(origin);
    row->created = created;
    st->n++; /* counted even when a copy failed: freed by close() */
    return row->a_id && row->b_id && row->origin ? 0 : -1;
}

/* "2026-11-29T10:00:00Z" */
static void iso_time(long long t, char *buf, size_t n)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (gmtime_r(&tt, &tm) == NULL || strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, n, "%lld", t);
}

static weir_status xref_read(void *state, weir_batch *batch)
{
    xref_state *st = state;
    const weir_host *h = st->host;
    if (!st->loaded) {
        st->loaded = 1;
        if (h->link_each(st->inst, st->entity, st->from, st->to, keep_link, st) != 0) {
            h->set_error(st->inst, "cannot read the %s links between %s and %s",
                         st->entity, st->from, st->to);
            return WEIR_STATUS_ERROR;
        }
    }
    while (st->next < st->n && h->batch_room(batch) > 0) {
        const link_row *l = &st->rows[st->next++];
        weir_record *r = h->batch_add(batch);
        char when[32];
        iso_time(l->created, when, sizeof when);
        if (!r || h->record_set(r, st->from, l->a_id, strlen(l->a_id)) ||
            h->record_set(r, st->to, l->b_id, strlen(l->b_id)) ||
            h->record_set(r, "origin", l->origin, strlen(l->origin)) ||
            h->record_set(r, "created", when, strlen(when))) {
            h->set_error(st->inst, "out of memory");
            return WEIR_STATUS_ERROR;
        }
    }
    return st->next < st->n ? WEIR_STATUS_OK : WEIR_STATUS_END;
}

/* ---- the descriptor ----------------------------------------------------- */

#define BOTH (WEIR_KIND_TRANSFORM | WEIR_KIND_SOURCE)

static const weir_option_spec xref_options[] = {
    WEIR_OPTION("entity", WEIR_OPTION_STRING, WEIR_OPTION_REQUIRED, BOTH, NULL,
        "what the ids name: customer, product, ..."),
    WEIR_OPTION("to", WEIR_OPTION_STRING, WEIR_OPTION_REQUIRED, BOTH, NULL,
        "the other system (transform: whose id replaces the field's; "
        "source: whose id comes second)"),
    WEIR_OPTION("field", WEIR_OPTION_STRING, 0, WEIR_KIND_TRANSFORM, NULL,
        "the field holding the id in the 'from' system (required)"),
    WEIR_OPTION("from", WEIR_OPTION_STRING, 0, WEIR_KIND_TRANSFORM, NULL,
        "the system of that id (default: the pipeline's <source system>)"),
    WEIR_OPTION("into", WEIR_OPTION_STRING, 0, WEIR_KIND_TRANSFORM, NULL,
        "the field that receives the other system's id (default: field)"),
    WEIR_OPTION_CHOICES("missing", 0, WEIR_KIND_TRANSFORM, "reject",
        "a record whose id has no link: reject, hold (until the link "
        "exists), generate (a new id, linked), drop, keep (the id as it is), "
        "create (an insert; the id the target gives becomes the link)",
        "reject hold generate drop keep create"),
    WEIR_OPTION("prefix", WEIR_OPTION_STRING, 0, WEIR_KIND_TRANSFORM, "HB_",
        "missing=generate: the generated ids' prefix"),
    WEIR_OPTION("digits", WEIR_OPTION_INT, 0, WEIR_KIND_TRANSFORM, "6",
        "missing=generate: the number's width, zero-padded (1 to 18)"),
    WEIR_OPTION("system", WEIR_OPTION_STRING, 0, WEIR_KIND_SOURCE, NULL,
        "source: the system whose id comes first in each record (required)"),
    WEIR_OPTION_END,
};

WEIR_PLUGIN_DEFINE = {
    WEIR_PLUGIN_HEADER,
    .kinds = BOTH,
    .name = "xref",
    .version = PACKAGE_VERSION,
    .description = "ids across systems: replace an id by its link, or read the links",
    .options = xref_options,
    .check = xref_check,
    .open = xref_open,
    .read = xref_read,
    .process = xref_process,
    .close = xref_close,
};
