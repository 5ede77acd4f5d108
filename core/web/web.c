/*
 * web.c - the web monitor's HTTP server (libmicrohttpd): the listening
 * socket, the checks every request passes (host, origin, token, body
 * size, JSON), the page's files and the API's routes (api.c).
 *
 * One polling thread answers the requests one at a time: the routes
 * open their own state connections, and a page polling every few
 * seconds needs no more.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "base/log.h"
#include "web/api.h"
#include "web/assets.h"
#include "web/web.h"

/* A POST body larger than this is refused (413). */
#define MAX_BODY (64 * 1024)

/* The Content-Security-Policy of every answer: the page's own script and
 * style files only, no inline script, no framing. */
#define CSP "default-src 'none'; script-src 'self'; style-src 'self'; " \
            "img-src 'self'; connect-src 'self'; base-uri 'none'; "     \
            "form-action 'none'; frame-ancestors 'none'"

/* The page's files. */
static const struct asset {
    const char *path, *type, *text;
} assets[] = {
    {"/", "text/html; charset=utf-8", weir_web_monitor_html},
    {"/monitor.js", "text/javascript; charset=utf-8", weir_web_monitor_js},
    {"/monitor.css", "text/css; charset=utf-8", weir_web_monitor_css},
};
#define NASSETS (sizeof(assets) / sizeof(assets[0]))

struct weir_web {
    struct MHD_Daemon *daemon;
    int fd;                 /* the listening socket */
    char url[96];           /* http://ADDR:PORT */
    char hosts[3][80];      /* Host headers a loopback server answers */
    int loopback;           /* bound to a loopback address */
    unsigned port;          /* the port it listens on */
    char *token;            /* nullable: read-only */
    weir_api api;
};

/* One request's body as it arrives. */
typedef struct request {
    char *body;
    size_t len;
    int too_big;
} request;

/* ---- listening ------------------------------------------------------- */

/* "ADDR:PORT", "PORT" or ":PORT" (127.0.0.1) into a bound, listening
 * socket; w->url and w->hosts filled.  0, or -1 with *err. */
static int listen_on(weir_web *w, const char *listen_spec, weir_error *err)
{
    char host[256] = "127.0.0.1";
    const char *port = listen_spec;
    const char *colon = strrchr(listen_spec, ':');
    if (colon && colon > listen_spec) {
        size_t n = (size_t)(colon - listen_spec);
        const char *h = listen_spec;
        if (n >= 2 && h[0] == '[' && h[n - 1] == ']') /* [::1]:8080 */
            h++, n -= 2;
        if (n >= sizeof(host))
            n = sizeof(host) - 1;
        memcpy(host, h, n);
        host[n] = '\0';
    }
    if (colon)
        port = colon + 1;
    char *end;
    unsigned long pn = strtoul(port, &end, 10);
    if (!*port || *end || pn > 65535 || port[0] == '-') {
        weir_error_set(err, WEIR_ERR_USAGE, "--http %s: not ADDR:PORT or "
                       "PORT (a port from 0 to 65535)", listen_spec);
        return -1;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV | AI_PASSIVE};
    struct addrinfo *ai = NULL;
    int gai = getaddrinfo(host, port, &hints, &ai);
    if (gai) {
        weir_error_set(err, WEIR_ERR_USAGE, "--http %s: %s", listen_spec,
                       gai_strerror(gai));
        return -1;
    }
    int one = 1;
    w->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
                   ai->ai_protocol);
    if (w->fd < 0 ||
        setsockopt(w->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
        bind(w->fd, ai->ai_addr, ai->ai_addrlen) || listen(w->fd, 64)) {
        weir_error_set(err, WEIR_ERR_IO, "--http %s: cannot listen: %s",
                       listen_spec, strerror(errno));
        freeaddrinfo(ai);
        return -1;
    }
    freeaddrinfo(ai);
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char addr[INET6_ADDRSTRLEN] = "";
    unsigned bound = 0;
    if (getsockname(w->fd, (struct sockaddr *)&ss, &len) == 0 &&
        ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &s6->sin6_addr, addr, sizeof(addr));
        bound = ntohs(s6->sin6_port);
        /* ::ffff:127.0.0.1 takes connections to 127.0.0.1 */
        w->loopback = IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr) ||
                      (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr) &&
                       s6->sin6_addr.s6_addr[12] == 127);
        snprintf(w->url, sizeof(w->url), "http://[%s]:%u", addr, bound);
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &s4->sin_addr, addr, sizeof(addr));
        bound = ntohs(s4->sin_port);
        w->loopback = (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
        snprintf(w->url, sizeof(w->url), "http://%s:%u", addr, bound);
    }
    w->port = bound;
    snprintf(w->hosts[0], sizeof(w->hosts[0]), "%s", w->url + 7);
    snprintf(w->hosts[1], sizeof(w->hosts[1]), "localhost:%u", bound);
    snprintf(w->hosts[2], sizeof(w->hosts[2]), "%s:%u",
             ss.ss_family == AF_INET6 ? "127.0.0.1" : "[::1]", bound);
    return 0;
}

/* ---- answers --------------------------------------------------------- */

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status,
                                 const char *type, const char *text,
                                 enum MHD_ResponseMemoryMode mode,
                                 const char *allow, int api)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        strlen(text), (void *)text, mode);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, "Content-Security-Policy", CSP);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
                            api ? "no-store" : "no-cache");
    if (allow)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    if (status == MHD_HTTP_UNAUTHORIZED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                "Bearer realm=\"weir\"");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* Answer `doc` (stolen) with `status`. */
static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status,
                                 json_t *doc, const char *allow)
{
    /* "</" as "<\/": an answer never closes a script element */
    char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                                           JSON_REAL_PRECISION(3) |
                                           JSON_ESCAPE_SLASH)
                     : NULL;
    json_decref(doc);
    if (!text)
        return MHD_NO;
    return send_text(c, status, "application/json", text,
                     MHD_RESPMEM_MUST_FREE, allow, 1);
}

/* ---- checks ---------------------------------------------------------- */

/* Equal, in a time that does not depend on where they differ. */
static int same_secret(const char *given, size_t glen, const char *want)
{
    size_t wlen = strlen(want);
    unsigned char diff = glen != wlen;
    for (size_t i = 0; i < wlen; i++)
        diff |= (unsigned char)want[i] ^ (unsigned char)(i < glen ? given[i]
                                                                  : 0);
    return diff == 0;
}

static const char *header(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/* A server on loopback answers only to its own names: a page of another
 * site whose name an attacker points at 127.0.0.1 (DNS rebinding) sends
 * its own Host.  On port 80 a browser sends the name alone. */
static int host_ok(const weir_web *w, const char *host)
{
    if (!w->loopback)
        return 1;
    for (size_t i = 0; host && i < 3; i++) {
        size_t name = strlen(w->hosts[i]) - strlen(":80");
        if (strcmp(host, w->hosts[i]) == 0 ||
            (w->port == 80 && strlen(host) == name &&
             strncmp(host, w->hosts[i], name) == 0))
            return 1;
    }
    return 0;
}

/* An Origin, when sent, is this server as the browser reached it. */
static int origin_ok(const char *origin, const char *host)
{
    return !origin || (host && strncmp(origin, "http://", 7) == 0 &&
                       strcmp(origin + 7, host) == 0);
}

/* Why a POST is refused (status and text), or 0. */
static unsigned post_refused(const weir_web *w, struct MHD_Connection *c,
                             const char **why)
{
    const char *auth = header(c, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!origin_ok(header(c, "Origin"), header(c, MHD_HTTP_HEADER_HOST))) {
        *why = "refused: the request comes from another site (Origin)";
        return MHD_HTTP_FORBIDDEN;
    }
    if (!w->token) {
        *why = "read-only: weir serve was started without a token "
               "(--token-env)";
        return MHD_HTTP_UNAUTHORIZED;
    }
    if (!auth || strncmp(auth, "Bearer ", 7) != 0 ||
        !same_secret(auth + 7, strlen(auth + 7), w->token)) {
        *why = "a POST needs the header Authorization: Bearer TOKEN";
        return MHD_HTTP_UNAUTHORIZED;
    }
    return 0;
}

static const char *query(void *ctx, const char *name)
{
    return MHD_lookup_connection_value(ctx, MHD_GET_ARGUMENT_KIND, name);
}

/* The whole request is in: check it and answer. */
static enum MHD_Result answer(weir_web *w, struct MHD_Connection *c,
                              const char *url, const char *method,
                              request *rq)
{
    int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    if (!host_ok(w, header(c, MHD_HTTP_HEADER_HOST)))
        return send_json(c, MHD_HTTP_FORBIDDEN,
                         weir_api_error("refused: this server answers to "
                                        "%s only", w->url), NULL);
    for (size_t i = 0; i < NASSETS; i++)
        if (strcmp(url, assets[i].path) == 0)
            return get ? send_text(c, MHD_HTTP_OK, assets[i].type,
                                   assets[i].text, MHD_RESPMEM_PERSISTENT,
                                   NULL, 0)
                       : send_json(c, MHD_HTTP_METHOD_NOT_ALLOWED,
                                   weir_api_error("%s %s: use GET", method,
                                                  url), "GET, HEAD");
    const char *allow;
    const weir_api_route *route = weir_api_find(method, url, &allow);
    if (!route && !allow)
        return send_json(c, MHD_HTTP_NOT_FOUND,
                         weir_api_error("no such page: %s", url), NULL);
    if (!route)
        return send_json(c, MHD_HTTP_METHOD_NOT_ALLOWED,
                         weir_api_error("%s %s: use %s", method, url, allow),
                         strcmp(allow, "GET") == 0 ? "GET, HEAD" : allow);
    weir_api_request arq = {.path = url, .query = query, .query_ctx = c};
    json_t *doc = NULL;
    if (!get) {
        const char *why = NULL;
        unsigned refused = post_refused(w, c, &why);
        if (refused)
            return send_json(c, refused, weir_api_error("%s", why), NULL);
        if (rq->too_big)
            return send_json(c, MHD_HTTP_CONTENT_TOO_LARGE,
                             weir_api_error("the body is larger than %d "
                                            "bytes", MAX_BODY), NULL);
        json_error_t jerr;
        arq.body = json_loadb(rq->body ? rq->body : "", rq->len,
                              JSON_REJECT_DUPLICATES, &jerr);
        if (!json_is_object(arq.body)) {
            doc = arq.body ? weir_api_error("the body must be a JSON object")
                           : weir_api_error("the body is not JSON: %s (line "
                                            "%d, column %d)", jerr.text,
                                            jerr.line, jerr.column);
            json_decref(arq.body);
            return send_json(c, MHD_HTTP_BAD_REQUEST, doc, NULL);
        }
    }
    int status = route->fn(&w->api, &arq, &doc);
    json_decref(arq.body);
    return send_json(c, (unsigned)status, doc, NULL);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
                              const char *url, const char *method,
                              const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    (void)version;
    weir_web *w = cls;
    request *rq = *con_cls;
    if (!rq) {
        if (!(rq = calloc(1, sizeof(*rq))))
            return MHD_NO;
        *con_cls = rq;
        /* refused before its body is read; one of unknown length is cut
         * off as it arrives (below) */
        const char *length = header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (length && strtoull(length, NULL, 10) > MAX_BODY)
            return send_json(c, MHD_HTTP_CONTENT_TOO_LARGE,
                             weir_api_error("the body is larger than %d "
                                            "bytes", MAX_BODY), NULL);
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (rq->too_big || rq->len + n > MAX_BODY) {
            rq->too_big = 1; /* read and dropped: the answer says so */
            return MHD_YES;
        }
        char *b = realloc(rq->body, rq->len + n + 1);
        if (!b)
            return MHD_NO;
        memcpy(b + rq->len, upload, n);
        rq->body = b;
        rq->len += n;
        return MHD_YES;
    }
    return answer(w, c, url, method, rq);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)c, (void)toe;
    request *rq = *con_cls;
    if (rq)
        free(rq->body);
    free(rq);
    *con_cls = NULL;
}

/* ---- start and stop -------------------------------------------------- */

static char *copy(const char *s, int *failed)
{
    char *c = s ? strdup(s) : NULL;
    *failed |= s && !c;
    return c;
}

weir_web *weir_web_start(const weir_web_config *cfg, weir_error *err)
{
    weir_web *w = calloc(1, sizeof(*w));
    int failed = !w;
    if (w) {
        w->fd = -1;
        w->token = copy(cfg->token && *cfg->token ? cfg->token : NULL,
                        &failed);
        w->api.state_path = copy(cfg->state_path ? cfg->state_path
                                                 : "weir.db", &failed);
        w->api.dir = copy(cfg->dir ? cfg->dir : ".", &failed);
        w->api.wake = cfg->wake;
        w->api.wake_ctx = cfg->wake_ctx;
        char *path = weir_plugins_default_path(cfg->plugin_path);
        failed |= !path || !(w->api.reg = weir_plugins_new(path));
        free(path);
    }
    if (failed) {
        weir_error_set(err, WEIR_ERR_NOMEM, "web monitor: out of memory or "
                       "no plugin loader (libltdl)");
    } else if (listen_on(w, cfg->listen ? cfg->listen : "", err) == 0) {
        w->daemon = MHD_start_daemon(
            MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO, 0, NULL, NULL,
            handle, w, MHD_OPTION_LISTEN_SOCKET, w->fd,
            MHD_OPTION_CONNECTION_LIMIT, 64u,
            MHD_OPTION_PER_IP_CONNECTION_LIMIT, 32u,
            MHD_OPTION_CONNECTION_TIMEOUT, 30u,
            MHD_OPTION_NOTIFY_COMPLETED, completed, w, MHD_OPTION_END);
        if (w->daemon) {
            w->fd = -1; /* the daemon's now: MHD_stop_daemon closes it */
            weir_log(WEIR_LOG_INFO, "web monitor on %s%s", w->url,
                     w->token ? "" : " (read-only: no token)");
            return w;
        }
        weir_error_set(err, WEIR_ERR_INTERNAL, "web monitor: libmicrohttpd "
                       "could not start on %s", w->url);
    }
    weir_web_stop(w);
    return NULL;
}

const char *weir_web_url(const weir_web *w)
{
    return w->url;
}

void weir_web_stop(weir_web *w)
{
    if (!w)
        return;
    w->api.stopping = 1;
    if (w->daemon)
        MHD_stop_daemon(w->daemon);
    if (w->fd >= 0)
        close(w->fd);
    weir_plugins_free(w->api.reg);
    free(w->api.state_path);
    free(w->api.dir);
    free(w->token);
    free(w);
}
