/*
 * http_client.c - libcurl handle setup, answers, JSON pointers, URL
 * escaping and secret-free request descriptions (see http_client.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_client.h"

/* ---- plugin load and options -------------------------------------------- */

weir_status weirp_http_load(const weir_host *host)
{
    (void)host;
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? WEIR_STATUS_OK
                                                             : WEIR_STATUS_ERROR;
}

void weirp_http_unload(void)
{
    curl_global_cleanup();
}

/* ---- handle setup ------------------------------------------------------ */

void weirp_http_conf_read(weir_instance *inst, const weir_host *host,
                          weirp_http_conf *conf)
{
    conf->timeout_ms = 60000;
    conf->connect_timeout_ms = 10000;
    conf->ca_file = host->option(inst, "ca-file");
    conf->tls_verify = 1;
    host->option_duration_ms(inst, "timeout", &conf->timeout_ms);
    host->option_duration_ms(inst, "connect-timeout", &conf->connect_timeout_ms);
    host->option_bool(inst, "tls-verify", &conf->tls_verify);
    /* 0 would mean "no timeout" to libcurl: a request must always end. */
    if (conf->timeout_ms <= 0)
        conf->timeout_ms = 60000;
    if (conf->connect_timeout_ms <= 0)
        conf->connect_timeout_ms = 10000;
    if (!conf->tls_verify)
        host->log(inst, WEIR_LOG_WARNING,
                  "tls-verify is false: the server's certificate and name "
                  "are not checked (anyone on the path can read and change "
                  "the traffic)");
}

void weirp_http_conf_check(weirp_diag *d, const char *plugin)
{
    weirp_diag_positive_duration(d, plugin, "timeout");
    weirp_diag_positive_duration(d, plugin, "connect-timeout");
}

#if LIBCURL_VERSION_NUM < 0x075500
/* The CURLPROTO_ bits of a list of names, for a libcurl without the _STR
 * options (before 7.85); 0 when a name is not one weir uses. */
static long protocol_bits(const char *list)
{
    static const struct {
        const char *name;
        long bit;
    } known[] = {{"http", CURLPROTO_HTTP}, {"https", CURLPROTO_HTTPS},
                 {"smtp", CURLPROTO_SMTP}, {"smtps", CURLPROTO_SMTPS}};
    const size_t count = sizeof known / sizeof known[0];
    long bits = 0;
    while (*list != '\0') {
        size_t n = strcspn(list, ","), i = 0;
        while (i < count && !(strlen(known[i].name) == n &&
                              strncmp(list, known[i].name, n) == 0))
            i++;
        if (i == count)
            return 0;
        bits |= known[i].bit;
        list += n;
        if (*list == ',')
            list++;
    }
    return bits;
}
#endif

int weirp_http_setup_protocols(CURL *h, const weirp_http_conf *conf,
                               const char *protocols)
{
    int bad = 0;
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85: the _STR forms */
    bad |= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, protocols) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, protocols) != CURLE_OK;
#else
    long bits = protocol_bits(protocols);
    bad |= bits == 0;
    bad |= curl_easy_setopt(h, CURLOPT_PROTOCOLS, bits) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS, bits) != CURLE_OK;
#endif
    bad |= curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_MAXREDIRS, (long)WEIRP_HTTP_MAX_REDIRECTS) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)conf->timeout_ms) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                            (long)conf->connect_timeout_ms) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, conf->tls_verify ? 1L : 0L) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, conf->tls_verify ? 2L : 0L) != CURLE_OK;
    if (conf->ca_file != NULL)
        bad |= curl_easy_setopt(h, CURLOPT_CAINFO, conf->ca_file) != CURLE_OK;
    /* Verbose output would print the real headers, tokens included. */
    bad |= curl_easy_setopt(h, CURLOPT_VERBOSE, 0L) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_NOPROGRESS, 1L) != CURLE_OK;
    return bad ? -1 : 0;
}

int weirp_http_setup(CURL *h, const weirp_http_conf *conf)
{
    return weirp_http_setup_protocols(h, conf, "http,https");
}

/* ---- answers ------------------------------------------------------------ */

void weirp_http_answer_init(weirp_http_answer *a, size_t body_max)
{
    memset(a, 0, sizeof *a);
    a->body_max = body_max;
    a->retry_after_ms = -1;
    a->follow = 1;
}

void weirp_http_answer_reset(weirp_http_answer *a)
{
    CURL *h = a->h;
    free(a->location);
    free(a->body);
    weirp_http_answer_init(a, a->body_max);
    a->h = h;
}

void weirp_http_answer_free(weirp_http_answer *a)
{
    free(a->location);
    free(a->body);
    a->location = NULL;
    a->body = NULL;
}

static char *dup_n(const char *s, size_t n)
{
    char *c = malloc(n + 1);
    if (c != NULL) {
        memcpy(c, s, n);
        c[n] = '\0';
    }
    return c;
}

/* Case-insensitive "Name:" at the start of a header line; returns the
 * value with blanks around it trimmed (length in *len), or NULL. */
static const char *header_value(const char *line, size_t n, const char *name,
                                size_t *len)
{
    size_t k = strlen(name);
    if (n <= k || line[k] != ':')
        return NULL;
    for (size_t i = 0; i < k; i++)
        if (tolower((unsigned char)line[i]) != tolower((unsigned char)name[i]))
            return NULL;
    const char *v = line + k + 1, *end = line + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && isspace((unsigned char)end[-1]))
        end--;
    *len = (size_t)(end - v);
    return v;
}

/* Does a->location, read against the URL being fetched, lead to another
 * host?  Its name goes into a->other_host.  Unreadable counts as
 * another host. */
static int other_host(weirp_http_answer *a)
{
    char *from = NULL, *here = NULL, *there = NULL;
    CURLU *u = curl_url();
    int other = 1;
    if (u != NULL && a->h != NULL &&
        curl_easy_getinfo(a->h, CURLINFO_EFFECTIVE_URL, &from) == CURLE_OK && from &&
        curl_url_set(u, CURLUPART_URL, from, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &here, 0) == CURLUE_OK &&
        curl_url_set(u, CURLUPART_URL, a->location, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &there, 0) == CURLUE_OK) {
        other = strcasecmp(here, there) != 0;
        snprintf(a->other_host, sizeof a->other_host, "%s", there);
    } else
        snprintf(a->other_host, sizeof a->other_host, "?");
    curl_free(here);
    curl_free(there);
    curl_url_cleanup(u);
    if (!other)
        a->other_host[0] = '\0';
    return other;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *user)
{
    weirp_http_answer *a = user;
    size_t n = size * nmemb, len;
    const char *v;
    if (n > 5 && memcmp(data, "HTTP/", 5) == 0) {
        /* A new status line (after a redirect or a 100 Continue): what
         * came before belongs to an earlier answer. */
        const char *sp = memchr(data, ' ', n);
        a->status = 0;
        a->reason[0] = '\0';
        a->retry_after_ms = -1;
        free(a->location);
        a->location = NULL;
        if (sp != NULL) {
            const char *end = data + n, *p = sp + 1;
            long status = 0;
            while (p < end && isdigit((unsigned char)*p) && status < 1000)
                status = status * 10 + (*p++ - '0');
            a->status = status;
            while (p < end && *p == ' ')
                p++;
            size_t r = (size_t)(end - p);
            while (r > 0 && isspace((unsigned char)p[r - 1]))
                r--;
            if (r >= sizeof a->reason)
                r = sizeof a->reason - 1;
            memcpy(a->reason, p, r);
            a->reason[r] = '\0';
        }
    } else if ((v = header_value(data, n, "Retry-After", &len)) != NULL) {
        char tmp[64];
        if (len < sizeof tmp) {
            memcpy(tmp, v, len);
            tmp[len] = '\0';
            a->retry_after_ms = weirp_http_retry_after_ms(tmp, time(NULL));
        }
    } else if ((v = header_value(data, n, "Location", &len)) != NULL) {
        free(a->location);
        a->location = dup_n(v, len);
        if (a->follow && a->status >= 300 && a->status < 400 && a->location != NULL &&
            other_host(a))
            return 0; /* libcurl fails the transfer: CURLE_WRITE_ERROR */
    }
    return n;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *user)
{
    weirp_http_answer *a = user;
    size_t n = size * nmemb;
    if (a->body == NULL) {
        a->body = malloc(a->body_max + 1);
        if (a->body == NULL)
            return 0; /* libcurl fails the transfer: CURLE_WRITE_ERROR */
        a->body[0] = '\0';
    }
    size_t room = a->body_max - a->body_len, take = n < room ? n : room;
    memcpy(a->body + a->body_len, data, take);
    a->body_len += take;
    a->body[a->body_len] = '\0';
    if (take < n)
        a->body_cut = 1; /* keep reading: the connection stays reusable */
    return n;
}

void weirp_http_collect(CURL *h, weirp_http_answer *a)
{
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, a);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, a);
    a->h = h;
}

void weirp_http_no_redirects(CURL *h, weirp_http_answer *a)
{
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    a->follow = 0;
}

long long weirp_http_retry_after_ms(const char *value, time_t now)
{
    const long long day = 86400000LL;
    if (value == NULL || *value == '\0')
        return -1;
    if (isdigit((unsigned char)value[0])) {
        char *end;
        errno = 0;
        unsigned long long s = strtoull(value, &end, 10);
        if (*end != '\0')
            return -1;
        if (errno != 0 || s > (unsigned long long)day / 1000)
            return day;
        return (long long)s * 1000;
    }
    time_t t = curl_getdate(value, NULL);
    if (t == (time_t)-1)
        return -1;
    if (t <= now)
        return 0;
    long long ms = ((long long)t - (long long)now) * 1000;
    return ms > day ? day : ms;
}

weirp_http_class weirp_http_classify(CURLcode result, long status)
{
    switch (result) {
    case CURLE_OK:
        break;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return WEIRP_HTTP_DOWN;
    default:
        /* Timeouts, a connection dropped mid-answer, TLS trouble, too
         * many redirects: the request may go through another time. */
        return WEIRP_HTTP_RETRY;
    }
    if (status >= 200 && status < 300)
        return WEIRP_HTTP_OK;
    if (status == 408 || status == 425 || status == 429 || status >= 500)
        return WEIRP_HTTP_RETRY;
    return WEIRP_HTTP_REJECT;
}

/* Append `s` (n bytes) to buf at *at as one line of printable text: control
 * characters become spaces, cut at a UTF-8 character boundary. */
static void put_excerpt(char *buf, size_t size, size_t *at, const char *s,
                        size_t n, int more)
{
    size_t i = 0;
    while (i < n && *at + 4 < size) {
        unsigned char c = (unsigned char)s[i];
        size_t clen = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
        if (i + clen > n || *at + clen + 4 >= size) {
            more = 1;
            break;
        }
        if (clen == 1)
            buf[(*at)++] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
        else
            for (size_t k = 0; k < clen; k++)
                buf[(*at)++] = s[i + k];
        i += clen;
    }
    if (i < n)
        more = 1;
    if (more && *at + 4 <= size) {
        memcpy(buf + *at, "...", 3);
        *at += 3;
    }
    buf[*at] = '\0';
}

#define EXCERPT_MAX 200

void weirp_http_error_text(CURLcode result, const char *curl_error,
                           const weirp_http_answer *a,
                           const char *error_pointer, char *buf, size_t n)
{
    if (n == 0)
        return;
    if (result != CURLE_OK && a->other_host[0] != '\0') {
        snprintf(buf, n, "HTTP %ld %s: redirected to another host (%s): not "
                 "followed, so that no credential goes there", a->status,
                 a->reason, a->other_host);
        return;
    }
    if (result != CURLE_OK) {
        snprintf(buf, n, "%s",
                 curl_error && *curl_error ? curl_error : curl_easy_strerror(result));
        return;
    }
    char head[128];
    snprintf(head, sizeof head, "HTTP %ld%s%s", a->status,
             a->reason[0] ? " " : "", a->reason);
    if (a->body == NULL || a->body_len == 0) {
        snprintf(buf, n, "%s", head);
        return;
    }
    json_error_t jerr;
    json_t *doc = a->body_cut ? NULL
                  : json_loadb(a->body, a->body_len, JSON_DECODE_ANY, &jerr);
    if (doc != NULL && error_pointer != NULL) {
        json_t *v = weirp_json_pointer(doc, error_pointer);
        char *words = v == NULL ? NULL
                      : json_is_string(v) ? dup_n(json_string_value(v), json_string_length(v))
                      : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        if (words != NULL && *words != '\0') {
            /* The target's own words first: they are what the monitor
             * groups by and what the user acts on. */
            size_t at = 0;
            put_excerpt(buf, n > 16 ? n - 16 : n, &at, words, strlen(words), 0);
            snprintf(buf + at, n - at, " (HTTP %ld)", a->status);
            free(words);
            json_decref(doc);
            return;
        }
        free(words);
    }
    size_t at = (size_t)snprintf(buf, n, "%s: %s", head,
                                 doc == NULL ? "answer is not JSON: " : "");
    if (at >= n) {
        json_decref(doc);
        return;
    }
    size_t cap = at + EXCERPT_MAX + 4 < n ? at + EXCERPT_MAX + 4 : n;
    put_excerpt(buf, cap, &at, a->body, a->body_len, a->body_cut);
    json_decref(doc);
}

/* ---- JSON --------------------------------------------------------------- */

json_t *weirp_json_pointer(json_t *root, const char *pointer)
{
    if (root == NULL || pointer == NULL)
        return NULL;
    if (*pointer == '\0')
        return root;
    if (*pointer != '/')
        return NULL;
    json_t *cur = root;
    const char *p = pointer;
    char *token = malloc(strlen(pointer) + 1);
    if (token == NULL)
        return NULL;
    while (cur != NULL && *p == '/') {
        p++;
        size_t k = 0;
        for (; *p != '\0' && *p != '/'; p++) {
            if (*p == '~') {
                if (p[1] == '0')
                    token[k++] = '~';
                else if (p[1] == '1')
                    token[k++] = '/';
                else {
                    cur = NULL; /* "~" followed by anything else */
                    break;
                }
                p++;
            } else
                token[k++] = *p;
        }
        if (cur == NULL)
            break;
        token[k] = '\0';
        if (json_is_object(cur))
            cur = json_object_get(cur, token);
        else if (json_is_array(cur)) {
            /* "0", "12"; no sign, no leading zeros, no "-" (past the end) */
            if (k == 0 || (k > 1 && token[0] == '0') || k > 18) {
                cur = NULL;
                break;
            }
            size_t idx = 0;
            for (size_t i = 0; i < k; i++) {
                if (!isdigit((unsigned char)token[i])) {
                    cur = NULL;
                    break;
                }
                idx = idx * 10 + (size_t)(token[i] - '0');
            }
            if (cur != NULL)
                cur = json_array_get(cur, idx);
        } else
            cur = NULL;
    }
    free(token);
    return cur;
}

char *weirp_json_scalar_text(const json_t *v)
{
    char tmp[64];
    if (json_is_string(v))
        return dup_n(json_string_value(v), json_string_length(v));
    if (json_is_integer(v))
        snprintf(tmp, sizeof tmp, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_real(v)) {
        /* the shortest text that reads back as the same number: 59.80
         * is "59.8", never "59.799999999999997" */
        double d = json_real_value(v);
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(tmp, sizeof tmp, "%.*g", prec, d);
            if (strtod(tmp, NULL) == d)
                break;
        }
    }
    else if (json_is_boolean(v))
        snprintf(tmp, sizeof tmp, "%s", json_is_true(v) ? "true" : "false");
    else
        return NULL;
    return dup_n(tmp, strlen(tmp));
}

/* ---- URLs and logs ----------------------------------------------------- */

char *weirp_url_escape(const char *value, size_t len)
{
    if (len > (size_t)0x7fffffff)
        return NULL;
    /* The handle argument is unused by libcurl's escaping. */
    char *e = curl_easy_escape(NULL, value, (int)len);
    if (e == NULL)
        return NULL;
    char *copy = dup_n(e, strlen(e));
    curl_free(e);
    return copy;
}

void weirp_http_describe(const char *method, const char *url, char *buf,
                         size_t n)
{
    if (n == 0)
        return;
    const char *p = url;
    const char *scheme = strstr(url, "://");
    if (scheme != NULL) {
        p = scheme + 3;
        p += strcspn(p, "/?#"); /* user info, host and port */
    }
    size_t at = (size_t)snprintf(buf, n, "%s ", method);
    if (at >= n)
        return;
    size_t path = strcspn(p, "?#");
    if (path == 0 && at + 1 < n)
        buf[at++] = '/';
    for (size_t i = 0; i < path && at + 1 < n; i++)
        buf[at++] = p[i];
    if (p[path] == '?') {
        /* Query names stay (they say which lookup it was); values go. */
        const char *q = p + path + 1;
        char sep = '?';
        while (*q != '\0' && *q != '#') {
            size_t name = strcspn(q, "=&#");
            if (at + name + 6 >= n)
                break;
            buf[at++] = sep;
            memcpy(buf + at, q, name);
            at += name;
            if (q[name] == '=') {
                memcpy(buf + at, "=...", 4);
                at += 4;
            }
            q += name;
            q += strcspn(q, "&#");
            if (*q == '&')
                q++;
            sep = '&';
        }
    }
    buf[at] = '\0';
}
