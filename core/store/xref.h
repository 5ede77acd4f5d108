/*
 * xref.h - the cross-reference store: which id one business object has
 * in each system (the app's customer HB_000123 is the ERP's C00417).
 *
 * A link joins two (entity, system, id) ends.  It is one to one in each
 * direction: an id of one system links to at most one id of each other
 * system, so a second, conflicting link is refused (class "refused",
 * with a message naming the link that is in the way).  Each link
 * remembers its origin and when it was made; replacing a link (a merge)
 * and removing one leave a line of history.
 *
 * Links live in the state store, behind store/backend.h like everything
 * else, so every pipeline and command on the same state sees a link as
 * soon as its transaction commits.  Same errors and thread rules as
 * state.h: -1 (NULL) with weir_state_error() saying why; one weir_state
 * per thread.
 */
#ifndef WEIR_STORE_XREF_H
#define WEIR_STORE_XREF_H

#include <stddef.h>
#include <stdint.h>

#include "store/state.h"

/* Who made a link. */
typedef enum weir_xref_origin {
    WEIR_XREF_MANUAL,    /* weir xref add */
    WEIR_XREF_GENERATED, /* missing="generate": weir made the id */
    WEIR_XREF_CREATED,   /* missing="create": the target assigned it */
    WEIR_XREF_MERGED     /* weir xref merge replaced a link */
} weir_xref_origin;

/* "manual", "generated", "created", "merged". (static) */
const char *weir_xref_origin_name(weir_xref_origin o);
/* The origin named `name` (weir_xref_origin_name) into *o: 0, or -1. */
int weir_xref_origin_parse(const char *name, weir_xref_origin *o);

/* One end of a link. (borrowed strings) */
typedef struct weir_xref_end {
    const char *system, *id;
} weir_xref_end;

/* A link as stored.  Whatever order its ends were given in, a link is
 * one row, listed with a.system < b.system (strcmp); only
 * weir_xref_each_since() turns it to the caller's direction. */
typedef struct weir_xref_link {
    const char *entity;
    weir_xref_end a, b;
    weir_xref_origin origin;
    int64_t created; /* unix seconds */
    int64_t seq;     /* when it was made: grows with every new link, a
                      * merge's included; never reused */
} weir_xref_link;

/* "SYSTEM:ID" (erp:C00417) into *end, pointing into `text`, which is
 * cut at the first colon.  0, or -1 when it is not of that form. */
int weir_xref_end_parse(char *text, weir_xref_end *end);

/* Entity and system names may not be empty nor hold ':' (the CLI's
 * SYSTEM:ID and the wait key keep them apart); ids may not be empty.
 * 0, or -1 with *err (class "usage") saying which is wrong.  For the
 * backends, which check every end they are given with it. */
int weir_xref_check(const char *entity, const weir_xref_end *ends, size_t n,
                    weir_error *err);

/* The wait key of records held for a link of `end`:
 * "xref:ENTITY:SYSTEM:ID" into buf (truncated to n). */
void weir_xref_wait_key(const char *entity, weir_xref_end end, char *buf,
                        size_t n);

/* The id `from` has in system `to_system`: 0 and *id (owned: free);
 * 1 when there is no such link; -1 on error. */
int weir_xref_get(weir_state *st, const char *entity, weir_xref_end from,
                  const char *to_system, char **id);

/* Link `a` and `b` (inside the caller's transaction, or its own), and
 * release the outbox rows held for either end (weir_xref_wait_key,
 * weir_state_outbox_release): they re-enter their transform at the next
 * drain and find the link.  An identical link already there: 0, the link
 * unchanged (rows still held for it are released all the same).  Either
 * end already linked to another id of the other's system: -1, class
 * "refused", the message naming that link ("customer app:HB_1 is already
 * linked to erp:C2 (manual, 2026-11-29 10:00 UTC)"), nothing changed.
 * a.system == b.system, or a bad name (weir_xref_check): -1, "usage". */
int weir_xref_add(weir_state *st, const char *entity, weir_xref_end a,
                  weir_xref_end b, weir_xref_origin origin);

/* Replace whatever links `a` or `b` have to the other's system by the
 * link a <-> b, origin MERGED (a new seq), with a line of history per
 * link replaced ("replaced", noting the new link), and release as
 * weir_xref_add does.  The identical link already there is kept as it
 * is.  Inside the caller's transaction, or its own.  Returns how many
 * outbox rows were released, or -1. */
int64_t weir_xref_merge(weir_state *st, const char *entity,
                        weir_xref_end a, weir_xref_end b);

/* Remove every link of `end` (to any system), with a line of history
 * ("removed") each.  Inside the caller's transaction, or its own.
 * Returns how many were removed (0: none), or -1. */
int64_t weir_xref_remove(weir_state *st, const char *entity,
                         weir_xref_end end);

/* A new id for `system`: prefix + the next number of the store's sequence
 * for (entity, system, prefix), zero-padded to `digits` (1..18; a number
 * that outgrows them gets longer), never equal to an id of that system
 * and entity in the store (skipped if it is), and never handed out
 * twice, even to two processes generating at once: the sequence moves in
 * the caller's transaction, or its own, holding the store's write lock.
 * `prefix` NULL: "".  (owned: free) NULL on error.  The caller links it
 * with weir_xref_add(GENERATED) in the same transaction. */
char *weir_xref_generate(weir_state *st, const char *entity,
                         const char *system, const char *prefix, int digits);

/* Call fn for each link matching the filters (NULL: any; `system`
 * matches either end), ordered by entity, then a.system, a.id, b.system.
 * fn returning non-zero stops with that value.  The link's strings live
 * for the call.  0, fn's value, or -1. */
int weir_xref_each(weir_state *st, const char *entity, const char *system,
                   int (*fn)(const weir_xref_link *link, void *ctx),
                   void *ctx);

/* Links made after `after` (a value from an earlier call; 0: all), for
 * the xref source: each link between `system` and `to_system` of
 * `entity` with seq > after, in seq order, given with a.system = `system`
 * and b.system = `to_system`.  *last gets the highest seq fn returned 0
 * for (`after` when none).  0, fn's value, or -1. */
int weir_xref_each_since(weir_state *st, const char *entity,
                         const char *system, const char *to_system,
                         int64_t after, int64_t *last,
                         int (*fn)(const weir_xref_link *link, void *ctx),
                         void *ctx);

/* A line of history: a link as it was when a merge replaced it or it
 * was removed.  (borrowed for the call) */
typedef struct weir_xref_event {
    const char *action;  /* "replaced" (by a merge) or "removed" */
    weir_xref_link link; /* the link as it was */
    int64_t at;          /* unix seconds */
    const char *note;    /* nullable: for "replaced", the merged link
                          * ("app:HB_1 <-> erp:C4") */
} weir_xref_event;

/* Call fn for each line of history of `entity` (NULL: any), oldest
 * first.  0, fn's value, or -1. */
int weir_xref_history(weir_state *st, const char *entity,
                      int (*fn)(const weir_xref_event *e, void *ctx),
                      void *ctx);

#endif
