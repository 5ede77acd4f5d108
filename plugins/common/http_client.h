/*
 * http_client.h - what every plugin that speaks HTTP through libcurl
 * shares: one way to set up a handle (protocols, redirects, timeouts,
 * TLS), to collect an answer (status, Retry-After, Location, a bounded
 * body), to classify it, to read JSON answers by pointer, to put values
 * into URL paths, and to describe a request in a log line without its
 * secrets.
 *
 * Part of plugins/libplughttp.la, built only when libcurl is found
 * (HAVE_CURL).  It depends on <weir/plugin.h>, libcurl, jansson, libc and
 * config_diag.h (plugins/libplugcommon.la, which the plugin links too);
 * each plugin links its own private copy (see plugins/common/local.mk).
 * The plugin's load() and unload() are weirp_http_load() and
 * weirp_http_unload().
 */
#ifndef WEIR_PLUGCOMMON_HTTP_CLIENT_H
#define WEIR_PLUGCOMMON_HTTP_CLIENT_H

#include <curl/curl.h>
#include <jansson.h>
#include <stddef.h>
#include <time.h>
#include <weir/plugin.h>

#include "config_diag.h"

/* ---- plugin load and options -------------------------------------------- */

/* A plugin's load() and unload(): libcurl's process-wide setup. */
weir_status weirp_http_load(const weir_host *host);
void weirp_http_unload(void);

/* ---- handle setup ------------------------------------------------------ */

typedef struct weirp_http_conf {
    long long timeout_ms;         /* whole transfer; always set */
    long long connect_timeout_ms; /* connect phase; always set */
    const char *ca_file;          /* (borrowed) NULL: the system's store */
    int tls_verify;               /* 1: peer and host verified */
} weirp_http_conf;

/* The options `timeout` (60s), `connect-timeout` (10s), `ca-file` and
 * `tls-verify` (true) of `inst`, which declares them with these names;
 * `tls-verify` false is logged once, here, as a warning.  Borrowed
 * strings live until close. */
void weirp_http_conf_read(weir_instance *inst, const weir_host *host,
                          weirp_http_conf *conf);

/* Report through `d` a `timeout` or `connect-timeout` that is not longer
 * than 0, naming `plugin` ("option 'timeout' of PLUGIN: ..."). */
void weirp_http_conf_check(weirp_diag *d, const char *plugin);

/* Set `h` up the one way weir talks to a server: the `protocols` only
 * (a list of libcurl's names: "http,https", "smtp,smtps"; redirects too),
 * at most WEIRP_HTTP_MAX_REDIRECTS redirects, and none to another host
 * (with weirp_http_collect(): the transfer fails), both timeouts, TLS
 * verification as configured, no signals, never verbose.  Returns 0, or
 * -1 when libcurl refuses a setting (too old a libcurl) or a protocol
 * name is unknown. */
#define WEIRP_HTTP_MAX_REDIRECTS 3
int weirp_http_setup_protocols(CURL *h, const weirp_http_conf *conf,
                               const char *protocols);
/* weirp_http_setup_protocols() with "http,https". */
int weirp_http_setup(CURL *h, const weirp_http_conf *conf);

/* ---- answers ------------------------------------------------------------ */

/* What came back for one request.  Reset it before each request with
 * weirp_http_answer_reset(); weirp_http_collect() points the handle's
 * header and body callbacks at it. */
typedef struct weirp_http_answer {
    long status;              /* 0 until a status line arrived */
    char reason[96];          /* the status line's text ("Bad Request") */
    long long retry_after_ms; /* -1: no (readable) Retry-After */
    char *location;           /* Location header (owned), NULL if none */
    char *body;               /* NUL-terminated, at most body_max bytes */
    size_t body_len, body_max;
    int body_cut;             /* 1: the body was longer than body_max */
    /* A redirect to another host is not followed (our headers, keys in
     * them, would go along): the transfer fails, and this names it. */
    char other_host[128];
    CURL *h;                  /* (borrowed) set by weirp_http_collect() */
    int follow;               /* 0: redirects are off (weirp_http_no_redirects) */
} weirp_http_answer;

void weirp_http_answer_init(weirp_http_answer *a, size_t body_max);
void weirp_http_answer_reset(weirp_http_answer *a);
void weirp_http_answer_free(weirp_http_answer *a);
/* Point `h`'s header and write callbacks at `a`. */
void weirp_http_collect(CURL *h, weirp_http_answer *a);
/* No redirect is followed by `h` (after weirp_http_collect()): a 3xx is
 * its answer. */
void weirp_http_no_redirects(CURL *h, weirp_http_answer *a);

/* Retry-After: delta-seconds or an HTTP date, against `now`; -1 when
 * unreadable.  Capped at one day. */
long long weirp_http_retry_after_ms(const char *value, time_t now);

typedef enum weirp_http_class {
    WEIRP_HTTP_OK,     /* 2xx */
    WEIRP_HTTP_RETRY,  /* 408, 425, 429, 5xx, timeouts, lost connections */
    WEIRP_HTTP_DOWN,   /* nobody answers: connection refused, no such host */
    WEIRP_HTTP_REJECT  /* any other status: the request itself is refused */
} weirp_http_class;

/* The class of a finished transfer: libcurl's result, then the status. */
weirp_http_class weirp_http_classify(CURLcode result, long status);

/* A text for a failed transfer, for the monitor: libcurl's reason when the
 * transfer failed, else the status line, then the target's own words:
 * the string at `error_pointer` (nullable) in a JSON body, or a bounded
 * excerpt of the body ("HTTP 400 Bad Request: <excerpt>"), saying so when
 * the body is no JSON.  Writes at most `n` bytes into `buf`. */
void weirp_http_error_text(CURLcode result, const char *curl_error,
                           const weirp_http_answer *a,
                           const char *error_pointer, char *buf, size_t n);

/* ---- JSON --------------------------------------------------------------- */

/* RFC 6901: the value at `pointer` in `root` ("" is the root itself;
 * "/a/0/b~1c" walks object members and array indexes).  Borrowed from
 * root; NULL when absent or the pointer is malformed. */
json_t *weirp_json_pointer(json_t *root, const char *pointer);

/* A scalar as text: strings as they are, numbers, true/false.  NULL for
 * null, objects and arrays.  (owned: free) */
char *weirp_json_scalar_text(const json_t *v);

/* ---- URLs and logs ----------------------------------------------------- */

/* `value` (len bytes) percent-encoded for a URL path or query segment
 * (everything but unreserved characters).  (owned: free) NULL on OOM. */
char *weirp_url_escape(const char *value, size_t len);

/* "METHOD /path" for a log line or a message: the URL without scheme,
 * host, user info, query values and fragment (query names are kept:
 * "GET /invoices?ref=..." ), so that no credential or personal value in
 * a URL reaches a log.  Writes at most `n` bytes into `buf`. */
void weirp_http_describe(const char *method, const char *url, char *buf,
                         size_t n);

#endif
