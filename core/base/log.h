/*
 * log.h - the core's messages on stderr.
 *
 * Three formats (--log-format):
 *   plain   "weir: LEVEL: [PIPELINE/INSTANCE: ]MESSAGE"; when stderr is
 *           not a terminal (cron, a pipe, a file), preceded by the time:
 *           "2026-11-22T15:42:26.123Z weir: error: ..."
 *   logfmt  time=... level=... [instance=PIPELINE/INSTANCE] msg="..."
 *   json    {"time": ..., "level": ..., ["instance": ...,] "msg": ...}
 * Times are ISO-8601 in UTC with milliseconds.  -q keeps errors only, -v
 * adds debug.  Never pass secrets (values from ${env:...}) to these
 * functions.  A line logged for a pipeline (a plugin's, plugin/host.c)
 * is masked with that pipeline's secrets (weir_logv); the core's own
 * lines carry only text already masked where it entered (record answers,
 * set_error(), diagnostics).
 *
 * Thread-safety: the level, the format and the sink are one setting for
 * the whole process (one stderr), not per pipeline.  Level and format
 * may be changed at any time from any thread (atomics); the sink is set
 * before other threads start (tests), and its function must be safe to
 * call from any thread.  Logging is thread-safe: each line is built
 * first and written with one call, so lines never interleave.
 */
#ifndef WEIR_LOG_H
#define WEIR_LOG_H

#include <stdarg.h>

#include <jansson.h>

#include <weir/plugin.h>

#include "base/secrets.h"

typedef enum weir_log_format {
    WEIR_LOG_FORMAT_PLAIN = 0,
    WEIR_LOG_FORMAT_LOGFMT,
    WEIR_LOG_FORMAT_JSON
} weir_log_format;

void weir_log_set_level(weir_log_level max_level);
weir_log_level weir_log_level_get(void);
/* "plain", "logfmt" or "json" into *out; -1 (and *out untouched) for any
 * other name. */
int weir_log_format_parse(const char *name, weir_log_format *out);
/* Use `format` from now on; also decides, once, whether plain lines get a
 * time stamp (stderr is not a terminal).  Before the first call: plain,
 * without time stamps. */
void weir_log_set_format(weir_log_format format);
/* Plain lines get a time stamp on a terminal too (weir serve). */
void weir_log_stamp_always(void);
void weir_log(weir_log_level level, const char *fmt, ...) WEIR_PRINTF(2, 3);
/* A line about an event with values a log collector can query: in logfmt
 * each of `fields` (a JSON object of strings and numbers, borrowed,
 * nullable) becomes key=value before msg, in JSON a member of the line's
 * object; a plain line is the message alone, which must say the same in
 * words.  `prefix` as in weir_logv.  Never pass secrets. */
void weir_log_fields(weir_log_level level, const char *prefix,
                     const json_t *fields, const char *fmt, ...)
    WEIR_PRINTF(4, 5);
/* Send log lines to `fn` instead of stderr (tests, a future web monitor);
 * fn NULL restores stderr.  `line` is the plain form, without a time
 * stamp, borrowed for the call. */
void weir_log_set_sink(void (*fn)(weir_log_level level, const char *line,
                                  void *ctx),
                       void *ctx);
/* `prefix` (nullable) names where the message comes from, as
 * "PIPELINE/INSTANCE"; the line is masked with `secrets` (borrowed,
 * nullable: none), that pipeline's. */
void weir_logv(weir_log_level level, const char *prefix,
               const weir_secrets *secrets, const char *fmt, va_list ap)
    WEIR_PRINTF(4, 0);

#endif
