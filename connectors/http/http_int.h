/*
 * connectors/http/http_int.h - what the http plugin's files share.
 *
 * http_plugin.c holds the descriptor and routes each callback by kind;
 * http_sink.c is the sink; http_auth.c the credentials both directions
 * send; http_source.c the source.  Every instance state starts with a whttp_common so the
 * routing knows which side it is.
 */
#ifndef WEIR_HTTP_INT_H
#define WEIR_HTTP_INT_H

#include <poll.h>

#include <weir/plugin.h>

#include "common/config_diag.h"
#include "common/http_client.h"

typedef struct whttp_common {
    weir_kind kind;
    weir_instance *inst;   /* (borrowed) */
    const weir_host *host; /* (borrowed) */
} whttp_common;

/* strdup, which strict C11 does not declare. (owned: free), NULL on OOM */
char *whttp_strdup(const char *s);

/* "METHOD /path" into its parts: the method (upper-case letters) and the
 * path (starting with '/').  Returns 0, or -1 with the reason in err. */
int whttp_split_action(const char *action, char *method, size_t method_n,
                       const char **path, char *err, size_t errn);

/* The `url` option without its trailing '/'. (owned: free) NULL when
 * it is no http(s) URL or has a query or fragment (reported to d). */
char *whttp_base_url(weir_instance *inst, const weir_host *host,
                     weirp_diag *d);
/* 1 when `h` is one "Name: value" header line. */
int whttp_header_ok(const char *h);
/* Report each `header` option that is no header line (by position only:
 * its value may be a secret). */
void whttp_headers_check(weir_instance *inst, const weir_host *host,
                         weirp_diag *d);
/* curl_slist_append, freeing the list when it fails. */
struct curl_slist *whttp_add_header(struct curl_slist *l, const char *h);
/* Accept: application/json, Content-Type too when `with_body`, then the
 * `header` options.  (owned: curl_slist_free_all) NULL on OOM. */
struct curl_slist *whttp_headers(weir_instance *inst, const weir_host *host,
                                 int with_body);

/* ---- auth (http_auth.c) ------------------------------------------------- */

typedef enum whttp_auth_kind {
    WHTTP_AUTH_NONE,
    WHTTP_AUTH_BEARER,
    WHTTP_AUTH_BASIC,
    WHTTP_AUTH_OAUTH2
} whttp_auth_kind;

typedef struct whttp_auth {
    whttp_auth_kind kind;
    const char *token, *user, *password;               /* (borrowed) */
    const char *token_url, *client_id, *client_secret; /* (borrowed) */
    char *access_token;      /* OAuth2: the cached token (owned) */
    long long expires_at_ms; /* OAuth2: when to fetch a new one */
    unsigned long generation; /* OAuth2: tokens fetched so far */
    weirp_http_conf conf;    /* for the token request */
} whttp_auth;

/* Check the `auth` options against each other (check() and open()). */
void whttp_auth_check(weir_instance *inst, const weir_host *host,
                      weirp_diag *d);
/* Read them; no request yet. */
void whttp_auth_init(whttp_auth *a, weir_instance *inst, const weir_host *host,
                     const weirp_http_conf *conf);
/* OAuth2: make sure a token is cached that is good for a while yet
 * (`force`: fetch a new one, after a 401).  Other kinds: nothing to do.
 * Returns WEIRP_HTTP_OK, or the class of the failure with its text in
 * err (never the secret). */
weirp_http_class whttp_auth_ready(whttp_auth *a, int force, char *err,
                                  size_t errn);
/* Put the credentials on `h` (after weirp_http_setup()). */
void whttp_auth_apply(const whttp_auth *a, CURL *h);
void whttp_auth_free(whttp_auth *a);
/* Milliseconds on a monotonic clock. */
long long whttp_now_ms(void);

/* ---- socket events (http_events.c) --------------------------------------- */

/* The sockets and timer of one multi handle.  Not thread-safe: one per
 * multi handle, used by the thread that owns it. */
typedef struct whttp_events {
    CURLM *multi;          /* (borrowed) */
    struct pollfd *fds;    /* what libcurl wants watched (owned) */
    struct pollfd *ready;  /* poll()'s copy of it (owned) */
    size_t n, cap;
    long long due_ms;      /* libcurl's timer, on whttp_now_ms(); -1 none */
} whttp_events;

/* Take over `multi`'s socket and timer callbacks. */
void whttp_events_init(whttp_events *ev, CURLM *multi);
/* Run libcurl's due timer, or wait up to max_wait_ms (less when its
 * timer is due sooner) for a socket and hand each ready one to libcurl.
 * Finished transfers are then in curl_multi_info_read(). */
void whttp_events_run(whttp_events *ev, long long max_wait_ms);
void whttp_events_free(whttp_events *ev);

/* ---- sink (http_sink.c) ------------------------------------------------- */

weir_status whttp_sink_check(weir_instance *inst, const weir_host *host);
weir_status whttp_sink_open(weir_instance *inst, const weir_host *host,
                            void **state);
weir_status whttp_sink_write(void *state, weir_batch *batch);
weir_status whttp_sink_probe(void *state);
void whttp_sink_close(void *state);

/* ---- source (http_source.c) --------------------------------------------- */

weir_status whttp_source_check(weir_instance *inst, const weir_host *host);
weir_status whttp_source_open(weir_instance *inst, const weir_host *host,
                              void **state);
weir_status whttp_source_read(void *state, weir_batch *batch);
void whttp_source_close(void *state);

#endif
