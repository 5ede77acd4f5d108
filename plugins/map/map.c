/*
 * map.c - the map transform: reshape each record's fields with rules
 * (rename, copy, set, template, join, drop, keep, trim, upper, lower,
 * default)
 * applied in document order.  See docs/plugins/map.md.
 *
 * This file is the plugin's face: descriptor, check/open/process/close.
 * Rules are compiled in rule_parse.c and applied in rule_apply.c.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdlib.h>

#include <weir/plugin.h>

#include "rule.h"
#include "scratch.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

typedef struct map_state {
    weir_instance *inst;
    const weir_host *host;
    map_rules rules;
    map_scratch scratch; /* reused by every record (no per-record malloc) */
} map_state;

static int instance_strict(weir_instance *inst, const weir_host *host)
{
    int strict = 0;
    if (host->option_bool(inst, "strict", &strict) != 0)
        strict = 0;
    return strict;
}

static weir_status map_check(weir_instance *inst, const weir_host *host,
                             weir_kind kind)
{
    (void)kind;
    weirp_diag d = {inst, host, 1, 0};
    map_rules rules = {NULL, 0};
    int rc = map_rules_compile(&d, instance_strict(inst, host), &rules);
    map_rules_free(&rules);
    return rc == 0 ? WEIR_STATUS_OK : WEIR_STATUS_ERROR;
}

static void map_close(void *state)
{
    map_state *st = state;
    if (!st)
        return;
    map_rules_free(&st->rules);
    map_scratch_free(&st->scratch);
    free(st);
}

static weir_status map_open(weir_instance *inst, const weir_host *host,
                            weir_kind kind, void **state)
{
    *state = NULL;
    if (kind != WEIR_KIND_TRANSFORM) {
        host->log(inst, WEIR_LOG_ERROR, "map can only be a <transform>");
        return WEIR_STATUS_ERROR;
    }
    map_state *st = calloc(1, sizeof *st);
    if (!st) {
        host->log(inst, WEIR_LOG_ERROR, "map: out of memory");
        return WEIR_STATUS_ERROR;
    }
    st->inst = inst;
    st->host = host;
    /* check() has run, so this only fails on a core that skipped it or out
     * of memory; either way the reasons are logged by the compiler. */
    weirp_diag d = {inst, host, 0, 0};
    if (map_rules_compile(&d, instance_strict(inst, host), &st->rules) != 0) {
        map_close(st);
        return WEIR_STATUS_ERROR;
    }
    *state = st;
    return WEIR_STATUS_OK;
}

static weir_status map_process(void *state, weir_batch *batch)
{
    map_state *st = state;
    const weir_host *h = st->host;
    size_t n = h->batch_count(batch);
    for (size_t i = 0; i < n; i++) {
        weir_record *r = h->batch_at(batch, i);
        for (size_t k = 0; k < st->rules.n; k++) {
            const map_rule *rule = &st->rules.v[k];
            map_outcome out = map_rule_apply(rule, h, r, &st->scratch);
            if (out == MAP_APPLIED)
                continue;
            if (out == MAP_NOMEM) {
                /* Not the record's fault, so not a REJECT: fail the batch
                 * and let the core keep the records for another run. */
                h->log(st->inst, WEIR_LOG_ERROR, "map: out of memory");
                return WEIR_STATUS_ERROR;
            }
            h->record_answerf(r, WEIR_RESULT_REJECT, "field %s missing",
                              rule->from);
            break; /* later rules would act on a half-mapped record */
        }
    }
    return WEIR_STATUS_OK;
}

static const weir_option_spec map_options[] = {
    WEIR_OPTION("strict", WEIR_OPTION_BOOL, 0, WEIR_KIND_TRANSFORM, "false",
        "reject a record when the source field of a rename or copy is missing"),
    WEIR_OPTION_END,
};

WEIR_PLUGIN_DEFINE = {
    WEIR_PLUGIN_HEADER,
    .kinds = WEIR_KIND_TRANSFORM,
    .name = "map",
    .version = PACKAGE_VERSION,
    .description = "rename, copy, set, template, join, drop and keep fields",
    .options = map_options,
    .check = map_check,
    .open = map_open,
    .process = map_process,
    .close = map_close,
};
