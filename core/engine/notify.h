/*
 * notify.h - what a run tells people: per-record problems on stderr
 * (capped, the summary counts them all) and notification events for the
 * <notify> plugins: one digest of rejected and failed records per run
 * (not a mail per record), endpoint down, endpoint back, run failed.
 * Not thread-safe: one per run (weir_notify_set_monitor_url() is).
 */
#ifndef WEIR_NOTIFY_H
#define WEIR_NOTIFY_H

#include "pipeline/pipeline.h"
#include "plugin/instance.h"
#include "record/record.h"

typedef struct weir_notices weir_notices;

/* For a run of in->p, its notifiers those of `in` (borrowed). (owned) */
weir_notices *weir_notices_new(weir_instances *in);
void weir_notices_free(weir_notices *n);

/* A record's problem: `what` is "rejected", "failed", "held", "queued",
 * "will be retried"; `stage_kind` and `stage` say who answered.
 * Rejected and failed records also go into the digest. */
void weir_notices_record(weir_notices *n, const weir_record *r,
                         const char *what, const char *stage_kind,
                         const char *stage, const char *message);
/* An endpoint went down (down=1) or came back (down=0). */
void weir_notices_endpoint(weir_notices *n, const char *sink, int down,
                           const char *error);
void weir_notices_run_failed(weir_notices *n, const char *error);

/* Hand the events to the opened notifiers whose on="..." wants them. */
void weir_notices_send(weir_notices *n);

/* The web monitor's address ("http://127.0.0.1:8080", from weir serve
 * --http, or its --public-url; copied, a trailing '/' dropped), NULL:
 * none.  While one is set, every event carries
 * "monitor": the page of its pipeline ("BASE/#pipeline=P"), or of its
 * endpoint's held records ("...&sink=S"); the notifiers link each group
 * of a digest below it.  Process-wide, for every run: thread-safe, may be
 * called at any time (a run takes the value as its events are made). */
void weir_notify_set_monitor_url(const char *base);

#endif
