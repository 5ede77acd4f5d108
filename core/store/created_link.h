/*
 * created_link.h - the link a create makes (xref's missing="create"):
 * the record goes to the target as an insert, and the sink of the target
 * system acknowledging it with the id the target assigned links the two
 * ids, in the same state transaction as the acknowledgement.
 *
 * A record carries the link to make as its `link` text
 * ("ENTITY\x1fSYSTEM\x1fID\x1fTO_SYSTEM", weir_record.link, kept on its
 * outbox row until acknowledged).  Not thread-safe: one delivery's.
 */
#ifndef WEIR_CREATED_LINK_H
#define WEIR_CREATED_LINK_H

#include "store/state.h"

/* "ENTITY\x1fSYSTEM\x1fID\x1fTO" into buf (n bytes).  0, or -1 when it
 * does not fit or a part holds the separator. */
int weir_created_link_text(const char *entity, const char *system,
                           const char *id, const char *to, char *buf,
                           size_t n);

/* A create the target acknowledged without saying which id it gave: the
 * link text with this mark appended stays on its outbox row, so the
 * object counts as under way until someone links it (a later change is
 * held, never created again). */
#define WEIR_CREATED_LINK_UNKNOWN "\x1f!"

/* `link` with WEIR_CREATED_LINK_UNKNOWN into buf (n bytes): 0, or -1. */
int weir_created_link_unknown(const char *link, char *buf, size_t n);
/* 1 when `link` (nullable) carries the mark. */
int weir_created_link_is_unknown(const char *link);

/* Does the acknowledgement of a sink of system `sink_system` make `link`
 * (a record's, nullable)?  It is that sink's system the link goes to. */
int weir_created_link_by(const char *link, const char *sink_system);

/* The create of a record with `link` was acknowledged with `assigned_id`
 * (nullable) by the sink that makes it: link the two ids (origin
 * "created"), inside the
 * caller's transaction.  Without an id the target did not say which
 * object it made: *why gets the text for a failed record (nothing is
 * linked, so later changes of it wait rather than create it again) and
 * 1 is returned.  0 linked; -1 the store failed (weir_state_error). */
int weir_created_link_make(weir_state *st, const char *link,
                           const char *assigned_id, char *why, size_t whyn);

#endif
