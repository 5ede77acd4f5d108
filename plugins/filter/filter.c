/*
 * filter.c - the filter transform: keep or drop records by conditions on
 * their fields.  See docs/plugins/filter.md.
 *
 * Rules are tried in document order; the first whose condition holds
 * decides.  A record no rule matches is dropped when any rule is a <keep>
 * (a list of keeps reads as "only these"), otherwise kept (a list of drops
 * reads as "all but these"); option `otherwise` overrides.  Dropped records
 * are answered WEIR_RESULT_DROP, or WEIR_RESULT_REJECT with the text of
 * option `reject-message` when it is set.
 *
 * This file is the plugin's face and the per-record decision; rules are
 * compiled in rule_parse.c and conditions live in condition.c.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdlib.h>
#include <string.h>

#include <weir/plugin.h>

#include "rule.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

typedef struct filter_state {
    weir_instance *inst;
    const weir_host *host;
    filter_rules rules;
    filter_action otherwise;    /* for records no rule matches */
    const char *reject_message; /* NULL: drop; else reject (borrowed) */
} filter_state;

/* The `otherwise` option: keep, drop, or unset (the default from the
 * rules).  The core has already refused any other value (its declared
 * choices). */
static filter_action read_otherwise(weirp_diag *d, const filter_rules *rules)
{
    const char *v = d->host->option(d->inst, "otherwise");
    if (v && strcmp(v, "keep") == 0)
        return FILTER_KEEP;
    if (v && strcmp(v, "drop") == 0)
        return FILTER_DROP;
    return rules->any_keep ? FILTER_DROP : FILTER_KEEP;
}

static weir_status filter_check(weir_instance *inst, const weir_host *host,
                                weir_kind kind)
{
    (void)kind;
    weirp_diag d = {inst, host, 1, 0};
    filter_rules rules = {NULL, 0, 0};
    int rc = filter_rules_compile(&d, &rules);
    filter_rules_free(&rules);
    return rc == 0 ? WEIR_STATUS_OK : WEIR_STATUS_ERROR;
}

static void filter_close(void *state)
{
    filter_state *st = state;
    if (!st)
        return;
    filter_rules_free(&st->rules);
    free(st);
}

static weir_status filter_open(weir_instance *inst, const weir_host *host,
                               weir_kind kind, void **state)
{
    *state = NULL;
    if (kind != WEIR_KIND_TRANSFORM) {
        host->log(inst, WEIR_LOG_ERROR, "filter can only be a <transform>");
        return WEIR_STATUS_ERROR;
    }
    filter_state *st = calloc(1, sizeof *st);
    if (!st) {
        host->log(inst, WEIR_LOG_ERROR, "filter: out of memory");
        return WEIR_STATUS_ERROR;
    }
    st->inst = inst;
    st->host = host;
    /* check() has run; failing here means a core that skipped it or out of
     * memory, and the reasons are logged. */
    weirp_diag d = {inst, host, 0, 0};
    if (filter_rules_compile(&d, &st->rules) != 0) {
        filter_close(st);
        return WEIR_STATUS_ERROR;
    }
    st->otherwise = read_otherwise(&d, &st->rules);
    st->reject_message = host->option(inst, "reject-message");
    if (st->reject_message && !*st->reject_message)
        st->reject_message = NULL; /* an empty text would explain nothing */
    *state = st;
    return WEIR_STATUS_OK;
}

static weir_status filter_process(void *state, weir_batch *batch)
{
    filter_state *st = state;
    const weir_host *h = st->host;
    size_t n = h->batch_count(batch);
    for (size_t i = 0; i < n; i++) {
        weir_record *r = h->batch_at(batch, i);
        filter_action decision = st->otherwise;
        for (size_t k = 0; k < st->rules.n; k++) {
            const filter_rule *rule = &st->rules.v[k];
            size_t len = 0;
            const char *v = h->record_get(r, rule->field, &len);
            if (filter_cond_match(&rule->cond, v, len)) {
                decision = rule->action;
                break;
            }
        }
        if (decision == FILTER_KEEP)
            continue; /* records start every stage answered OK */
        if (st->reject_message)
            h->record_answer(r, WEIR_RESULT_REJECT, st->reject_message, NULL);
        else
            h->record_answer(r, WEIR_RESULT_DROP, NULL, NULL);
    }
    return WEIR_STATUS_OK;
}

static const weir_option_spec filter_options[] = {
    WEIR_OPTION_CHOICES("otherwise", 0, WEIR_KIND_TRANSFORM, NULL,
        "keep or drop records no rule matches (default: drop if any rule is "
     "<keep>, else keep)",
        "keep drop"),
    WEIR_OPTION("reject-message", WEIR_OPTION_STRING, 0, WEIR_KIND_TRANSFORM, NULL,
        "reject records that would be dropped, with this text"),
    WEIR_OPTION_END,
};

WEIR_PLUGIN_DEFINE = {
    WEIR_PLUGIN_HEADER,
    .kinds = WEIR_KIND_TRANSFORM,
    .name = "filter",
    .version = PACKAGE_VERSION,
    .description = "keep or drop records by conditions on their fields",
    .options = filter_options,
    .check = filter_check,
    .open = filter_open,
    .process = filter_process,
    .close = filter_close,
};
