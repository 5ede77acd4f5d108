/*
 * options.h - checking option values against a plugin's declared table.
 */
#ifndef WEIR_OPTIONS_H
#define WEIR_OPTIONS_H

#include <weir/plugin.h>

/* Parse a boolean the way every option and attribute reads it.
 * Returns 0 and sets *out, or -1. */
int weir_parse_bool(const char *text, int *out);
int weir_parse_int(const char *text, long long *out);
/* "tab" or one byte; returns the byte, or -1. */
int weir_parse_char(const char *text);

/* Check `value` against the type of `spec`.  Returns NULL when valid,
 * else a reason (static string). */
const char *weir_option_check_value(const weir_option_spec *spec,
                                    const char *value);
const char *weir_option_type_name(weir_option_type type);

#endif
