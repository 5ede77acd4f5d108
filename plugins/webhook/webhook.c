/*
 * webhook.c - the webhook notifier: POST each event as a JSON object to a
 * URL (a chat channel, an incident tool, a small service of the admins').
 * See docs/plugins/webhook.md.
 *
 * A webhook that is down or slow must not hold a run up for long nor fail
 * it: every request has a short timeout, a few attempts with a short
 * wait between them, and a failure is one warning (the URL without its
 * secrets) and ERROR to the core, which goes on.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* nanosleep */
#endif
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <weir/plugin.h>

#include "common/config_diag.h"
#include "common/http_client.h"
#include "common/url_log.h"
#include "payload.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

/* Bytes of the webhook's answer kept for the warning. */
#define ANSWER_MAX 2048
#define ATTEMPTS_MAX 10

typedef struct webhook_state {
    weir_instance *inst;
    const weir_host *host;
    const char *url;      /* (borrowed from the host until close) */
    char where[512];      /* the URL for log lines, without secrets */
    struct curl_slist *headers;
    weirp_http_conf conf;
    long long attempts;
    long long wait_ms;
    const char *state;    /* --state of the resend commands (nullable) */
} webhook_state;

static int url_ok(const char *url)
{
    return strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0;
}

/* "Name: value": a token, a colon, a value without line breaks. */
static int header_ok(const char *h)
{
    const char *colon = strchr(h, ':');
    if (!colon || colon == h)
        return 0;
    for (const char *p = h; p < colon; p++)
        if (!isalnum((unsigned char)*p) && !strchr("!#$%&'*+-.^_`|~", *p))
            return 0;
    for (const char *p = colon; *p; p++)
        if (*p == '\r' || *p == '\n')
            return 0;
    return 1;
}

/* The options' problems, to node_error (check) or the log (open); never
 * with a header's value, which may be a token. */
static int check_options(weir_instance *inst, const weir_host *host,
                         int report)
{
    weirp_diag d = {inst, host, report, 0};
    const char *url = host->option(inst, "url");
    if (url && !url_ok(url))
        weirp_diag_report(&d, NULL, "option 'url' of webhook: must start with "
                          "http:// or https://");
    size_t n = host->option_count(inst, "header");
    for (size_t i = 0; i < n; i++)
        if (!header_ok(host->option_at(inst, "header", i)))
            weirp_diag_report(&d, NULL, "option 'header' of webhook (#%zu): "
                              "must be 'Name: value' on one line", i + 1);
    long long v;
    if (host->option_int(inst, "attempts", &v) == 0 &&
        (v < 1 || v > ATTEMPTS_MAX))
        weirp_diag_report(&d, NULL, "option 'attempts' of webhook: must be 1 "
                          "to %d", ATTEMPTS_MAX);
    weirp_http_conf_check(&d, "webhook");
    return d.errors;
}

static weir_status webhook_check(weir_instance *inst, const weir_host *host,
                                 weir_kind kind)
{
    (void)kind;
    return check_options(inst, host, 1) ? WEIR_STATUS_ERROR : WEIR_STATUS_OK;
}

static void webhook_close(void *state)
{
    webhook_state *st = state;
    if (!st)
        return;
    curl_slist_free_all(st->headers);
    free(st);
}

static weir_status webhook_open(weir_instance *inst, const weir_host *host,
                                weir_kind kind, void **state)
{
    *state = NULL;
    if (kind != WEIR_KIND_NOTIFIER) {
        host->log(inst, WEIR_LOG_ERROR, "webhook can only be a <notify>");
        return WEIR_STATUS_ERROR;
    }
    if (check_options(inst, host, 0))
        return WEIR_STATUS_ERROR;
    webhook_state *st = calloc(1, sizeof *st);
    if (!st)
        goto oom;
    st->inst = inst;
    st->host = host;
    st->url = host->option(inst, "url");
    st->state = host->option(inst, "state");
    weirp_url_for_log(st->url,
                      WEIR_HOST_HAS(host, option_is_secret) &&
                          host->option_is_secret(inst, "url"),
                      st->where, sizeof st->where);
    weirp_http_conf_read(inst, host, &st->conf);
    if (host->option_int(inst, "attempts", &st->attempts) != 0)
        st->attempts = 3;
    if (host->option_duration_ms(inst, "retry-wait", &st->wait_ms) != 0)
        st->wait_ms = 1000;
    struct curl_slist *l = curl_slist_append(NULL, "Content-Type: "
                                                   "application/json");
    if (!l)
        goto oom;
    st->headers = l;
    size_t n = host->option_count(inst, "header");
    for (size_t i = 0; i < n; i++) {
        if (!(l = curl_slist_append(st->headers,
                                    host->option_at(inst, "header", i))))
            goto oom;
        st->headers = l;
    }
    *state = st;
    return WEIR_STATUS_OK;
oom:
    webhook_close(st);
    host->log(inst, WEIR_LOG_ERROR, "webhook: out of memory");
    return WEIR_STATUS_ERROR;
}

/* One POST; the class of its outcome, the text of a failure in `why`. */
static weirp_http_class post(webhook_state *st, const char *body,
                             weirp_http_answer *a, char *why, size_t n)
{
    CURL *h = curl_easy_init();
    if (!h) {
        snprintf(why, n, "cannot make a libcurl handle");
        return WEIRP_HTTP_RETRY;
    }
    char curl_error[CURL_ERROR_SIZE] = "";
    weirp_http_answer_reset(a);
    if (weirp_http_setup(h, &st->conf) != 0) {
        curl_easy_cleanup(h);
        snprintf(why, n, "libcurl refused a setting (too old a libcurl?)");
        return WEIRP_HTTP_REJECT;
    }
    weirp_http_collect(h, a);
    /* libcurl would follow a 302 as a GET (a login page), and its 200
     * would read as delivered. */
    weirp_http_no_redirects(h, a);
    curl_easy_setopt(h, CURLOPT_URL, st->url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, st->headers);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "weir/" PACKAGE_VERSION);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_error);
    CURLcode rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &a->status);
    curl_easy_cleanup(h);
    weirp_http_class c = weirp_http_classify(rc, a->status);
    if (c != WEIRP_HTTP_OK)
        weirp_http_error_text(rc, curl_error, a, NULL, why, n);
    return c;
}

static void pause_ms(long long ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static weir_status webhook_notify(void *state, const weir_event *event)
{
    webhook_state *st = state;
    const weir_host *h = st->host;
    const char *type = h->event_type(event);
    const char *json = h->event_json(event);
    char *body = json ? webhook_payload(json, st->state) : NULL;
    if (!body) {
        h->log(st->inst, WEIR_LOG_ERROR, "webhook: the %s event could not be "
               "made into JSON (out of memory?)", type ? type : "?");
        return WEIR_STATUS_ERROR;
    }
    weirp_http_answer a;
    weirp_http_answer_init(&a, ANSWER_MAX);
    char why[1024] = "";
    long long wait = st->wait_ms, n;
    weirp_http_class c = WEIRP_HTTP_RETRY;
    for (n = 1; n <= st->attempts; n++) {
        c = post(st, body, &a, why, sizeof why);
        if (c == WEIRP_HTTP_OK || c == WEIRP_HTTP_REJECT)
            break;
        if (n < st->attempts) {
            h->log(st->inst, WEIR_LOG_DEBUG, "webhook POST %s, attempt %lld: "
                   "%s; again in %lld ms", st->where, n, why, wait);
            pause_ms(wait);
            wait *= 2;
        }
    }
    free(body);
    weirp_http_answer_free(&a);
    if (c == WEIRP_HTTP_OK) {
        h->log(st->inst, WEIR_LOG_DEBUG, "webhook POST %s: %s event delivered",
               st->where, type ? type : "?");
        return WEIR_STATUS_OK;
    }
    h->log(st->inst, WEIR_LOG_WARNING, "webhook POST %s: the %s event was not "
           "delivered (%lld attempt%s): %s", st->where, type ? type : "?",
           n > st->attempts ? st->attempts : n,
           (n > st->attempts ? st->attempts : n) == 1 ? "" : "s", why);
    return WEIR_STATUS_ERROR;
}

static const weir_option_spec webhook_options[] = {
    WEIR_OPTION("url", WEIR_OPTION_STRING, WEIR_OPTION_REQUIRED,
        WEIR_KIND_NOTIFIER, NULL,
        "http:// or https:// URL each event is POSTed to; its query and, "
        "when it comes from ${env:}, its path are never logged"),
    WEIR_OPTION("header", WEIR_OPTION_STRING, WEIR_OPTION_REPEATABLE,
        WEIR_KIND_NOTIFIER, NULL,
        "'Name: value' header sent with each POST (Authorization: Bearer "
        "${env:TOKEN}); repeatable; never logged"),
    WEIR_OPTION("timeout", WEIR_OPTION_DURATION, 0, WEIR_KIND_NOTIFIER, "10s",
        "per request, connecting included"),
    WEIR_OPTION("connect-timeout", WEIR_OPTION_DURATION, 0,
        WEIR_KIND_NOTIFIER, "5s", "for the connection"),
    WEIR_OPTION("attempts", WEIR_OPTION_INT, 0, WEIR_KIND_NOTIFIER, "3",
        "requests per event at most (1 to 10), when the webhook is down, "
        "times out or answers 408, 425, 429 or 5xx"),
    WEIR_OPTION("retry-wait", WEIR_OPTION_DURATION, 0, WEIR_KIND_NOTIFIER,
        "1s", "before the second request; doubled before each next one"),
    WEIR_OPTION("ca-file", WEIR_OPTION_PATH, 0, WEIR_KIND_NOTIFIER, NULL,
        "CA certificates (PEM) to verify the server with; default: the "
        "system's"),
    WEIR_OPTION("tls-verify", WEIR_OPTION_BOOL, 0, WEIR_KIND_NOTIFIER, "true",
        "false: do not check the server's certificate (logged)"),
    WEIR_OPTION("state", WEIR_OPTION_STRING, 0, WEIR_KIND_NOTIFIER, NULL,
        "the state database as the digest's weir resend commands name it "
        "(--state); default: none"),
    WEIR_OPTION_END,
};

WEIR_PLUGIN_DEFINE = {
    WEIR_PLUGIN_HEADER,
    .kinds = WEIR_KIND_NOTIFIER,
    .name = "webhook",
    .version = PACKAGE_VERSION,
    .description = "POST each event as JSON to a URL",
    .options = webhook_options,
    .load = weirp_http_load,
    .unload = weirp_http_unload,
    .check = webhook_check,
    .open = webhook_open,
    .notify = webhook_notify,
    .close = webhook_close,
};
