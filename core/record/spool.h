/*
 * spool.h - the changes of a change-tracked run, parked on disk until the
 * source has been read to its end.
 *
 * Nothing is delivered before the whole source was read: a source that
 * fails halfway, or a delete guard that trips, then leaves the targets and
 * the state exactly as they were.  The spool is an unlinked temporary
 * file in $TMPDIR (else P_tmpdir), so memory stays flat whatever the
 * number of changes: field names are kept once in memory, the file holds
 * only small ids for them and the values.
 * Not thread-safe.
 */
#ifndef WEIR_SPOOL_H
#define WEIR_SPOOL_H

#include "record/record.h"

typedef struct weir_spool weir_spool;

/* The folder of the temporary files: $TMPDIR, else P_tmpdir. (borrowed) */
const char *weir_spool_dir(void);
/* (owned) NULL when no temporary file could be made (errno says why) */
weir_spool *weir_spool_new(void);
void weir_spool_free(weir_spool *s);
/* Append `r` (borrowed): its fields, op, why it is sent, key, hash,
 * version, origin and link; not its answer, nor what changed (the
 * delivery works that out after the read-back).  0, or -1 on I/O error
 * (then every later call fails too), out of memory, or once rewound;
 * errno says which. */
int weir_spool_put(weir_spool *s, const weir_record *r);
size_t weir_spool_count(const weir_spool *s);
/* Switch to reading from the start (again).  0, or -1 on I/O error
 * (errno). */
int weir_spool_rewind(weir_spool *s);
/* Refill `b` (cleared by the caller) with the next records; returns how
 * many, 0 at the end, -1 on I/O error, out of memory, or a file that
 * does not hold the records put (cut short, or overwritten: EIO); errno
 * says which. */
long weir_spool_read(weir_spool *s, weir_batch *b);

#endif
