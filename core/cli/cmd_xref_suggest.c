/* cmd_xref_suggest.c - `weir xref suggest APP.xml --against ERP.xml`:
 * for each record of the first pipeline that has no counterpart yet (its
 * key starts with --prefix, or it has no link in the state), the records
 * of the second most likely to be the same object, by the matcher
 * (match/match.h).  Both pipelines are read as a dry run does, up to
 * <track>, with no state: nothing is sent and nothing changes. */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "cli/cli.h"
#include "engine/track.h"
#include "match/match.h"
#include "plugin/plugins.h"
#include "store/xref.h"

typedef struct suggest_ctx suggest_ctx;
struct suggest_ctx {
    const weir_cli *cli;
    const char *name_field;
    const char *fields[WEIR_MATCH_MAX_FIELDS]; /* --match, into `match` */
    size_t nfields;
    unsigned named;         /* records of the pipeline read that have a name */
    int failed;             /* a callback could not go on (said why) */
    /* reading the ERP: the candidates and their names as read */
    weir_match_index *idx;
    char **names;
    size_t nnames, cap;
    /* reading the app: whom to ask and what was found */
    const weir_pipeline *app;
    weir_state *st;             /* nullable: no state, no links */
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
    if (!c->failed)
        weir_log(WEIR_LOG_ERROR, "out of memory");
    c->failed = 1;
}

/* A record read (the engine's on_record): its key as shown, its name
 * and --match values to c->each. */
static void read_record(const weir_record *r, void *vctx)
{
    suggest_ctx *c = vctx;
    if (c->failed)
        return;
    weir_match_entry e = {.name = weir_record_get(r, c->name_field, NULL)};
    if (e.name && *e.name)
        c->named++;
    for (size_t i = 0; i < c->nfields; i++)
        e.fields[i] = weir_record_get(r, c->fields[i], NULL);
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
 * or it has no link to the ERP.  0 and c->failed when the state cannot
 * say. */
static int wanted(suggest_ctx *c, const weir_record *r, const char *key)
{
    const char *prefix = c->cli->prefix;
    if (prefix && strncmp(key, prefix, strlen(prefix)) == 0)
        return 1;
    const char *entity = weir_pipeline_record_type(c->app, r);
    if (!c->st || !entity || !*entity)
        return 1;
    char *id = NULL;
    weir_xref_end end = {c->app_system, key};
    int rc = weir_xref_get(c->st, entity, end, c->erp_system, &id);
    free(id);
    if (rc < 0) {
        weir_log(WEIR_LOG_ERROR, "cannot read the links: %s",
                 weir_error_message(weir_state_error(c->st)));
        c->failed = 1;
    }
    return rc == 1;
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
            if (json_array_append_new(
                    cands, json_pack("{s:s, s:s, s:f}", "key",
                                     weir_match_index_id(c->idx, k), "name",
                                     c->names[k], "score", c->hits[i].score)))
                json_decref(cands), cands = NULL;
        }
        if (n < 0 || !cands ||
            json_array_append_new(c->suggestions,
                                  json_pack("{s:s, s:s, s:O}", "key", key,
                                            "name", e->name ? e->name : "",
                                            "candidates", cands)))
            out_of_memory(c);
        json_decref(cands);
    }
}

/* Read pipeline `p` up to <track> as a dry run, each record to `each`.
 * The exit code. */
static int read_all(suggest_ctx *c, weir_pipeline *p,
                    void (*each)(suggest_ctx *c, const weir_record *r,
                                 const char *key, const weir_match_entry *e))
{
    weir_run_options opts = {.dry_run = 1, .on_record = read_record,
                             .ctx = c};
    weir_run_result res;
    weir_run *run = weir_run_new(p, NULL, &weir_cli_stop_requested);
    if (!run) {
        weir_log(WEIR_LOG_ERROR, "out of memory");
        return WEIR_EXIT_ABORTED;
    }
    c->named = 0;
    c->each = each;
    weir_engine_run(run, &opts, &res);
    weir_run_free(run);
    int rc = WEIR_EXIT_OK;
    if (res.status == WEIR_RUN_ABORTED) {
        weir_log(WEIR_LOG_ERROR, "%s: %s", p->name,
                 weir_error_message(&res.error));
        rc = WEIR_EXIT_ABORTED;
    } else if (c->failed) {
        rc = WEIR_EXIT_ABORTED;
    } else if (res.counts.written && !c->named) {
        weir_log(WEIR_LOG_ERROR, "%s: no record has a field '%s' (the name "
                 "to match by; --name-field names another)", p->name,
                 c->name_field);
        rc = WEIR_EXIT_USAGE;
    }
    weir_error_clear(&res.error);
    return rc;
}

/* Split --match into c->fields (pointing into `buf`, a copy).  0, or -1
 * after saying why. */
static int split_match(suggest_ctx *c, char *buf)
{
    for (char *f = strtok(buf, " ,"); f; f = strtok(NULL, " ,")) {
        if (c->nfields == WEIR_MATCH_MAX_FIELDS) {
            fprintf(stderr, "weir xref suggest: --match takes at most %d "
                            "fields\n", WEIR_MATCH_MAX_FIELDS);
            return -1;
        }
        c->fields[c->nfields++] = f;
    }
    return 0;
}

/* Load `file`, which needs <track> (its key names the records). */
static weir_pipeline *load(weir_plugins *reg, const char *file)
{
    weir_pipeline *p = weir_cli_load(reg, file);
    if (p && !p->track.present) {
        weir_log(WEIR_LOG_ERROR, "%s: no <track key=...>: weir xref suggest "
                 "names records by their <track> key", file);
        weir_pipeline_unref(p);
        return NULL;
    }
    return p;
}

/* The state, read-only, when there is one (none: no links). *st NULL
 * then.  0, or the exit code. */
static int open_links(const weir_cli *cli, const char *file,
                      const weir_pipeline *app, weir_state **st)
{
    *st = NULL;
    char *path = weir_cli_state_path(cli, file);
    int have = path && access(path, F_OK) == 0;
    free(path);
    if (!have)
        return 0;
    if (!app->type && !app->type_field) {
        weir_log(WEIR_LOG_ERROR, "%s: no type= (the entity of its links, "
                 "such as customer)", file);
        return WEIR_EXIT_USAGE;
    }
    *st = weir_cli_open_state(cli, file, WEIR_CLI_STATE_READ);
    return *st ? 0 : WEIR_EXIT_ABORTED;
}

static void print_text(json_t *suggestions)
{
    size_t i, j;
    json_t *s, *cand;
    json_array_foreach(suggestions, i, s) {
        json_t *cands = json_object_get(s, "candidates");
        printf("%s%-14s %s\n", i ? "\n" : "",
               json_string_value(json_object_get(s, "key")),
               json_string_value(json_object_get(s, "name")));
        if (json_array_size(cands) == 0)
            printf("  (no suggestion)\n");
        json_array_foreach(cands, j, cand)
            printf("  %.3f  %-14s %s\n",
                   json_real_value(json_object_get(cand, "score")),
                   json_string_value(json_object_get(cand, "key")),
                   json_string_value(json_object_get(cand, "name")));
    }
}

int weir_cli_xref_suggest(weir_cli *cli, char **args)
{
    if (!cli->against) {
        fprintf(stderr, "weir xref suggest: --against ERP.xml is required "
                        "(the pipeline whose records are the candidates)\n");
        return WEIR_EXIT_USAGE;
    }
    suggest_ctx c = {.cli = cli,
                     .name_field = cli->name_field ? cli->name_field
                                                   : "name"};
    char *match = cli->match ? strdup(cli->match) : NULL;
    weir_pipeline *app = NULL, *erp = NULL;
    weir_plugins *reg = NULL;
    int rc = WEIR_EXIT_USAGE;
    if ((cli->match && (!match || split_match(&c, match))) ||
        !(reg = weir_cli_plugins(cli)) || !(app = load(reg, args[0])) ||
        !(erp = load(reg, cli->against)))
        goto out;
    weir_match_kind kinds[WEIR_MATCH_MAX_FIELDS];
    for (size_t i = 0; i < c.nfields; i++)
        kinds[i] = weir_match_kind_guess(c.fields[i]);
    weir_match_options_init(&c.mo);
    if (cli->limit)
        c.mo.limit = cli->limit;
    c.app = app;
    c.app_system = app->source->system;
    c.erp_system = erp->source->system;
    rc = WEIR_EXIT_ABORTED;
    if (!(c.idx = weir_match_index_new(kinds, c.nfields)) ||
        !(c.suggestions = json_array()) ||
        !(c.hits = calloc(c.mo.limit, sizeof(*c.hits)))) {
        weir_log(WEIR_LOG_ERROR, "out of memory");
        goto out;
    }
    weir_cli_catch_signals();
    if ((rc = open_links(cli, args[0], app, &c.st)) ||
        (rc = read_all(&c, erp, add_candidate)))
        goto out;
    rc = WEIR_EXIT_ABORTED;
    if (weir_match_index_build(c.idx) ||
        !(c.scratch = weir_match_scratch_new(c.idx))) {
        weir_log(WEIR_LOG_ERROR, "out of memory");
        goto out;
    }
    if ((rc = read_all(&c, app, suggest_one)))
        goto out;
    if (cli->json) {
        json_t *doc = json_pack("{s:O}", "suggestions", c.suggestions);
        json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                                    JSON_REAL_PRECISION(3));
        putchar('\n');
        json_decref(doc);
    } else {
        print_text(c.suggestions);
        if (!cli->quiet)
            printf("%s%zu record%s of %s matched against %zu of %s\n",
                   json_array_size(c.suggestions) ? "\n" : "",
                   json_array_size(c.suggestions),
                   json_array_size(c.suggestions) == 1 ? "" : "s", app->name,
                   c.nnames, erp->name);
    }
out:
    weir_match_scratch_free(c.scratch);
    weir_match_index_free(c.idx);
    for (size_t i = 0; i < c.nnames; i++)
        free(c.names[i]);
    free(c.names);
    free(c.hits);
    json_decref(c.suggestions);
    weir_state_close(c.st);
    weir_pipeline_unref(erp);
    weir_pipeline_unref(app);
    weir_plugins_free(reg);
    free(match);
    return rc;
}
