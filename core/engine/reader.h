/*
 * reader.h - batches from a run's source, read one ahead when the source
 * declares WEIR_PLUGIN_READ_BESIDE: while the run's thread transforms,
 * compares and sends batch N, a worker (base/worker.h) reads batch N+1
 * into the reader's own batch, and weir_reader_next() swaps it in
 * (weir_batch_swap).  Other sources are read in the caller's thread, at
 * the call, as before.
 *
 * A run that stops early (an error, a signal) may have read one batch
 * it never uses; the plugin ABI tells such sources that a read must not
 * change anything outside the plugin.
 *
 * Not thread-safe: one reader, used by the run's thread.
 */
#ifndef WEIR_READER_H
#define WEIR_READER_H

#include "plugin/instance.h"
#include "record/record.h"

typedef struct weir_reader weir_reader;

/* A reader of the opened source `src` of pipeline `p` (both borrowed,
 * for the reader's life), whose batches hold `capacity` records and mask
 * answers with `secrets` (borrowed, nullable).  (owned: weir_reader_free)
 * NULL out of memory. */
weir_reader *weir_reader_new(weir_instance *src, const char *pipeline,
                             size_t capacity, const weir_secrets *secrets);

/* The next batch in `b` (cleared first; of `capacity`): what read()
 * returned for it (OK, END, or ERROR).  After OK the reader may already
 * be reading the one after. */
weir_status weir_reader_next(weir_reader *r, weir_batch *b);

/* Wait for a read under way (its batch is dropped) and free. */
void weir_reader_free(weir_reader *r);

#endif
