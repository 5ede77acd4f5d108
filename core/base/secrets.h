/*
 * secrets.h - values that came from ${env:...}: credentials to send,
 * never to print.
 *
 * The pipeline loader registers every substituted value; the core's
 * printers (log lines, diagnostics, record answers) pass their text
 * through weir_secrets_mask() so a token that a plugin or a target echoes
 * back shows as "***".  Register before starting threads; masking is
 * read-only and may run on any thread.
 */
#ifndef WEIR_SECRETS_H
#define WEIR_SECRETS_H

#include <stddef.h>

/* Remember `value` (copied).  Values shorter than 4 bytes are ignored:
 * masking every "1" would make messages unreadable. */
void weir_secrets_add(const char *value);
/* Copy `in` to `out` (size bytes, always terminated) with every known
 * secret replaced by "***".  Returns out. */
char *weir_secrets_mask(const char *in, char *out, size_t size);
/* 1 when `text` contains a known secret. */
int weir_secrets_in(const char *text);
/* Forget them all (at exit, for leak checkers). */
void weir_secrets_clear(void);

#endif
