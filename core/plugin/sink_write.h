/*
 * sink_write.h - hand a batch to a sink the way the ABI promises: write(),
 * then flush(), every record answered, and a batch a transactional sink
 * refuses as a whole (WEIR_STATUS_SPLIT) sent again in smaller batches
 * until only its bad records are refused.  The engine's fresh records and
 * its outbox drain both go through here, and so does the test harness.
 */
#ifndef WEIR_SINK_WRITE_H
#define WEIR_SINK_WRITE_H

#include <weir/plugin.h>

/* Send the records of b's view to the opened sink `inst`.  Afterwards
 * every one of them holds the sink's final answer (OK only once flush()
 * succeeded; RETRY for a record left unanswered, or for all when the
 * sink failed the batch as a whole); the view is as it was.  Records
 * replayed after a SPLIT were never applied, so each good record is
 * applied once. */
void weir_sink_write(weir_instance *inst, weir_batch *b);

#endif
