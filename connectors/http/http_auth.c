/*
 * connectors/http/http_auth.c - credentials from the `auth` options:
 * bearer, basic, and OAuth2 client credentials (the token fetched from
 * `token-url`, cached, and fetched again before it expires or once after
 * a 401).  No secret ever goes into a message.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http_int.h"

/* Fetch a new token this long before the old one expires. */
#define TOKEN_MARGIN_MS 30000
/* A token answer without expires_in is used for this long. */
#define TOKEN_DEFAULT_MS 300000

long long whttp_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static whttp_auth_kind auth_kind(const char *v)
{
    if (v == NULL)
        return WHTTP_AUTH_NONE;
    if (strcmp(v, "bearer") == 0)
        return WHTTP_AUTH_BEARER;
    if (strcmp(v, "basic") == 0)
        return WHTTP_AUTH_BASIC;
    return WHTTP_AUTH_OAUTH2; /* the option's choices allow nothing else */
}

/* libcurl sends a bearer token as it is: "Authorization: Bearer <token>". */
static int token_ok(const char *t)
{
    for (; *t != '\0'; t++)
        if ((unsigned char)*t < 0x20 || *t == 0x7f)
            return 0;
    return 1;
}

void whttp_auth_check(weir_instance *inst, const weir_host *host,
                      weirp_diag *d)
{
    static const struct {
        whttp_auth_kind kind;
        const char *word, *needs[3];
    } rules[] = {
        {WHTTP_AUTH_BEARER, "bearer", {"token", NULL, NULL}},
        {WHTTP_AUTH_BASIC, "basic", {"user", "password", NULL}},
        {WHTTP_AUTH_OAUTH2, "oauth2", {"token-url", "client-id", "client-secret"}},
    };
    static const char *const all[] = {"token", "user", "password", "token-url",
                                      "client-id", "client-secret"};
    whttp_auth_kind kind = auth_kind(host->option(inst, "auth"));
    for (size_t i = 0; i < sizeof rules / sizeof *rules; i++)
        if (rules[i].kind == kind)
            for (size_t k = 0; k < 3 && rules[i].needs[k]; k++)
                if (host->option(inst, rules[i].needs[k]) == NULL)
                    weirp_diag_report(d, NULL, "auth %s needs the option '%s'",
                                      rules[i].word, rules[i].needs[k]);
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
        int used = 0;
        for (size_t r = 0; r < sizeof rules / sizeof *rules; r++)
            for (size_t k = 0; k < 3 && rules[r].needs[k]; k++)
                used |= rules[r].kind == kind && strcmp(rules[r].needs[k], all[i]) == 0;
        if (!used && host->option(inst, all[i]) != NULL)
            weirp_diag_report(d, NULL, "option '%s' is not used by auth %s", all[i],
                              kind == WHTTP_AUTH_NONE ? "(none)" : host->option(inst, "auth"));
    }
    const char *token = host->option(inst, "token");
    if (token != NULL && !token_ok(token))
        /* never shown: it is a secret */
        weirp_diag_report(d, NULL, "token: a line break or control character "
                          "in it (it would add header lines of its own)");
    const char *url = host->option(inst, "token-url");
    if (url != NULL && strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        weirp_diag_report(d, NULL, "token-url must start with http:// or https://");
}

void whttp_auth_init(whttp_auth *a, weir_instance *inst, const weir_host *host,
                     const weirp_http_conf *conf)
{
    memset(a, 0, sizeof *a);
    a->kind = auth_kind(host->option(inst, "auth"));
    a->token = host->option(inst, "token");
    a->user = host->option(inst, "user");
    a->password = host->option(inst, "password");
    a->token_url = host->option(inst, "token-url");
    a->client_id = host->option(inst, "client-id");
    a->client_secret = host->option(inst, "client-secret");
    a->conf = *conf;
}

void whttp_auth_free(whttp_auth *a)
{
    free(a->access_token);
    a->access_token = NULL;
}

/* POST grant_type=client_credentials to token-url, the client's id and
 * secret as basic credentials (RFC 6749 2.3.1). */
static weirp_http_class fetch_token(whttp_auth *a, char *err, size_t errn)
{
    CURL *h = curl_easy_init();
    if (h == NULL) {
        snprintf(err, errn, "oauth2 token: out of memory");
        return WEIRP_HTTP_RETRY;
    }
    weirp_http_answer ans;
    char curl_err[CURL_ERROR_SIZE] = "";
    weirp_http_answer_init(&ans, 16384);
    weirp_http_setup(h, &a->conf);
    weirp_http_collect(h, &ans);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_err);
    curl_easy_setopt(h, CURLOPT_URL, a->token_url);
    curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
    curl_easy_setopt(h, CURLOPT_USERNAME, a->client_id);
    curl_easy_setopt(h, CURLOPT_PASSWORD, a->client_secret);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, "grant_type=client_credentials");
    CURLcode rc = curl_easy_perform(h);
    weirp_http_class cls = weirp_http_classify(rc, ans.status);
    char desc[160];
    weirp_http_describe("POST", a->token_url, desc, sizeof desc);
    if (cls == WEIRP_HTTP_OK) {
        json_t *doc = json_loadb(ans.body ? ans.body : "", ans.body_len, 0, NULL);
        json_t *tok = json_object_get(doc, "access_token");
        json_t *exp = json_object_get(doc, "expires_in");
        if (json_is_string(tok) && json_string_length(tok) > 0 && !ans.body_cut &&
            strlen(json_string_value(tok)) == json_string_length(tok) &&
            token_ok(json_string_value(tok))) {
            free(a->access_token);
            a->access_token = whttp_strdup(json_string_value(tok));
            long long ms = json_is_integer(exp) ? json_integer_value(exp) * 1000
                                                : TOKEN_DEFAULT_MS;
            /* A short-lived token is used for half its life. */
            ms = ms > 2 * TOKEN_MARGIN_MS ? ms - TOKEN_MARGIN_MS : ms / 2;
            a->expires_at_ms = whttp_now_ms() + ms;
            a->generation++;
        } else {
            snprintf(err, errn, "oauth2 token (%s): the answer has no access_token "
                     "(or one with a control character)", desc);
            cls = WEIRP_HTTP_REJECT;
        }
        json_decref(doc);
        if (cls == WEIRP_HTTP_OK && a->access_token == NULL) {
            snprintf(err, errn, "oauth2 token: out of memory");
            cls = WEIRP_HTTP_RETRY;
        }
    } else {
        char text[512];
        weirp_http_error_text(rc, curl_err, &ans, "/error_description", text, sizeof text);
        snprintf(err, errn, "oauth2 token (%s): %s", desc, text);
    }
    weirp_http_answer_free(&ans);
    curl_easy_cleanup(h);
    return cls;
}

weirp_http_class whttp_auth_ready(whttp_auth *a, int force, char *err,
                                  size_t errn)
{
    if (a->kind != WHTTP_AUTH_OAUTH2)
        return WEIRP_HTTP_OK;
    if (!force && a->access_token != NULL && whttp_now_ms() < a->expires_at_ms)
        return WEIRP_HTTP_OK;
    return fetch_token(a, err, errn);
}

void whttp_auth_apply(const whttp_auth *a, CURL *h)
{
    switch (a->kind) {
    case WHTTP_AUTH_NONE:
        break;
    case WHTTP_AUTH_BEARER:
    case WHTTP_AUTH_OAUTH2:
        /* libcurl's own bearer: never sent on to another host by a
         * redirect, unlike a header of ours. */
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
        curl_easy_setopt(h, CURLOPT_XOAUTH2_BEARER,
                         a->kind == WHTTP_AUTH_BEARER ? a->token : a->access_token);
        break;
    case WHTTP_AUTH_BASIC:
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(h, CURLOPT_USERNAME, a->user);
        curl_easy_setopt(h, CURLOPT_PASSWORD, a->password);
        break;
    }
}
