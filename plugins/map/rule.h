/*
 * rule.h - one compiled map rule, and the list of them.
 *
 * The children of <transform plugin="map"> are compiled once (rule_parse.c)
 * into this form and then applied in document order to every record
 * (rule_apply.c).  Names and values are copied out of the config so the
 * rules do not depend on how long the core keeps node strings.
 */
#ifndef WEIR_MAP_RULE_H
#define WEIR_MAP_RULE_H

#include <weir/plugin.h>

#include "common/config_diag.h"
#include "common/words.h"
#include "scratch.h"
#include "template.h"

typedef enum map_op {
    MAP_RENAME,   /* from -> to, source removed */
    MAP_COPY,     /* from -> to, source kept */
    MAP_SET,      /* field = constant (or NULL) */
    MAP_TEMPLATE, /* field = expanded template */
    MAP_DROP,     /* remove fields */
    MAP_KEEP,     /* remove every field but these */
    MAP_TRIM,     /* strip leading and trailing ASCII whitespace */
    MAP_UPPER,    /* ASCII upper case */
    MAP_LOWER,    /* ASCII lower case */
    MAP_DEFAULT,  /* field = constant when missing, NULL or "" */
    MAP_JOIN      /* field = the parts with a value, separated */
} map_op;

typedef struct map_rule {
    map_op op;
    char *from;         /* rename, copy (owned) */
    char *field;        /* rename/copy/join target; set, template, default
                         * (owned) */
    char *value;        /* set, default; NULL with set: SQL NULL; join: the
                         * separator (owned) */
    size_t value_len;
    int strict;         /* rename, copy: reject when `from` is missing */
    map_template *tmpl; /* template (owned) */
    weirp_words fields;   /* drop, keep (sorted), trim, upper, lower; join:
                           * the parts, in order */
} map_rule;

typedef struct map_rules {
    map_rule *v; /* (owned) */
    size_t n;
} map_rules;

/* Compile the instance's config children into `out` (zeroed by the caller).
 * `strict` is the instance's default for rename and copy.  Every problem
 * goes to `d`; compiling goes on after one so all of them are reported.
 * Returns d->errors == 0 ? 0 : -1; `out` holds what compiled either way
 * and must be released with map_rules_free(). */
int map_rules_compile(weirp_diag *d, int strict, map_rules *out);
void map_rules_free(map_rules *rules);

/* What applying one rule to one record gave. */
typedef enum map_outcome {
    MAP_APPLIED = 0, /* done (also: nothing to do) */
    MAP_MISSING = 1, /* strict rename/copy: the source field is missing */
    MAP_NOMEM = -1   /* out of memory; the record may be half changed */
} map_outcome;

/* Apply `rule` to `r` in place, using `scratch` for building values. */
map_outcome map_rule_apply(const map_rule *rule, const weir_host *host,
                           weir_record *r, map_scratch *scratch);

#endif
