/*
 * monitor.h - the Integration Monitor's document, as `weir monitor
 * --json [--records]` prints it and GET /api/monitor serves it: the
 * undelivered records grouped by pipeline, sink, type, status, error text
 * and what holds them, with counts.
 */
#ifndef WEIR_REPORT_MONITOR_H
#define WEIR_REPORT_MONITOR_H

#include <jansson.h>

#include "store/state.h"

/* {"groups": [...]} as docs/cli.md describes it, narrowed by `pipeline`,
 * `status` and `type` (each nullable: any); with `records`, each group's
 * records too, at most `limit` of them (0: all; a group that has more
 * says "more_records": true, its "count" how many there are).  Only reads `st`.  NULL when the state could not be read
 * (weir_state_error(st) says why).  (new reference) */
json_t *weir_report_monitor(weir_state *st, const char *pipeline,
                            const char *status, const char *type,
                            int records, size_t limit);

#endif
