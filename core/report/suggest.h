/*
 * suggest.h - the xref suggestions of `weir xref suggest --json` and GET
 * /api/xref/suggest: for each record of an app's pipeline that has no
 * counterpart yet (its key starts with the prefix, or it has no link in
 * the state), the records of an ERP's pipeline most likely to be the
 * same object, by the matcher (match/match.h).  Both pipelines are read
 * as a dry run does, up to <track>, with no state: nothing is sent and
 * nothing changes.
 */
#ifndef WEIR_REPORT_SUGGEST_H
#define WEIR_REPORT_SUGGEST_H

#include <signal.h>
#include <stddef.h>

#include <jansson.h>

#include "base/error.h"
#include "match/match.h"
#include "pipeline/pipeline.h"
#include "store/state.h"

typedef struct weir_suggest_query {
    weir_pipeline *app, *erp; /* loaded, checked (weir_suggest_check) */
    weir_state *st;           /* nullable: no links, every record matched */
    const char *prefix;       /* nullable: keys that still need a match */
    const char *name_field;   /* NULL: "name" */
    const char *fields[WEIR_MATCH_MAX_FIELDS]; /* more evidence (--match) */
    size_t nfields;
    unsigned limit;           /* candidates per record; 0: the default */
    const volatile sig_atomic_t *cancel; /* nullable: stop reading */
} weir_suggest_query;

/* Can pipeline `p` (from `file`) take part: it has <track> (its key
 * names the records), and, as the app with links to read (`links`), a
 * type (the entity of its links)?  0, or -1 with *err (class usage). */
int weir_suggest_check(const weir_pipeline *p, const char *file, int links,
                       weir_error *err);

/* {"suggestions": [{"key", "name", "entity", "xref": "SYSTEM:KEY",
 * "candidates": [{"key", "name", "score", "xref"}...]}...]}; *read
 * (nullable) gets how many records of the ERP were read.  NULL with
 * *err (owned: weir_error_clear): a source that failed (its class), no
 * record with the name field (usage), the links unreadable, out of
 * memory.  (new reference) */
json_t *weir_report_suggest(const weir_suggest_query *q, size_t *read,
                            weir_error *err);

#endif
