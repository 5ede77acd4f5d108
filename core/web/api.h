/*
 * api.h - the routes of the web monitor's JSON API (docs/web.md), apart
 * from HTTP: web.c checks the request (host, origin, token, size, JSON)
 * and hands a route its query and body; the route answers a status and
 * a document.  Every answer is a JSON object; a refusal is {"error":
 * TEXT}.  Called from the web thread only.
 */
#ifndef WEIR_WEB_API_H
#define WEIR_WEB_API_H

#include <signal.h>

#include <jansson.h>

#include "plugin/plugins.h"

/* What the routes share. */
typedef struct weir_api {
    char *state_path;        /* opened per request: a reader for a GET */
    char *dir;               /* xref suggest's files are inside it */
    weir_plugins *reg;       /* pipeline files for status and suggest */
    void (*wake)(void *ctx); /* nullable: records may have become due */
    void *wake_ctx;
    volatile sig_atomic_t stopping; /* cancels an xref suggest reading */
} weir_api;

typedef struct weir_api_request {
    const char *path;  /* as routed: "/api/records/12" */
    json_t *body;      /* POST: the body, a JSON object (borrowed) */
    /* GET: the query parameter `name`, NULL when absent (borrowed) */
    const char *(*query)(void *ctx, const char *name);
    void *query_ctx;
} weir_api_request;

typedef struct weir_api_route {
    const char *method; /* "GET" or "POST" */
    const char *path;   /* exact, or a prefix when it ends in '/' */
    /* the HTTP status, *answer the document (new reference) */
    int (*fn)(weir_api *api, const weir_api_request *rq, json_t **answer);
} weir_api_route;

/* The route for `method` and `path`: NULL when there is none, with
 * *allow (nullable) the method the path takes when it takes another
 * (405), NULL when no route has that path (404).  HEAD goes as GET. */
const weir_api_route *weir_api_find(const char *method, const char *path,
                                    const char **allow);

/* {"error": TEXT}. (new reference) */
json_t *weir_api_error(const char *fmt, ...) WEIR_PRINTF(1, 2);

#endif
