/*
 * rule.h - the compiled rules of one filter instance.
 *
 * <keep field="status" equals="active"/> and <drop field="email"
 * empty="true"/> are compiled once (rule_parse.c) into an action, a field
 * name and a condition.  filter.c walks them in order per record; the
 * first whose condition holds decides.
 */
#ifndef WEIR_FILTER_RULE_H
#define WEIR_FILTER_RULE_H

#include <weir/plugin.h>

#include "common/config_diag.h"
#include "condition.h"

typedef enum filter_action {
    FILTER_KEEP = 0,
    FILTER_DROP = 1
} filter_action;

typedef struct filter_rule {
    filter_action action;
    char *field; /* (owned) */
    filter_cond cond;
} filter_rule;

typedef struct filter_rules {
    filter_rule *v; /* (owned) */
    size_t n;
    int any_keep;   /* some rule is a <keep>: unmatched records are dropped */
} filter_rules;

/* Compile the instance's config children into `out` (zeroed by the
 * caller), reporting every problem to `d` and going on after each.
 * Returns 0 when all is valid, -1 otherwise; `out` holds what compiled
 * either way and must be released with filter_rules_free(). */
int filter_rules_compile(weirp_diag *d, filter_rules *out);
void filter_rules_free(filter_rules *rules);

#endif
