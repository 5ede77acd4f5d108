/*
 * outbox.h - the outbox's state machine, in one table.
 *
 *   new row --enqueue--> pending | retry | failed | held
 *   pending, retry, held (due), in flight (no live claim)
 *           --claim-->   in flight
 *   in flight --answer--> delivered | retry | failed | held | discarded
 *                        (in flight again: final only at the sink's finish)
 *   held (by a transform) --release--> pending
 *   failed, held --resend--> pending      failed, held --discard--> discarded
 *   not ended   --ignore-->  discarded    (deletes="ignore")
 *   pending, retry, held, failed --supersede--> superseded
 *   delivered, superseded, discarded --prune--> (forgotten)
 *
 * Every change of a row's status in every store backend is one of these
 * events, and its statements are built from this table (the statuses an
 * event applies to and may lead to), so a transition the table does not
 * allow cannot happen: a backend refuses it.  Thread-safe (constant).
 */
#ifndef WEIR_OUTBOX_H
#define WEIR_OUTBOX_H

#include "store/state.h"

typedef enum weir_outbox_event {
    WEIR_OUTBOX_ENQUEUE,   /* a new row: what a run's first send left */
    WEIR_OUTBOX_CLAIM,     /* a worker takes it to send */
    WEIR_OUTBOX_ANSWER,    /* the sink answered (or a re-entered transform) */
    WEIR_OUTBOX_RELEASE,   /* what the transform held it for is there */
    WEIR_OUTBOX_RESEND,    /* the admin: send it again */
    WEIR_OUTBOX_DISCARD,   /* the admin: never send it */
    WEIR_OUTBOX_IGNORE,    /* deletes="ignore": a waiting delete is not sent */
    WEIR_OUTBOX_SUPERSEDE, /* a newer change of its key replaced it */
    WEIR_OUTBOX_PRUNE,     /* history older than keep-delivered is dropped */
    WEIR_OUTBOX_NEVENTS
} weir_outbox_event;

#define WEIR_OUTBOX_BIT(status) (1u << (status))

/* The statuses `ev` applies to (a mask of WEIR_OUTBOX_BIT). */
unsigned weir_outbox_from(weir_outbox_event ev);
/* The statuses `ev` may lead to (0 for prune: the row is gone). */
unsigned weir_outbox_to(weir_outbox_event ev);
/* May `ev` move a row from `from` to `to`? */
int weir_outbox_may(weir_outbox_event ev, weir_outbox_status from,
                    weir_outbox_status to);
/* The statuses a row can still leave: everything but the ended ones. */
unsigned weir_outbox_open(void);
/* "claim", "resend", ... (static) */
const char *weir_outbox_event_name(weir_outbox_event ev);

#endif
