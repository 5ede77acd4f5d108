#include "config.h"

#include <stdio.h>

#include "log.h"
#include "secrets.h"

static weir_log_level max_level = WEIR_LOG_INFO;
static void (*sink_fn)(weir_log_level, const char *, void *);
static void *sink_ctx;

void weir_log_set_sink(void (*fn)(weir_log_level level, const char *line,
                                  void *ctx),
                       void *ctx)
{
    sink_fn = fn;
    sink_ctx = ctx;
}

void weir_log_set_level(weir_log_level level) { max_level = level; }
weir_log_level weir_log_level_get(void) { return max_level; }

void weir_logv(weir_log_level level, const char *prefix, const char *fmt,
               va_list ap)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    if (level > max_level)
        return;
    /* Build the line first so concurrent writers never interleave. */
    char line[4096];
    int n = snprintf(line, sizeof(line), "weir: %s: %s%s", names[level],
                     prefix ? prefix : "", prefix && *prefix ? ": " : "");
    if (n < 0 || (size_t)n >= sizeof(line))
        n = 0;
    vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    char masked[sizeof(line)];
    weir_secrets_mask(line, masked, sizeof(masked));
    if (sink_fn)
        sink_fn(level, masked, sink_ctx);
    else
        fprintf(stderr, "%s\n", masked);
}

void weir_log(weir_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    weir_logv(level, NULL, fmt, ap);
    va_end(ap);
}
