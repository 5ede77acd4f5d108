/*
 * web.h - the web monitor of `weir serve --http`: one page (the
 * Integration Monitor, served from the binary) and the JSON API behind
 * it (docs/web.md), on a libmicrohttpd thread of its own.
 *
 * The web thread opens its own state connection per request (read-only
 * for a GET, writable for a POST) and loads the pipeline files it needs
 * with its own plugin registry: it shares nothing with serve's threads
 * but `wake`.  Every POST needs the bearer token and is refused from a
 * foreign Origin; without a token the API is read-only.
 *
 * serve: w = weir_web_start(&cfg, &err), then
 * weir_notify_set_monitor_url(weir_web_url(w)) (engine/notify.h) so that
 * failure notifications link to the page; at exit
 * weir_notify_set_monitor_url(NULL) and weir_web_stop(w).
 */
#ifndef WEIR_WEB_H
#define WEIR_WEB_H

#include "base/error.h"

typedef struct weir_web weir_web;

typedef struct weir_web_config {
    const char *listen;      /* --http: "ADDR:PORT", or "PORT"/":PORT" =
                                127.0.0.1; port 0 = any free port */
    const char *token;       /* the bearer token, nullable: then every POST
                                is refused (read-only) */
    const char *state_path;  /* the --state spec; the web thread opens its
                                own state connection(s) */
    const char *plugin_path; /* nullable: for xref suggest and status
                                (weir_plugins) */
    const char *dir;         /* serve's DIR: xref suggest's app=/against=
                                name files inside it only (no '..', no
                                absolute paths) */
    void (*wake)(void *ctx); /* called from the web thread after a resend,
                                discard or merge made records due: serve
                                delivers at once.  Nullable. */
    void *wake_ctx;
} weir_web_config;

/* Start listening (a thread of its own); the strings of `cfg` are copied.
 * NULL and *err set (owned: weir_error_clear)
 * when the address is bad or in use, or weir was built without
 * libmicrohttpd.  (owned: weir_web_stop) */
weir_web *weir_web_start(const weir_web_config *cfg, weir_error *err);
/* "http://127.0.0.1:PORT" as actually bound (port 0 resolved).
 * (borrowed: lives until weir_web_stop) */
const char *weir_web_url(const weir_web *w);
/* Stop listening (a request in progress is finished or, an xref suggest
 * reading its sources, cancelled) and free `w`.  NULL ok. */
void weir_web_stop(weir_web *w);

#endif
