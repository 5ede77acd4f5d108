/*
 * deliver.h - getting records to the sinks without losing any.
 *
 * weir_delivery_send() hands fresh records to every sink straight from
 * memory (fast for full loads) and then, in ONE state transaction, writes
 * an outbox row for every record a sink did not acknowledge and moves the
 * change-tracking snapshot of every record: the snapshot never moves
 * without the acknowledgement or the outbox row (DESIGN: nothing lost).
 *
 * weir_delivery_drain() sends what the outbox holds that is due: pending,
 * in flight (a crash interrupted them), retries whose time has come, held
 * records once their endpoint answers again; rows are marked in flight
 * before they are sent, so a crash mid-send re-sends them with the same
 * idempotency id.  A later record of a key never overtakes an earlier one
 * that is still waiting.
 *
 * Endpoint health: a DOWN answer, or `down-after` consecutive writes that
 * only failed transiently, marks the sink's endpoint down; its records
 * are then held without spending attempts, the endpoint is probed at the
 * retry policy's pace, and people are told once when it goes down and
 * once when it is back.
 * Not thread-safe: one per run, used by one thread; the sink that writes
 * beside has a thread of its own, which only ever touches that sink and
 * the batch it was handed.
 */
#ifndef WEIR_DELIVER_H
#define WEIR_DELIVER_H

#include <signal.h>

#include "engine/notify.h"
#include "pipeline/pipeline.h"
#include "plugin/instance.h"
#include "record/record.h"
#include "store/state.h"

typedef struct weir_delivery weir_delivery;

/* For the run whose instances and store `in` has (borrowed).  (owned)
 * NULL on error with the reason in *err (owned: weir_error_clear). `tracked`: the
 * records carry <track> keys and hashes whose snapshot moves with them. */
weir_delivery *weir_delivery_new(weir_instances *in, weir_run_counts *counts,
                                 weir_notices *notices, int tracked,
                                 weir_error *err);
/* `cancel` (nullable, borrowed): nonzero makes a drain stop between
 * batches. */
void weir_delivery_set_cancel(weir_delivery *d,
                              const volatile sig_atomic_t *cancel);
/* How a drain lets a record a transform held re-enter the pipeline there
 * (record.h: reenter): `fn` runs the transforms over the records of `b`
 * whose reenter is set, leaving every record in the view, answered OK or
 * stopped (weir_record_stop) with the transform's answer.  0, or -1
 * (the drain stops).  Without it such rows stop the drain. */
void weir_delivery_set_reentry(weir_delivery *d,
                               int (*fn)(weir_batch *b, void *ctx),
                               void *ctx);
/* Flush (weir_delivery_flush), persist endpoint health and free. */
void weir_delivery_free(weir_delivery *d);

/* Sink `inst` could not be opened: its endpoint counts as down (its
 * records are held, people told once, probed at the retry pace). */
void weir_delivery_sink_unavailable(weir_delivery *d,
                                    const weir_instance *inst,
                                    const char *why);

/* Deliver the live records of `b`.  A record a transform stopped with
 * HOLD (weir_record_stop) goes to no sink: each sink gets an outbox row
 * held by that transform, with the record as it reached it.  0, or -1
 * when the state could not be written (the run must stop: what was not
 * recorded is sent again, with the same ids, or was never sent).
 * When the pipeline's one sink writes beside (WEIR_PLUGIN_WRITE_BESIDE),
 * the records move to the delivery (weir_batch_swap: `b` comes back
 * with other records, for the caller to clear) and are still being
 * written when this returns; their answers are recorded by the next
 * send, or by weir_delivery_flush().  Its counts lag until then. */
int weir_delivery_send(weir_delivery *d, weir_batch *b);

/* Wait for the batch a sink still writes, if any, and record its
 * answers (the commit weir_delivery_send() would have made).  0, or -1
 * on a state error.  drain, finished and free flush first. */
int weir_delivery_flush(weir_delivery *d);

/* Deliver what the outbox holds that is due now, using `b` (cleared) as
 * scratch.  0, or -1 on a state error. */
int weir_delivery_drain(weir_delivery *d, weir_batch *b);

/* With <track>, once every change of the export was handed over: each
 * is recorded (acknowledged, or in the outbox), so what the source and
 * the transforms before <track> set while the export was read (its
 * cursor: parked plugin state, plugin/host.h) is committed now, or by
 * weir_delivery_finished() when a sink publishes only at the end.
 * Flushes first.  0, or -1 on a state error (the values are dropped: the
 * next run reads that part of the export again). */
int weir_delivery_export_recorded(weir_delivery *d);

/* The sinks' finish() succeeded: what they answered OK is final now
 * (staged snapshots published, drained rows delivered).  0, or -1. */
int weir_delivery_finished(weir_delivery *d);

/* 1 when some sink's endpoint is down (after send/drain). */
int weir_delivery_any_down(const weir_delivery *d);
/* When something is next due: the earliest retry or probe (ms), 0 none,
 * -1 when the state could not be read. */
int64_t weir_delivery_next_due(const weir_delivery *d);

#endif
