/* suggest.c - see suggest.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/track.h"
#include "report/suggest.h"
#include "report/values.h"
#include "store/xref.h"

typedef struct suggest_ctx suggest_ctx;
struct suggest_ctx {
    const weir_suggest_query *q;
    const char *name_field;
    unsigned named;         /* records of the pipeline read that have a name */
    weir_error *err;        /* set: a callback could not go on */
    /* reading the ERP: the candidates and their names as read */
    weir_match_index *idx;
    char **names;
    size_t nnames, cap;
    /* reading the app: whom to ask and what was found */
    const char *app_system, *erp_system;
    weir_match_scratch *scratch;
    weir_match_options mo;
    weir_match_hit *hits;
    json_t *suggestions;
    /* what read_all() does with each record read */
    void (*each)(suggest_ctx *c, const weir_record *r, const char *key,
                 const weir_match_entry *e);
};

/* Stop reading: out of memory. */
static void out_of_memory(suggest_ctx *c)
{
    if (!c->err->cls)
        weir_error_set(c->err, WEIR_ERR_NOMEM, "out of memory");
}

/* A record read (the engine's on_record): its key as shown, its name
 * and the other evidence to c->each. */
static void read_record(const weir_record *r, void *vctx)
{
    suggest_ctx *c = vctx;
    if (c->err->cls)
        return;
    weir_match_entry e = {.name = weir_record_get(r, c->name_field, NULL)};
    if (e.name && *e.name)
        c->named++;
    for (size_t i = 0; i < c->q->nfields; i++)
        e.fields[i] = weir_record_get(r, c->q->fields[i], NULL);
    char *key = weir_key_display(r->key);
    if (key)
        c->each(c, r, key, &e);
    else
        out_of_memory(c);
    free(key);
}

/* An ERP record: a candidate. */
static void add_candidate(suggest_ctx *c, const weir_record *r,
                          const char *key, const weir_match_entry *e)
{
    (void)r;
    if (c->nnames == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 1024;
        char **g = realloc(c->names, cap * sizeof(*g));
        if (g) {
            c->names = g;
            c->cap = cap;
        }
    }
    char *name = strdup(e->name ? e->name : "");
    if (!name || c->nnames == c->cap ||
        weir_match_index_add(c->idx, key, e) < 0) {
        free(name);
        out_of_memory(c);
    } else {
        c->names[c->nnames++] = name;
    }
}

/* Whether the app record `key` is to be matched: its key has the prefix,
 * or it has no link to the ERP.  0 and c->err when the state cannot
 * say. */
static int wanted(suggest_ctx *c, const weir_record *r, const char *key)
{
    const char *prefix = c->q->prefix;
    if (prefix && strncmp(key, prefix, strlen(prefix)) == 0)
        return 1;
    const char *entity = weir_pipeline_record_type(c->q->app, r);
    if (!c->q->st || !entity || !*entity)
        return 1;
    char *id = NULL;
    weir_xref_end end = {c->app_system, key};
    int rc = weir_xref_get(c->q->st, entity, end, c->erp_system, &id);
    free(id);
    if (rc < 0)
        weir_error_set(c->err, weir_state_error(c->q->st)->cls,
                       "cannot read the links: %s",
                       weir_error_message(weir_state_error(c->q->st)));
    return rc == 1;
}

/* "SYSTEM:ID", the end of a link as weir xref merge and POST
 * /api/xref/merge take it. (new reference) */
static json_t *xref_end(const char *system, const char *id)
{
    return json_sprintf("%s:%s", system, id);
}

/* An app record: its suggestions, when it is to be matched. */
static void suggest_one(suggest_ctx *c, const weir_record *r,
                        const char *key, const weir_match_entry *e)
{
    if (wanted(c, r, key)) {
        int n = weir_match_index_query(c->idx, c->scratch, e, &c->mo,
                                       c->hits);
        json_t *cands = json_array();
        for (int i = 0; cands && i < n; i++) {
            size_t k = c->hits[i].candidate;
            const char *id = weir_match_index_id(c->idx, k);
            if (json_array_append_new(
                    cands, json_pack("{s:s, s:s, s:f, s:o}", "key", id,
                                     "name", c->names[k], "score",
                                     c->hits[i].score, "xref",
                                     xref_end(c->erp_system, id))))
                json_decref(cands), cands = NULL;
        }
        if (n < 0 || !cands ||
            json_array_append_new(
                c->suggestions,
                json_pack("{s:s, s:s, s:o, s:o, s:O}", "key", key, "name",
                          e->name ? e->name : "", "entity",
                          weir_report_str(
                              weir_pipeline_record_type(c->q->app, r)),
                          "xref", xref_end(c->app_system, key),
                          "candidates", cands)))
            out_of_memory(c);
        json_decref(cands);
    }
}

/* Read pipeline `p` up to <track> as a dry run, each record to `each`.
 * 0, or -1 with c->err. */
static int read_all(suggest_ctx *c, weir_pipeline *p,
                    void (*each)(suggest_ctx *c, const weir_record *r,
                                 const char *key, const weir_match_entry *e))
{
    weir_run_options opts = {.dry_run = 1, .on_record = read_record,
                             .ctx = c};
    weir_run_result res;
    weir_run *run = weir_run_new(p, NULL, c->q->cancel);
    if (!run) {
        out_of_memory(c);
        return -1;
    }
    c->named = 0;
    c->each = each;
    weir_engine_run(run, &opts, &res);
    weir_run_free(run);
    if (res.status == WEIR_RUN_ABORTED)
        weir_error_set(c->err, res.error.cls, "%s: %s", p->name,
                       weir_error_message(&res.error));
    else if (!c->err->cls && res.counts.written && !c->named)
        weir_error_set(c->err, WEIR_ERR_USAGE, "%s: no record has a field "
                       "'%s' (the name to match by; --name-field names "
                       "another)", p->name, c->name_field);
    weir_error_clear(&res.error);
    return c->err->cls ? -1 : 0;
}

int weir_suggest_check(const weir_pipeline *p, const char *file, int links,
                       weir_error *err)
{
    if (!p->track.present)
        weir_error_set(err, WEIR_ERR_USAGE, "%s: no <track key=...>: weir "
                       "xref suggest names records by their <track> key",
                       file);
    else if (links && !p->type && !p->type_field)
        weir_error_set(err, WEIR_ERR_USAGE, "%s: no type= (the entity of "
                       "its links, such as customer)", file);
    else
        return 0;
    return -1;
}

json_t *weir_report_suggest(const weir_suggest_query *q, size_t *read,
                            weir_error *err)
{
    suggest_ctx c = {.q = q, .err = err,
                     .name_field = q->name_field ? q->name_field : "name"};
    weir_match_kind kinds[WEIR_MATCH_MAX_FIELDS];
    for (size_t i = 0; i < q->nfields; i++)
        kinds[i] = weir_match_kind_guess(q->fields[i]);
    weir_match_options_init(&c.mo);
    if (q->limit)
        c.mo.limit = q->limit;
    c.app_system = q->app->source->system;
    c.erp_system = q->erp->source->system;
    json_t *doc = NULL;
    if (!(c.idx = weir_match_index_new(kinds, q->nfields)) ||
        !(c.suggestions = json_array()) ||
        !(c.hits = calloc(c.mo.limit, sizeof(*c.hits))))
        out_of_memory(&c);
    else if (read_all(&c, q->erp, add_candidate))
        ;
    else if (weir_match_index_build(c.idx) ||
             !(c.scratch = weir_match_scratch_new(c.idx)))
        out_of_memory(&c);
    else if (!read_all(&c, q->app, suggest_one) &&
             !(doc = json_pack("{s:O}", "suggestions", c.suggestions)))
        out_of_memory(&c);
    if (read)
        *read = c.nnames;
    weir_match_scratch_free(c.scratch);
    weir_match_index_free(c.idx);
    for (size_t i = 0; i < c.nnames; i++)
        free(c.names[i]);
    free(c.names);
    free(c.hits);
    json_decref(c.suggestions);
    return doc;
}
