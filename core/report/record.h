/*
 * record.h - one outbox record's document, as `weir show ID --json`
 * prints it and GET /api/records/ID serves it: its fields, status,
 * payload and attempt history.
 */
#ifndef WEIR_REPORT_RECORD_H
#define WEIR_REPORT_RECORD_H

#include <stdint.h>

#include <jansson.h>

#include "store/state.h"

/* Parse a record id: a decimal number from 1 to INT64_MAX, digits only.
 * Returns 0 and sets *id, or -1 (overflow included). */
int weir_report_record_id(const char *text, int64_t *id);

/* A record's times as `weir show` prints them, ISO-8601: when it was
 * queued and last changed, and its next attempt ("" when none is due: a
 * held record is asked again at its retry pace, a sink's hold). */
typedef struct weir_report_times {
    char created[32], updated[32], next[32];
} weir_report_times;
void weir_report_record_times(const weir_outbox_row *row,
                              weir_report_times *t);

/* Record `id` as docs/cli.md describes `weir show --json`, into *doc
 * (new reference).  Only reads `st`.  Returns 0, 1 when there is no such
 * record, -1 when the state could not be read (weir_state_error(st)). */
int weir_report_record(weir_state *st, int64_t id, json_t **doc);

#endif
