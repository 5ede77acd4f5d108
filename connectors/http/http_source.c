/*
 * connectors/http/http_source.c - the http source: GET pages of JSON
 * records, one page at a time, following the API's pagination.
 *
 * A page is fetched only when the records of the one before are all in
 * batches, and the page after the last records is fetched before they are
 * handed out: so the read() that hands out the last records knows it is
 * the last, and sets the incremental cursor then, committed with those
 * records (a state_set on an empty final batch would never be committed).
 * A page that fails after its tries aborts the run before that: the
 * cursor stays where it was.
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http_int.h"
#include "common/http_template.h"

/* The largest page kept; a longer one is an error, never cut silently. */
#define PAGE_MAX (16u * 1024 * 1024)
#define MAX_ATTEMPTS 20
#define CURSOR_KEY "cursor"

typedef enum next_mode {
    NEXT_NONE,    /* one page */
    NEXT_LINK,    /* Link: <URL>; rel="next" */
    NEXT_POINTER, /* the next URL at a JSON pointer of the page */
    NEXT_PAGE,    /* PARAM=1, 2, ... until an empty page */
    NEXT_OFFSET,  /* PARAM=0, limit, ... until a short page */
    NEXT_CURSOR   /* PARAM=the value at a JSON pointer, until there is none */
} next_mode;

typedef struct hsource {
    whttp_common c;
    /* configuration */
    char *base;         /* url without a trailing '/' (owned) */
    char *path;         /* the first page's path, query included (owned) */
    const char *records; /* JSON pointer to the array (borrowed) */
    next_mode next;
    char *next_pointer; /* NEXT_POINTER, NEXT_CURSOR (owned) */
    char *param;        /* NEXT_PAGE, NEXT_OFFSET, NEXT_CURSOR (owned) */
    long long limit;    /* -1: none */
    const char *since, *cursor_field; /* (borrowed) */
    long long max_pages, attempts, retry_delay_ms, retry_max_ms, rate;
    weirp_http_conf conf;
    whttp_auth auth;
    CURL *easy;
    weirp_http_answer ans;
    char curl_err[CURL_ERROR_SIZE];
    /* the run */
    int started;
    char *cursor;       /* the stored cursor (owned), NULL: first run */
    char *newest;       /* the largest cursor-field value read (owned) */
    char *url;          /* the next page to fetch (owned), NULL: no more */
    char **seen;        /* every URL fetched this run (owned) */
    size_t nseen;
    json_t *page;       /* the page whose records are handed out */
    json_t *items;      /* its array (borrowed from page) */
    size_t idx;         /* the next item of items */
    long page_no;       /* pages fetched */
    long long offset;   /* NEXT_OFFSET: records before the next page */
    long position;      /* records handed out: each one's origin */
    long long last_start_ms;
} hsource;

/* ---- configuration -------------------------------------------------------- */

static int param_ok(const char *p)
{
    if (*p == '\0')
        return 0;
    for (; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '.' ||
              *p == '[' || *p == ']'))
            return 0;
    return 1;
}

/* "page:PARAM" and the like: PARAM after `prefix`, or NULL. */
static const char *after(const char *v, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(v, prefix, n) == 0 ? v + n : NULL;
}

static void parse_next(hsource *s, const char *v, weirp_diag *d)
{
    const char *p;
    if (v == NULL)
        s->next = NEXT_NONE;
    else if (strcmp(v, "link") == 0)
        s->next = NEXT_LINK;
    else if (v[0] == '/') {
        s->next = NEXT_POINTER;
        s->next_pointer = whttp_strdup(v);
    } else if ((p = after(v, "page:")) != NULL) {
        s->next = NEXT_PAGE;
        s->param = whttp_strdup(p);
    } else if ((p = after(v, "offset:")) != NULL) {
        s->next = NEXT_OFFSET;
        s->param = whttp_strdup(p);
    } else if ((p = after(v, "cursor:")) != NULL) {
        const char *colon = strrchr(p, ':');
        s->next = NEXT_CURSOR;
        if (p[0] != '/' || colon == NULL) {
            weirp_diag_report(d, NULL, "next: \"%s\" is not cursor:/pointer:PARAM", v);
            return;
        }
        s->next_pointer = malloc((size_t)(colon - p) + 1);
        if (s->next_pointer != NULL) {
            memcpy(s->next_pointer, p, (size_t)(colon - p));
            s->next_pointer[colon - p] = '\0';
        }
        s->param = whttp_strdup(colon + 1);
    } else {
        weirp_diag_report(d, NULL, "next: \"%s\" is none of link, /pointer, page:PARAM, "
                          "offset:PARAM, cursor:/pointer:PARAM", v);
        return;
    }
    if ((s->next == NEXT_POINTER || s->next == NEXT_CURSOR) && s->next_pointer == NULL)
        weirp_diag_report(d, NULL, "out of memory");
    if (s->next >= NEXT_PAGE && (s->param == NULL || !param_ok(s->param)))
        weirp_diag_report(d, NULL, "next: \"%s\": the query parameter name is missing "
                          "or has characters other than letters, digits, _ - . [ ]", v);
}

/* Read and check the options into s; every problem goes to d. */
static void conf_load(hsource *s, weir_instance *inst, const weir_host *host,
                      weirp_diag *d)
{
    char err[512], method[16];
    s->base = whttp_base_url(inst, host, d);
    const char *v = host->option(inst, "path");
    const char *path = NULL;
    if (v == NULL)
        weirp_diag_report(d, NULL, "a source needs the option 'path' (GET /customers)");
    else if (whttp_split_action(v, method, sizeof method, &path, err, sizeof err) != 0)
        weirp_diag_report(d, NULL, "path: %s", err);
    else if (strcmp(method, "GET") != 0)
        weirp_diag_report(d, NULL, "path: a source reads with GET (\"%s\")", v);
    else if (strpbrk(path, "{}# \t") != NULL)
        weirp_diag_report(d, NULL, "path: \"%s\": no {field} (a source has no record), "
                          "fragment or blank", path);
    else if ((s->path = whttp_strdup(path)) == NULL)
        weirp_diag_report(d, NULL, "out of memory");
    s->records = host->option(inst, "records");
    if (s->records == NULL)
        s->records = "";
    if (s->records[0] != '\0' && s->records[0] != '/')
        weirp_diag_report(d, NULL, "records: a JSON pointer starts with '/' (\"%s\")",
                          s->records);
    parse_next(s, host->option(inst, "next"), d);
    s->limit = -1;
    if (host->option_int(inst, "limit", &s->limit) == 0 && s->limit < 1)
        weirp_diag_report(d, NULL, "limit: at least 1");
    if (s->next == NEXT_OFFSET && s->limit < 1)
        weirp_diag_report(d, NULL, "next offset:PARAM needs the option 'limit' "
                          "(a short page is the last)");
    s->since = host->option(inst, "since");
    s->cursor_field = host->option(inst, "cursor-field");
    if ((s->since == NULL) != (s->cursor_field == NULL))
        weirp_diag_report(d, NULL, "since and cursor-field go together: the field's "
                          "largest value is what {cursor} stands for next run");
    if (s->since != NULL) {
        char *check = weirp_path_expand(s->since, NULL, NULL, err, sizeof err);
        if (check == NULL)
            weirp_diag_report(d, NULL, "since: %s", err);
        else if (strstr(s->since, "{cursor}") == NULL ||
                 strchr(strstr(s->since, "{cursor}") + 1, '{') != NULL ||
                 strchr(s->since, '{') != strstr(s->since, "{cursor}"))
            weirp_diag_report(d, NULL, "since: \"%s\" must hold {cursor}, and no other "
                              "placeholder (modified_since={cursor})", s->since);
        free(check);
    }
    host->option_int(inst, "max-pages", &s->max_pages);
    if (s->max_pages < 1)
        weirp_diag_report(d, NULL, "max-pages: at least 1");
    host->option_int(inst, "attempts", &s->attempts);
    if (s->attempts < 1 || s->attempts > MAX_ATTEMPTS)
        weirp_diag_report(d, NULL, "attempts: between 1 and %d", MAX_ATTEMPTS);
    host->option_duration_ms(inst, "retry-delay", &s->retry_delay_ms);
    host->option_duration_ms(inst, "retry-max-delay", &s->retry_max_ms);
    s->rate = 0;
    if (host->option_int(inst, "rate", &s->rate) == 0 && s->rate < 1)
        weirp_diag_report(d, NULL, "rate: at least 1 request per second");
    whttp_headers_check(inst, host, d);
    whttp_auth_check(inst, host, d);
}

static void conf_free(hsource *s)
{
    free(s->base);
    free(s->path);
    free(s->next_pointer);
    free(s->param);
}

weir_status whttp_source_check(weir_instance *inst, const weir_host *host)
{
    hsource s;
    memset(&s, 0, sizeof s);
    weirp_diag d = {.inst = inst, .host = host, .checking = 1};
    conf_load(&s, inst, host, &d);
    conf_free(&s);
    return d.errors ? WEIR_STATUS_ERROR : WEIR_STATUS_OK;
}

/* ---- URLs ------------------------------------------------------------------ */

static int get_cursor(void *ctx, const char *name, const char **value, size_t *len)
{
    const char *c = ctx;
    if (strcmp(name, "cursor") != 0)
        return -1;
    *value = c;
    *len = strlen(c);
    return 0;
}

/* base + path + the query parameters of this run's pages: `since` (when a
 * cursor is stored), limit=N, and `paging` ("page=2", nullable).
 * (owned) NULL with the reason in err. */
static char *page_url(const hsource *s, const char *paging, char *err, size_t errn)
{
    char *since = NULL, lim[48] = "";
    if (s->since != NULL && s->cursor != NULL &&
        (since = weirp_path_expand(s->since, get_cursor, s->cursor, err, errn)) == NULL)
        return NULL;
    if (s->limit > 0)
        snprintf(lim, sizeof lim, "limit=%lld", s->limit);
    const char *parts[] = {since, lim[0] ? lim : NULL, paging};
    size_t n = strlen(s->base) + strlen(s->path) + 1;
    for (size_t i = 0; i < 3; i++)
        n += parts[i] ? strlen(parts[i]) + 1 : 0;
    char *url = malloc(n);
    if (url == NULL) {
        snprintf(err, errn, "out of memory");
        free(since);
        return NULL;
    }
    strcpy(url, s->base);
    strcat(url, s->path);
    int first = strchr(s->path, '?') == NULL;
    for (size_t i = 0; i < 3; i++) {
        if (parts[i] == NULL)
            continue;
        strcat(url, first ? "?" : "&");
        strcat(url, parts[i]);
        first = 0;
    }
    free(since);
    return url;
}

/* "scheme://host:port" of `url` into buf; -1 when it is no URL. */
static int origin_of(const char *url, char *buf, size_t n)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL;
    int rc = -1;
    if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
        snprintf(buf, n, "%s://%s:%s", scheme, host, port);
        rc = 0;
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return rc;
}

/* The next URL the API gave (`next`, maybe relative to `current`),
 * absolute.  It must stay on the base URL's scheme, host and port: the
 * credentials go with it.  (owned) NULL with the reason in err. */
static char *next_url(const hsource *s, const char *current, const char *next,
                      char *err, size_t errn)
{
    CURLU *u = curl_url();
    char *abs = NULL, *copy = NULL;
    char want[512], got[512];
    if (u == NULL || curl_url_set(u, CURLUPART_URL, current, 0) != CURLUE_OK ||
        curl_url_set(u, CURLUPART_URL, next, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_URL, &abs, 0) != CURLUE_OK)
        snprintf(err, errn, "the next page's URL is no URL");
    else if (origin_of(s->base, want, sizeof want) != 0 ||
             origin_of(abs, got, sizeof got) != 0 || strcmp(want, got) != 0)
        snprintf(err, errn, "the next page's URL leaves %s (not followed: the "
                 "credentials would go with it)", want);
    else if ((copy = whttp_strdup(abs)) == NULL)
        snprintf(err, errn, "out of memory");
    curl_free(abs);
    curl_url_cleanup(u);
    return copy;
}

/* The URL of Link: <URL>; rel="next" (several headers or links allowed).
 * (owned) NULL when none. */
static char *link_next(CURL *h)
{
    struct curl_header *hd;
    for (size_t i = 0; curl_easy_header(h, "Link", i, CURLH_HEADER, -1, &hd) == CURLHE_OK; i++) {
        const char *p = hd->value;
        while ((p = strchr(p, '<')) != NULL) {
            const char *end = strchr(p, '>');
            if (end == NULL)
                break;
            const char *params = end + 1, *stop = strchr(params, '<');
            size_t plen = stop ? (size_t)(stop - params) : strlen(params);
            /* rel="next" or rel=next, possibly among other relations */
            const char *rel = params;
            int is_next = 0;
            while ((rel = strstr(rel, "rel=")) != NULL && rel < params + plen) {
                rel += 4;
                const char *w = rel + (*rel == '"');
                while (*w && *w != '"' && *w != ';' && *w != ',' && w < params + plen) {
                    while (*w == ' ')
                        w++;
                    if (strncmp(w, "next", 4) == 0 &&
                        (w[4] == '"' || w[4] == ' ' || w[4] == ';' || w[4] == ',' || w[4] == '\0'))
                        is_next = 1;
                    while (*w && *w != ' ' && *w != '"' && *w != ';' && *w != ',')
                        w++;
                }
            }
            if (is_next) {
                char *url = malloc((size_t)(end - p));
                if (url != NULL) {
                    memcpy(url, p + 1, (size_t)(end - p - 1));
                    url[end - p - 1] = '\0';
                }
                return url;
            }
            p = end;
        }
    }
    return NULL;
}

/* ---- fetching -------------------------------------------------------------- */

static void sleep_ms(long long ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Log why the run stops (the page by its path and number, never its
 * query values or credentials). */
static weir_status fail(hsource *s, const char *url, const char *fmt, ...)
    WEIR_PRINTF(3, 4);
static weir_status fail(hsource *s, const char *url, const char *fmt, ...)
{
    char what[512], where[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    weirp_http_describe("GET", url, where, sizeof where);
    s->c.host->log(s->c.inst, WEIR_LOG_ERROR, "page %ld (%s): %s", s->page_no,
                   where, what);
    return WEIR_STATUS_ERROR;
}

/* One GET of `url` into s->ans, tried up to `attempts` times while the
 * failure is transient.  Returns OK, or ERROR (logged). */
static weir_status get_page(hsource *s, const char *url)
{
    const weir_host *host = s->c.host;
    char why[700];
    int reauthed = 0;
    long long delay = s->retry_delay_ms;
    struct curl_slist *hdrs = whttp_headers(s->c.inst, host, 0);
    if (hdrs == NULL)
        return fail(s, url, "out of memory");
    weir_status st = WEIR_STATUS_ERROR;
    for (long long attempt = 1;; attempt++) {
        weirp_http_class cls = whttp_auth_ready(&s->auth, 0, why, sizeof why);
        CURLcode rc = CURLE_OK;
        if (cls == WEIRP_HTTP_OK) {
            if (s->rate > 0)
                sleep_ms(s->last_start_ms + 1000 / s->rate - whttp_now_ms());
            s->last_start_ms = whttp_now_ms();
            CURL *h = s->easy;
            curl_easy_reset(h);
            weirp_http_setup(h, &s->conf);
            weirp_http_answer_reset(&s->ans);
            weirp_http_collect(h, &s->ans);
            s->curl_err[0] = '\0';
            curl_easy_setopt(h, CURLOPT_ERRORBUFFER, s->curl_err);
            curl_easy_setopt(h, CURLOPT_URL, url);
            curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
            curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
            whttp_auth_apply(&s->auth, h);
            rc = curl_easy_perform(h);
            cls = weirp_http_classify(rc, s->ans.status);
            if (cls == WEIRP_HTTP_OK) {
                st = WEIR_STATUS_OK;
                break;
            }
            weirp_http_error_text(rc, s->curl_err, &s->ans, NULL, why, sizeof why);
            if (s->ans.status == 401 && s->auth.kind == WHTTP_AUTH_OAUTH2 && !reauthed) {
                /* The token expired early: one new token, not an attempt. */
                reauthed = 1;
                cls = whttp_auth_ready(&s->auth, 1, why, sizeof why);
                if (cls == WEIRP_HTTP_OK) {
                    attempt--;
                    continue;
                }
            }
        }
        if (cls == WEIRP_HTTP_REJECT) {
            fail(s, url, "%s", why);
            break;
        }
        if (attempt >= s->attempts) {
            if (attempt > 1)
                fail(s, url, "%s (after %lld tries)", why, attempt);
            else
                fail(s, url, "%s", why);
            break;
        }
        long long wait = s->ans.retry_after_ms > delay ? s->ans.retry_after_ms : delay;
        if (wait > s->retry_max_ms) {
            fail(s, url, "%s; the server asks to wait %lld s, longer than "
                 "retry-max-delay", why, wait / 1000);
            break;
        }
        host->log(s->c.inst, WEIR_LOG_WARNING, "page %ld: %s; trying again in %lld ms",
                  s->page_no, why, wait);
        sleep_ms(wait);
        delay = delay * 2 > s->retry_max_ms ? s->retry_max_ms : delay * 2;
    }
    curl_slist_free_all(hdrs);
    return st;
}

/* Fetch the page at s->url and make it the current one; work out the URL
 * of the one after (NULL: this was the last).  Returns OK or ERROR. */
static weir_status fetch(hsource *s)
{
    char err[600];
    s->page_no++; /* the page the messages name */
    for (size_t i = 0; i < s->nseen; i++)
        if (strcmp(s->seen[i], s->url) == 0)
            return fail(s, s->url, "the API sent this page's URL again: a "
                        "pagination loop (check the option 'next')");
    if (s->page_no > s->max_pages)
        return fail(s, s->url, "more than max-pages (%lld) pages", s->max_pages);
    char **seen = realloc(s->seen, (s->nseen + 1) * sizeof *seen);
    if (seen == NULL)
        return fail(s, s->url, "out of memory");
    s->seen = seen;
    s->seen[s->nseen++] = s->url; /* the list owns it now */
    const char *url = s->url;
    s->url = NULL;
    if (get_page(s, url) != WEIR_STATUS_OK)
        return WEIR_STATUS_ERROR;
    if (s->ans.body_cut)
        return fail(s, url, "the page is larger than %u MiB", PAGE_MAX >> 20);
    json_error_t jerr;
    json_decref(s->page);
    s->items = NULL;
    s->idx = 0;
    s->page = json_loadb(s->ans.body ? s->ans.body : "", s->ans.body_len,
                         JSON_DECODE_ANY, &jerr);
    if (s->page == NULL)
        return fail(s, url, "the answer is no JSON (line %d: %s)", jerr.line, jerr.text);
    s->items = weirp_json_pointer(s->page, s->records);
    if (!json_is_array(s->items))
        return fail(s, url, "records \"%s\" is %s, not an array of records", s->records,
                    s->items == NULL ? "absent" : "no array");
    size_t n = json_array_size(s->items);

    char *next = NULL, paging[600];
    paging[0] = '\0';
    switch (s->next) {
    case NEXT_NONE:
        break;
    case NEXT_LINK:
        next = link_next(s->easy);
        break;
    case NEXT_POINTER: {
        json_t *v = weirp_json_pointer(s->page, s->next_pointer);
        if (v != NULL && !json_is_null(v) && !json_is_string(v))
            return fail(s, url, "next \"%s\" is no URL string", s->next_pointer);
        if (json_string_length(v) > 0 && (next = whttp_strdup(json_string_value(v))) == NULL)
            return fail(s, url, "out of memory");
        break;
    }
    case NEXT_PAGE:
        if (n > 0)
            snprintf(paging, sizeof paging, "%s=%ld", s->param, s->page_no + 1);
        break;
    case NEXT_OFFSET:
        s->offset += (long long)n;
        if ((long long)n >= s->limit)
            snprintf(paging, sizeof paging, "%s=%lld", s->param, s->offset);
        break;
    case NEXT_CURSOR: {
        json_t *v = weirp_json_pointer(s->page, s->next_pointer);
        char *c = weirp_json_scalar_text(v);
        if (c == NULL && v != NULL && !json_is_null(v))
            return fail(s, url, "next cursor \"%s\" is no value", s->next_pointer);
        if (c != NULL && *c != '\0') {
            char *e = weirp_url_escape(c, strlen(c));
            if (e != NULL)
                snprintf(paging, sizeof paging, "%s=%s", s->param, e);
            free(e);
        }
        free(c);
        break;
    }
    }
    if (next != NULL) {
        s->url = next_url(s, url, next, err, sizeof err);
        free(next);
        if (s->url == NULL)
            return fail(s, url, "%s", err);
    } else if (paging[0] != '\0' && (s->url = page_url(s, paging, err, sizeof err)) == NULL)
        return fail(s, url, "%s", err);
    return WEIR_STATUS_OK;
}

/* ---- records ---------------------------------------------------------------- */

/* Set the members of `obj` on r, nested objects as dotted names
 * ("address.city"), arrays as their JSON text, null as NULL.  Returns 0,
 * or -1 out of memory. */
static int flatten(const weir_host *host, weir_record *r, const char *prefix,
                   json_t *obj)
{
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v) {
        size_t n = strlen(prefix) + strlen(k) + 2;
        char *name = malloc(n);
        if (name == NULL)
            return -1;
        snprintf(name, n, "%s%s%s", prefix, *prefix ? "." : "", k);
        int rc = 0;
        if (json_is_object(v))
            rc = flatten(host, r, name, v);
        else if (json_is_null(v))
            rc = host->record_set(r, name, NULL, 0);
        else {
            char *text = json_is_array(v) ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)
                                          : weirp_json_scalar_text(v);
            rc = text == NULL ? -1 : host->record_set(r, name, text, WEIR_NUL_TERMINATED);
            free(text);
        }
        free(name);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* a larger than b: as numbers when both are, else as text (ISO-8601
 * times in one format compare right as text). */
static int larger(const char *a, const char *b)
{
    char *ea, *eb;
    double x = strtod(a, &ea), y = strtod(b, &eb);
    if (*a && *b && *ea == '\0' && *eb == '\0')
        return x > y;
    return strcmp(a, b) > 0;
}

/* Note r's cursor field when it is the largest so far. */
static int note_cursor(hsource *s, const weir_record *r)
{
    const char *v = s->c.host->record_get(r, s->cursor_field, NULL);
    if (v == NULL || *v == '\0' || (s->newest != NULL && !larger(v, s->newest)))
        return 0;
    char *copy = whttp_strdup(v);
    if (copy == NULL)
        return -1;
    free(s->newest);
    s->newest = copy;
    return 0;
}

/* The first page's URL and the stored cursor. */
static weir_status start_run(hsource *s)
{
    const weir_host *host = s->c.host;
    char err[600];
    if (s->since != NULL) {
        char *stored = NULL;
        int rc = host->state_get(s->c.inst, CURSOR_KEY, &stored);
        if (rc < 0) {
            host->log(s->c.inst, WEIR_LOG_ERROR, "the stored cursor could not be read");
            return WEIR_STATUS_ERROR;
        }
        if (rc == 0) {
            s->cursor = whttp_strdup(stored);
            host->free(stored);
            if (s->cursor == NULL)
                return WEIR_STATUS_ERROR;
        }
    }
    const char *first = s->next == NEXT_PAGE ? "1" : s->next == NEXT_OFFSET ? "0" : NULL;
    char paging[300];
    if (first != NULL)
        snprintf(paging, sizeof paging, "%s=%s", s->param, first);
    s->url = page_url(s, first ? paging : NULL, err, sizeof err);
    if (s->url == NULL) {
        host->log(s->c.inst, WEIR_LOG_ERROR, "%s", err);
        return WEIR_STATUS_ERROR;
    }
    s->started = 1;
    return WEIR_STATUS_OK;
}

/* Make sure the current page has a record left, fetching pages (empty
 * ones are skipped) while there are more.  Returns OK (*more: 0 when the
 * read is over) or ERROR. */
static weir_status ensure_item(hsource *s, int *more)
{
    while (s->items == NULL || s->idx >= json_array_size(s->items)) {
        if (s->url == NULL) {
            *more = 0;
            return WEIR_STATUS_OK;
        }
        if (fetch(s) != WEIR_STATUS_OK)
            return WEIR_STATUS_ERROR;
    }
    *more = 1;
    return WEIR_STATUS_OK;
}

weir_status whttp_source_read(void *state, weir_batch *batch)
{
    hsource *s = state;
    const weir_host *host = s->c.host;
    if (!s->started && start_run(s) != WEIR_STATUS_OK)
        return WEIR_STATUS_ERROR;
    int more = 1;
    while (host->batch_room(batch) > 0) {
        if (ensure_item(s, &more) != WEIR_STATUS_OK)
            return WEIR_STATUS_ERROR;
        if (!more)
            break;
        json_t *item = json_array_get(s->items, s->idx++);
        weir_record *r = host->batch_add(batch);
        if (r == NULL) {
            host->log(s->c.inst, WEIR_LOG_ERROR, "out of memory");
            return WEIR_STATUS_ERROR;
        }
        host->record_set_origin(r, ++s->position);
        if (!json_is_object(item)) {
            char *text = json_dumps(item, JSON_COMPACT | JSON_ENCODE_ANY);
            host->record_set(r, "value", text, WEIR_NUL_TERMINATED);
            free(text);
            host->record_answerf(r, WEIR_RESULT_REJECT,
                                 "page %ld, record %zu: not a JSON object", s->page_no,
                                 s->idx);
            continue;
        }
        if (flatten(host, r, "", item) != 0 ||
            (s->cursor_field != NULL && note_cursor(s, r) != 0)) {
            host->log(s->c.inst, WEIR_LOG_ERROR, "out of memory");
            return WEIR_STATUS_ERROR;
        }
    }
    /* The batch is full: fetch ahead, so that the batch with the last
     * records is the one that ends the read. */
    if (more && ensure_item(s, &more) != WEIR_STATUS_OK)
        return WEIR_STATUS_ERROR;
    if (more)
        return WEIR_STATUS_OK;
    if (s->newest != NULL && (s->cursor == NULL || larger(s->newest, s->cursor)) &&
        host->state_set(s->c.inst, CURSOR_KEY, s->newest) != 0) {
        host->log(s->c.inst, WEIR_LOG_ERROR, "the cursor could not be stored");
        return WEIR_STATUS_ERROR;
    }
    return WEIR_STATUS_END;
}

/* ---- open, close ---------------------------------------------------------- */

void whttp_source_close(void *state)
{
    hsource *s = state;
    if (s == NULL)
        return;
    if (s->easy != NULL)
        curl_easy_cleanup(s->easy);
    weirp_http_answer_free(&s->ans);
    whttp_auth_free(&s->auth);
    json_decref(s->page);
    for (size_t i = 0; i < s->nseen; i++)
        free(s->seen[i]);
    free(s->seen);
    free(s->url);
    free(s->cursor);
    free(s->newest);
    conf_free(s);
    free(s);
}

weir_status whttp_source_open(weir_instance *inst, const weir_host *host,
                              void **state)
{
    hsource *s = calloc(1, sizeof *s);
    if (s == NULL) {
        host->set_error(inst, "out of memory");
        return WEIR_STATUS_ERROR;
    }
    s->c = (whttp_common){WEIR_KIND_SOURCE, inst, host};
    weirp_diag d = {.inst = inst, .host = host, .checking = 0};
    conf_load(s, inst, host, &d);
    weirp_http_answer_init(&s->ans, PAGE_MAX);
    if (d.errors) {
        host->set_error(inst, "invalid configuration (see the log; weir validate lists it)");
        whttp_source_close(s);
        return WEIR_STATUS_ERROR;
    }
    weirp_http_conf_read(inst, host, &s->conf);
    whttp_auth_init(&s->auth, inst, host, &s->conf);
    if ((s->easy = curl_easy_init()) == NULL) {
        host->set_error(inst, "out of memory");
        whttp_source_close(s);
        return WEIR_STATUS_ERROR;
    }
    *state = s;
    return WEIR_STATUS_OK;
}
