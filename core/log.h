/*
 * log.h - the core's messages on stderr.
 *
 * "weir: error: ..." lines; -q keeps errors only, -v adds debug.  Never
 * pass secrets (values from ${env:...}) to these functions.
 * Thread-safety: the level is set once at startup; logging itself is one
 * fprintf per line.
 */
#ifndef WEIR_LOG_H
#define WEIR_LOG_H

#include <stdarg.h>

#include <weir/plugin.h>

void weir_log_set_level(weir_log_level max_level);
weir_log_level weir_log_level_get(void);
void weir_log(weir_log_level level, const char *fmt, ...) WEIR_PRINTF(2, 3);
/* Send log lines to `fn` instead of stderr (tests, a future web monitor);
 * fn NULL restores stderr.  `line` is borrowed for the call. */
void weir_log_set_sink(void (*fn)(weir_log_level level, const char *line,
                                  void *ctx),
                       void *ctx);
void weir_logv(weir_log_level level, const char *prefix, const char *fmt,
               va_list ap) WEIR_PRINTF(3, 0);

#endif
