/*
 * condition.h - the test a filter rule applies to one field's value.
 *
 * A rule carries exactly one condition, given as an attribute:
 *   equals="v"  not-equals="v"  in="a b c"  matches="ERE"
 *   empty="true|false"  less="n"  greater="n"  null="true|false"
 * Everything that can be prepared (regex, number, sorted list) is prepared
 * once at open; matching a record costs no allocation.
 */
#ifndef WEIR_FILTER_CONDITION_H
#define WEIR_FILTER_CONDITION_H

#include <regex.h>
#include <stddef.h>

#include <weir/plugin.h>

#include "common/config_diag.h"
#include "common/words.h"

typedef enum filter_cond_kind {
    FILTER_EQUALS,     /* value is exactly `text` */
    FILTER_NOT_EQUALS, /* not FILTER_EQUALS (missing and NULL included) */
    FILTER_IN,         /* value is one of `words` */
    FILTER_MATCHES,    /* value matches the POSIX ERE `re` */
    FILTER_EMPTY,      /* missing, NULL or "" (== `want`) */
    FILTER_LESS,       /* numeric value < `number` */
    FILTER_GREATER,    /* numeric value > `number` */
    FILTER_NULL        /* missing or NULL (== `want`) */
} filter_cond_kind;

typedef struct filter_cond {
    filter_cond_kind kind;
    int want;           /* empty, null: 1 "true", 0 "false" */
    char *text;         /* equals, not-equals (owned) */
    size_t text_len;
    weirp_words words; /* in */
    regex_t re;         /* matches; valid when has_re */
    int has_re;
    double number;      /* less, greater */
} filter_cond;

/* Compile the condition attribute of `node` (borrowed), an element named
 * `elem`, into `c` (zeroed by the caller).  Reports every problem to `d`
 * and returns 0 when valid, -1 otherwise; `c` must be released with
 * filter_cond_free() either way. */
int filter_cond_compile(filter_cond *c, weirp_diag *d, const weir_node *node,
                        const char *elem);

/* 1 when the condition holds for a field whose value is `value` (`len`
 * bytes, NUL-terminated as record_get gives it), NULL when the field is
 * missing or NULL; else 0. */
int filter_cond_match(const filter_cond *c, const char *value, size_t len);

void filter_cond_free(filter_cond *c);

#endif
