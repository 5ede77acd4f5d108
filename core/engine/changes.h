/*
 * changes.h - what changed in a tracked record: per field, the value
 * <track> last passed on for its key and the value now (old -> new).
 *
 * With <track changes="keep"> every record <track> sends
 * carries its tracked values (weir_record.sent_values: the tracked
 * fields as <track> left them, key fields and owned fields left out),
 * which the delivery stores per key with the snapshot, in the same
 * transaction (deliver.c, weir_state_track_values_put).  A record sent
 * because a tracked field changed is compared with the values its key
 * has kept, read for the changed keys only, one store call per batch:
 * weir_record.changes gets the differences as JSON,
 * [{"field": "sales_rep", "old": "MAL001", "new": "SAL001"}], which the
 * outbox row keeps (weir show).  A record sent with nothing changed (a
 * full refresh, a send in doubt) gets "[]"; an insert, a delete, a key
 * whose values are not kept (changes="none", or kept only since a later
 * run) gets NULL: not known.
 * Not thread-safe.
 */
#ifndef WEIR_CHANGES_H
#define WEIR_CHANGES_H

#include "pipeline/pipeline.h"
#include "record/record.h"
#include "store/state.h"

/* For the live records of `b` (just out of <track>, before any transform
 * after it): their sent values (changes="keep") and what changed (see
 * above), reading the kept values of the changed keys from `st`
 * (nullable: none kept yet).  0, or -1 out of memory or the store failed
 * (weir_state_error says which). */
int weir_changes_explain(weir_state *st, const weir_pipeline *p,
                         weir_batch *b);

/* A record's tracked values as kept (the blob of r->sent_values): the
 * fields <track> compares, in *out (realloc'd, *cap its size), *len the
 * length.  0, or -1 out of memory. */
int weir_changes_values(const weir_record *r, const weir_track_spec *spec,
                        unsigned char **out, size_t *len, size_t *cap);

/* Why a record was sent though no field changed, as the outbox keeps it
 * (weir_outbox_row.resent): "full refresh", "in doubt", or NULL. */
const char *weir_changes_resent(weir_sent_for why);

#endif
