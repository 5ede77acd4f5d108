/* api.c - see api.h. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/diag.h"
#include "base/log.h"
#include "engine/sink_identity.h"
#include "pipeline/pipeline.h"
#include "report/monitor.h"
#include "report/record.h"
#include "report/select.h"
#include "report/status.h"
#include "report/suggest.h"
#include "store/state.h"
#include "store/xref.h"
#include "web/api.h"

/* How long a resend or discard waits for a run of its pipeline to end
 * (serve's runs take the pipeline's lock), in steps of 100 ms. */
#define LOCK_TRIES 50

json_t *weir_api_error(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return json_pack("{s:s}", "error", buf);
}

/* The HTTP status of a store error of class `cls`. */
static int status_of(weir_error_class cls)
{
    switch (cls) {
    case WEIR_ERR_USAGE:
        return 400;
    case WEIR_ERR_REFUSED:
        return 409;
    case WEIR_ERR_BUSY:
    case WEIR_ERR_CANCELLED:
        return 503;
    default:
        return 500;
    }
}

/* The state for this request: a reader (GET) or a writer (POST).  NULL
 * with *answer and *status set when it cannot be opened. */
static weir_state *open_state(weir_api *api, int write, json_t **answer,
                              int *status)
{
    weir_error err = {0};
    weir_state *st = write ? weir_state_open_existing(api->state_path, &err)
                           : weir_state_open_reader(api->state_path, &err);
    if (!st) {
        *answer = weir_api_error("%s", weir_error_message(&err));
        *status = 503;
    }
    weir_error_clear(&err);
    return st;
}

/* A failed call on `st`: its error as the answer; the status. */
static int state_failed(weir_state *st, json_t **answer)
{
    const weir_error *e = weir_state_error(st);
    *answer = weir_api_error("%s", weir_error_message(e));
    return status_of(e->cls);
}

/* A query parameter, NULL when absent or empty. */
static const char *param(const weir_api_request *rq, const char *name)
{
    const char *v = rq->query(rq->query_ctx, name);
    return v && *v ? v : NULL;
}

/* ---- GET ------------------------------------------------------------- */

static int get_status(weir_api *api, const weir_api_request *rq,
                      json_t **answer)
{
    (void)rq;
    int status = 200;
    weir_state *st = open_state(api, 0, answer, &status);
    if (st && !(*answer = weir_report_status(st, api->reg, 1)))
        status = state_failed(st, answer);
    weir_state_close(st);
    return status;
}

static int get_monitor(weir_api *api, const weir_api_request *rq,
                       json_t **answer)
{
    const char *which = param(rq, "status");
    if (which && weir_outbox_status_parse(which) < 0) {
        *answer = weir_api_error("status=%s: one of pending, in_flight, "
                                 "retry, failed, held", which);
        return 400;
    }
    /* limit=N: a group lists N records at most (the page asks for a few:
     * the count says how many there are) */
    const char *limit = param(rq, "limit");
    char *end = NULL;
    long n = limit ? strtol(limit, &end, 10) : 0;
    if (limit && (*limit < '0' || *limit > '9' || *end || n < 1 ||
                  n > 100000)) {
        *answer = weir_api_error("limit=%s: a number from 1 to 100000",
                                 limit);
        return 400;
    }
    int status = 200;
    weir_state *st = open_state(api, 0, answer, &status);
    if (st && !(*answer = weir_report_monitor(st, param(rq, "pipeline"),
                                              which, param(rq, "type"), 1,
                                              (size_t)n)))
        status = state_failed(st, answer);
    weir_state_close(st);
    return status;
}

static int get_record(weir_api *api, const weir_api_request *rq,
                      json_t **answer)
{
    const char *text = rq->path + strlen("/api/records/");
    int64_t id;
    if (weir_report_record_id(text, &id)) {
        *answer = weir_api_error("'%s' is not a valid record id", text);
        return 400;
    }
    int status = 200;
    weir_state *st = open_state(api, 0, answer, &status);
    int rc = st ? weir_report_record(st, id, answer) : 0;
    if (rc == 1) {
        *answer = weir_api_error("no record #%lld in %s", (long long)id,
                                 weir_state_path(st));
        status = 404;
    } else if (rc < 0) {
        status = state_failed(st, answer);
    }
    weir_state_close(st);
    return status;
}

/* A file name of the query, inside api->dir: no absolute path, no '..'.
 * (owned: free) NULL with *answer set. */
static char *file_in_dir(weir_api *api, const weir_api_request *rq,
                         const char *name, json_t **answer)
{
    const char *v = param(rq, name);
    int bad = !v || v[0] == '/';
    for (const char *p = v; !bad && p; p = strchr(p, '/')) {
        p += *p == '/';
        bad = strncmp(p, "..", 2) == 0 && (p[2] == '/' || !p[2]);
    }
    size_t n = bad ? 0 : strlen(api->dir) + strlen(v) + 2;
    char *path = n ? malloc(n) : NULL;
    if (path)
        snprintf(path, n, "%s/%s", api->dir, v);
    else
        *answer = weir_api_error(bad ? "%s=: a pipeline file of the served "
                                       "folder (no absolute path, no '..')"
                                     : "out of memory", name);
    return path;
}

/* The pipeline at `file`, loaded without problems; NULL with *answer
 * listing them. */
static weir_pipeline *load(weir_api *api, const char *file, json_t **answer)
{
    weir_diag *d = weir_diag_new();
    weir_pipeline *p = d ? weir_pipeline_load(file, api->reg, d) : NULL;
    if (!p || weir_diag_count(d)) {
        json_t *problems = json_array();
        for (size_t i = 0; d && i < weir_diag_count(d); i++)
            json_array_append_new(problems, json_string(weir_diag_at(d, i)));
        *answer = json_pack("{s:s+, s:o}", "error", file,
                            " is not a valid pipeline", "problems", problems);
        weir_pipeline_unref(p);
        p = NULL;
    }
    weir_diag_free(d);
    return p;
}

static int get_suggest(weir_api *api, const weir_api_request *rq,
                       json_t **answer)
{
    weir_suggest_query q = {.prefix = param(rq, "prefix"),
                            .name_field = param(rq, "name-field"),
                            .cancel = &api->stopping};
    const char *limit = param(rq, "limit");
    int status = 400;
    char *app = file_in_dir(api, rq, "app", answer);
    char *erp = app ? file_in_dir(api, rq, "against", answer) : NULL;
    weir_state *st = NULL;
    weir_error err = {0};
    char *end = NULL;
    unsigned long n = limit ? strtoul(limit, &end, 10) : 0;
    if (limit && (*end || n < 1 || n > 1000 || limit[0] == '-')) {
        json_decref(*answer);
        *answer = weir_api_error("limit=%s: a whole number from 1 to 1000",
                                 limit);
    }
    q.limit = (unsigned)n;
    if (!erp || *answer || !(q.app = load(api, app, answer)) ||
        !(q.erp = load(api, erp, answer)))
        goto out;
    if (weir_suggest_check(q.app, app, 1, &err) ||
        weir_suggest_check(q.erp, erp, 0, &err)) {
        *answer = weir_api_error("%s", weir_error_message(&err));
        goto out;
    }
    if (!(st = open_state(api, 0, answer, &status)))
        goto out;
    q.st = st;
    if ((*answer = weir_report_suggest(&q, NULL, &err)))
        status = 200;
    else {
        status = status_of(err.cls);
        *answer = weir_api_error("%s", weir_error_message(&err));
    }
out:
    weir_error_clear(&err);
    weir_state_close(st);
    weir_pipeline_unref(q.erp);
    weir_pipeline_unref(q.app);
    free(erp);
    free(app);
    return status;
}

/* ---- POST ------------------------------------------------------------ */

/* Is every member of `body` one of `names` (NULL-terminated)?  0, or
 * -1 with *answer naming the first that is not. */
static int only_members(json_t *body, const char *const *names,
                        json_t **answer)
{
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v) {
        const char *const *n = names;
        while (*n && strcmp(*n, key) != 0)
            n++;
        if (!*n) {
            *answer = weir_api_error("unknown member \"%s\"", key);
            return -1;
        }
    }
    return 0;
}

/* A string member (nullable when absent); -1 with *answer when it is
 * there and no string. */
static int string_member(json_t *body, const char *name, const char **out,
                         json_t **answer)
{
    json_t *v = json_object_get(body, name);
    *out = json_string_value(v);
    if (!v || *out)
        return 0;
    *answer = weir_api_error("\"%s\" must be a string", name);
    return -1;
}

/* The records a resend or discard picks: {"ids": [..]} or {"pipeline",
 * "sink", "type", "status": "failed", "error"} ("type": null: the records
 * without a type).  0, or -1 with *answer
 * (400). */
static int parse_selection(json_t *body, weir_selection *sel,
                           json_t **answer)
{
    static const char *const names[] = {"ids", "pipeline", "sink", "type",
                                        "status", "error", NULL};
    memset(sel, 0, sizeof(*sel));
    json_t *ids = json_object_get(body, "ids");
    const char *status = NULL;
    weir_outbox_filter *g = &sel->group;
    if (only_members(body, names, answer) ||
        string_member(body, "pipeline", &g->pipeline, answer) ||
        string_member(body, "sink", &g->sink, answer) ||
        (!(g->untyped = json_is_null(json_object_get(body, "type"))) &&
         string_member(body, "type", &g->type, answer)) ||
        string_member(body, "error", &g->error, answer) ||
        string_member(body, "status", &status, answer))
        return -1;
    if (status && strcmp(status, "failed") != 0) {
        *answer = weir_api_error("\"status\": only \"failed\" records are "
                                 "picked by a group");
        return -1;
    }
    if (!ids == !g->pipeline || (ids && (g->sink || g->type || g->untyped || g->error ||
                                         status))) {
        *answer = weir_api_error("give \"ids\": [..] or a group "
                                 "(\"pipeline\" and optionally \"sink\", "
                                 "\"type\", \"error\"), not both");
        return -1;
    }
    if (!ids)
        return 0;
    size_t n = json_array_size(ids);
    if (!json_is_array(ids) || !n || n > 10000) {
        *answer = weir_api_error("\"ids\" must be an array of 1 to 10000 "
                                 "record ids");
        return -1;
    }
    if (!(sel->ids = calloc(n, sizeof(*sel->ids)))) {
        *answer = weir_api_error("out of memory");
        return -1;
    }
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v) {
        if (!json_is_integer(v) || json_integer_value(v) <= 0) {
            *answer = weir_api_error("\"ids\"[%zu] is not a record id", i);
            return -1;
        }
        sel->ids[sel->nids++] = json_integer_value(v);
    }
    return 0;
}

/* An id that a change left as it was: into the array `ctx`. */
static void unchanged(weir_state *st, int64_t id, void *ctx)
{
    (void)st;
    json_array_append_new(ctx, json_integer((json_int_t)id));
}

static int64_t discard(weir_state *st, const weir_outbox_filter *f, void *ctx)
{
    (void)ctx;
    return weir_state_outbox_discard(st, f, "discarded by the admin (web "
                                            "monitor)");
}

/* Lock what `sel` picks, waiting a while for runs of its pipelines. */
static weir_selection_status lock(weir_state *st, weir_selection *sel,
                                  weir_error *err)
{
    weir_selection_status rc = WEIR_SELECTION_BUSY;
    for (int i = 0; rc == WEIR_SELECTION_BUSY && i < LOCK_TRIES; i++) {
        if (i) {
            struct timespec ts = {0, 100 * 1000000L};
            nanosleep(&ts, NULL);
        }
        weir_error_clear(err);
        rc = weir_selection_lock(st, sel, err);
    }
    return rc;
}

/* Before a resend: does each pipeline's file (as the state remembers
 * it) still name the targets its waiting records were queued for?  As
 * `weir resend` refuses, rather than have them sent where they were
 * never meant to go.  0, or the HTTP status with *answer. */
static int same_targets(weir_api *api, weir_state *st,
                        const weir_selection *sel, json_t **answer)
{
    for (int i = 0; i < sel->n; i++) {
        weir_pipeline *p = load(api, sel->files[i], answer);
        if (!p)
            return 409;
        char *why = NULL;
        int rc = weir_sink_identity_check(st, p, &why);
        weir_pipeline_unref(p);
        if (rc < 0)
            return state_failed(st, answer);
        if (rc > 0) {
            *answer = weir_api_error("%s; nothing was changed (restore the "
                                     "file, or run it to send them to the "
                                     "sink as it is now)", why);
            free(why);
            return 409;
        }
    }
    return 0;
}

/* Resend or discard what the body picks: {"<done>": N}, and the ids
 * left as they were ("unchanged") when there are some.  `check`: refuse
 * when a file names other targets now (what sends). */
static int change(weir_api *api, const weir_api_request *rq, json_t **answer,
                  int64_t (*fn)(weir_state *st, const weir_outbox_filter *f,
                                void *ctx),
                  const char *done, int check)
{
    weir_selection sel;
    weir_error err = {0};
    int status = 400;
    weir_state *st = NULL;
    if (parse_selection(rq->body, &sel, answer) ||
        !(st = open_state(api, 1, answer, &status)))
        goto out;
    weir_selection_status rc = lock(st, &sel, &err);
    if (rc != WEIR_SELECTION_OK) {
        *answer = weir_api_error("%s", weir_error_message(&err));
        status = rc == WEIR_SELECTION_BUSY ? 409
                 : rc == WEIR_SELECTION_ERROR ? 500 : 404;
        goto out;
    }
    if (check && (status = same_targets(api, st, &sel, answer)))
        goto out;
    json_t *left = json_array();
    int64_t n = weir_selection_apply(&sel, st, 1, fn, unchanged, left);
    if (n < 0) {
        json_decref(left);
        status = state_failed(st, answer);
        goto out;
    }
    *answer = json_pack("{s:I}", done, (json_int_t)n);
    if (json_array_size(left))
        json_object_set(*answer, "unchanged", left);
    json_decref(left);
    status = 200;
    weir_log(WEIR_LOG_INFO, "web monitor: %lld record%s %s", (long long)n,
             n == 1 ? "" : "s", done);
    /* resent records are due; a discarded one no longer holds up the
     * later records of its key */
    if (n > 0 && api->wake)
        api->wake(api->wake_ctx);
out:
    weir_selection_release(st, &sel);
    weir_error_clear(&err);
    weir_state_close(st);
    return status;
}

static int post_resend(weir_api *api, const weir_api_request *rq,
                       json_t **answer)
{
    return change(api, rq, answer, weir_selection_resend, "resent", 1);
}

static int post_discard(weir_api *api, const weir_api_request *rq,
                        json_t **answer)
{
    return change(api, rq, answer, discard, "discarded", 0);
}

static int post_merge(weir_api *api, const weir_api_request *rq,
                      json_t **answer)
{
    static const char *const names[] = {"entity", "from", "to", NULL};
    const char *entity, *from, *to;
    if (only_members(rq->body, names, answer) ||
        string_member(rq->body, "entity", &entity, answer) ||
        string_member(rq->body, "from", &from, answer) ||
        string_member(rq->body, "to", &to, answer))
        return 400;
    if (!entity || !from || !to) {
        *answer = weir_api_error("give \"entity\", \"from\" and \"to\" "
                                 "(\"app:HB_000123\", \"erp:C00417\")");
        return 400;
    }
    char *a_text = strdup(from), *b_text = strdup(to);
    weir_xref_end a, b;
    int status = 400;
    weir_state *st = NULL;
    if (!a_text || !b_text) {
        *answer = weir_api_error("out of memory");
        status = 500;
    } else if (weir_xref_end_parse(a_text, &a) ||
               weir_xref_end_parse(b_text, &b)) {
        *answer = weir_api_error("\"from\" and \"to\" are SYSTEM:ID (such "
                                 "as erp:C00417)");
    } else if ((st = open_state(api, 1, answer, &status))) {
        int64_t n = weir_xref_merge(st, entity, a, b);
        if (n < 0) {
            status = state_failed(st, answer);
        } else {
            *answer = json_pack("{s:I}", "released", (json_int_t)n);
            status = 200;
            weir_log(WEIR_LOG_INFO, "web monitor: linked %s %s <-> %s "
                     "(merged); %lld record%s released", entity, from, to,
                     (long long)n, n == 1 ? "" : "s");
            if (n > 0 && api->wake)
                api->wake(api->wake_ctx);
        }
    }
    weir_state_close(st);
    free(a_text);
    free(b_text);
    return status;
}

/* ---- routing --------------------------------------------------------- */

static const weir_api_route routes[] = {
    {"GET", "/api/status", get_status},
    {"GET", "/api/monitor", get_monitor},
    {"GET", "/api/records/", get_record},
    {"GET", "/api/xref/suggest", get_suggest},
    {"POST", "/api/resend", post_resend},
    {"POST", "/api/discard", post_discard},
    {"POST", "/api/xref/merge", post_merge},
};

static int path_matches(const char *route, const char *path)
{
    size_t n = strlen(route);
    return route[n - 1] == '/' ? strncmp(route, path, n) == 0 && path[n]
                               : strcmp(route, path) == 0;
}

const weir_api_route *weir_api_find(const char *method, const char *path,
                                    const char **allow)
{
    const char *m = strcmp(method, "HEAD") == 0 ? "GET" : method;
    if (allow)
        *allow = NULL;
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (!path_matches(routes[i].path, path))
            continue;
        if (strcmp(routes[i].method, m) == 0)
            return &routes[i];
        if (allow)
            *allow = routes[i].method;
    }
    return NULL;
}
