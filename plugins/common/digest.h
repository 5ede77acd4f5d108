/*
 * digest.h - the `rejected` event's records grouped for a person (the
 * webhook and smtp notifiers): one group per sink, record type and the
 * target's text, with its count, a few example records and the
 * `weir resend` command that picks exactly that group.
 */
#ifndef WEIRP_DIGEST_H
#define WEIRP_DIGEST_H

#include <jansson.h>

/* Example records kept per group. */
#define WEIRP_DIGEST_EXAMPLES 3

/* `s` quoted for /bin/sh: as it is when it has only characters the shell
 * leaves alone, else in single quotes (' as '\'').  `always` quotes it
 * anyway.  (owned, free(); NULL out of memory) */
char *weirp_shell_quote(const char *s, int always);

/* The error class of a digest record's error, as `weir resend --error`
 * matches it: the target's TEXT of "gave up after N attempts: TEXT",
 * else the error itself.  (borrowed from `error`) */
const char *weirp_digest_error_class(const char *error);

/* The records of a `rejected` event (its JSON object) grouped: an array,
 * the largest group first (ties in the order of the records), of
 *   {"sink": S, "stage": S, "type": T, "error": TEXT, "count": n,
 *    "rejected": n, "failed": n, "examples": [{"key", "line"}...],
 *    "resend": "weir resend --pipeline P --failed --sink S ...",
 *    "monitor": "http://HOST:PORT/#pipeline=P&sink=S&status=failed..."}
 * `monitor` only when the event has one (weir serve --http: its
 * pipeline's page), the group's page below it.
 * `sink`, `type`, `error`, `resend` and `monitor` absent when the records
 * have none:
 * only a sink's records are in the outbox and can be resent (a source's
 * or transform's come again with the next run).  `state` (nullable) goes
 * into the command as --state.  NULL out of memory or when the event has
 * no records array. (new reference) */
json_t *weirp_digest_groups(json_t *event, const char *state);

#endif
