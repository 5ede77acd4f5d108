#include "config.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "base/log.h"
#include "base/secrets.h"
#include "base/utf8.h"

#define LINE_MAX_BYTES 4096

/* Process-wide (log.h: thread-safety). */
static atomic_int max_level = WEIR_LOG_INFO;
static atomic_int format = WEIR_LOG_FORMAT_PLAIN;
static atomic_int plain_stamp; /* plain lines start with the time */
static void (*sink_fn)(weir_log_level, const char *, void *);
static void *sink_ctx;

static const char *const level_names[] = {"error", "warning", "info", "debug"};

void weir_log_set_sink(void (*fn)(weir_log_level level, const char *line,
                                  void *ctx),
                       void *ctx)
{
    sink_fn = fn;
    sink_ctx = ctx;
}

void weir_log_set_level(weir_log_level level) { max_level = level; }
weir_log_level weir_log_level_get(void)
{
    return (weir_log_level)atomic_load(&max_level);
}

int weir_log_format_parse(const char *name, weir_log_format *out)
{
    static const struct {
        const char *name;
        weir_log_format format;
    } names[] = {{"plain", WEIR_LOG_FORMAT_PLAIN},
                 {"logfmt", WEIR_LOG_FORMAT_LOGFMT},
                 {"json", WEIR_LOG_FORMAT_JSON}};
    for (size_t i = 0; name && i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(name, names[i].name) == 0) {
            *out = names[i].format;
            return 0;
        }
    return -1;
}

void weir_log_set_format(weir_log_format f)
{
    format = f;
    plain_stamp = !isatty(STDERR_FILENO);
}

void weir_log_stamp_always(void) { plain_stamp = 1; }

/* "2026-11-22T15:42:26.123Z" */
static void now_iso(char *buf, size_t size)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, size - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

/* `s` as a double-quoted string with JSON's escapes (logfmt's quoting).
 * (owned: free; NULL out of memory) */
static char *quoted(const char *s)
{
    char *out = malloc(strlen(s) * 6 + 3);
    if (!out)
        return NULL;
    char *o = out;
    *o++ = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': o += sprintf(o, "\\\""); break;
        case '\\': o += sprintf(o, "\\\\"); break;
        case '\n': o += sprintf(o, "\\n"); break;
        case '\r': o += sprintf(o, "\\r"); break;
        case '\t': o += sprintf(o, "\\t"); break;
        default:
            if (*p < 0x20 || *p == 0x7F)
                o += sprintf(o, "\\u%04x", *p);
            else
                *o++ = (char)*p;
        }
    }
    *o++ = '"';
    *o = '\0';
    return out;
}

/* A logfmt value needs quotes when empty or when it holds a blank, '=',
 * a quote, a backslash or a control character. */
static int needs_quotes(const char *s)
{
    if (!*s)
        return 1;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= ' ' || *p == '=' || *p == '"' || *p == '\\' || *p == 0x7F)
            return 1;
    return 0;
}

/* A logfmt value: bare when it can be, else quoted. (owned) */
static char *logfmt_value(const json_t *v)
{
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        return needs_quotes(s) ? quoted(s) : strdup(s);
    }
    return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(6));
}

/* " key=value" for each of `fields` (nullable) appended to *line.
 * -1 out of memory (*line freed). */
static int append_logfmt_fields(char **line, const json_t *fields)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)fields, key, v) {
        char *value = logfmt_value(v);
        size_t n = strlen(*line) + strlen(key) + (value ? strlen(value) : 0) + 3;
        char *longer = value ? realloc(*line, n) : NULL;
        if (!longer) {
            free(value);
            free(*line);
            *line = NULL;
            return -1;
        }
        *line = longer;
        strcat(strcat(strcat(strcat(*line, " "), key), "="), value);
        free(value);
    }
    return 0;
}

/* One logfmt or JSON line (with its newline) for the masked parts and
 * `fields` (nullable).  (owned: free; NULL out of memory) */
static char *structured_line(weir_log_format f, weir_log_level level,
                             const char *prefix, const json_t *fields,
                             char *msg)
{
    char time[40];
    now_iso(time, sizeof(time));
    char *line = NULL;
    if (f == WEIR_LOG_FORMAT_JSON) {
        weir_utf8_sanitize(msg); /* jansson takes only valid UTF-8 */
        json_t *o = json_pack("{s:s, s:s}", "time", time, "level",
                              level_names[level]);
        if (o && prefix)
            json_object_set_new(o, "instance", json_string(prefix));
        if (o && fields)
            json_object_update(o, (json_t *)fields);
        if (o)
            json_object_set_new(o, "msg", json_string(msg));
        char *text = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER)
                       : NULL;
        json_decref(o);
        if (text) {
            size_t n = strlen(text);
            line = malloc(n + 2);
            if (line)
                snprintf(line, n + 2, "%s\n", text);
            free(text);
        }
        return line;
    }
    char *q = quoted(msg);
    if (!q)
        return NULL;
    size_t n = strlen(time) + (prefix ? strlen(prefix) : 0) + 64;
    line = malloc(n);
    if (line)
        snprintf(line, n, "time=%s level=%s%s%s", time, level_names[level],
                 prefix ? " instance=" : "", prefix ? prefix : "");
    if (line && append_logfmt_fields(&line, fields) == 0) {
        n = strlen(line) + strlen(q) + 7;
        char *longer = realloc(line, n);
        if (longer)
            strcat(strcat(strcat(longer, " msg="), q), "\n");
        else
            free(line);
        line = longer;
    }
    free(q);
    return line;
}

/* A logfmt or JSON line on stderr; -1 (nothing written) out of memory. */
static int log_structured(weir_log_format f, weir_log_level level,
                          const char *prefix, const weir_secrets *secrets,
                          const json_t *fields, const char *fmt, va_list ap)
{
    char msg[LINE_MAX_BYTES], masked_msg[LINE_MAX_BYTES], masked_prefix[256];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    weir_secrets_mask(secrets, msg, masked_msg, sizeof(masked_msg));
    if (prefix)
        weir_secrets_mask(secrets, prefix, masked_prefix,
                          sizeof(masked_prefix));
    char *line = structured_line(f, level, prefix ? masked_prefix : NULL,
                                 fields, masked_msg);
    if (!line)
        return -1;
    fputs(line, stderr);
    free(line);
    return 0;
}

/* weir_logv with `fields` (nullable) for the structured formats. */
static void log_line(weir_log_level level, const char *prefix,
                     const weir_secrets *secrets, const json_t *fields,
                     const char *fmt, va_list ap)
{
    if ((int)level > atomic_load(&max_level))
        return;
    if (prefix && !*prefix)
        prefix = NULL;
    weir_log_format f = (weir_log_format)atomic_load(&format);
    if (f != WEIR_LOG_FORMAT_PLAIN && !sink_fn) {
        va_list copy;
        va_copy(copy, ap);
        int rc = log_structured(f, level, prefix, secrets, fields, fmt,
                                copy);
        va_end(copy);
        if (rc == 0)
            return;
        /* out of memory: the plain line below still says it */
    }
    /* Build the line first so concurrent writers never interleave. */
    char line[LINE_MAX_BYTES], masked[LINE_MAX_BYTES];
    int n = snprintf(line, sizeof(line), "weir: %s: %s%s", level_names[level],
                     prefix ? prefix : "", prefix ? ": " : "");
    if (n < 0 || (size_t)n >= sizeof(line))
        n = 0;
    vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    weir_secrets_mask(secrets, line, masked, sizeof(masked));
    if (sink_fn) {
        sink_fn(level, masked, sink_ctx);
    } else if (atomic_load(&plain_stamp)) {
        char time[40];
        now_iso(time, sizeof(time));
        fprintf(stderr, "%s %s\n", time, masked);
    } else {
        fprintf(stderr, "%s\n", masked);
    }
}

void weir_logv(weir_log_level level, const char *prefix,
               const weir_secrets *secrets, const char *fmt, va_list ap)
{
    log_line(level, prefix, secrets, NULL, fmt, ap);
}

void weir_log_fields(weir_log_level level, const char *prefix,
                     const json_t *fields, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_line(level, prefix, NULL, fields, fmt, ap);
    va_end(ap);
}

void weir_log(weir_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    weir_logv(level, NULL, NULL, fmt, ap);
    va_end(ap);
}
