/*
 * connectors/http/http_plugin.c - the http plugin's descriptor.
 *
 * Talks JSON over HTTP(S) through libcurl.  As a sink it sends each
 * record as one request (http_sink.c); as a source it reads pages of JSON
 * records (http_source.c).  Both share the options read here: the base
 * URL, the headers, timeouts, TLS and auth.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_int.h"

#define SINK WEIR_KIND_SINK
#define SOURCE WEIR_KIND_SOURCE

static const weir_option_spec http_options[] = {
    WEIR_OPTION("url", WEIR_OPTION_STRING, WEIR_OPTION_REQUIRED, 0, NULL,
        "base URL (http:// or https://); paths are appended to it"),
    WEIR_OPTION("insert", WEIR_OPTION_STRING, 0, SINK, NULL,
        "METHOD path-template for insert records (POST /invoices)"),
    WEIR_OPTION("update", WEIR_OPTION_STRING, 0, SINK, NULL,
        "METHOD path-template for update records (PUT /invoices/{code})"),
    WEIR_OPTION("delete", WEIR_OPTION_STRING, 0, SINK, NULL,
        "METHOD path-template for delete records (DELETE /invoices/{code})"),
    WEIR_OPTION("upsert", WEIR_OPTION_STRING, 0, SINK, NULL,
        "METHOD path-template for upserts, and for insert and update without their own"),
    WEIR_OPTION("body", WEIR_OPTION_STRING, 0, SINK, "record",
        "'record' (the record as a JSON object) or a JSON template with {field} values"),
    WEIR_OPTION("path", WEIR_OPTION_STRING, 0, SOURCE, NULL,
        "GET path of the first page, a query allowed (GET /customers?status=active)"),
    WEIR_OPTION("records", WEIR_OPTION_STRING, 0, SOURCE, "",
        "JSON pointer to the array of records in a page (/data); default the page itself"),
    WEIR_OPTION("next", WEIR_OPTION_STRING, 0, SOURCE, NULL,
        "pagination: link, a JSON pointer to the next URL (/next), page:PARAM, "
        "offset:PARAM or cursor:/pointer:PARAM; none: one page"),
    WEIR_OPTION("limit", WEIR_OPTION_INT, 0, SOURCE, NULL,
        "records per page, sent as limit=N (needed by offset:PARAM)"),
    WEIR_OPTION("since", WEIR_OPTION_STRING, 0, SOURCE, NULL,
        "query parameter template for incremental reads (modified_since={cursor})"),
    WEIR_OPTION("cursor-field", WEIR_OPTION_STRING, 0, SOURCE, NULL,
        "the record field whose largest value is stored as {cursor} for the next run"),
    WEIR_OPTION("max-pages", WEIR_OPTION_INT, 0, SOURCE, "100000",
        "more pages than this in one run is an error, not an endless read"),
    WEIR_OPTION("attempts", WEIR_OPTION_INT, 0, SOURCE, "4",
        "tries per page before the run is aborted (1-20)"),
    WEIR_OPTION("retry-delay", WEIR_OPTION_DURATION, 0, SOURCE, "1s",
        "wait before a page's second try, doubled each time (Retry-After honoured)"),
    WEIR_OPTION("retry-max-delay", WEIR_OPTION_DURATION, 0, SOURCE, "60s",
        "longest wait between tries; a longer Retry-After aborts the run"),
    WEIR_OPTION("header", WEIR_OPTION_STRING, WEIR_OPTION_REPEATABLE, 0, NULL,
        "an extra request header, 'Name: value' (repeatable)"),
    WEIR_OPTION("error-pointer", WEIR_OPTION_STRING, 0, SINK, NULL,
        "JSON pointer to the target's error text in a refusal (/error/message)"),
    WEIR_OPTION("id-pointer", WEIR_OPTION_STRING, 0, SINK, NULL,
        "JSON pointer to the id the target assigned (/id); else the Location header"),
    WEIR_OPTION("idempotency-header", WEIR_OPTION_STRING, 0, SINK, "Idempotency-Key",
        "header carrying the record's stable id; empty: none"),
    WEIR_OPTION("lookup", WEIR_OPTION_STRING, 0, SINK, NULL,
        "METHOD path-template asked before a record is sent again (GET /invoices?ref={code})"),
    WEIR_OPTION("lookup-pointer", WEIR_OPTION_STRING, 0, SINK, NULL,
        "JSON pointer to the found record, or a list of them, in the lookup's answer (/data)"),
    WEIR_OPTION("health", WEIR_OPTION_STRING, 0, SINK, NULL,
        "METHOD path probed while the endpoint is down (GET /health)"),
    WEIR_OPTION("concurrency", WEIR_OPTION_INT, 0, SINK, "8",
        "requests in flight at once (1-64)"),
    WEIR_OPTION("rate", WEIR_OPTION_INT, 0, 0, NULL,
        "at most this many requests per second"),
    WEIR_OPTION("timeout", WEIR_OPTION_DURATION, 0, 0, "60s",
        "longest a request may take, answer included"),
    WEIR_OPTION("connect-timeout", WEIR_OPTION_DURATION, 0, 0, "10s",
        "longest the connection may take"),
    WEIR_OPTION("ca-file", WEIR_OPTION_PATH, 0, 0, NULL,
        "CA certificates (PEM) to verify the server with, instead of the system's"),
    WEIR_OPTION("tls-verify", WEIR_OPTION_BOOL, 0, 0, "true",
        "verify the server's certificate and name; false is logged as a warning"),
    WEIR_OPTION_CHOICES("auth", 0, 0, NULL,
        "bearer, basic or oauth2 (client credentials)", "bearer basic oauth2"),
    WEIR_OPTION("token", WEIR_OPTION_STRING, 0, 0, NULL,
        "auth bearer: the token (from ${env:...})"),
    WEIR_OPTION("user", WEIR_OPTION_STRING, 0, 0, NULL, "auth basic: the user"),
    WEIR_OPTION("password", WEIR_OPTION_STRING, 0, 0, NULL,
        "auth basic: the password (from ${env:...})"),
    WEIR_OPTION("token-url", WEIR_OPTION_STRING, 0, 0, NULL,
        "auth oauth2: where tokens are issued"),
    WEIR_OPTION("client-id", WEIR_OPTION_STRING, 0, 0, NULL, "auth oauth2: the client id"),
    WEIR_OPTION("client-secret", WEIR_OPTION_STRING, 0, 0, NULL,
        "auth oauth2: the client secret (from ${env:...})"),
    WEIR_OPTION_END,
};

char *whttp_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *copy = malloc(n);
    if (copy != NULL)
        memcpy(copy, s, n);
    return copy;
}

int whttp_split_action(const char *action, char *method, size_t method_n,
                       const char **path, char *err, size_t errn)
{
    size_t m = 0;
    while (action[m] >= 'A' && action[m] <= 'Z')
        m++;
    const char *p = action + m;
    if (m == 0 || m >= method_n || *p != ' ') {
        snprintf(err, errn, "\"%s\" is not METHOD /path (an upper-case method, "
                 "a space, a path)", action);
        return -1;
    }
    while (*p == ' ')
        p++;
    if (*p != '/') {
        snprintf(err, errn, "\"%s\": the path must start with '/'", action);
        return -1;
    }
    memcpy(method, action, m);
    method[m] = '\0';
    *path = p;
    return 0;
}

char *whttp_base_url(weir_instance *inst, const weir_host *host,
                     weirp_diag *d)
{
    const char *url = host->option(inst, "url");
    if (url == NULL || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)) {
        weirp_diag_report(d, NULL, "url must start with http:// or https://");
        return NULL;
    }
    if (strpbrk(url, "?#") != NULL) {
        weirp_diag_report(d, NULL, "url is the base URL: no query or fragment "
                          "(put them in the paths)");
        return NULL;
    }
    char *base = whttp_strdup(url);
    if (base == NULL) {
        weirp_diag_report(d, NULL, "out of memory");
        return NULL;
    }
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        base[--n] = '\0';
    return base;
}

int whttp_header_ok(const char *h)
{
    size_t n = 0;
    while (h[n] > ' ' && h[n] < 0x7f && h[n] != ':')
        n++;
    return n > 0 && h[n] == ':' && strchr(h, '\n') == NULL && strchr(h, '\r') == NULL;
}

void whttp_headers_check(weir_instance *inst, const weir_host *host,
                         weirp_diag *d)
{
    size_t nh = host->option_count(inst, "header");
    for (size_t i = 0; i < nh; i++)
        if (!whttp_header_ok(host->option_at(inst, "header", i)))
            /* The value may be a secret: only its position is named. */
            weirp_diag_report(d, NULL, "header #%zu: not 'Name: value'", i + 1);
}

struct curl_slist *whttp_add_header(struct curl_slist *l, const char *h)
{
    struct curl_slist *n = curl_slist_append(l, h);
    if (n == NULL)
        curl_slist_free_all(l);
    return n;
}

struct curl_slist *whttp_headers(weir_instance *inst, const weir_host *host,
                                 int with_body)
{
    struct curl_slist *l = whttp_add_header(NULL, "Accept: application/json");
    if (l != NULL && with_body)
        l = whttp_add_header(l, "Content-Type: application/json");
    size_t nh = host->option_count(inst, "header");
    for (size_t i = 0; l != NULL && i < nh; i++)
        l = whttp_add_header(l, host->option_at(inst, "header", i));
    return l;
}

static weir_status http_check(weir_instance *inst, const weir_host *host,
                              weir_kind kind)
{
    return kind == WEIR_KIND_SINK ? whttp_sink_check(inst, host)
                                  : whttp_source_check(inst, host);
}

static weir_status http_open(weir_instance *inst, const weir_host *host,
                             weir_kind kind, void **state)
{
    *state = NULL;
    return kind == WEIR_KIND_SINK ? whttp_sink_open(inst, host, state)
                                  : whttp_source_open(inst, host, state);
}

static weir_status http_read(void *state, weir_batch *batch)
{
    whttp_common *c = state;
    if (c == NULL || c->kind != WEIR_KIND_SOURCE)
        return WEIR_STATUS_ERROR;
    return whttp_source_read(state, batch);
}

static weir_status http_write(void *state, weir_batch *batch)
{
    whttp_common *c = state;
    if (c == NULL || c->kind != WEIR_KIND_SINK)
        return WEIR_STATUS_ERROR;
    return whttp_sink_write(state, batch);
}

static weir_status http_probe(void *state)
{
    whttp_common *c = state;
    if (c == NULL || c->kind != WEIR_KIND_SINK)
        return WEIR_STATUS_ERROR;
    return whttp_sink_probe(state);
}

/* Every request has its answer when write() returns: nothing is pending. */
static weir_status http_flush(void *state)
{
    (void)state;
    return WEIR_STATUS_OK;
}

static void http_close(void *state)
{
    whttp_common *c = state;
    if (c != NULL && c->kind == WEIR_KIND_SINK)
        whttp_sink_close(state);
    else if (c != NULL)
        whttp_source_close(state);
}

WEIR_PLUGIN_DEFINE = {
    WEIR_PLUGIN_HEADER,
    .kinds = WEIR_KIND_SOURCE | WEIR_KIND_SINK,
    /* the sink: its own connection per instance, no state from write();
     * not the source, which keeps its cursor in the state */
    .flags = WEIR_PLUGIN_WRITE_BESIDE,
    .name = "http",
    .version = "1.0.0",
    .description = "HTTP/JSON APIs: read pages of records; send each record as a request",
    .options = http_options,
    .load = weirp_http_load,
    .unload = weirp_http_unload,
    .check = http_check,
    .open = http_open,
    .read = http_read,
    .process = NULL,
    .write = http_write,
    .flush = http_flush,
    .notify = NULL,
    .close = http_close,
    .probe = http_probe,
};
