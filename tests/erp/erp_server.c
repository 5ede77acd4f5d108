/*
 * erp_server.c - the test ERP (see erp_server.h for what it answers).
 *
 * libmicrohttpd runs one thread per connection, so a slow answer delays
 * only its own connection, as a real server's would.  One mutex guards the
 * data, counters and switches; a request takes it once to decide its whole
 * answer (so "check the idempotency key, apply, store the answer" is
 * atomic) and sends the answer after letting it go.  A second mutex
 * serialises starting and stopping the daemon (down "refuse" mode).
 */
#include "config.h"

#include <ctype.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "deadline.h"
#include "erp_server.h"

#define MAX_BODY (1024 * 1024) /* a larger request body gets 413 */
#define MAX_LIMIT 1000         /* largest page */
#define TIME_BASE 1704067200   /* 2024-01-01T00:00:00Z: "modified" of change 0 */

static const char *const resources[] = {"customers", "orders", "invoices"};
static const char *const id_formats[] = {"C%05lu", "SO%05lu", "INV%05lu"};
#define N_RESOURCES 3

struct erp_server {
    pthread_mutex_t daemon_lock; /* start and stop of `daemon` */
    struct MHD_Daemon *daemon;
    atomic_int halting; /* the daemon is being stopped: slow answers end */
    unsigned short port;
    char url[40];

    pthread_mutex_t lock; /* everything below */
    pthread_cond_t captured_cond;
    json_t *records[N_RESOURCES]; /* id -> record */
    unsigned long next_id[N_RESOURCES];
    json_t *terms, *gl; /* code -> true */
    unsigned long changes; /* the "modified" clock */
    unsigned page_size;

    unsigned long requests;
    unsigned in_flight, max_in_flight; /* requests being answered at once */
    json_t *by_path;  /* "METHOD path" -> count */
    json_t *keys;     /* idempotency key -> {requests, applied, [answer]} */
    json_t *created;  /* "resource/ref" -> count */
    json_t *applied;  /* "resource/ref" -> count */
    json_t *answers;  /* "status" -> count */
    json_t *captures; /* array of captured requests */

    erp_down_mode down;
    unsigned slow_ms;
    erp_flaky_mode flaky;
    unsigned flaky_every;
    unsigned long flaky_seen;
    unsigned fail_count, fail_retry_after;
    int fail_status;
    unsigned rate, rate_retry_after, rate_used;
    time_t rate_second;
    int honour_keys;
    erp_auth_mode auth;
    char *auth_a, *auth_b;
    char *basic; /* "Basic base64(a:b)" */
    unsigned token_lifetime;
    json_t *tokens; /* token -> expiry (CLOCK_MONOTONIC ms; 0: expired) */
    unsigned long tokens_issued;
    FILE *log;
};

/* One request's body, collected over the handler's calls. */
struct request {
    char *body;
    size_t len, cap;
    int too_big;
};

/* The answer decided under the lock, sent after. */
typedef struct answer {
    int status;
    json_t *body; /* NULL: empty body */
    char *location, *link;
    unsigned retry_after;
    const char *www_authenticate;
    int drop; /* close the connection without answering */
} answer;

/* ---- small helpers ------------------------------------------------------ */

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void bump(json_t *counts, const char *key)
{
    json_t *v = json_object_get(counts, key);
    json_object_set_new(counts, key, json_integer(v ? json_integer_value(v) + 1 : 1));
}

static unsigned long count_of(json_t *counts, const char *key)
{
    return (unsigned long)json_integer_value(json_object_get(counts, key));
}

static int resource_index(const char *name)
{
    for (int i = 0; i < N_RESOURCES; i++)
        if (strcmp(name, resources[i]) == 0)
            return i;
    return -1;
}

/* "resource/ref": the key of the created and applied counters. */
static char *record_key(const char *resource, const char *ref)
{
    size_t n = strlen(resource) + strlen(ref) + 2;
    char *k = malloc(n);
    if (k)
        snprintf(k, n, "%s/%s", resource, ref);
    return k;
}

static json_t *error_body(int code, const char *fmt, const char *arg)
{
    char msg[512];
    snprintf(msg, sizeof msg, fmt, arg);
    json_t *err = json_pack("{s:s}", "message", msg);
    if (code)
        json_object_set_new(err, "code", json_integer(code));
    return json_pack("{s:o}", "error", err);
}

static void set_answer(answer *a, int status, json_t *body)
{
    a->status = status;
    json_decref(a->body);
    a->body = body;
}

static void fail(answer *a, int status, int code, const char *fmt, const char *arg)
{
    set_answer(a, status, error_body(code, fmt, arg));
}

static char *url_encode(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = malloc(strlen(s) * 3 + 1), *o = out;
    if (!out)
        return NULL;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isalnum(*p) || strchr("-._~", *p)) {
            *o++ = (char)*p;
        } else {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    *o = '\0';
    return out;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The decoded value of `name` in form body `body` (a=1&b=2). (owned) */
static char *form_value(const char *body, const char *name)
{
    size_t nl = strlen(name);
    for (const char *p = body; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
        if (strncmp(p, name, nl) != 0 || p[nl] != '=')
            continue;
        const char *v = p + nl + 1;
        size_t vl = strcspn(v, "&");
        char *out = malloc(vl + 1), *o = out;
        if (!out)
            return NULL;
        for (size_t i = 0; i < vl; i++) {
            if (v[i] == '+') {
                *o++ = ' ';
            } else if (v[i] == '%' && i + 2 < vl + 1 && hexval(v[i + 1]) >= 0 &&
                       hexval(v[i + 2]) >= 0) {
                *o++ = (char)(hexval(v[i + 1]) * 16 + hexval(v[i + 2]));
                i += 2;
            } else {
                *o++ = v[i];
            }
        }
        *o = '\0';
        return out;
    }
    return NULL;
}

/* "Basic " + base64(user ":" password). (owned) */
static char *basic_credentials(const char *user, const char *password)
{
    static const char b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t ul = strlen(user), n = ul + 1 + strlen(password);
    unsigned char *in = malloc(n + 1);
    char *out = malloc(6 + (n + 2) / 3 * 4 + 1);
    if (!in || !out) {
        free(in);
        free(out);
        return NULL;
    }
    snprintf((char *)in, n + 1, "%s:%s", user, password);
    char *o = out + 6;
    memcpy(out, "Basic ", 6);
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        *o++ = b64[v >> 18 & 63];
        *o++ = b64[v >> 12 & 63];
        *o++ = i + 1 < n ? b64[v >> 6 & 63] : '=';
        *o++ = i + 2 < n ? b64[v & 63] : '=';
    }
    *o = '\0';
    free(in);
    return out;
}

static const char *header(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

static const char *query(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
}

/* ---- records ------------------------------------------------------------ */

/* The next "modified" time. */
static json_t *stamp(erp_server *s)
{
    time_t t = (time_t)(TIME_BASE + s->changes++);
    struct tm tm;
    char buf[32];
    gmtime_r(&t, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return json_string(buf);
}

/* The record with id `key`, or else the first whose "ref" is `key`. (borrowed) */
static json_t *find(erp_server *s, int r, const char *key, const char **id)
{
    json_t *rec = json_object_get(s->records[r], key);
    if (rec) {
        *id = json_object_iter_key(json_object_iter_at(s->records[r], key));
        return rec;
    }
    const char *k;
    json_object_foreach(s->records[r], k, rec) {
        const char *ref = json_string_value(json_object_get(rec, "ref"));
        if (ref && strcmp(ref, key) == 0) {
            *id = k;
            return rec;
        }
    }
    return NULL;
}

/* Count a change applied to record `rec` (by its ref, else its id). */
static void count_change(erp_server *s, int r, json_t *rec, int created)
{
    const char *ref = json_string_value(json_object_get(rec, "ref"));
    char *k = record_key(resources[r], ref ? ref : json_string_value(json_object_get(rec, "id")));
    if (!k)
        return;
    bump(s->applied, k);
    if (created && ref)
        bump(s->created, k);
    free(k);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The ids of resource `r`, sorted, modified after `since` (NULL: all).
 * (owned array of borrowed strings: free) */
static const char **sorted_ids(erp_server *s, int r, const char *since, size_t *n)
{
    const char **ids = malloc((json_object_size(s->records[r]) + 1) * sizeof *ids);
    const char *k;
    json_t *rec;
    *n = 0;
    if (!ids)
        return NULL;
    json_object_foreach(s->records[r], k, rec) {
        const char *m = json_string_value(json_object_get(rec, "modified"));
        if (!since || (m && strcmp(m, since) > 0))
            ids[(*n)++] = k;
    }
    qsort(ids, *n, sizeof *ids, cmp_str);
    return ids;
}

/* Is `field` of `rec`, when given, a key of `table`?  Fails `a` when not. */
static int check_code(answer *a, json_t *rec, const char *field, json_t *table, int code,
                      const char *fmt)
{
    json_t *v = json_object_get(rec, field);
    if (!v || json_is_null(v))
        return 0;
    const char *text = json_string_value(v);
    if (text && json_object_get(table, text))
        return 0;
    fail(a, 422, code, fmt, text ? text : "(not a string)");
    return -1;
}

/* The ERP's checks of an order or an invoice (the merged record on PUT). */
static int validate(erp_server *s, int r, json_t *rec, answer *a)
{
    if (r == 0)
        return 0;
    json_t *cust = json_object_get(rec, "customer");
    if (r == 1 && !cust) {
        fail(a, 422, 0, "Field '%s' is required", "customer");
        return -1;
    }
    if (check_code(a, rec, "customer", s->records[0], 0, "Customer '%s' not found") < 0)
        return -1;
    if (r == 1)
        return 0;
    if (check_code(a, rec, "terms", s->terms, 1020,
                   "1020 - Terms Code \"%s\" is not defined in A/R Terms") < 0)
        return -1;
    static const char gl_fmt[] = "1021 - G/L Account \"%s\" is not defined in G/L Accounts";
    if (check_code(a, rec, "gl_account", s->gl, 1021, gl_fmt) < 0)
        return -1;
    size_t i;
    json_t *line;
    json_array_foreach(json_object_get(rec, "lines"), i, line)
        if (json_is_object(line) && check_code(a, line, "gl_account", s->gl, 1021, gl_fmt) < 0)
            return -1;
    return 0;
}

/* Store `rec` (stolen) under a new id of resource `r`; returns the id. */
static const char *create(erp_server *s, int r, json_t *rec)
{
    char id[32];
    do
        snprintf(id, sizeof id, id_formats[r], ++s->next_id[r]);
    while (json_object_get(s->records[r], id));
    json_object_set_new(rec, "id", json_string(id));
    json_object_set_new(rec, "modified", stamp(s));
    json_object_set_new(s->records[r], id, rec);
    count_change(s, r, rec, 1);
    return json_string_value(json_object_get(rec, "id"));
}

static void list(erp_server *s, struct MHD_Connection *c, int r, const char *path, answer *a)
{
    const char *ref = query(c, "ref");
    if (ref) {
        json_t *data = json_array();
        const char *k;
        json_t *rec;
        json_object_foreach(s->records[r], k, rec) {
            const char *rr = json_string_value(json_object_get(rec, "ref"));
            if (rr && strcmp(rr, ref) == 0)
                json_array_append(data, rec);
        }
        set_answer(a, 200, json_pack("{s:o}", "data", data));
        return;
    }
    const char *since = query(c, "modified_since");
    const char *limit_q = query(c, "limit") ? query(c, "limit") : query(c, "per_page");
    const char *page_q = query(c, "page"), *offset_q = query(c, "offset");
    const char *cursor = query(c, "cursor");
    long limit = limit_q ? strtol(limit_q, NULL, 10) : (long)s->page_size;
    if (limit < 1 || limit > MAX_LIMIT) {
        fail(a, 400, 0, "limit must be 1 to %s", "1000");
        return;
    }
    size_t n;
    const char **ids = sorted_ids(s, r, since, &n);
    if (!ids) {
        fail(a, 500, 0, "%s", "out of memory");
        return;
    }
    size_t start = 0;
    if (cursor) {
        while (start < n && strcmp(ids[start], cursor) <= 0)
            start++;
    } else if (offset_q) {
        long o = strtol(offset_q, NULL, 10);
        start = o > 0 ? (size_t)o : 0;
    } else if (page_q) {
        long p = strtol(page_q, NULL, 10);
        start = p > 1 ? (size_t)(p - 1) * (size_t)limit : 0;
    }
    json_t *data = json_array();
    size_t end = start;
    for (; end < n && end < start + (size_t)limit; end++)
        json_array_append(data, json_object_get(s->records[r], ids[end]));
    json_t *body = json_pack("{s:o,s:I}", "data", data, "total", (json_int_t)n);
    if (end < n) {
        /* the next page, in the mode the client asked for */
        char param[300];
        char *enc = url_encode(ids[end - 1]);
        if (cursor)
            snprintf(param, sizeof param, "cursor=%s", enc ? enc : "");
        else if (offset_q)
            snprintf(param, sizeof param, "offset=%zu", end);
        else
            snprintf(param, sizeof param, "page=%zu", start / (size_t)limit + 2);
        free(enc);
        char *since_enc = since ? url_encode(since) : NULL;
        size_t len = strlen(s->url) + strlen(path) + strlen(param) + 64 +
                     (since_enc ? strlen(since_enc) : 0);
        char *next = malloc(len);
        if (next) {
            int w = snprintf(next, len, "%s%s?%s", s->url, path, param);
            if (limit_q)
                w += snprintf(next + w, len - (size_t)w, "&limit=%ld", limit);
            if (since_enc)
                snprintf(next + w, len - (size_t)w, "&modified_since=%s", since_enc);
            json_object_set_new(body, "next", json_string(next));
            a->link = malloc(strlen(next) + 16);
            if (a->link)
                sprintf(a->link, "<%s>; rel=\"next\"", next);
            free(next);
        }
        free(since_enc);
        json_object_set_new(body, "next_cursor", json_string(ids[end - 1]));
    } else {
        json_object_set_new(body, "next", json_null());
        json_object_set_new(body, "next_cursor", json_null());
    }
    free(ids);
    set_answer(a, 200, body);
}

/* /customers, /orders, /invoices and /{resource}/{id-or-ref}. */
static void resource(erp_server *s, struct MHD_Connection *c, const char *method, int r,
                     const char *path, const char *key, json_t *body, answer *a)
{
    const char *id = NULL;
    if (!key) {
        if (strcmp(method, "GET") == 0) {
            list(s, c, r, path, a);
        } else if (strcmp(method, "POST") == 0) {
            if (validate(s, r, body, a) < 0)
                return;
            id = create(s, r, json_deep_copy(body));
            size_t len = strlen(s->url) + strlen(path) + strlen(id) + 2;
            a->location = malloc(len);
            if (a->location)
                snprintf(a->location, len, "%s%s/%s", s->url, path, id);
            set_answer(a, 201, json_pack("{s:s}", "id", id));
        } else {
            fail(a, 405, 0, "Method %s not allowed here", method);
        }
        return;
    }
    json_t *rec = find(s, r, key, &id);
    if (!rec) {
        fail(a, 404, 0, "'%s' not found", key);
        return;
    }
    char *own_id = strdup(id); /* `id` is the key storage of the record replaced */
    if (!own_id) {
        fail(a, 500, 0, "%s", "out of memory");
        return;
    }
    if (strcmp(method, "GET") == 0) {
        set_answer(a, 200, json_incref(rec));
    } else if (strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0) {
        json_t *merged = json_deep_copy(rec);
        json_object_update(merged, body);
        json_object_set(merged, "id", json_object_get(rec, "id"));
        if (validate(s, r, merged, a) < 0) {
            json_decref(merged);
        } else {
            json_object_set_new(merged, "modified", stamp(s));
            count_change(s, r, merged, 0);
            set_answer(a, 200, json_incref(merged));
            json_object_set_new(s->records[r], own_id, merged);
        }
    } else if (strcmp(method, "DELETE") == 0) {
        count_change(s, r, rec, 0);
        json_object_del(s->records[r], own_id);
        set_answer(a, 204, NULL);
    } else {
        fail(a, 405, 0, "Method %s not allowed here", method);
    }
    free(own_id);
}

/* ---- auth --------------------------------------------------------------- */

/* 0 when the request may go on, else `a` is the 401. */
static int check_auth(erp_server *s, struct MHD_Connection *c, answer *a)
{
    const char *h = header(c, MHD_HTTP_HEADER_AUTHORIZATION);
    const char *why = "Authentication required";
    switch (s->auth) {
    case ERP_AUTH_NONE:
        return 0;
    case ERP_AUTH_BASIC:
        if (h && s->basic && strcmp(h, s->basic) == 0)
            return 0;
        a->www_authenticate = "Basic realm=\"erp\"";
        break;
    case ERP_AUTH_BEARER:
        if (h && strncmp(h, "Bearer ", 7) == 0 && strcmp(h + 7, s->auth_a) == 0)
            return 0;
        a->www_authenticate = "Bearer realm=\"erp\"";
        break;
    case ERP_AUTH_OAUTH2: {
        json_t *exp = h && strncmp(h, "Bearer ", 7) == 0 ? json_object_get(s->tokens, h + 7) : NULL;
        if (exp && json_integer_value(exp) > now_ms())
            return 0;
        if (exp)
            why = "Token expired";
        a->www_authenticate = exp ? "Bearer realm=\"erp\", error=\"invalid_token\""
                                  : "Bearer realm=\"erp\"";
        break;
    }
    }
    fail(a, 401, 0, "%s", why);
    return -1;
}

/* POST /oauth/token: client credentials from the form or JSON body or a
 * Basic header. */
static void token(erp_server *s, struct MHD_Connection *c, const char *text, answer *a)
{
    char *grant = NULL, *id = NULL, *secret = NULL;
    json_t *js = text[0] == '{' ? json_loads(text, 0, NULL) : NULL;
    if (js) {
        const char *g = json_string_value(json_object_get(js, "grant_type"));
        const char *i = json_string_value(json_object_get(js, "client_id"));
        const char *p = json_string_value(json_object_get(js, "client_secret"));
        grant = g ? strdup(g) : NULL;
        id = i ? strdup(i) : NULL;
        secret = p ? strdup(p) : NULL;
        json_decref(js);
    } else {
        grant = form_value(text, "grant_type");
        id = form_value(text, "client_id");
        secret = form_value(text, "client_secret");
    }
    const char *h = header(c, MHD_HTTP_HEADER_AUTHORIZATION);
    int ok = s->auth == ERP_AUTH_OAUTH2 &&
             ((h && s->basic && strcmp(h, s->basic) == 0) ||
              (id && secret && strcmp(id, s->auth_a) == 0 && strcmp(secret, s->auth_b) == 0));
    if (!grant || strcmp(grant, "client_credentials") != 0) {
        set_answer(a, 400, json_pack("{s:s}", "error", "unsupported_grant_type"));
    } else if (!ok) {
        set_answer(a, 401, json_pack("{s:s}", "error", "invalid_client"));
    } else {
        char tok[48];
        snprintf(tok, sizeof tok, "erp-token-%lu", ++s->tokens_issued);
        json_object_set_new(s->tokens, tok,
                            json_integer(now_ms() + (long long)s->token_lifetime * 1000));
        set_answer(a, 200, json_pack("{s:s,s:s,s:i}", "access_token", tok, "token_type",
                                     "Bearer", "expires_in", (int)s->token_lifetime));
    }
    free(grant);
    free(id);
    free(secret);
}

/* ---- capture ------------------------------------------------------------ */

static enum MHD_Result add_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    (void)kind;
    char name[128];
    size_t i = 0;
    for (; key[i] && i < sizeof name - 1; i++)
        name[i] = (char)tolower((unsigned char)key[i]);
    name[i] = '\0';
    json_object_set_new(cls, name, json_string(value ? value : ""));
    return MHD_YES;
}

static void capture(erp_server *s, struct MHD_Connection *c, const char *path,
                    const struct request *rq, answer *a)
{
    json_t *headers = json_object();
    MHD_get_connection_values(c, MHD_HEADER_KIND, add_header, headers);
    json_t *text = json_stringn(rq->body ? rq->body : "", rq->len);
    json_t *parsed = rq->len ? json_loadb(rq->body, rq->len, 0, NULL) : NULL;
    json_array_append_new(s->captures,
                          json_pack("{s:s,s:o,s:o,s:o}", "path", path, "headers", headers,
                                    "body", text ? text : json_string(""), "json",
                                    parsed ? parsed : json_null()));
    pthread_cond_broadcast(&s->captured_cond);
    set_answer(a, 200, json_pack("{s:b}", "ok", 1));
}

/* ---- routing ------------------------------------------------------------ */

/* POST /terms, POST /gl-accounts {"code": C}. */
static void define(json_t *table, const char *method, json_t *body, answer *a)
{
    const char *code = json_string_value(json_object_get(body, "code"));
    if (strcmp(method, "GET") == 0) {
        json_t *data = json_array();
        const char *k;
        json_t *v;
        json_object_foreach(table, k, v)
            json_array_append_new(data, json_string(k));
        set_answer(a, 200, json_pack("{s:o}", "data", data));
    } else if (strcmp(method, "POST") != 0) {
        fail(a, 405, 0, "Method %s not allowed here", method);
    } else if (!code) {
        fail(a, 422, 0, "Field '%s' is required", "code");
    } else if (json_object_get(table, code)) {
        fail(a, 409, 0, "'%s' already exists", code);
    } else {
        json_object_set_new(table, code, json_true());
        set_answer(a, 201, json_pack("{s:s}", "id", code));
    }
}

static int mutating(const char *method)
{
    return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
}

/* The answer of a request past the switches (lock held). */
static void route(erp_server *s, struct MHD_Connection *c, const char *method, const char *url,
                  const struct request *rq, answer *a)
{
    if (strncmp(url, "/hooks/", 7) == 0) {
        capture(s, c, url, rq, a);
        return;
    }
    if (strcmp(url, "/health") == 0) {
        set_answer(a, 200, json_pack("{s:s}", "status", "ok"));
        return;
    }
    if (strcmp(url, "/oauth/token") == 0 && strcmp(method, "POST") == 0) {
        token(s, c, rq->body ? rq->body : "", a);
        return;
    }
    json_t *body = NULL;
    if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
        strcmp(method, "PATCH") == 0) {
        json_error_t err;
        body = json_loadb(rq->body ? rq->body : "", rq->len, 0, &err);
        if (!json_is_object(body)) {
            fail(a, 400, 0, "Malformed JSON: %s", body ? "not an object" : err.text);
            json_decref(body);
            return;
        }
    }
    /* /name or /name/key */
    char name[64];
    const char *rest = url + 1;
    size_t nl = strcspn(rest, "/");
    const char *key = rest[nl] == '/' && rest[nl + 1] ? rest + nl + 1 : NULL;
    if (url[0] != '/' || nl >= sizeof name || (key && strchr(key, '/'))) {
        fail(a, 404, 0, "No such resource: %s", url);
    } else {
        memcpy(name, rest, nl);
        name[nl] = '\0';
        char path[80];
        snprintf(path, sizeof path, "/%s", name);
        int r = resource_index(name);
        if (r >= 0)
            resource(s, c, method, r, path, key, body, a);
        else if (!key && strcmp(name, "terms") == 0)
            define(s->terms, method, body, a);
        else if (!key && strcmp(name, "gl-accounts") == 0)
            define(s->gl, method, body, a);
        else
            fail(a, 404, 0, "No such resource: %s", url);
    }
    json_decref(body);
}

/* The request through the switches, the idempotency key and the routes
 * (lock held).  Returns 1 when the answer must be lost after applying. */
static int decide(erp_server *s, struct MHD_Connection *c, const char *method, const char *url,
                  const struct request *rq, answer *a)
{
    if (rq->too_big) {
        fail(a, 413, 0, "Request body larger than %s", "1 MiB");
        return 0;
    }
    if (s->down == ERP_DOWN_503) {
        fail(a, 503, 0, "%s", "Service unavailable");
        return 0;
    }
    if (s->fail_count) {
        s->fail_count--;
        fail(a, s->fail_status, 0, "%s", "injected failure");
        a->retry_after = s->fail_retry_after;
        return 0;
    }
    int lose = 0;
    if (s->flaky != ERP_FLAKY_OFF && ++s->flaky_seen % s->flaky_every == 0) {
        if (s->flaky == ERP_FLAKY_503) {
            fail(a, 503, 0, "%s", "Service unavailable (flaky)");
            return 0;
        }
        if (s->flaky == ERP_FLAKY_DROP) {
            a->drop = 1;
            return 0;
        }
        lose = 1;
    }
    if (s->rate) {
        time_t sec = (time_t)(now_ms() / 1000);
        if (sec != s->rate_second) {
            s->rate_second = sec;
            s->rate_used = 0;
        }
        if (++s->rate_used > s->rate) {
            fail(a, 429, 0, "%s", "Too many requests");
            a->retry_after = s->rate_retry_after;
            return 0;
        }
    }
    if (strcmp(url, "/health") != 0 && strcmp(url, "/oauth/token") != 0 &&
        check_auth(s, c, a) < 0)
        return 0;

    const char *key = mutating(method) ? header(c, "Idempotency-Key") : NULL;
    json_t *entry = NULL;
    if (key) {
        entry = json_object_get(s->keys, key);
        if (!entry) {
            entry = json_pack("{s:i,s:i}", "requests", 0, "applied", 0);
            json_object_set_new(s->keys, key, entry);
        }
        bump(entry, "requests");
        json_t *stored = json_object_get(entry, "answer");
        if (s->honour_keys && stored) {
            json_t *b = json_object_get(stored, "body"); /* null: no body (204) */
            set_answer(a, (int)json_integer_value(json_object_get(stored, "status")),
                       json_is_object(b) ? json_incref(b) : NULL);
            const char *loc = json_string_value(json_object_get(stored, "location"));
            a->location = loc ? strdup(loc) : NULL;
            return lose;
        }
    }
    route(s, c, method, url, rq, a);
    if (entry && a->status >= 200 && a->status < 300) {
        bump(entry, "applied");
        if (s->honour_keys)
            json_object_set_new(entry, "answer",
                                json_pack("{s:i,s:O?,s:s?}", "status", a->status, "body",
                                          a->body, "location", a->location));
    }
    return lose;
}

static enum MHD_Result send_answer(struct MHD_Connection *c, const answer *a)
{
    char *text = a->body ? json_dumps(a->body, JSON_COMPACT) : strdup("");
    if (!text)
        return MHD_NO;
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(text);
        return MHD_NO;
    }
    if (a->body)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    if (a->location)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, a->location);
    if (a->link)
        MHD_add_response_header(resp, "Link", a->link);
    if (a->www_authenticate)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, a->www_authenticate);
    if (a->retry_after) {
        char ra[16];
        snprintf(ra, sizeof ra, "%u", a->retry_after);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
    }
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)a->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    (void)version;
    erp_server *s = cls;
    struct request *rq = *con_cls;
    if (!rq) {
        rq = calloc(1, sizeof *rq);
        *con_cls = rq;
        return rq ? MHD_YES : MHD_NO;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (rq->too_big || rq->len + n > MAX_BODY) {
            rq->too_big = 1;
            return MHD_YES;
        }
        if (rq->len + n + 1 > rq->cap) {
            size_t cap = (rq->len + n + 1) * 2;
            char *b = realloc(rq->body, cap);
            if (!b)
                return MHD_NO;
            rq->body = b;
            rq->cap = cap;
        }
        memcpy(rq->body + rq->len, upload, n);
        rq->len += n;
        rq->body[rq->len] = '\0';
        return MHD_YES;
    }

    /* counted on arrival, before the slow switch delays the answer */
    char *mp = malloc(strlen(method) + strlen(url) + 2);
    if (mp)
        sprintf(mp, "%s %s", method, url);
    pthread_mutex_lock(&s->lock);
    s->requests++;
    if (mp)
        bump(s->by_path, mp);
    unsigned slow = s->slow_ms;
    if (++s->in_flight > s->max_in_flight)
        s->max_in_flight = s->in_flight;
    pthread_mutex_unlock(&s->lock);
    free(mp);
    for (long long end = now_ms() + slow; slow && now_ms() < end && !s->halting;) {
        struct timespec ts = {0, 5 * 1000000};
        nanosleep(&ts, NULL);
    }
    answer a = {0};
    pthread_mutex_lock(&s->lock);
    s->in_flight--;
    if (s->halting) { /* stopped or switched down while waiting: no answer */
        pthread_mutex_unlock(&s->lock);
        return MHD_NO;
    }
    int lose = decide(s, c, method, url, rq, &a);
    if (lose)
        a.drop = 1;
    char st[16];
    snprintf(st, sizeof st, "%d", a.drop ? 0 : a.status);
    bump(s->answers, st);
    if (s->log) {
        fprintf(s->log, "%s %s %s\n", method, url, a.drop ? "(connection dropped)" : st);
        fflush(s->log);
    }
    pthread_mutex_unlock(&s->lock);

    enum MHD_Result ret = a.drop ? MHD_NO : send_answer(c, &a);
    /* the body may be a stored answer's, which other connections'
     * threads take references to under the lock */
    pthread_mutex_lock(&s->lock);
    json_decref(a.body);
    pthread_mutex_unlock(&s->lock);
    free(a.location);
    free(a.link);
    return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    struct request *rq = *con_cls;
    if (rq) {
        free(rq->body);
        free(rq);
        *con_cls = NULL;
    }
}

/* ---- the daemon ----------------------------------------------------------- */

/* Listen on 127.0.0.1:port (daemon_lock held). */
static int listen_on(erp_server *s, unsigned short port)
{
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->halting = 0;
    s->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_AUTO, port,
        NULL, NULL, handle, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_CONNECTION_LIMIT, 256u,
        MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_NOTIFY_COMPLETED, completed, s,
        MHD_OPTION_END);
    if (!s->daemon) {
        fprintf(stderr, "erp_server: cannot listen on 127.0.0.1:%u\n", port);
        return -1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : port;
    return 0;
}

static void halt(erp_server *s)
{
    if (s->daemon) {
        s->halting = 1;
        MHD_stop_daemon(s->daemon);
        s->daemon = NULL;
    }
}

erp_server *erp_start(unsigned short port)
{
    erp_server *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    pthread_mutex_init(&s->daemon_lock, NULL);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->captured_cond, NULL);
    for (int r = 0; r < N_RESOURCES; r++)
        s->records[r] = json_object();
    s->terms = json_pack("{s:b,s:b,s:b}", "N30", 1, "N60", 1, "COD", 1);
    s->gl = json_pack("{s:b,s:b,s:b}", "4000", 1, "4100", 1, "1200", 1);
    s->by_path = json_object();
    s->keys = json_object();
    s->created = json_object();
    s->applied = json_object();
    s->answers = json_object();
    s->captures = json_array();
    s->tokens = json_object();
    s->page_size = 50;
    s->honour_keys = 1;
    s->token_lifetime = 3600;
    if (listen_on(s, port) < 0) {
        erp_stop(s);
        return NULL;
    }
    /* the daemon's threads read it under the lock */
    pthread_mutex_lock(&s->lock);
    snprintf(s->url, sizeof s->url, "http://127.0.0.1:%u", s->port);
    pthread_mutex_unlock(&s->lock);
    return s;
}

void erp_stop(erp_server *s)
{
    if (!s)
        return;
    halt(s);
    for (int r = 0; r < N_RESOURCES; r++)
        json_decref(s->records[r]);
    json_decref(s->terms);
    json_decref(s->gl);
    json_decref(s->by_path);
    json_decref(s->keys);
    json_decref(s->created);
    json_decref(s->applied);
    json_decref(s->answers);
    json_decref(s->captures);
    json_decref(s->tokens);
    free(s->auth_a);
    free(s->auth_b);
    free(s->basic);
    pthread_cond_destroy(&s->captured_cond);
    pthread_mutex_destroy(&s->lock);
    pthread_mutex_destroy(&s->daemon_lock);
    free(s);
}

unsigned short erp_port(const erp_server *s)
{
    return s->port;
}

const char *erp_url(const erp_server *s)
{
    return s->url;
}

void erp_set_log(erp_server *s, FILE *log)
{
    pthread_mutex_lock(&s->lock);
    s->log = log;
    pthread_mutex_unlock(&s->lock);
}

/* ---- data and counters -------------------------------------------------- */

int erp_add_customer(erp_server *s, const char *id, const char *name)
{
    pthread_mutex_lock(&s->lock);
    int ret = -1;
    if (!json_object_get(s->records[0], id)) {
        json_object_set_new(s->records[0], id,
                            json_pack("{s:s,s:s,s:o}", "id", id, "name", name, "modified",
                                      stamp(s)));
        ret = 0;
    }
    pthread_mutex_unlock(&s->lock);
    return ret;
}

int erp_edit(erp_server *s, const char *resource, const char *id_or_ref,
             const char *field, const char *value)
{
    int r = resource_index(resource);
    if (r < 0)
        return -1;
    pthread_mutex_lock(&s->lock);
    const char *id = NULL;
    json_t *rec = find(s, r, id_or_ref, &id);
    int ret = -1;
    if (rec) {
        json_object_set_new(rec, field, json_string(value));
        json_object_set_new(rec, "modified", stamp(s));
        ret = 0;
    }
    pthread_mutex_unlock(&s->lock);
    return ret;
}

static int add_code(erp_server *s, json_t *table, const char *code)
{
    pthread_mutex_lock(&s->lock);
    int ret = json_object_get(table, code) ? -1 : json_object_set_new(table, code, json_true());
    pthread_mutex_unlock(&s->lock);
    return ret;
}

int erp_add_terms(erp_server *s, const char *code)
{
    return add_code(s, s->terms, code);
}

int erp_add_gl_account(erp_server *s, const char *code)
{
    return add_code(s, s->gl, code);
}

size_t erp_record_count(erp_server *s, const char *resource)
{
    int r = resource_index(resource);
    pthread_mutex_lock(&s->lock);
    size_t n = r < 0 ? 0 : json_object_size(s->records[r]);
    pthread_mutex_unlock(&s->lock);
    return n;
}

json_t *erp_record(erp_server *s, const char *resource, const char *id_or_ref)
{
    int r = resource_index(resource);
    const char *id;
    pthread_mutex_lock(&s->lock);
    json_t *rec = r < 0 ? NULL : json_deep_copy(find(s, r, id_or_ref, &id));
    pthread_mutex_unlock(&s->lock);
    return rec;
}

json_t *erp_records(erp_server *s, const char *resource)
{
    int r = resource_index(resource);
    json_t *out = json_array();
    if (r < 0)
        return out;
    pthread_mutex_lock(&s->lock);
    size_t n;
    const char **ids = sorted_ids(s, r, NULL, &n);
    for (size_t i = 0; ids && i < n; i++)
        json_array_append_new(out, json_deep_copy(json_object_get(s->records[r], ids[i])));
    free(ids);
    pthread_mutex_unlock(&s->lock);
    return out;
}

void erp_set_page_size(erp_server *s, unsigned n)
{
    pthread_mutex_lock(&s->lock);
    s->page_size = n < 1 ? 1 : n > MAX_LIMIT ? MAX_LIMIT : n;
    pthread_mutex_unlock(&s->lock);
}

unsigned long erp_requests(erp_server *s)
{
    pthread_mutex_lock(&s->lock);
    unsigned long n = s->requests;
    pthread_mutex_unlock(&s->lock);
    return n;
}

unsigned long erp_requests_to(erp_server *s, const char *method_path)
{
    pthread_mutex_lock(&s->lock);
    unsigned long n = count_of(s->by_path, method_path);
    pthread_mutex_unlock(&s->lock);
    return n;
}

static unsigned long key_count(erp_server *s, const char *key, const char *what)
{
    pthread_mutex_lock(&s->lock);
    unsigned long n = count_of(json_object_get(s->keys, key), what);
    pthread_mutex_unlock(&s->lock);
    return n;
}

unsigned long erp_key_requests(erp_server *s, const char *key)
{
    return key_count(s, key, "requests");
}

unsigned long erp_key_applied(erp_server *s, const char *key)
{
    return key_count(s, key, "applied");
}

static unsigned long record_count(erp_server *s, json_t *counts, const char *resource,
                                  const char *ref)
{
    char *k = record_key(resource, ref);
    pthread_mutex_lock(&s->lock);
    unsigned long n = k ? count_of(counts, k) : 0;
    pthread_mutex_unlock(&s->lock);
    free(k);
    return n;
}

unsigned long erp_created(erp_server *s, const char *resource, const char *ref)
{
    return record_count(s, s->created, resource, ref);
}

unsigned long erp_applied(erp_server *s, const char *resource, const char *ref)
{
    return record_count(s, s->applied, resource, ref);
}

unsigned long erp_max_created(erp_server *s)
{
    unsigned long max = 0;
    const char *k;
    json_t *v;
    pthread_mutex_lock(&s->lock);
    json_object_foreach(s->created, k, v)
        if ((unsigned long)json_integer_value(v) > max)
            max = (unsigned long)json_integer_value(v);
    pthread_mutex_unlock(&s->lock);
    return max;
}

unsigned long erp_answers(erp_server *s, int status)
{
    char st[16];
    snprintf(st, sizeof st, "%d", status);
    pthread_mutex_lock(&s->lock);
    unsigned long n = count_of(s->answers, st);
    pthread_mutex_unlock(&s->lock);
    return n;
}

unsigned erp_max_in_flight(erp_server *s)
{
    pthread_mutex_lock(&s->lock);
    unsigned n = s->max_in_flight;
    pthread_mutex_unlock(&s->lock);
    return n;
}

void erp_reset_counters(erp_server *s)
{
    pthread_mutex_lock(&s->lock);
    s->requests = 0;
    s->max_in_flight = s->in_flight;
    json_object_clear(s->by_path);
    json_object_clear(s->created);
    json_object_clear(s->applied);
    json_object_clear(s->answers);
    /* stored idempotent answers stay: they are the server's data */
    const char *k;
    json_t *v;
    json_object_foreach(s->keys, k, v) {
        json_object_set_new(v, "requests", json_integer(0));
        json_object_set_new(v, "applied", json_integer(0));
    }
    pthread_mutex_unlock(&s->lock);
}

/* ---- switches ----------------------------------------------------------- */

int erp_set_down(erp_server *s, erp_down_mode mode)
{
    int ret = 0;
    pthread_mutex_lock(&s->daemon_lock);
    pthread_mutex_lock(&s->lock);
    s->down = mode;
    pthread_mutex_unlock(&s->lock);
    if (mode == ERP_DOWN_REFUSE)
        halt(s);
    else if (!s->daemon)
        ret = listen_on(s, s->port);
    pthread_mutex_unlock(&s->daemon_lock);
    return ret;
}

void erp_set_slow(erp_server *s, unsigned ms)
{
    pthread_mutex_lock(&s->lock);
    s->slow_ms = ms;
    pthread_mutex_unlock(&s->lock);
}

void erp_set_flaky(erp_server *s, erp_flaky_mode mode, unsigned every)
{
    pthread_mutex_lock(&s->lock);
    s->flaky = every ? mode : ERP_FLAKY_OFF;
    s->flaky_every = every;
    s->flaky_seen = 0;
    pthread_mutex_unlock(&s->lock);
}

void erp_fail_next(erp_server *s, unsigned count, int status, unsigned retry_after)
{
    pthread_mutex_lock(&s->lock);
    s->fail_count = count;
    s->fail_status = status;
    s->fail_retry_after = retry_after;
    pthread_mutex_unlock(&s->lock);
}

void erp_set_rate_limit(erp_server *s, unsigned per_second, unsigned retry_after)
{
    pthread_mutex_lock(&s->lock);
    s->rate = per_second;
    s->rate_retry_after = retry_after;
    s->rate_second = 0;
    s->rate_used = 0;
    pthread_mutex_unlock(&s->lock);
}

void erp_set_idempotency(erp_server *s, int honour)
{
    pthread_mutex_lock(&s->lock);
    s->honour_keys = honour;
    pthread_mutex_unlock(&s->lock);
}

void erp_set_auth(erp_server *s, erp_auth_mode mode, const char *a, const char *b)
{
    char *na = a ? strdup(a) : NULL, *nb = b ? strdup(b) : NULL;
    char *basic = a && b ? basic_credentials(a, b) : NULL;
    pthread_mutex_lock(&s->lock);
    free(s->auth_a);
    free(s->auth_b);
    free(s->basic);
    s->auth_a = na;
    s->auth_b = nb;
    s->basic = basic;
    s->auth = mode;
    if ((mode == ERP_AUTH_BEARER && !na) || (mode != ERP_AUTH_NONE && mode != ERP_AUTH_BEARER && !basic))
        s->auth = ERP_AUTH_NONE; /* missing credentials (or no memory) */
    pthread_mutex_unlock(&s->lock);
}

void erp_set_token_lifetime(erp_server *s, unsigned seconds)
{
    pthread_mutex_lock(&s->lock);
    s->token_lifetime = seconds;
    pthread_mutex_unlock(&s->lock);
}

void erp_expire_tokens(erp_server *s)
{
    const char *k;
    json_t *v;
    pthread_mutex_lock(&s->lock);
    json_object_foreach(s->tokens, k, v)
        json_integer_set(v, 0);
    pthread_mutex_unlock(&s->lock);
}

unsigned long erp_tokens_issued(erp_server *s)
{
    pthread_mutex_lock(&s->lock);
    unsigned long n = s->tokens_issued;
    pthread_mutex_unlock(&s->lock);
    return n;
}

/* ---- capture ------------------------------------------------------------ */

size_t erp_captured_count(erp_server *s)
{
    pthread_mutex_lock(&s->lock);
    size_t n = json_array_size(s->captures);
    pthread_mutex_unlock(&s->lock);
    return n;
}

size_t erp_wait_captured(erp_server *s, size_t n, int timeout_ms)
{
    struct timespec deadline = erp_deadline(timeout_ms);
    pthread_mutex_lock(&s->lock);
    while (json_array_size(s->captures) < n &&
           pthread_cond_timedwait(&s->captured_cond, &s->lock, &deadline) == 0)
        ;
    size_t got = json_array_size(s->captures);
    pthread_mutex_unlock(&s->lock);
    return got;
}

json_t *erp_captured(erp_server *s, size_t i)
{
    pthread_mutex_lock(&s->lock);
    json_t *c = json_deep_copy(json_array_get(s->captures, i));
    pthread_mutex_unlock(&s->lock);
    return c;
}
