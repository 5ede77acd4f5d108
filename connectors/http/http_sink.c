/*
 * connectors/http/http_sink.c - the http sink: one request per record,
 * `concurrency` of them in flight through libcurl's multi interface, and
 * one answer per record from what came back.
 *
 * The multi handle (and so its connection cache) lives as long as the
 * instance: connections are kept alive across batches and drain passes.
 * A record sent before (attempt > 1) is looked up first when a `lookup`
 * action is configured, so that a create whose answer was lost is not
 * made twice by a target that ignores the idempotency header.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_int.h"
#include "common/http_template.h"

/* So many 5xx answers in a row mark the endpoint down. */
#define DOWN_AFTER_5XX 5
/* The most of an answer body kept (error texts, ids, lookups). */
#define BODY_MAX 65536
#define MAX_CONCURRENCY 64

static const char *const op_names[] = {"upsert", "insert", "update", "delete"};

typedef struct action {
    char method[16];
    char *path; /* the template (owned) */
    char *text; /* "METHOD template", for messages (owned) */
} action;

enum { PHASE_LOOKUP, PHASE_SEND };

typedef struct slot {
    CURL *easy;
    int busy;
    int phase;
    int reauthed;           /* a 401 already fetched a new OAuth2 token */
    unsigned long token_gen; /* the OAuth2 token the request went with */
    weir_record *rec;       /* (borrowed) during write() */
    const action *act;      /* what this request does */
    /* The easy handle keeps its options from one request to the next
     * while the action stays the same: setting them up again for every
     * request cost a tenth of the sink's time. */
    const action *set_for;
    /* The request's headers: the idempotency key, then the sink's own
     * list (shared, s->hdrs_*). */
    struct curl_slist idem_node;
    char idem_line[192];
    char *url, *body;       /* url and body buffers, reused (owned) */
    size_t url_cap, body_cap;
    char *tmpl_body;        /* a template's body (owned) */
    weirp_http_answer ans;
    char curl_err[CURL_ERROR_SIZE];
} slot;

typedef struct hsink {
    whttp_common c;
    char *base;      /* url without a trailing '/' (owned) */
    action act[4];   /* by weir_op; path NULL when not given */
    action lookup, health;
    weirp_json_template *tmpl; /* NULL: body "record" */
    const char *error_pointer, *id_pointer, *lookup_pointer, *idem; /* (borrowed) */
    long long concurrency, rate;
    long long next_start_ms;
    int run_5xx;     /* 5xx answers in a row, across batches */
    weirp_http_conf conf;
    whttp_auth auth;
    CURLM *multi;
    whttp_events events;
    /* Accept, Content-Type when there is a body, the 'header' options */
    struct curl_slist *hdrs_body, *hdrs_nobody;
    slot *slots;
    /* per write(): the endpoint went down, or credentials failed; the
     * records not yet sent get this answer */
    int stop;
    weir_result stop_result;
    long long stop_retry_ms;
    char stop_text[1024];
} hsink;

/* ---- configuration -------------------------------------------------------- */

static int parse_action(const char *text, action *a, const char *option,
                        weirp_diag *d)
{
    char err[256];
    const char *path;
    if (whttp_split_action(text, a->method, sizeof a->method, &path, err, sizeof err) != 0) {
        weirp_diag_report(d, NULL, "%s: %s", option, err);
        return -1;
    }
    char *check = weirp_path_expand(path, NULL, NULL, err, sizeof err);
    if (check == NULL) {
        weirp_diag_report(d, NULL, "%s: %s", option, err);
        return -1;
    }
    free(check);
    a->path = whttp_strdup(path);
    a->text = whttp_strdup(text);
    if (a->path == NULL || a->text == NULL) {
        weirp_diag_report(d, NULL, "%s: out of memory", option);
        return -1;
    }
    return 0;
}

static void action_free(action *a)
{
    free(a->path);
    free(a->text);
    a->path = a->text = NULL;
}

static void conf_free(hsink *s)
{
    free(s->base);
    for (size_t i = 0; i < 4; i++)
        action_free(&s->act[i]);
    action_free(&s->lookup);
    action_free(&s->health);
    weirp_json_template_free(s->tmpl);
}

/* Read and check the options into s; every problem goes to d. */
static void conf_load(hsink *s, weir_instance *inst, const weir_host *host,
                      weirp_diag *d)
{
    s->base = whttp_base_url(inst, host, d);
    int actions = 0;
    for (size_t i = 0; i < 4; i++) {
        const char *v = host->option(inst, op_names[i]);
        if (v != NULL) {
            actions++;
            parse_action(v, &s->act[i], op_names[i], d);
        }
    }
    if (actions == 0)
        weirp_diag_report(d, NULL, "no action: give at least one of upsert, insert, "
                          "update, delete (METHOD /path)");
    const char *v = host->option(inst, "lookup");
    if (v != NULL) {
        parse_action(v, &s->lookup, "lookup", d);
        if (s->lookup.path != NULL && strcmp(s->lookup.method, "GET") != 0)
            weirp_diag_report(d, NULL, "lookup: only GET looks something up");
    }
    v = host->option(inst, "health");
    if (v != NULL) {
        parse_action(v, &s->health, "health", d);
        if (s->health.path != NULL && strchr(s->health.path, '{') != NULL)
            weirp_diag_report(d, NULL, "health: a probe has no record: no {field} in its path");
    }
    v = host->option(inst, "body");
    if (v != NULL && strcmp(v, "record") != 0) {
        char err[256];
        int line;
        s->tmpl = weirp_json_template_parse(v, err, sizeof err, &line);
        if (s->tmpl == NULL && line > 0)
            weirp_diag_report(d, NULL, "body: template line %d: %s", line, err);
        else if (s->tmpl == NULL)
            weirp_diag_report(d, NULL, "body: %s", err);
    }
    s->error_pointer = host->option(inst, "error-pointer");
    s->id_pointer = host->option(inst, "id-pointer");
    s->lookup_pointer = host->option(inst, "lookup-pointer");
    static const char *const pointer_names[] = {"error-pointer", "id-pointer",
                                                "lookup-pointer"};
    const char *pointers[] = {s->error_pointer, s->id_pointer, s->lookup_pointer};
    for (size_t i = 0; i < 3; i++)
        if (pointers[i] != NULL && pointers[i][0] != '\0' && pointers[i][0] != '/')
            weirp_diag_report(d, NULL, "%s: a JSON pointer starts with '/' (\"%s\")",
                              pointer_names[i], pointers[i]);
    if (s->lookup_pointer != NULL && s->lookup.path == NULL)
        weirp_diag_report(d, NULL, "lookup-pointer without lookup");
    s->idem = host->option(inst, "idempotency-header");
    if (s->idem != NULL && *s->idem != '\0') {
        char probe[128];
        snprintf(probe, sizeof probe, "%s: x", s->idem);
        if (strlen(s->idem) > 100 || !whttp_header_ok(probe))
            weirp_diag_report(d, NULL, "idempotency-header: not a header name: \"%s\"", s->idem);
    }
    whttp_headers_check(inst, host, d);
    s->concurrency = 8;
    host->option_int(inst, "concurrency", &s->concurrency);
    if (s->concurrency < 1 || s->concurrency > MAX_CONCURRENCY)
        weirp_diag_report(d, NULL, "concurrency: between 1 and %d", MAX_CONCURRENCY);
    s->rate = 0;
    if (host->option_int(inst, "rate", &s->rate) == 0 && s->rate < 1)
        weirp_diag_report(d, NULL, "rate: at least 1 request per second");
    whttp_auth_check(inst, host, d);
}

weir_status whttp_sink_check(weir_instance *inst, const weir_host *host)
{
    hsink s;
    memset(&s, 0, sizeof s);
    weirp_diag d = {.inst = inst, .host = host, .checking = 1};
    conf_load(&s, inst, host, &d);
    conf_free(&s);
    return d.errors ? WEIR_STATUS_ERROR : WEIR_STATUS_OK;
}

/* ---- records into requests ------------------------------------------------ */

typedef struct field_ctx {
    const weir_host *host;
    weir_record *rec;
} field_ctx;

static int get_field(void *ctx, const char *name, const char **value,
                     size_t *len)
{
    field_ctx *f = ctx;
    if (!f->host->record_has(f->rec, name))
        return -1;
    *value = f->host->record_get(f->rec, name, len);
    return 0;
}

/* The record as one JSON object: every field, NULL as null. */
static json_t *record_json(const weir_host *host, weir_record *r, char *err,
                           size_t errn)
{
    json_t *o = json_object();
    size_t n = host->record_field_count(r);
    for (size_t i = 0; o != NULL && i < n; i++) {
        const char *name = host->record_field_name(r, i);
        size_t len;
        const char *v = host->record_field_value(r, i, &len);
        json_t *jv = v == NULL ? json_null() : json_stringn(v, len);
        if (jv == NULL) {
            snprintf(err, errn, "field '%s' is not valid UTF-8", name);
            json_decref(o);
            return NULL;
        }
        if (json_object_set_new(o, name, jv) != 0) {
            snprintf(err, errn, "field '%s': out of memory", name);
            json_decref(o);
            return NULL;
        }
    }
    if (o == NULL)
        snprintf(err, errn, "out of memory");
    return o;
}

static const action *action_for(const hsink *s, weir_op op)
{
    if ((unsigned)op < 4 && s->act[op].path != NULL)
        return &s->act[op];
    if ((op == WEIR_OP_INSERT || op == WEIR_OP_UPDATE) && s->act[WEIR_OP_UPSERT].path)
        return &s->act[WEIR_OP_UPSERT];
    return NULL;
}

static void slot_clear(slot *sl)
{
    free(sl->tmpl_body);
    sl->tmpl_body = NULL;
    sl->busy = 0;
    sl->rec = NULL;
}

static void slot_free(slot *sl)
{
    slot_clear(sl);
    free(sl->url);
    free(sl->body);
    weirp_http_answer_free(&sl->ans);
}

/* Makes *buf hold at least need bytes.  0, or -1 out of memory. */
static int reserve(char **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 256;
    while (n < need)
        n *= 2;
    char *p = realloc(*buf, n);
    if (p == NULL)
        return -1;
    *buf = p;
    *cap = n;
    return 0;
}

static void answer(hsink *s, slot *sl, weir_result res, long long retry_ms,
                   const char *text, const char *id)
{
    const weir_host *host = s->c.host;
    host->record_answer(sl->rec, res, text, id);
    if (retry_ms >= 0 && (res == WEIR_RESULT_RETRY || res == WEIR_RESULT_DOWN))
        host->record_retry_after(sl->rec, retry_ms);
    slot_clear(sl);
}

static weir_result result_of(weirp_http_class cls)
{
    return cls == WEIRP_HTTP_OK ? WEIR_RESULT_OK
           : cls == WEIRP_HTTP_DOWN ? WEIR_RESULT_DOWN
           : cls == WEIRP_HTTP_REJECT ? WEIR_RESULT_REJECT
           : WEIR_RESULT_RETRY;
}

/* Records not yet sent in this write() all get this answer from now on. */
static void stop_all(hsink *s, weir_result res, long long retry_ms,
                     const char *text)
{
    s->stop = 1;
    s->stop_result = res;
    s->stop_retry_ms = retry_ms;
    snprintf(s->stop_text, sizeof s->stop_text, "%s", text);
}

/* The body the record's change sends, in sl->body or sl->tmpl_body.
 * (borrowed from sl) NULL with err set. */
static const char *render_body(const hsink *s, slot *sl, char *err, size_t errn)
{
    field_ctx fc = {s->c.host, sl->rec};
    if (s->tmpl)
        return sl->tmpl_body = weirp_json_template_render(s->tmpl, get_field, &fc,
                                                          err, errn);
    json_t *doc = record_json(s->c.host, sl->rec, err, errn);
    if (doc == NULL)
        return NULL;
    /* Into the slot's buffer, which grows to the largest body so far:
     * json_dumps would allocate and grow a new one for every record. */
    const size_t flags = JSON_COMPACT | JSON_ENCODE_ANY;
    size_t len = json_dumpb(doc, sl->body, sl->body_cap ? sl->body_cap - 1 : 0, flags);
    if (len != 0 && len + 1 > sl->body_cap) {
        if (reserve(&sl->body, &sl->body_cap, len + 1) == 0)
            len = json_dumpb(doc, sl->body, sl->body_cap - 1, flags);
        else
            len = 0;
    }
    json_decref(doc);
    if (len == 0) {
        snprintf(err, errn, "out of memory");
        return NULL;
    }
    sl->body[len] = '\0';
    return sl->body;
}

/* Start sl's request for its record in its phase.  Returns 0 when it is
 * in flight, -1 when the record was answered instead. */
static int start(hsink *s, slot *sl)
{
    const weir_host *host = s->c.host;
    field_ctx fc = {host, sl->rec};
    char err[512];
    const action *a = sl->phase == PHASE_LOOKUP ? &s->lookup : sl->act;

    weirp_http_class cls = whttp_auth_ready(&s->auth, 0, err, sizeof err);
    if (cls != WEIRP_HTTP_OK) {
        stop_all(s, result_of(cls), -1, err);
        answer(s, sl, result_of(cls), -1, err, NULL);
        return -1;
    }
    sl->token_gen = s->auth.generation;
    char *path = weirp_path_expand(a->path, get_field, &fc, err, sizeof err);
    if (path == NULL) {
        answer(s, sl, WEIR_RESULT_REJECT, -1, err, NULL);
        return -1;
    }
    size_t base_len = strlen(s->base), path_len = strlen(path);
    int oom = reserve(&sl->url, &sl->url_cap, base_len + path_len + 1) != 0;
    if (!oom) {
        memcpy(sl->url, s->base, base_len);
        memcpy(sl->url + base_len, path, path_len + 1);
    }
    free(path);
    free(sl->tmpl_body);
    sl->tmpl_body = NULL;
    const char *body = NULL;
    int with_body = sl->phase == PHASE_SEND && strcmp(a->method, "GET") != 0 &&
                    strcmp(a->method, "HEAD") != 0 && strcmp(a->method, "DELETE") != 0;
    if (with_body && (body = render_body(s, sl, err, sizeof err)) == NULL) {
        answer(s, sl, WEIR_RESULT_REJECT, -1, err, NULL);
        return -1;
    }
    if (oom) {
        answer(s, sl, WEIR_RESULT_RETRY, -1, "out of memory building the request", NULL);
        return -1;
    }
    struct curl_slist *hdrs = with_body ? s->hdrs_body : s->hdrs_nobody;
    if (sl->phase == PHASE_SEND && s->idem != NULL && *s->idem != '\0') {
        snprintf(sl->idem_line, sizeof sl->idem_line, "%s: %s", s->idem,
                 host->record_id(sl->rec));
        sl->idem_node.data = sl->idem_line;
        sl->idem_node.next = hdrs;
        hdrs = &sl->idem_node;
    }

    CURL *h = sl->easy;
    weirp_http_answer_reset(&sl->ans);
    if (sl->set_for != a) {
        curl_easy_reset(h);
        weirp_http_setup(h, &s->conf);
        weirp_http_collect(h, &sl->ans);
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, sl->curl_err);
        curl_easy_setopt(h, CURLOPT_PRIVATE, (void *)sl);
        if (strcmp(a->method, "GET") == 0)
            curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
        else if (strcmp(a->method, "HEAD") == 0)
            curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
        else if (strcmp(a->method, "POST") != 0)
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, a->method);
        sl->set_for = a;
    }
    /* A change is never redirected: libcurl would follow a 301/302/303
     * as a GET (a login page, say), and its 200 would acknowledge a
     * record the target never got. */
    if (sl->phase == PHASE_SEND)
        weirp_http_no_redirects(h, &sl->ans);
    sl->curl_err[0] = '\0';
    curl_easy_setopt(h, CURLOPT_URL, sl->url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    if (with_body || strcmp(a->method, "POST") == 0) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, body ? (long)strlen(body) : 0L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
    }
    whttp_auth_apply(&s->auth, h);
    if (curl_multi_add_handle(s->multi, h) != CURLM_OK) {
        answer(s, sl, WEIR_RESULT_RETRY, -1, "libcurl refused the request", NULL);
        return -1;
    }
    if (s->rate > 0) {
        long long now = whttp_now_ms();
        long long from = s->next_start_ms > now ? s->next_start_ms : now;
        s->next_start_ms = from + 1000 / s->rate;
    }
    return 0;
}

/* The last path segment of a Location, percent-decoded. (owned) */
static char *location_id(const char *loc)
{
    size_t end = strcspn(loc, "?#");
    while (end > 0 && loc[end - 1] == '/')
        end--;
    size_t begin = end;
    while (begin > 0 && loc[begin - 1] != '/')
        begin--;
    if (begin == end || end - begin > 0x7fffffff)
        return NULL;
    int n = 0;
    char *d = curl_easy_unescape(NULL, loc + begin, (int)(end - begin), &n);
    char *id = NULL;
    if (d != NULL && (size_t)n == strlen(d))
        id = whttp_strdup(d);
    curl_free(d);
    return id;
}

/* The id the target gave: by id-pointer in `doc` (nullable), else the
 * Location header.  (owned) NULL when none. */
static char *assigned_id(const hsink *s, json_t *doc, const weirp_http_answer *a)
{
    if (s->id_pointer != NULL && doc != NULL) {
        char *id = weirp_json_scalar_text(weirp_json_pointer(doc, s->id_pointer));
        if (id != NULL)
            return id;
    }
    return a->location != NULL ? location_id(a->location) : NULL;
}

static json_t *answer_json(const weirp_http_answer *a)
{
    if (a->body == NULL || a->body_len == 0 || a->body_cut)
        return NULL;
    return json_loadb(a->body, a->body_len, JSON_DECODE_ANY, NULL);
}

/* Does `item` (a record the lookup found) contradict the record on a
 * query parameter of the lookup ("?ref={code}": the item's "ref" is not
 * the record's code)?  Then a target that ignores the filter found
 * another record.  The item's member, when a scalar, names what it has
 * in `have`; an absent member contradicts nothing. */
static int contradicts(const hsink *s, weir_record *rec, json_t *item,
                       char *have, size_t haven)
{
    const weir_host *host = s->c.host;
    const char *q = strchr(s->lookup.path, '?');
    if (q == NULL || !json_is_object(item))
        return 0;
    for (q++; *q != '\0';) {
        size_t pair = strcspn(q, "&"), name = strcspn(q, "=&");
        char key[128], field[256];
        /* exactly "name={field}" */
        if (q[name] == '=' && name < sizeof key && pair > name + 3 &&
            q[name + 1] == '{' && q[pair - 1] == '}' && pair - name - 3 < sizeof field) {
            memcpy(key, q, name);
            key[name] = '\0';
            memcpy(field, q + name + 2, pair - name - 3);
            field[pair - name - 3] = '\0';
            size_t len;
            const char *want = host->record_has(rec, field)
                               ? host->record_get(rec, field, &len) : NULL;
            char *got = weirp_json_scalar_text(json_object_get(item, key));
            int differs = got != NULL && want != NULL &&
                          (strlen(got) != len || memcmp(got, want, len) != 0);
            if (differs)
                snprintf(have, haven, "its '%.40s' is \"%.60s\", the record's %.40s is "
                         "\"%.*s\"", key, got, field, (int)(len < 60 ? len : 60), want);
            free(got);
            if (differs)
                return 1;
        }
        q += pair;
        if (*q == '&')
            q++;
    }
    return 0;
}

/* Does `item` (a record the lookup found) differ from what this change
 * sends, on a top-level text, number or boolean both have?  Then it is
 * another version (or another record): finding it proves nothing.  What
 * differs goes into `have`. */
static int differs_from_change(const hsink *s, slot *sl, json_t *item,
                               char *have, size_t haven)
{
    char err[512];
    const char *text = render_body(s, sl, err, sizeof err);
    json_t *body = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
    int differs = 0;
    const char *key;
    json_t *mine;
    if (json_is_object(body) && json_is_object(item))
        json_object_foreach(body, key, mine) {
            json_t *theirs = json_object_get(item, key);
            if (theirs == NULL || json_is_null(mine) || json_is_null(theirs) ||
                json_is_object(mine) || json_is_array(mine))
                continue;
            if (json_is_number(mine) && json_is_number(theirs))
                differs = json_number_value(mine) != json_number_value(theirs);
            else
                differs = !json_equal(mine, theirs);
            if (differs) {
                char *a = weirp_json_scalar_text(theirs), *b = weirp_json_scalar_text(mine);
                snprintf(have, haven, "its '%.40s' is \"%.60s\", this change's is \"%.60s\"",
                         key, a ? a : "(not a scalar)", b ? b : "");
                free(a);
                free(b);
                break;
            }
        }
    json_decref(body);
    return differs;
}

/* A lookup came back 2xx: was the record there? */
static void lookup_done(hsink *s, slot *sl)
{
    weirp_http_answer *a = &sl->ans;
    if (a->body_len == 0) {
        sl->phase = PHASE_SEND; /* nothing there */
        return;
    }
    char text[600];
    json_t *doc = answer_json(a);
    if (doc == NULL) {
        char why[512];
        weirp_http_error_text(CURLE_OK, NULL, a, NULL, why, sizeof why);
        snprintf(text, sizeof text, "lookup %s: cannot tell whether the record is "
                 "there: %s", s->lookup.text, why);
        /* Sending now could create it twice: try again later. */
        answer(s, sl, WEIR_RESULT_RETRY, -1, text, NULL);
        return;
    }
    json_t *found = s->lookup_pointer ? weirp_json_pointer(doc, s->lookup_pointer) : doc;
    if (found == NULL) {
        /* A wrong pointer must not read as "not there": that would send
         * every record again. */
        snprintf(text, sizeof text, "lookup %s: the answer has nothing at "
                 "lookup-pointer %s", s->lookup.text, s->lookup_pointer);
        answer(s, sl, WEIR_RESULT_RETRY, -1, text, NULL);
        json_decref(doc);
        return;
    }
    if (json_is_array(found) && json_array_size(found) > 1) {
        /* A target that ignores the lookup's filter lists everything:
         * that this record is among them is no proof. */
        snprintf(text, sizeof text, "lookup %s: %zu records at lookup-pointer %s: "
                 "cannot tell whether one is this record (does the target filter "
                 "by the lookup's query?)", s->lookup.text, json_array_size(found),
                 s->lookup_pointer ? s->lookup_pointer : "(the root)");
        answer(s, sl, WEIR_RESULT_RETRY, -1, text, NULL);
        json_decref(doc);
        return;
    }
    json_t *item = json_is_array(found) ? json_array_get(found, 0) : found;
    if (item == NULL || json_is_null(item)) {
        json_decref(doc);
        sl->phase = PHASE_SEND;
        return;
    }
    char have[300];
    if (contradicts(s, sl->rec, item, have, sizeof have)) {
        snprintf(text, sizeof text, "lookup %s found another record (%s): cannot "
                 "tell whether this one is there (does the target filter by the "
                 "lookup's query?)", s->lookup.text, have);
        answer(s, sl, WEIR_RESULT_RETRY, -1, text, NULL);
        json_decref(doc);
        return;
    }
    if (differs_from_change(s, sl, item, have, sizeof have)) {
        snprintf(text, sizeof text, "lookup %s found a record that is not this "
                 "change (%s): an older version? Not sent, not acknowledged",
                 s->lookup.text, have);
        answer(s, sl, WEIR_RESULT_RETRY, -1, text, NULL);
        json_decref(doc);
        return;
    }
    char *id = assigned_id(s, item, a);
    snprintf(text, sizeof text, "already applied: found by lookup %s", s->lookup.text);
    answer(s, sl, WEIR_RESULT_OK, -1, text, id);
    free(id);
    json_decref(doc);
}

/* sl's transfer ended with `rc`: answer its record, or start its next
 * request (the send after a lookup, a resend with a new token). */
static void finished(hsink *s, slot *sl, CURLcode rc)
{
    weirp_http_answer *a = &sl->ans;
    long status = 0;
    curl_easy_getinfo(sl->easy, CURLINFO_RESPONSE_CODE, &status);
    if (rc == CURLE_OK)
        a->status = status;
    weirp_http_class cls = weirp_http_classify(rc, a->status);
    char text[700], why[600];

    if (rc == CURLE_OK && a->status == 401 && s->auth.kind == WHTTP_AUTH_OAUTH2 &&
        !sl->reauthed) {
        sl->reauthed = 1;
        /* Requests in flight together all come back 401 with the old
         * token: the first fetches a new one, the others go again with
         * it (a second fetch could revoke the first's token). */
        weirp_http_class t = whttp_auth_ready(&s->auth, sl->token_gen == s->auth.generation,
                                              why, sizeof why);
        if (t != WEIRP_HTTP_OK) {
            stop_all(s, result_of(t), -1, why);
            answer(s, sl, result_of(t), -1, why, NULL);
            return;
        }
        start(s, sl);
        return;
    }
    if (sl->phase == PHASE_LOOKUP) {
        if (cls == WEIRP_HTTP_OK)
            lookup_done(s, sl);
        else if (rc == CURLE_OK && (a->status == 404 || a->status == 410))
            sl->phase = PHASE_SEND;
        else {
            weirp_http_error_text(rc, sl->curl_err, a, s->error_pointer, why, sizeof why);
            snprintf(text, sizeof text, "lookup %s: %s", s->lookup.text, why);
            if (cls == WEIRP_HTTP_DOWN)
                stop_all(s, WEIR_RESULT_DOWN, a->retry_after_ms, text);
            answer(s, sl, result_of(cls), a->retry_after_ms, text, NULL);
        }
        if (sl->busy && sl->phase == PHASE_SEND)
            start(s, sl);
        return;
    }

    if (cls == WEIRP_HTTP_OK) {
        s->run_5xx = 0;
        json_t *doc = answer_json(a);
        char *id = assigned_id(s, doc, a);
        json_decref(doc);
        answer(s, sl, WEIR_RESULT_OK, -1, NULL, id);
        free(id);
        return;
    }
    weirp_http_error_text(rc, sl->curl_err, a, s->error_pointer, why, sizeof why);
    if (cls == WEIRP_HTTP_REJECT) {
        s->run_5xx = 0;
        if (a->status >= 300 && a->status < 400 && a->location != NULL) {
            char to[256];
            weirp_http_describe("to", a->location, to, sizeof to);
            snprintf(text, sizeof text, "%.400s: redirected %.200s: a change is not "
                     "redirected (point url at the target itself)", why, to);
            answer(s, sl, WEIR_RESULT_REJECT, -1, text, NULL);
            return;
        }
        answer(s, sl, WEIR_RESULT_REJECT, -1, why, NULL);
        return;
    }
    snprintf(text, sizeof text, "%s: %s", sl->act->text, why);
    if (cls == WEIRP_HTTP_RETRY && rc == CURLE_OK && a->status >= 500) {
        if (++s->run_5xx >= DOWN_AFTER_5XX) {
            snprintf(text, sizeof text, "%s: %s (%d server errors in a row)",
                     sl->act->text, why, s->run_5xx);
            cls = WEIRP_HTTP_DOWN;
        }
    } else
        s->run_5xx = 0;
    if (cls == WEIRP_HTTP_DOWN)
        stop_all(s, WEIR_RESULT_DOWN, a->retry_after_ms, text);
    answer(s, sl, result_of(cls), a->retry_after_ms, text, NULL);
}

/* Only a create is looked up before it is sent again: a POST for an
 * insert or upsert.  Found proves nothing for a change to a record the
 * target already has (its old version is found); PUT, PATCH and DELETE
 * are safe to send again. */
static int is_create(const action *a, weir_op op)
{
    return strcmp(a->method, "POST") == 0 &&
           (op == WEIR_OP_INSERT || op == WEIR_OP_UPSERT);
}

weir_status whttp_sink_write(void *state, weir_batch *batch)
{
    hsink *s = state;
    const weir_host *host = s->c.host;
    size_t n = host->batch_count(batch), next = 0;
    int active = 0;
    s->stop = 0;
    for (;;) {
        long long wait_ms = 0;
        for (long long i = 0; i < s->concurrency && next < n; i++) {
            slot *sl = &s->slots[i];
            if (sl->busy)
                continue;
            weir_record *r = host->batch_at(batch, next);
            if (s->stop) {
                host->record_answer(r, s->stop_result, s->stop_text, NULL);
                if (s->stop_retry_ms >= 0)
                    host->record_retry_after(r, s->stop_retry_ms);
                next++;
                i--; /* the slot is still free */
                continue;
            }
            if (s->rate > 0 && (wait_ms = s->next_start_ms - whttp_now_ms()) > 0)
                break;
            next++;
            sl->rec = r;
            sl->busy = 1;
            sl->reauthed = 0;
            sl->act = action_for(s, host->record_op(r));
            if (sl->act == NULL) {
                char text[128];
                snprintf(text, sizeof text, "no action for %s records (give the option "
                         "'%s' or 'upsert')", op_names[host->record_op(r) & 3],
                         op_names[host->record_op(r) & 3]);
                answer(s, sl, WEIR_RESULT_REJECT, -1, text, NULL);
                continue;
            }
            sl->phase = s->lookup.path != NULL && host->record_attempt(r) > 1 &&
                        is_create(sl->act, host->record_op(r))
                        ? PHASE_LOOKUP : PHASE_SEND;
            if (start(s, sl) == 0)
                active++;
        }
        if (active == 0 && next >= n)
            break;
        /* Wait for a socket (at most a second, so a stalled transfer's
         * timeout still fires) unless a request waits for the rate. */
        long long max_wait = active > 0 ? 1000 : 0;
        if (wait_ms > 0 && (active == 0 || wait_ms < max_wait))
            max_wait = wait_ms;
        whttp_events_run(&s->events, max_wait);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(s->multi, &left)) != NULL) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            CURL *easy = msg->easy_handle;
            CURLcode rc = msg->data.result;
            slot *sl = NULL;
            curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&sl);
            curl_multi_remove_handle(s->multi, easy);
            active--;
            finished(s, sl, rc);
            if (sl->busy) /* a new request for the same record */
                active++;
        }
    }
    return WEIR_STATUS_OK;
}

/* ---- probe, open, close ----------------------------------------------------- */

weir_status whttp_sink_probe(void *state)
{
    hsink *s = state;
    const weir_host *host = s->c.host;
    CURL *h = curl_easy_init();
    if (h == NULL) {
        host->set_error(s->c.inst, "out of memory");
        return WEIR_STATUS_ERROR;
    }
    weirp_http_answer ans;
    char curl_err[CURL_ERROR_SIZE] = "", why[600];
    char *url = malloc(strlen(s->base) + (s->health.path ? strlen(s->health.path) : 0) + 2);
    weirp_http_answer_init(&ans, 4096);
    weir_status st = WEIR_STATUS_ERROR;
    if (url == NULL) {
        host->set_error(s->c.inst, "out of memory");
        goto out;
    }
    strcpy(url, s->base);
    strcat(url, s->health.path ? s->health.path : "/");
    weirp_http_setup(h, &s->conf);
    weirp_http_collect(h, &ans);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_err);
    curl_easy_setopt(h, CURLOPT_URL, url);
    if (s->health.path == NULL)
        curl_easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L); /* no health URL: can we connect? */
    else {
        if (strcmp(s->health.method, "GET") != 0)
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, s->health.method);
        if (strcmp(s->health.method, "HEAD") == 0)
            curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
        whttp_auth_apply(&s->auth, h);
    }
    CURLcode rc = curl_easy_perform(h);
    if (s->health.path == NULL && rc == CURLE_OK) {
        st = WEIR_STATUS_OK;
        goto out;
    }
    if (rc == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &ans.status);
    if (weirp_http_classify(rc, ans.status) == WEIRP_HTTP_OK) {
        s->run_5xx = 0;
        st = WEIR_STATUS_OK;
    } else {
        weirp_http_error_text(rc, curl_err, &ans, s->error_pointer, why, sizeof why);
        host->set_error(s->c.inst, "%s: %s", s->health.path ? s->health.text : "connect", why);
        st = WEIR_STATUS_DOWN;
    }
out:
    free(url);
    weirp_http_answer_free(&ans);
    curl_easy_cleanup(h);
    return st;
}

void whttp_sink_close(void *state)
{
    hsink *s = state;
    if (s == NULL)
        return;
    for (long long i = 0; s->slots != NULL && i < s->concurrency; i++) {
        slot *sl = &s->slots[i];
        if (sl->easy != NULL) {
            if (sl->busy)
                curl_multi_remove_handle(s->multi, sl->easy);
            curl_easy_cleanup(sl->easy);
        }
        slot_free(sl);
    }
    free(s->slots);
    curl_slist_free_all(s->hdrs_body);
    curl_slist_free_all(s->hdrs_nobody);
    if (s->multi != NULL)
        curl_multi_cleanup(s->multi);
    whttp_events_free(&s->events);
    whttp_auth_free(&s->auth);
    conf_free(s);
    free(s);
}

weir_status whttp_sink_open(weir_instance *inst, const weir_host *host,
                            void **state)
{
    hsink *s = calloc(1, sizeof *s);
    if (s == NULL) {
        host->set_error(inst, "out of memory");
        return WEIR_STATUS_ERROR;
    }
    s->c = (whttp_common){WEIR_KIND_SINK, inst, host};
    weirp_diag d = {.inst = inst, .host = host, .checking = 0};
    conf_load(s, inst, host, &d);
    if (d.errors) {
        host->set_error(inst, "invalid configuration (see the log; weir validate lists it)");
        whttp_sink_close(s);
        return WEIR_STATUS_ERROR;
    }
    weirp_http_conf_read(inst, host, &s->conf);
    whttp_auth_init(&s->auth, inst, host, &s->conf);
    s->multi = curl_multi_init();
    s->slots = calloc((size_t)s->concurrency, sizeof *s->slots);
    s->hdrs_body = whttp_headers(inst, host, 1);
    s->hdrs_nobody = whttp_headers(inst, host, 0);
    if (s->multi == NULL || s->slots == NULL || s->hdrs_body == NULL ||
        s->hdrs_nobody == NULL) {
        host->set_error(inst, "out of memory");
        whttp_sink_close(s);
        return WEIR_STATUS_ERROR;
    }
    whttp_events_init(&s->events, s->multi);
    /* Keep one connection per request in flight, and no more. */
    curl_multi_setopt(s->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)s->concurrency);
    curl_multi_setopt(s->multi, CURLMOPT_MAXCONNECTS, (long)s->concurrency);
    for (long long i = 0; i < s->concurrency; i++) {
        weirp_http_answer_init(&s->slots[i].ans, BODY_MAX);
        if ((s->slots[i].easy = curl_easy_init()) == NULL) {
            host->set_error(inst, "out of memory");
            whttp_sink_close(s);
            return WEIR_STATUS_ERROR;
        }
    }
    char err[600];
    weirp_http_class cls = whttp_auth_ready(&s->auth, 0, err, sizeof err);
    if (cls != WEIRP_HTTP_OK) {
        /* Unreachable or failing now: down.  Refused: a setup to fix. */
        host->set_error(inst, "%s", err);
        whttp_sink_close(s);
        return cls == WEIRP_HTTP_REJECT ? WEIR_STATUS_ERROR : WEIR_STATUS_DOWN;
    }
    *state = s;
    return WEIR_STATUS_OK;
}
