/*
 * csv_utf8.h - UTF-8 validation for the csv connector.
 *
 * Record values are UTF-8 by the plugin ABI, so every field the source
 * reads is checked before it reaches the core.  Most CSV is pure ASCII:
 * the check looks at eight bytes at a time until it meets a byte >= 0x80
 * and only then decodes sequences.
 */
#ifndef CSV_UTF8_H
#define CSV_UTF8_H

#include <stddef.h>

/* Return 1 when `s[0..len)` is well-formed UTF-8 (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), 0 otherwise.  NUL bytes
 * are valid.  `s` is borrowed; may be NULL when len is 0. */
int csv_utf8_valid(const char *s, size_t len);

#endif
