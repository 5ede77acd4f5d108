/*
 * track.h - the <track> stage: change-tracking against the last run.
 *
 * Each record gets its key (the key fields joined) and a hash of its
 * tracked fields, and is compared with the snapshot: new keys become
 * inserts, changed ones updates, unchanged ones are not sent (unless this
 * run is a full refresh), and a key seen twice in one run is rejected.
 * Keys in the snapshot that the run never saw become deletes, computed
 * only after the source was read completely, and refused by the delete
 * guard when implausibly many.  Fields another system owns (<field
 * owner>) are removed before hashing and delivery.
 *
 * The snapshot itself changes only with delivery (deliver.c), in the same
 * transaction as the sink's acknowledgement or the outbox row.
 * Not thread-safe.
 */
#ifndef WEIR_TRACK_H
#define WEIR_TRACK_H

#include <stddef.h>

#include "pipeline/pipeline.h"
#include "record/record.h"
#include "store/state.h"

typedef struct weir_tracker weir_tracker;

typedef struct weir_track_counts {
    uint64_t inserts, updates, unchanged, deletes, duplicates;
    uint64_t resent; /* in doubt after a run that died: sent again */
    uint64_t echoes; /* of unchanged: what weir wrote, read back (echo.h) */
    /* records whose key and hash were read by column: as a source added
     * them with whole rows (weir_batch_add_row), unchanged since */
    uint64_t by_column;
} weir_track_counts;

/* Load the snapshot of `p`.  `full` forces a full refresh; otherwise one
 * happens when the last is older than full-refresh.  NULL on error, with
 * the reason in *err (owned: weir_error_clear). */
weir_tracker *weir_tracker_new(weir_pipeline *p, weir_state *st, int full,
                               weir_error *err);
/* At the end of a run (the pipeline still locked): save the key index as
 * an image of the snapshot for the next run, when it still is one (every
 * write to the snapshot since loading made by this run, committed and
 * settled); else remove the image. */
void weir_tracker_save(weir_tracker *t);
void weir_tracker_free(weir_tracker *t);
int weir_tracker_is_full(const weir_tracker *t);
/* A dry run: echoes (echo.h) are recognised, nothing is stored. */
void weir_tracker_read_only(weir_tracker *t);

/* Classify the live records of `b` (see above).  Unchanged records (and
 * echoes, echo.h) are answered DROP with r->unchanged set; duplicates
 * and records without a usable key are answered REJECT.  Returns 0, -1
 * out of memory or, in a pipeline that suppresses echoes, when the
 * state store failed. */
int weir_tracker_process(weir_tracker *t, weir_batch *b);

/* A record that will not reach the sinks (malformed, or rejected or held
 * by a transform before <track>): its key, when readable, counts as seen,
 * so it never turns into a delete; an unreadable key turns deletes off
 * for this run. */
void weir_tracker_note_unsent(weir_tracker *t, weir_record *r);

typedef enum weir_delete_verdict {
    WEIR_DELETES_GO = 0, /* send them */
    WEIR_DELETES_NONE,   /* none to send (or deletes="ignore": `why` says) */
    WEIR_DELETES_OFF,    /* a row's key was unreadable: none this run */
    WEIR_DELETES_REFUSED /* the guard (max-delete) refuses the run */
} weir_delete_verdict;

/* After the source ended: may the deletes go ahead?  The reason for OFF
 * and REFUSED (and NONE with deletes="ignore") is in `why`.  `force`
 * overrides the guard.  Only after GO do weir_tracker_emit_deletes()
 * and weir_tracker_each_delete() give any delete. */
weir_delete_verdict weir_tracker_check_deletes(weir_tracker *t, int force,
                                               char *why, size_t whysize);
/* How many deletes weir_tracker_emit_deletes() will give (0 unless GO). */
size_t weir_tracker_deletes_due(const weir_tracker *t);
/* Append the next delete records to `b` (until it is full); returns how
 * many were added, 0 when all were emitted. */
size_t weir_tracker_emit_deletes(weir_tracker *t, weir_batch *b);

const weir_track_counts *weir_tracker_counts(const weir_tracker *t);

/* Keys of delete records, -v in a dry run. */
int weir_tracker_each_delete(weir_tracker *t,
                             int (*fn)(const char *key, void *ctx), void *ctx);

/* Each <track fields> name that no record of this run had (a misspelt
 * field never detects a change). */
int weir_tracker_each_unfound_field(const weir_tracker *t,
                                    int (*fn)(const char *field, void *ctx),
                                    void *ctx);

/* The key fields joined as a record key ("\x1f" between fields), for
 * display: the same with " / ". (owned: free) */
char *weir_key_display(const char *key);

#endif
