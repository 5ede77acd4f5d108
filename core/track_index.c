#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "arena.h"
#include "track_index.h"

typedef struct entry {
    uint64_t khash;    /* hash of the key, for the table */
    uint64_t hash;     /* hash of the tracked values */
    const char *key;   /* in the arena */
    uint32_t klen;
    uint32_t line;     /* origin of the first record this run */
    uint32_t version;  /* the key's change number in the snapshot */
    uint8_t in_snapshot, seen;
} entry;

struct weir_track_index {
    weir_arena keys;
    entry *entries;
    size_t count, cap;
    uint32_t *slots; /* entry index + 1; 0 = empty */
    size_t nslots;   /* power of two */
    size_t unseen;   /* snapshot entries not seen yet */
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
    free(t->entries);
    free(t->slots);
    free(t);
}

static uint64_t key_hash(const char *key, size_t len)
{
    return XXH3_64bits(key, len);
}

static int grow_slots(weir_track_index *t)
{
    size_t n = t->nslots ? t->nslots * 2 : 1024;
    uint32_t *slots = calloc(n, sizeof(*slots));
    if (!slots)
        return -1;
    for (size_t i = 0; i < t->count; i++) {
        size_t s = t->entries[i].khash & (n - 1);
        while (slots[s])
            s = (s + 1) & (n - 1);
        slots[s] = (uint32_t)(i + 1);
    }
    free(t->slots);
    t->slots = slots;
    t->nslots = n;
    return 0;
}

/* The slot holding `key`, or the empty slot where it would go. */
static size_t find_slot(const weir_track_index *t, const char *key, size_t len,
                        uint64_t kh)
{
    size_t mask = t->nslots - 1, s = kh & mask;
    while (t->slots[s]) {
        const entry *e = &t->entries[t->slots[s] - 1];
        if (e->khash == kh && e->klen == len && memcmp(e->key, key, len) == 0)
            break;
        s = (s + 1) & mask;
    }
    return s;
}

static entry *add(weir_track_index *t, const char *key, size_t len,
                  uint64_t kh, size_t slot)
{
    if (t->count == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 1024;
        entry *g = realloc(t->entries, cap * sizeof(*g));
        if (!g)
            return NULL;
        t->entries = g;
        t->cap = cap;
    }
    char *copy = weir_arena_strndup(&t->keys, key, len);
    if (!copy)
        return NULL;
    entry *e = &t->entries[t->count];
    memset(e, 0, sizeof(*e));
    e->khash = kh;
    e->key = copy;
    e->klen = (uint32_t)len;
    t->slots[slot] = (uint32_t)(++t->count);
    return e;
}

/* Keep the table at most half full: probes stay short. */
static int reserve(weir_track_index *t)
{
    return (t->count + 1) * 2 > t->nslots ? grow_slots(t) : 0;
}

int weir_track_index_load(weir_track_index *t, const char *key, size_t len,
                          uint64_t hash, uint32_t version)
{
    if (reserve(t))
        return -1;
    uint64_t kh = key_hash(key, len);
    size_t s = find_slot(t, key, len, kh);
    entry *e = t->slots[s] ? &t->entries[t->slots[s] - 1]
                           : add(t, key, len, kh, s);
    if (!e)
        return -1;
    e->version = version;
    if (hash == 0) /* a deleted key: only its change number matters */
        return 0;
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
    if (reserve(t))
        return -1;
    uint64_t kh = key_hash(key, len);
    size_t s = find_slot(t, key, len, kh);
    entry *e;
    if (!t->slots[s]) {
        e = add(t, key, len, kh, s);
        if (!e)
            return -1;
        *verdict = WEIR_TRACK_NEW;
    } else {
        e = &t->entries[t->slots[s] - 1];
        if (e->seen) {
            *verdict = WEIR_TRACK_DUPLICATE;
            if (first_line)
                *first_line = e->line;
            return 0;
        }
        *verdict = !e->in_snapshot ? WEIR_TRACK_NEW
                   : e->hash == hash ? WEIR_TRACK_SAME
                                     : WEIR_TRACK_CHANGED;
        if (e->in_snapshot)
            t->unseen--;
    }
    *version = e->version;
    e->seen = 1;
    e->line = line > 0 && line < (long)UINT32_MAX ? (uint32_t)line : 0;
    return 0;
}

void weir_track_index_touch(weir_track_index *t, const char *key, size_t len)
{
    if (!t->nslots)
        return;
    size_t s = find_slot(t, key, len, key_hash(key, len));
    if (t->slots[s]) {
        entry *e = &t->entries[t->slots[s] - 1];
        if (e->in_snapshot && !e->seen)
            t->unseen--;
        e->seen = 1;
    }
}

size_t weir_track_index_loaded(const weir_track_index *t)
{
    size_t n = 0;
    for (size_t i = 0; i < t->count; i++)
        n += t->entries[i].in_snapshot;
    return n;
}

size_t weir_track_index_unseen(const weir_track_index *t) { return t->unseen; }

int weir_track_index_next_unseen(const weir_track_index *t, size_t *pos,
                                 const char **key, size_t *len,
                                 uint32_t *version)
{
    for (size_t i = *pos; i < t->count; i++) {
        const entry *e = &t->entries[i];
        if (e->in_snapshot && !e->seen) {
            *key = e->key;
            *len = e->klen;
            *version = e->version;
            *pos = i + 1;
            return 1;
        }
    }
    *pos = t->count;
    return 0;
}

int weir_track_index_has(const weir_track_index *t, const char *key, size_t len)
{
    return t->nslots && t->slots[find_slot(t, key, len, key_hash(key, len))];
}
