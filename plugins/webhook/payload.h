/*
 * payload.h - what the webhook POSTs for an event: pure formatting.
 */
#ifndef WEBHOOK_PAYLOAD_H
#define WEBHOOK_PAYLOAD_H

/* The event's JSON object as the core made it, and for a `rejected`
 * digest also "groups" (common/digest.h: per sink, type and the target's
 * text, with the `weir resend` command; `state`, nullable, its --state).
 * Compact JSON, built with jansson.  NULL when the event is not a JSON
 * object or out of memory. (owned, free()) */
char *webhook_payload(const char *event_json, const char *state);

#endif
