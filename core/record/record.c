#include "config.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "base/arena.h"
#include "base/secrets.h"
#include "base/utf8.h"
#include "record/record.h"

/* Names are interned per batch: sources set the same names on every
 * record, so a record stores pointers into this table instead of copies,
 * and a field is found by comparing pointers.  The table is an array in
 * the order names were first seen (callers touch names in the same order
 * record after record, so the entry after the last hit is tried first)
 * with a hash index for the rest.  It survives weir_batch_clear(); past
 * NAMES_MAX distinct names (a source making names up) further names are
 * copied into the arena instead, which bounds its memory. */
#define NAMES_MAX 65536u

/* Records with more fields than this get a hash index of their fields;
 * below it a scan of pointers is cheaper than building one. */
#define INDEX_MIN_FIELDS 32u

typedef struct name_entry {
    const char *given; /* pointer the caller passed last time */
    weir_name *name;   /* our copy (malloc'd) */
    uint32_t hash;     /* name->hash, cut to the index's width */
} name_entry;

struct weir_batch {
    weir_arena arena;
    weir_record *store; /* capacity records */
    size_t used;        /* records handed out since clear */
    size_t capacity;
    weir_record **view; /* live records, in order */
    size_t count;
    weir_record **saved; /* the view before weir_batch_narrow */
    size_t saved_count;
    const char *ctx_pipeline, *ctx_stage;
    const weir_secrets *secrets; /* borrowed, nullable */
    name_entry *names;  /* interned names, in first-seen order */
    size_t nnames, names_cap;
    uint32_t *slots;    /* entry index + 1 by hash; 0 empty; at most */
    size_t slots_mask;  /* half full; slots_mask + 1 is a power of two */
    size_t hint;        /* entry to try first */
    int overflow; /* some names are arena copies, not in names[] */
    /* How many fields the record added before the newest one has: the
     * newest record's field array starts at that size (plus a few), so
     * records of a wide source do not grow theirs by doubling, each step
     * a dead copy in the arena.  The previous record, not the widest so
     * far: one odd record must not make every later one as big. */
    uint32_t fields_hint;
    /* weir_batch_add_row()'s columns (names kept across clears, so the
     * same names again keep their serial); live until weir_batch_clear() */
    weir_columns cols;
    size_t cols_cap;
    uint64_t cols_names_had; /* their name bits (name_bit) */
    int cols_live;
};

/* The last serial a set of columns got (weir_batch_columns). */
static _Atomic uint64_t columns_serial;

weir_batch *weir_batch_new(size_t capacity)
{
    weir_batch *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    if (capacity == 0)
        capacity = 1;
    b->store = calloc(capacity, sizeof(*b->store));
    b->view = calloc(capacity, sizeof(*b->view));
    b->saved = calloc(capacity, sizeof(*b->saved));
    if (!b->store || !b->view || !b->saved) {
        weir_batch_free(b);
        return NULL;
    }
    b->capacity = capacity;
    weir_arena_init(&b->arena);
    return b;
}

void weir_batch_free(weir_batch *b)
{
    if (!b)
        return;
    weir_arena_free(&b->arena);
    for (size_t i = 0; i < b->nnames; i++)
        free(b->names[i].name);
    free(b->names);
    free(b->cols.names);
    free(b->slots);
    free(b->store);
    free(b->view);
    free(b->saved);
    free(b);
}

/* `b` took over the records of the batch at `was`: they point at it. */
static void rebind(weir_batch *b, const weir_batch *was)
{
    for (size_t i = 0; i < b->used; i++) {
        weir_record *r = &b->store[i];
        r->batch = b;
        if (r->cols == &was->cols)
            r->cols = &b->cols;
    }
}

void weir_batch_swap(weir_batch *a, weir_batch *b)
{
    weir_batch t = *a;
    *a = *b;
    *b = t;
    /* the masking belongs to the batch, not to its records */
    const weir_secrets *secrets = a->secrets;
    a->secrets = b->secrets;
    b->secrets = secrets;
    rebind(a, b);
    rebind(b, a);
}

void weir_batch_clear(weir_batch *b)
{
    weir_arena_reset(&b->arena);
    b->overflow = 0;
    b->cols_live = 0;
    b->used = 0;
    b->count = 0;
}

void weir_batch_set_context(weir_batch *b, const char *pipeline,
                            const char *stage)
{
    b->ctx_pipeline = pipeline;
    b->ctx_stage = stage;
    for (size_t i = 0; i < b->count; i++)
        if (!b->view[i]->fixed_id)
            b->view[i]->id[0] = '\0';
}

size_t weir_batch_count(const weir_batch *b) { return b->count; }

weir_record *weir_batch_at(weir_batch *b, size_t i)
{
    return i < b->count ? b->view[i] : NULL;
}

size_t weir_batch_room(const weir_batch *b) { return b->capacity - b->used; }

weir_record *weir_batch_add(weir_batch *b)
{
    if (b->used == b->capacity)
        return NULL;
    if (b->used > 0)
        b->fields_hint = b->store[b->used - 1].nfields;
    weir_record *r = &b->store[b->used++];
    memset(r, 0, sizeof(*r));
    r->batch = b;
    r->op = WEIR_OP_UPSERT;
    r->result = WEIR_RESULT_OK;
    r->attempt = 1;
    b->view[b->count++] = r;
    return r;
}

void weir_batch_narrow(weir_batch *b, const unsigned char *keep)
{
    memcpy(b->saved, b->view, b->count * sizeof(*b->view));
    b->saved_count = b->count;
    size_t n = 0;
    for (size_t i = 0; i < b->saved_count; i++)
        if (keep[i])
            b->view[n++] = b->saved[i];
    b->count = n;
}

void weir_batch_widen(weir_batch *b)
{
    memcpy(b->view, b->saved, b->saved_count * sizeof(*b->view));
    b->count = b->saved_count;
}

void weir_batch_set_secrets(weir_batch *b, const weir_secrets *secrets)
{
    b->secrets = secrets;
}

void weir_batch_set_view(weir_batch *b, weir_record *const *recs, size_t n)
{
    memmove(b->view, recs, n * sizeof(*b->view));
    b->count = n;
}

void weir_batch_reset_answers(weir_batch *b, weir_result start)
{
    for (size_t i = 0; i < b->count; i++) {
        weir_record *r = b->view[i];
        r->result = start;
        r->message = NULL;
        r->assigned_id = NULL;
        r->wait_key = NULL;
        r->retry_after_ms = 0;
        r->saved_fields = NULL; /* weir_batch_mark() saves them anew */
        r->saved_n = 0;
    }
}

size_t weir_batch_take_answered(weir_batch *b,
                                void (*fn)(weir_record *r, void *ctx),
                                void *ctx)
{
    size_t kept = 0, removed = 0;
    for (size_t i = 0; i < b->count; i++) {
        weir_record *r = b->view[i];
        if (r->result == WEIR_RESULT_OK || r->stopped) {
            b->view[kept++] = r;
        } else {
            if (fn)
                fn(r, ctx);
            removed++;
        }
    }
    b->count = kept;
    return removed;
}

void weir_batch_mark(weir_batch *b)
{
    for (size_t i = 0; i < b->count; i++) {
        weir_record *r = b->view[i];
        r->saved_fields = r->fields;
        r->saved_n = r->nfields;
        r->saved_op = r->op;
        r->cow = 1;
    }
}

void weir_record_stop(weir_record *r, size_t t)
{
    r->stopped = (uint32_t)t + 1;
    if (r->result != WEIR_RESULT_HOLD && r->result != WEIR_RESULT_REJECT)
        return;
    r->fields = r->saved_fields;
    r->nfields = r->cap = r->saved_n;
    r->op = r->saved_op;
    r->index = NULL;
    if (!r->fixed_id)
        r->id[0] = '\0';
}

/* ---- fields ---------------------------------------------------------- */

/* The field array is still the one weir_batch_mark() saved: copy it
 * before the first change.  0, or -1 out of memory. */
static int unshare(weir_record *r)
{
    if (!r->cow)
        return 0;
    if (r->cap) {
        weir_field *copy = weir_arena_alloc(&r->batch->arena,
                                            r->cap * sizeof(*copy));
        if (!copy)
            return -1;
        if (r->nfields)
            memcpy(copy, r->fields, r->nfields * sizeof(*copy));
        r->fields = copy;
    }
    r->cow = 0;
    return 0;
}

/* A copy of name[0..len) with its hash: in the arena, or malloc'd when
 * `arena` is NULL.  NULL out of memory. */
static weir_name *name_copy(weir_arena *arena, const char *name, size_t len,
                            uint64_t hash)
{
    size_t size = sizeof(weir_name) + len + 1;
    weir_name *n = arena ? weir_arena_alloc(arena, size) : malloc(size);
    if (!n)
        return NULL;
    n->hash = hash;
    memcpy(n->text, name, len + 1);
    return n;
}

/* Put entry i into the hash index (which has room). */
static void slot_put(weir_batch *b, size_t i)
{
    size_t s = b->names[i].hash & b->slots_mask;
    while (b->slots[s])
        s = (s + 1) & b->slots_mask;
    b->slots[s] = (uint32_t)i + 1;
}

/* Room for one more name in names[] and the index.  0, or -1 out of
 * memory. */
static int names_reserve(weir_batch *b)
{
    if (b->nnames == b->names_cap) {
        size_t cap = b->names_cap ? 2 * b->names_cap : 64;
        name_entry *grown = realloc(b->names, cap * sizeof(*grown));
        if (!grown)
            return -1;
        b->names = grown;
        b->names_cap = cap;
    }
    if (2 * (b->nnames + 1) > (b->slots ? b->slots_mask + 1 : 0)) {
        size_t nslots = b->slots ? 2 * (b->slots_mask + 1) : 128;
        uint32_t *slots = calloc(nslots, sizeof(*slots));
        if (!slots)
            return -1;
        free(b->slots);
        b->slots = slots;
        b->slots_mask = nslots - 1;
        for (size_t i = 0; i < b->nnames; i++)
            slot_put(b, i);
    }
    return 0;
}

/* The interned copy of `name`, adding it when `add`; NULL when unknown
 * (or out of memory). */
/* Is `name` entry e's name, judging by its pointer?  A caller's pointer
 * may be a reused buffer, so a match on it is confirmed by content; only
 * our own copies are trusted as is. */
static int same_pointer(const name_entry *e, const char *name)
{
    return e->name->text == name ||
           (e->given == name && strcmp(name, e->name->text) == 0);
}

static const char *intern(weir_batch *b, const char *name, int add)
{
    /* The name after the last one found (after a record's last name
     * comes the next record's first), else the last one again (one field
     * read record after record). */
    size_t next = b->hint < b->nnames ? b->hint : 0;
    const size_t tries[2] = {next, (next ? next : b->nnames) - 1};
    for (int i = 0; i < 2; i++) {
        size_t h = tries[i];
        if (h < b->nnames && same_pointer(&b->names[h], name)) {
            b->hint = h + 1;
            return b->names[h].name->text;
        }
    }
    size_t len = strlen(name);
    uint64_t hash = XXH3_64bits(name, len);
    if (b->slots) {
        for (size_t s = (uint32_t)hash & b->slots_mask; b->slots[s];
             s = (s + 1) & b->slots_mask) {
            name_entry *e = &b->names[b->slots[s] - 1];
            if (e->hash == (uint32_t)hash &&
                strcmp(e->name->text, name) == 0) {
                e->given = name;
                b->hint = b->slots[s];
                return e->name->text;
            }
        }
    }
    if (!add)
        return NULL;
    if (b->nnames == NAMES_MAX) {
        b->overflow = 1;
        weir_name *copy = name_copy(&b->arena, name, len, hash);
        return copy ? copy->text : NULL;
    }
    weir_name *copy = name_copy(NULL, name, len, hash);
    if (!copy || names_reserve(b)) {
        free(copy);
        return NULL;
    }
    name_entry *e = &b->names[b->nnames];
    e->given = name;
    e->name = copy;
    e->hash = (uint32_t)hash;
    slot_put(b, b->nnames++);
    b->hint = b->nnames;
    return copy->text;
}

const char *weir_batch_intern(weir_batch *b, const char *name)
{
    return intern(b, name, 1);
}

/* Interned names are unique pointers: hash the pointer. */
static uint32_t ptr_slot(const char *name, uint32_t mask)
{
    uint64_t x = (uint64_t)(uintptr_t)name;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (uint32_t)x & mask;
}

static void index_put(weir_record *r, uint32_t pos)
{
    uint32_t s = ptr_slot(r->fields[pos].name, r->index_mask);
    while (r->index[s])
        s = (s + 1) & r->index_mask;
    r->index[s] = pos + 1;
}

/* Slots a record's index has while its fields fit in its array: at
 * most two thirds full, so probes stay short. */
static uint32_t index_size(uint32_t cap)
{
    uint32_t nslots = 64;
    while (2 * nslots < 3 * cap)
        nslots *= 2;
    return nslots;
}

/* (Re)build the field index of a wide record, sized for its field
 * array.  Without memory the record just stays unindexed. */
static void index_build(weir_record *r)
{
    uint32_t nslots = index_size(r->cap);
    uint32_t *index = weir_arena_alloc(&r->batch->arena,
                                       nslots * sizeof(*index));
    r->index = index;
    if (!index)
        return;
    memset(index, 0, nslots * sizeof(*index));
    r->index_mask = nslots - 1;
    for (uint32_t i = 0; i < r->nfields; i++)
        index_put(r, i);
}

static uint64_t name_bit(const char *interned)
{
    return UINT64_C(1) << ptr_slot(interned, 63);
}

/* The field named by the interned pointer `interned`, or NULL. */
static weir_field *find_interned(weir_record *r, const char *interned)
{
    if (!(r->names_had & name_bit(interned)))
        return NULL;
    if (!r->index && r->nfields > INDEX_MIN_FIELDS)
        index_build(r);
    if (r->index) {
        for (uint32_t s = ptr_slot(interned, r->index_mask); r->index[s];
             s = (s + 1) & r->index_mask) {
            weir_field *f = &r->fields[r->index[s] - 1];
            if (f->name == interned)
                return f;
        }
        return NULL;
    }
    for (uint32_t i = 0; i < r->nfields; i++)
        if (r->fields[i].name == interned)
            return &r->fields[i];
    return NULL;
}

/* Every field name of a record is interned, so a pointer finds it; only
 * names past NAMES_MAX need string compares. */
static weir_field *find(const weir_record *cr, const char *name)
{
    /* The index is a cache: building it does not change the record. */
    weir_record *r = (weir_record *)cr;
    weir_batch *b = r->batch;
    const char *interned = intern(b, name, 0);
    if (interned) {
        weir_field *f = find_interned(r, interned);
        if (f)
            return f;
    }
    if (b->overflow)
        for (uint32_t i = 0; i < r->nfields; i++)
            if (strcmp(r->fields[i].name, name) == 0)
                return &r->fields[i];
    return NULL;
}

const char *weir_record_get(const weir_record *r, const char *name,
                            size_t *len)
{
    const weir_field *f = find(r, name);
    if (len)
        *len = f ? f->len : 0;
    return f ? f->value : NULL;
}

int weir_record_has(const weir_record *r, const char *name)
{
    return find(r, name) != NULL;
}

const weir_field *weir_record_field(const weir_record *r, const char *name)
{
    return find(r, name);
}

int weir_record_set(weir_record *r, const char *name, const char *value,
                    size_t len)
{
    weir_batch *b = r->batch;
    const char *copy = NULL;
    if (value) {
        if (len == (size_t)-1)
            len = strlen(value);
        copy = weir_arena_strndup(&b->arena, value, len);
        if (!copy)
            return -1;
    } else {
        len = 0;
    }
    if (unshare(r))
        return -1;
    r->cols = NULL;
    /* Intern first: the field is then found by pointer alone. */
    const char *interned = intern(b, name, 1);
    if (!interned)
        return -1;
    weir_field *f = find_interned(r, interned);
    if (!f && b->overflow)
        f = find(r, name);
    if (!f) {
        if (r->nfields == r->cap) {
            /* The first array: as wide as the previous record, and a
             * few more for fields a transform adds. */
            uint32_t cap = r->cap ? r->cap * 2 : b->fields_hint + 8;
            weir_field *grown = weir_arena_alloc(&b->arena, cap * sizeof(*grown));
            if (!grown)
                return -1;
            if (r->nfields)
                memcpy(grown, r->fields, r->nfields * sizeof(*grown));
            r->fields = grown;
            r->cap = cap;
        }
        f = &r->fields[r->nfields++];
        f->name = interned;
        r->names_had |= name_bit(interned);
        if (r->index && r->index_mask + 1 < index_size(r->cap))
            index_build(r); /* the array grew: so does the index */
        else if (r->index)
            index_put(r, r->nfields - 1);
    }
    f->value = copy;
    f->len = len;
    if (!r->fixed_id)
        r->id[0] = '\0';
    return 0;
}

int weir_record_unset(weir_record *r, const char *name)
{
    weir_field *f = find(r, name);
    if (!f || unshare(r))
        return -1;
    r->cols = NULL;
    f = find(r, name); /* in the copy */
    size_t i = (size_t)(f - r->fields);
    memmove(f, f + 1, (r->nfields - i - 1) * sizeof(*f));
    r->nfields--;
    r->index = NULL; /* positions moved: rebuilt when next needed */
    if (!r->fixed_id)
        r->id[0] = '\0';
    return 0;
}

static int by_pointer(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t) * (const char *const *)a;
    uintptr_t y = (uintptr_t) * (const char *const *)b;
    return (x > y) - (x < y);
}

int weir_batch_columns(weir_batch *b, const char *const *names, size_t n)
{
    b->cols_live = 0;
    if (n == 0 || n > UINT32_MAX)
        return 0;
    const char **interned = malloc(n * sizeof(*interned));
    if (!interned)
        return -1;
    uint64_t had = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(interned[i] = intern(b, names[i], 1))) {
            free(interned);
            return -1;
        }
        had |= name_bit(interned[i]);
    }
    if (b->overflow) { /* arena copies: gone at the next clear */
        free(interned);
        return 0;
    }
    if (b->cols.n == n &&
        memcmp(b->cols.names, interned, n * sizeof(*interned)) == 0) {
        free(interned); /* the same columns: the same serial */
        b->cols_live = 1;
        return 1;
    }
    /* Interned names are equal exactly when their pointers are. */
    const char **sorted = malloc(n * sizeof(*sorted));
    if (!sorted) {
        free(interned);
        return -1;
    }
    memcpy(sorted, interned, n * sizeof(*sorted));
    qsort(sorted, n, sizeof(*sorted), by_pointer);
    int twice = 0;
    for (size_t i = 1; i < n; i++)
        twice |= sorted[i] == sorted[i - 1];
    free(sorted);
    if (twice) {
        free(interned);
        return 0;
    }
    free(b->cols.names);
    b->cols.names = interned;
    b->cols.n = (uint32_t)n;
    /* serials are unique in the process, not per batch: a batch's
     * columns move with its records (weir_batch_swap), and a cache keyed
     * on the serial must never take another batch's columns for its own */
    b->cols.serial = atomic_fetch_add(&columns_serial, 1) + 1;
    b->cols_names_had = had;
    b->cols_live = 1;
    return 1;
}

weir_record *weir_batch_add_row(weir_batch *b, const char *const *values,
                                const size_t *lens, long line)
{
    if (!b->cols_live || b->used == b->capacity)
        return NULL;
    uint32_t n = b->cols.n;
    size_t bytes = n * sizeof(weir_field);
    for (uint32_t i = 0; i < n; i++) {
        size_t len = lens[i] == (size_t)-1 && values[i] ? strlen(values[i])
                                                        : lens[i];
        if (values[i] && len >= SIZE_MAX - bytes - 1)
            return NULL;
        bytes += values[i] ? len + 1 : 0;
    }
    /* the field array and the values in one block */
    weir_field *fields = weir_arena_alloc(&b->arena, bytes);
    if (!fields)
        return NULL;
    char *p = (char *)(fields + n);
    for (uint32_t i = 0; i < n; i++) {
        weir_field *f = &fields[i];
        f->name = b->cols.names[i];
        f->value = NULL;
        f->len = 0;
        if (!values[i])
            continue;
        f->len = lens[i] == (size_t)-1 ? strlen(values[i]) : lens[i];
        memcpy(p, values[i], f->len);
        p[f->len] = '\0';
        f->value = p;
        p += f->len + 1;
    }
    weir_record *r = weir_batch_add(b);
    r->fields = fields;
    r->nfields = r->cap = n;
    r->names_had = b->cols_names_had;
    r->origin = line;
    r->cols = &b->cols;
    return r;
}

void weir_record_answer(weir_record *r, weir_result result,
                        const char *message, const char *assigned_id)
{
    weir_arena *a = &r->batch->arena;
    r->result = result;
    r->wait_key = NULL;
    const weir_secrets *secrets = r->batch->secrets;
    char masked[2048];
    if (message && weir_secrets_in(secrets, message)) {
        /* A target echoing a credential back must not put it on screen
         * or in the monitor. */
        weir_secrets_mask(secrets, message, masked, sizeof(masked));
        weir_utf8_trim(masked);
        message = masked;
    }
    /* A target's answer quoted in the text may be no UTF-8 (a Latin-1
     * page), or cut inside a character: the monitor's JSON would drop
     * the failure altogether. */
    char *m = message ? weir_arena_strndup(a, message, strlen(message)) : NULL;
    if (m != NULL)
        weir_utf8_sanitize(m);
    r->message = m;
    char *id = assigned_id ? weir_arena_strndup(a, assigned_id, strlen(assigned_id))
                           : NULL;
    if (id != NULL)
        weir_utf8_sanitize(id);
    r->assigned_id = id;
}

int weir_record_set_op(weir_record *r, weir_op op)
{
    if ((unsigned)op > WEIR_OP_DELETE)
        return -1;
    r->op = op;
    if (!r->fixed_id)
        r->id[0] = '\0';
    return 0;
}

int weir_record_set_provisional(weir_record *r, const char *wait_key)
{
    if (!r->saved_fields && !r->saved_n)
        return -1;
    if (!(r->prov_key = weir_arena_strndup(&r->batch->arena, wait_key,
                                           strlen(wait_key))))
        return -1;
    r->prov_fields = r->saved_fields;
    r->prov_n = r->saved_n;
    r->prov_op = r->saved_op;
    r->prov_stage = r->batch->ctx_stage;
    return 0;
}

int weir_record_provisional_view(const weir_record *r, weir_record *view)
{
    if (!r->prov_stage)
        return -1;
    *view = *r;
    view->fields = r->prov_fields;
    view->nfields = view->cap = r->prov_n;
    view->op = r->prov_op;
    view->index = NULL;
    view->cols = NULL; /* other fields than the row added */
    view->cow = 1; /* never written through */
    return 0;
}

int weir_record_set_link(weir_record *r, const char *link)
{
    r->link = weir_arena_strndup(&r->batch->arena, link, strlen(link));
    return r->link ? 0 : -1;
}

int weir_record_set_changes(weir_record *r, const char *json)
{
    r->changes = json ? weir_arena_strndup(&r->batch->arena, json,
                                           strlen(json))
                      : NULL;
    return json && !r->changes ? -1 : 0;
}

int weir_record_set_sent_values(weir_record *r, const void *blob, size_t len)
{
    void *copy = blob ? weir_arena_alloc(&r->batch->arena, len ? len : 1)
                      : NULL;
    if (blob && !copy)
        return -1;
    if (len)
        memcpy(copy, blob, len);
    r->sent_values = copy;
    r->sent_values_len = blob ? len : 0;
    return 0;
}

void weir_record_hold(weir_record *r, const char *wait_key,
                      const char *message)
{
    weir_record_answer(r, WEIR_RESULT_HOLD, message, NULL);
    r->wait_key = wait_key ? weir_arena_strndup(&r->batch->arena, wait_key,
                                                strlen(wait_key))
                           : NULL;
}

int weir_record_set_key(weir_record *r, const char *key)
{
    r->key = key ? weir_arena_strndup(&r->batch->arena, key, strlen(key)) : NULL;
    if (!r->fixed_id)
        r->id[0] = '\0';
    return key && !r->key ? -1 : 0;
}

/* ---- ids ---------------------------------------------------------------
 * XXH3-128 over a canonical, length-prefixed encoding: pipeline, stage,
 * key, operation, the key's change number from the snapshot (so A -> B
 * -> A -> B gives every change its own id, while a re-run after a crash,
 * which finds the same snapshot, gives the same one), without <track> the
 * record's place in the source, and the fields sorted by name (so a
 * transform that reorders fields changes nothing). */

static void put_str(XXH3_state_t *x, const char *s, size_t len)
{
    uint64_t n = s ? (uint64_t)len : UINT64_MAX; /* NULL differs from "" */
    XXH3_128bits_update(x, &n, sizeof(n));
    if (s && len)
        XXH3_128bits_update(x, s, len);
}

static int by_name(const void *a, const void *b)
{
    return strcmp((*(const weir_field *const *)a)->name,
                  (*(const weir_field *const *)b)->name);
}

const char *weir_record_id(weir_record *r)
{
    if (r->id[0])
        return r->id;
    const weir_batch *b = r->batch;
    XXH3_state_t *x = XXH3_createState();
    const weir_field *stack[64];
    const weir_field **sorted = r->nfields <= 64
                                    ? stack
                                    : malloc(r->nfields * sizeof(*sorted));
    if (!x || !sorted) {
        /* Out of memory: an empty id tells sinks there is none. */
        XXH3_freeState(x);
        return "";
    }
    XXH3_128bits_reset(x);
    const char *p = b->ctx_pipeline ? b->ctx_pipeline : "";
    const char *s = b->ctx_stage ? b->ctx_stage : "";
    put_str(x, p, strlen(p));
    put_str(x, s, strlen(s));
    put_str(x, r->key, r->key ? strlen(r->key) : 0);
    /* Without <track> there is no key and no change number: the position
     * in the source tells two equal rows (two equal payments) apart. */
    uint64_t fixed[3] = {(uint64_t)r->op, r->version,
                         r->key ? 0 : (uint64_t)r->origin};
    XXH3_128bits_update(x, fixed, sizeof(fixed));
    for (uint32_t i = 0; i < r->nfields; i++)
        sorted[i] = &r->fields[i];
    qsort(sorted, r->nfields, sizeof(*sorted), by_name);
    for (uint32_t i = 0; i < r->nfields; i++) {
        put_str(x, sorted[i]->name, strlen(sorted[i]->name));
        put_str(x, sorted[i]->value, sorted[i]->len);
    }
    XXH128_hash_t h = XXH3_128bits_digest(x);
    XXH3_freeState(x);
    if (sorted != stack)
        free(sorted);
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        r->id[i] = hex[(h.high64 >> (60 - 4 * i)) & 15];
        r->id[16 + i] = hex[(h.low64 >> (60 - 4 * i)) & 15];
    }
    r->id[32] = '\0';
    return r->id;
}

void weir_record_fix_id(weir_record *r, const char *id)
{
    snprintf(r->id, sizeof(r->id), "%s", id);
    r->fixed_id = 1;
}
