/*
 * select.h - the records an admin's resend or discard acts on (`weir
 * resend`, `weir discard`, POST /api/resend and /api/discard): record
 * ids, or one monitor group (a pipeline, and optionally its sink, type
 * and exact error text); the pipelines concerned are locked before
 * anything changes, so a live run is never overtaken.
 */
#ifndef WEIR_REPORT_SELECT_H
#define WEIR_REPORT_SELECT_H

#include <stdint.h>

#include "base/error.h"
#include "store/state.h"

typedef struct weir_selection {
    int64_t *ids;             /* the record ids given (owned: malloc) */
    int nids;
    weir_outbox_filter group; /* group.pipeline NULL: no group (borrowed) */
    char **names, **files;    /* pipelines concerned and their files */
    int n, locked;            /* how many; how many of them are locked */
} weir_selection;

/* What weir_selection_lock() found. */
typedef enum weir_selection_status {
    WEIR_SELECTION_OK = 0,
    WEIR_SELECTION_NO_RECORD, /* an id is no record of the state */
    WEIR_SELECTION_UNKNOWN,   /* a pipeline the state does not know */
    WEIR_SELECTION_BUSY,      /* a pipeline concerned is being run */
    WEIR_SELECTION_ERROR      /* the state could not be read */
} weir_selection_status;

/* Find the pipeline of each id of `sel` and of its group, and take the
 * locks of the pipelines concerned.  Anything but OK: *err (owned:
 * weir_error_clear) says why, and nothing is changed; release `sel`
 * either way. */
weir_selection_status weir_selection_lock(weir_state *st, weir_selection *sel,
                                          weir_error *err);

/* Apply `change` (weir_state_outbox_resend, ...: returns how many rows
 * changed, -1 on error) to each id, with `held` set in its filter, then
 * to the group.  `unchanged` (nullable) is told of each id that `change`
 * left as it was.  Returns how many rows changed in all, -1 on error. */
int64_t weir_selection_apply(weir_selection *sel, weir_state *st, int held,
                             int64_t (*change)(weir_state *st,
                                               const weir_outbox_filter *f,
                                               void *ctx),
                             void (*unchanged)(weir_state *st, int64_t id,
                                               void *ctx),
                             void *ctx);

/* weir_state_outbox_resend() as a `change`: failed (and, for ids, held)
 * rows back to pending, attempts reset. */
int64_t weir_selection_resend(weir_state *st, const weir_outbox_filter *f,
                              void *ctx);
/* Unlock and free what the selection holds (also after a failure). */
void weir_selection_release(weir_state *st, weir_selection *sel);

#endif
