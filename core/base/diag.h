/*
 * diag.h - problems found in a pipeline file, as "file:line: message".
 *
 * Validation collects every problem instead of stopping at the first, so
 * an admin fixes a file in one pass.  Not thread-safe: one per load.
 */
#ifndef WEIR_DIAG_H
#define WEIR_DIAG_H

#include <stddef.h>
#include <stdio.h>

#include <weir/plugin.h>

#include "base/secrets.h"

typedef struct weir_diag weir_diag;

weir_diag *weir_diag_new(void); /* (owned: weir_diag_free) */
void weir_diag_free(weir_diag *d);
/* Mask the problems added from now on with `secrets` (borrowed, nullable:
 * none): the loader sets its pipeline's while it loads, as the options'
 * ${env:} values become known. */
void weir_diag_set_secrets(weir_diag *d, const weir_secrets *secrets);
/* Add "file:line: message" (line 0: "file: message").  An exact repeat of
 * an earlier problem is dropped. */
void weir_diag_add(weir_diag *d, const char *file, long line,
                   const char *fmt, ...) WEIR_PRINTF(4, 5);
void weir_diag_addv(weir_diag *d, const char *file, long line,
                    const char *fmt, va_list ap) WEIR_PRINTF(4, 0);
/* How many problems, the ones past the first 200 (not kept) included. */
size_t weir_diag_count(const weir_diag *d);
/* The i-th kept problem, NULL past them. (borrowed) */
const char *weir_diag_at(const weir_diag *d, size_t i);
void weir_diag_print(const weir_diag *d, FILE *out);

#endif
