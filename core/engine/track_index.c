#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "base/arena.h"
#include "engine/track_index.h"

/* Open addressing, at most 70% full.  A slot's hot half (what a lookup
 * reads: the key's 128-bit hash, the tracked-values hash, the change
 * number, flags) is 32 bytes, so a hit costs one cache line; the key text
 * and first line live in a parallel cold array, read only for deletes
 * and duplicates.  Keys are compared by their 128-bit hash: two distinct
 * keys of one pipeline colliding is about as likely as a disk returning
 * a wrong sector unnoticed. */
typedef struct slot {
    uint64_t k1, k2;  /* XXH3-128 of the key; k1 picks the slot */
    uint64_t hash;    /* hash of the tracked values */
    uint32_t version; /* the key's change number in the snapshot */
    uint8_t used, in_snapshot, seen;
    uint8_t in_doubt; /* 0, or 1 + the operation the value was sent with */
} slot;

typedef struct cold {
    const char *key; /* in the arena */
    uint32_t klen;
    uint32_t line;   /* origin of the first record this run */
} cold;

struct weir_track_index {
    weir_arena keys;
    slot *slots;
    cold *colds;
    size_t nslots;   /* power of two */
    size_t count;    /* used slots */
    size_t unseen;   /* snapshot keys not seen yet */
    size_t redo;     /* deletes in doubt not seen yet */
};

weir_track_index *weir_track_index_new(void)
{
    weir_track_index *t = calloc(1, sizeof(*t));
    if (t)
        weir_arena_init(&t->keys);
    return t;
}

void weir_track_index_free(weir_track_index *t)
{
    if (!t)
        return;
    weir_arena_free(&t->keys);
    free(t->slots);
    free(t->colds);
    free(t);
}

static size_t probe(const slot *slots, size_t mask, uint64_t k1, uint64_t k2)
{
    size_t s = k1 & mask;
    while (slots[s].used && !(slots[s].k1 == k1 && slots[s].k2 == k2))
        s = (s + 1) & mask;
    return s;
}

static int resize(weir_track_index *t, size_t n)
{
    slot *slots = calloc(n, sizeof(*slots));
    cold *colds = calloc(n, sizeof(*colds));
    if (!slots || !colds) {
        free(slots);
        free(colds);
        return -1;
    }
    for (size_t i = 0; i < t->nslots; i++) {
        if (!t->slots[i].used)
            continue;
        size_t s = probe(slots, n - 1, t->slots[i].k1, t->slots[i].k2);
        slots[s] = t->slots[i];
        colds[s] = t->colds[i];
    }
    free(t->slots);
    free(t->colds);
    t->slots = slots;
    t->colds = colds;
    t->nslots = n;
    return 0;
}

static int grow(weir_track_index *t)
{
    return resize(t, t->nslots ? t->nslots * 2 : 1024);
}

int weir_track_index_reserve(weir_track_index *t, size_t n)
{
    size_t want = 1024;
    while (want * 7 < n * 10 + 10) /* at most 70% full */
        want *= 2;
    return want > t->nslots ? resize(t, want) : 0;
}

weir_key_hash weir_track_index_hash(const weir_track_index *t,
                                    const char *key, size_t len)
{
    XXH128_hash_t x = XXH3_128bits(key, len);
    if (t->nslots) {
        size_t s = x.low64 & (t->nslots - 1);
        __builtin_prefetch(&t->slots[s], 1);
    }
    return (weir_key_hash){x.low64, x.high64};
}

/* The slot of `key` (hash h), added (with its text) when absent; -1 out
 * of memory or, without `add`, absent. */
static long find_hashed(weir_track_index *t, const char *key, size_t len,
                        weir_key_hash hk, int add)
{
    if (add && (t->count + 1) * 10 > t->nslots * 7 && grow(t))
        return -1;
    if (!t->nslots)
        return -1;
    struct { uint64_t low64, high64; } h = {hk.k1, hk.k2};
    size_t s = probe(t->slots, t->nslots - 1, h.low64, h.high64);
    slot *e = &t->slots[s];
    if (!e->used) {
        if (!add)
            return -1;
        char *copy = weir_arena_strndup(&t->keys, key, len);
        if (!copy)
            return -1;
        memset(e, 0, sizeof(*e));
        e->k1 = h.low64;
        e->k2 = h.high64;
        e->used = 1;
        t->colds[s] = (cold){copy, (uint32_t)len, 0};
        t->count++;
    }
    return (long)s;
}

static long find(weir_track_index *t, const char *key, size_t len, int add)
{
    XXH128_hash_t x = XXH3_128bits(key, len);
    return find_hashed(t, key, len, (weir_key_hash){x.low64, x.high64}, add);
}

int weir_track_index_load(weir_track_index *t, const char *key, size_t len,
                          uint64_t hash, uint32_t version)
{
    return weir_track_index_load_hashed(t, key, len,
                                        weir_track_index_hash(t, key, len),
                                        hash, version, 0);
}

int weir_track_index_load_hashed(weir_track_index *t, const char *key,
                                 size_t len, weir_key_hash h, uint64_t hash,
                                 uint32_t version, int doubt)
{
    long s = find_hashed(t, key, len, h, 1);
    if (s < 0)
        return -1;
    slot *e = &t->slots[s];
    e->version = version;
    if (e->in_doubt && !e->in_snapshot)
        t->redo--;
    e->in_doubt = (uint8_t)(doubt > 0 && doubt < 256 ? doubt : 0);
    if (hash == 0) { /* a deleted key: only its change number matters */
        if (e->in_snapshot)
            t->unseen--;
        e->in_snapshot = 0;
        t->redo += e->in_doubt != 0;
        return 0;
    }
    if (!e->in_snapshot)
        t->unseen++;
    e->in_snapshot = 1;
    e->hash = hash;
    return 0;
}

int weir_track_index_see(weir_track_index *t, const char *key, size_t len,
                         uint64_t hash, long line, weir_track_verdict *verdict,
                         long *first_line, uint32_t *version)
{
    return weir_track_index_see_hashed(t, key, len,
                                       weir_track_index_hash(t, key, len), hash,
                                       line, verdict, first_line, version,
                                       NULL);
}

int weir_track_index_see_hashed(weir_track_index *t, const char *key,
                                size_t len, weir_key_hash h, uint64_t hash,
                                long line, weir_track_verdict *verdict,
                                long *first_line, uint32_t *version,
                                int *doubt)
{
    size_t before = t->count;
    long s = find_hashed(t, key, len, h, 1);
    if (s < 0)
        return -1;
    slot *e = &t->slots[s];
    if (e->seen) {
        *verdict = WEIR_TRACK_DUPLICATE;
        if (first_line)
            *first_line = t->colds[s].line;
        return 0;
    }
    if (t->count != before || !e->in_snapshot) {
        *verdict = WEIR_TRACK_NEW;
        t->redo -= e->in_doubt != 0; /* a delete in doubt, back in the source */
    } else {
        *verdict = e->hash != hash ? WEIR_TRACK_CHANGED
                   : e->in_doubt   ? WEIR_TRACK_RESEND
                                   : WEIR_TRACK_SAME;
        t->unseen--;
    }
    *version = e->version;
    if (doubt)
        *doubt = e->in_doubt;
    e->seen = 1;
    t->colds[s].line = line > 0 && line < (long)UINT32_MAX ? (uint32_t)line : 0;
    return 0;
}

void weir_track_index_touch(weir_track_index *t, const char *key, size_t len)
{
    long s = find(t, key, len, 0);
    if (s < 0)
        return;
    slot *e = &t->slots[s];
    if (!e->seen) {
        t->unseen -= e->in_snapshot;
        t->redo -= e->in_doubt && !e->in_snapshot;
    }
    e->seen = 1;
}

size_t weir_track_index_loaded(const weir_track_index *t)
{
    size_t n = 0;
    for (size_t i = 0; i < t->nslots; i++)
        n += t->slots[i].in_snapshot;
    return n;
}

size_t weir_track_index_unseen(const weir_track_index *t) { return t->unseen; }

size_t weir_track_index_unseen_redo(const weir_track_index *t)
{
    return t->redo;
}

int weir_track_index_next_unseen(const weir_track_index *t, size_t *pos,
                                 const char **key, size_t *len,
                                 uint32_t *version, int *redo)
{
    for (size_t i = *pos; i < t->nslots; i++) {
        const slot *e = &t->slots[i];
        if ((e->in_snapshot || e->in_doubt) && !e->seen) {
            *key = t->colds[i].key;
            *len = t->colds[i].klen;
            *version = e->version;
            *redo = !e->in_snapshot;
            *pos = i + 1;
            return 1;
        }
    }
    *pos = t->nslots;
    return 0;
}

int weir_track_index_has(const weir_track_index *t, const char *key, size_t len)
{
    return find((weir_track_index *)t, key, len, 0) >= 0;
}
