/*
 * sink_identity.h - which target a sink writes to, and whether the
 * records waiting in the outbox for it still go to that target.
 *
 * A sink's identity is its plugin and the values of its required options
 * (the target: a file; a database, table and key; a URL), after ${env:}
 * substitution and path resolution.  Optional options tune how it writes
 * (timeouts, headers, retry policy): changing them to fix a failure is
 * the normal course before a resend, and does not change the identity.
 *
 * A run records the identity of its sinks when it starts; resend and
 * drain, which deliver with the file the state remembers, refuse a
 * pipeline whose file now describes another target for records already
 * queued (a copy of the file with another target, a sink removed)
 * rather than deliver them somewhere they were never meant to go.
 */
#ifndef WEIR_SINK_IDENTITY_H
#define WEIR_SINK_IDENTITY_H

#include "pipeline/pipeline.h"
#include "store/state.h"

/* The identity of `sink` as compact JSON, {"plugin": ..., "options":
 * {...}}; a value from the environment appears only as a hash.
 * (owned: free) NULL when out of memory. */
char *weir_sink_identity(const weir_instance_spec *sink);

/* A run of `p` starts: record the identity of each of its sinks.
 * 0, or -1 when the state could not be written. */
int weir_sink_identity_record(weir_state *st, const weir_pipeline *p);

/* Does every sink of `p` that has undelivered records still have the
 * identity recorded when they were queued?  0 yes (or nothing recorded:
 * a state from before identities); 1 no, with *why (owned: free) naming
 * the sink, the records and both targets; -1 when the state could not be
 * read.  Changes nothing. */
int weir_sink_identity_check(weir_state *st, const weir_pipeline *p,
                             char **why);

#endif
