/* rule_parse.c - see rule.h; vocabulary in docs/plugins/filter.md. */
#define _POSIX_C_SOURCE 200809L /* strdup */

#include "rule.h"

#include <stdlib.h>
#include <string.h>

#include "common/config_table.h"

static void rule_free(filter_rule *r)
{
    free(r->field);
    r->field = NULL;
    filter_cond_free(&r->cond);
}

/* One <keep> or <drop>; `r` is zeroed.  Returns 0 or -1 (reported). */
static int parse_rule(weirp_diag *d, const weir_node *n, const char *elem,
                      filter_rule *r)
{
    const weir_host *h = d->host;
    int rc = 0;
    if (h->node_first_child(n)) {
        weirp_diag_report(d, n, "<%s>: takes no child elements", elem);
        rc = -1;
    }
    const char *field = h->node_attr(n, "field");
    if (!field) {
        weirp_diag_report(d, n, "<%s>: missing attribute \"field\"", elem);
        rc = -1;
    } else if (!*field) {
        weirp_diag_report(d, n, "<%s>: attribute \"field\" is empty", elem);
        rc = -1;
    } else if (!(r->field = strdup(field))) {
        weirp_diag_report(d, n, "<%s>: out of memory", elem);
        rc = -1;
    }
    /* the condition is checked even after a bad field, to report both */
    if (filter_cond_compile(&r->cond, d, n, elem) != 0)
        rc = -1;
    return rc;
}

int filter_rules_compile(weirp_diag *d, filter_rules *out)
{
    const weir_host *h = d->host;
    size_t count;
    out->v = weirp_config_table(d, "filter", sizeof *out->v, &count);
    out->n = 0;
    out->any_keep = 0;
    if (count && !out->v)
        return -1; /* reported */

    for (const weir_node *n = h->config_first(d->inst); n; n = h->node_next(n)) {
        const char *name = h->node_name(n);
        filter_action action;
        if (name && strcmp(name, "keep") == 0) {
            action = FILTER_KEEP;
        } else if (name && strcmp(name, "drop") == 0) {
            action = FILTER_DROP;
        } else {
            weirp_diag_report(d, n,
                              "unknown filter rule <%s> (expected keep or "
                              "drop)",
                              name ? name : "?");
            continue;
        }
        filter_rule *r = &out->v[out->n];
        memset(r, 0, sizeof *r);
        r->action = action;
        if (parse_rule(d, n, name, r) != 0) {
            rule_free(r); /* reported; go on to find the next problem */
            continue;
        }
        if (action == FILTER_KEEP)
            out->any_keep = 1;
        out->n++;
    }
    return d->errors == 0 ? 0 : -1;
}

void filter_rules_free(filter_rules *rules)
{
    for (size_t i = 0; i < rules->n; i++)
        rule_free(&rules->v[i]);
    free(rules->v);
    rules->v = NULL;
    rules->n = 0;
}
