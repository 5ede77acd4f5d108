/*
 * values.h - the small values every report document is made of: times
 * as ISO-8601 text and nullable strings, each as a new JSON value (null
 * when there is none); and reading such a string back.
 */
#ifndef WEIR_REPORT_VALUES_H
#define WEIR_REPORT_VALUES_H

#include <stdint.h>

#include <jansson.h>

/* `ms` (since the epoch) as "2026-11-29T10:00:00Z", null when <= 0.
 * (new reference) */
json_t *weir_report_time(int64_t ms);
/* `s` as a JSON string, null when NULL. (new reference) */
json_t *weir_report_str(const char *s);
/* Reading a document back (the CLI's text): the string member `name` of
 * `o`, `none` when it is null or absent. (borrowed) */
const char *weir_report_text(const json_t *o, const char *name,
                             const char *none);

#endif
