/*
 * status.h - the document of `weir status --json` (and GET /api/status):
 * every pipeline the state knows with its last run and result, next
 * scheduled run, outbox counts and details; every endpoint's health.
 */
#ifndef WEIR_REPORT_STATUS_H
#define WEIR_REPORT_STATUS_H

#include <jansson.h>

#include "plugin/plugins.h"
#include "store/state.h"

/* {"state": LOCATION, "pipelines": [...], "endpoints": [...]} as
 * docs/cli.md describes it; `details`: with what only --json shows (run
 * history, last counts, settled rows, the snapshot: that reads every key
 * <track> holds).  `reg` (nullable) loads the pipeline files for their
 * schedules (a file that is gone or no longer loads: no next run).  Only
 * reads `st`.  NULL when the state could not be read
 * (weir_state_error(st) says why).  (new reference) */
json_t *weir_report_status(weir_state *st, weir_plugins *reg, int details);

#endif
