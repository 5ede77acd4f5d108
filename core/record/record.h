/*
 * record.h - records and batches, the core side of weir_record/weir_batch.
 *
 * A batch owns its records and everything they point to (an arena), until
 * weir_batch_clear().  Besides the storage, a batch keeps a *view*: the
 * records still moving through the pipeline.  After each stage the engine
 * removes the records the stage answered with something other than OK
 * (weir_batch_take_answered), so later stages only see live records.
 *
 * Not thread-safe: a batch is used by one thread at a time.
 */
#ifndef WEIR_RECORD_H
#define WEIR_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include <weir/plugin.h>

#include "base/secrets.h"

/* Why <track> sends a record (weir_record.sent_for). */
typedef enum weir_sent_for {
    WEIR_SENT_UNTRACKED = 0, /* no <track>, or a delete */
    WEIR_SENT_NEW,           /* a key the snapshot did not have */
    WEIR_SENT_CHANGED,       /* a tracked field changed */
    WEIR_SENT_FULL_REFRESH,  /* unchanged, sent by a full refresh */
    WEIR_SENT_IN_DOUBT       /* unchanged, its last send's answer lost */
} weir_sent_for;

typedef struct weir_field {
    const char *name;  /* interned in the batch: a weir_name's text */
    const char *value; /* NULL = SQL NULL */
    size_t len;
} weir_field;

/* A field name as a batch keeps it: its XXH3-64 hashed once, when the
 * batch first sees the name, and the text right after it. */
typedef struct weir_name {
    uint64_t hash;
    char text[];
} weir_name;

/* XXH3-64 of f's name (f a field of a record): what <track> seeds the
 * hash of f's value with (engine/echo.h), without hashing it again. */
static inline uint64_t weir_field_name_hash(const weir_field *f)
{
    return ((const weir_name *)(const void *)(f->name -
                                              offsetof(weir_name, text)))
        ->hash;
}

/* The columns of the rows a source adds with weir_batch_add_row()
 * (host->batch_columns): each name interned in the batch, distinct. */
typedef struct weir_columns {
    uint64_t serial;    /* another set of names, another serial */
    const char **names; /* interned: the batch's own copies */
    uint32_t n;
} weir_columns;

struct weir_record {
    weir_batch *batch;
    weir_field *fields;
    uint32_t nfields, cap;
    /* Wide records only: field position + 1 by interned name, open
     * addressing, index_mask + 1 slots (in the arena); NULL while the
     * record is narrow enough for a scan, or after an unset. */
    uint32_t *index;
    uint32_t index_mask;
    /* Bit (hash of the interned pointer) % 64 of every name the record
     * has had: a clear bit tells a name absent without a search. */
    uint64_t names_had;
    /* Added by weir_batch_add_row() and unchanged since: field i is
     * column i of these columns (<track> reads it by position); NULL
     * once any field was set or removed. */
    const weir_columns *cols;
    weir_op op;
    weir_result result;
    const char *message;     /* nullable, in the arena */
    const char *assigned_id; /* nullable, in the arena */
    const char *key;         /* nullable, in the arena */
    const char *wait_key;    /* nullable, in the arena: what a hold waits for */
    /* nullable, in the arena: the record creates its object in another
     * system (xref, missing="create"), and the acknowledgement of that
     * system's sink with the id it assigned makes this link:
     * "ENTITY\x1fSYSTEM\x1fID\x1fTO_SYSTEM" */
    const char *link;
    long origin;             /* source line or row; 0 unknown */
    int attempt;             /* which send this is (1 = first) */
    long long retry_after_ms; /* sink's hint with RETRY/DOWN; 0 none */
    uint64_t hash;           /* <track>: hash of the tracked values */
    uint64_t version;        /* <track>: the key's change number this makes */
    weir_sent_for sent_for;  /* <track>: why it is sent */
    /* <track changes="keep"> (engine/changes.h), in the arena: what
     * changed since the key's last sent values (JSON, NULL not known),
     * and the tracked values this record passes on (NULL none) */
    const char *changes;
    const void *sent_values;
    size_t sent_values_len;
    int64_t outbox_id;       /* > 0 when the record came from the outbox */
    /* Before the transform now running (weir_batch_mark): the fields and
     * operation, for a hold that stores the record as it reached it.
     * While `cow`, the field array is shared with saved_fields: the first
     * change copies it. */
    weir_field *saved_fields;
    uint32_t saved_n;
    weir_op saved_op;
    /* A provisional value (weir_record_set_provisional): the record as
     * it reached that transform, which transform, and what resolves it. */
    weir_field *prov_fields;
    uint32_t prov_n;
    weir_op prov_op;
    const char *prov_stage, *prov_key; /* in the arena / the pipeline's */
    /* Transform index + 1: where a record from the outbox re-enters
     * (reenter), and the transform that stopped it (stopped: it answered
     * other than OK and stays in the view for the delivery to store). */
    uint32_t reenter, stopped;
    unsigned malformed : 1;  /* rejected by the source, kept for its key */
    unsigned unchanged : 1;  /* <track> found nothing new: not sent */
    unsigned fixed_id : 1;   /* id came from the outbox: never recompute */
    unsigned held : 1;       /* from the outbox, where it was held */
    unsigned cow : 1;        /* fields shared with saved_fields */
    char id[33];             /* record_id() cache, "" until computed */
};

/* (owned: weir_batch_free) NULL out of memory */
weir_batch *weir_batch_new(size_t capacity);
void weir_batch_free(weir_batch *b);
/* Drop every record and free their memory for reuse. */
void weir_batch_clear(weir_batch *b);
/* Exchange the records of `a` and `b` (batches of one capacity), with
 * everything they point to: a delivery keeps a batch on its way to a
 * sink while the caller fills `a` again.  Each keeps its secrets. */
void weir_batch_swap(weir_batch *a, weir_batch *b);
/* Set what record ids are derived from besides content: pipeline and
 * stage (sink) names.  Borrowed; must outlive the use of the batch. */
void weir_batch_set_context(weir_batch *b, const char *pipeline,
                            const char *stage);

/* Mask answers' messages with `secrets` (borrowed, nullable: none; must
 * outlive the use of the batch): the pipeline's the batch moves through,
 * so a target echoing a credential back never puts it in the outbox. */
void weir_batch_set_secrets(weir_batch *b, const weir_secrets *secrets);

/* The view: records still live.  Index i < weir_batch_count(). */
size_t weir_batch_count(const weir_batch *b);
weir_record *weir_batch_at(weir_batch *b, size_t i);
size_t weir_batch_room(const weir_batch *b);
weir_record *weir_batch_add(weir_batch *b);

/* Narrow the view to the live records i with keep[i] (a sink sees only
 * what it should be sent), and back.  One level deep. */
void weir_batch_narrow(weir_batch *b, const unsigned char *keep);
void weir_batch_widen(weir_batch *b);
/* Make the view exactly the `n` records `recs` (records of this batch,
 * n <= its capacity): a part of a narrowed view, sent again on its own
 * (plugin/sink_write.c).  weir_batch_widen() still restores the view
 * from before weir_batch_narrow(). */
void weir_batch_set_view(weir_batch *b, weir_record *const *recs, size_t n);

/* No answer yet: what a record holds when it reaches a sink's write()
 * (ABI 1.2).  Outside weir_result's values, so the core tells it from
 * every answer a plugin can give; plugins never see it as an answer. */
#define WEIR_RESULT_NONE ((weir_result)255)

/* Before a stage runs: every live record's answer becomes `start`
 * (WEIR_RESULT_OK for a transform, WEIR_RESULT_NONE for a sink), its
 * message, assigned id and retry-after hint cleared. */
void weir_batch_reset_answers(weir_batch *b, weir_result start);
/* Remove from the view the records answered other than OK; call `fn`
 * for each of them (in order) first.  Returns how many were removed.
 * A stopped record (weir_record_stop) stays: the delivery stores it. */
size_t weir_batch_take_answered(weir_batch *b,
                                void (*fn)(weir_record *r, void *ctx),
                                void *ctx);

/* The batch's own copy of `name`, the pointer its records' fields name
 * it by: passed to weir_record_set() instead of another copy, it is
 * found without comparing strings.  (borrowed: valid until
 * weir_batch_clear()) NULL out of memory. */
const char *weir_batch_intern(weir_batch *b, const char *name);

/* host->batch_columns: the columns of the rows weir_batch_add_row()
 * adds until weir_batch_clear().  1 when the batch takes such rows; 0
 * when it does not (no names, a name given twice, too many distinct
 * names in the batch: build records with weir_record_set); -1 out of
 * memory. */
int weir_batch_columns(weir_batch *b, const char *const *names, size_t n);
/* host->batch_add_row: a record of every column, values[i] (copied;
 * NULL = SQL NULL; lens[i] WEIR_NUL_TERMINATED = strlen) for column i,
 * from `line`: as weir_batch_add(), weir_record_set() of each column in
 * order and the origin, in one step.  NULL when the batch is full, has
 * no columns, or out of memory. (borrowed) */
weir_record *weir_batch_add_row(weir_batch *b, const char *const *values,
                                const size_t *lens, long line);

/* Field access (the host API entries). */
const char *weir_record_get(const weir_record *r, const char *name,
                            size_t *len);
int weir_record_has(const weir_record *r, const char *name);
/* The field `name`, NULL when absent: weir_record_get and _has in one
 * look-up. (borrowed, until the field changes) */
const weir_field *weir_record_field(const weir_record *r, const char *name);
int weir_record_set(weir_record *r, const char *name, const char *value,
                    size_t len);
int weir_record_unset(weir_record *r, const char *name);
void weir_record_answer(weir_record *r, weir_result result,
                        const char *message, const char *assigned_id);
int weir_record_set_key(weir_record *r, const char *key);
/* host->record_set_op: 0, or -1 when `op` is no weir_op. */
int weir_record_set_op(weir_record *r, weir_op op);
/* host->record_hold: answer HOLD, remembering what it waits for. */
/* The transform now running passes r on with a value that may be wrong
 * until `wait_key` exists (xref's missing="keep": an id the target may
 * not know).  Remembers r as it reached the transform: a sink's refusal
 * stores that, to re-enter there when wait_key is released.  0; -1 when
 * the transform keeps no record (before <track>) or out of memory. */
int weir_record_set_provisional(weir_record *r, const char *wait_key);
/* The record as it reached the transform of its provisional value, in
 * *view (a shallow copy: valid while r is).  0, or -1 when it has none. */
int weir_record_provisional_view(const weir_record *r, weir_record *view);
/* r->changes and r->sent_values, copied into the batch (NULL: none):
 * 0, or -1 out of memory. */
int weir_record_set_changes(weir_record *r, const char *json);
int weir_record_set_sent_values(weir_record *r, const void *blob, size_t len);
/* r->link, copied into the batch: 0, or -1 out of memory. */
int weir_record_set_link(weir_record *r, const char *link);
void weir_record_hold(weir_record *r, const char *wait_key,
                      const char *message);

/* Before a transform runs: every live record remembers its fields and
 * operation (cheaply: the array is copied only when changed). */
void weir_batch_mark(weir_batch *b);
/* Transform `t` answered `r` other than OK and the delivery stores that:
 * it stays in the view, stopped; a held one goes back to what it was
 * when weir_batch_mark() ran. */
void weir_record_stop(weir_record *r, size_t t);
/* Stable id (see weir_host.record_id). (borrowed) */
const char *weir_record_id(weir_record *r);

/* Give `r` the id `id` (32 hex digits) for good: a record replayed from
 * the outbox keeps the idempotency id it was first sent with. */
void weir_record_fix_id(weir_record *r, const char *id);

#endif
