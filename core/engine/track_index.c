#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xxhash.h>

#include "engine/track_index.h"

/* Open addressing, at most 70% full, sized to that exactly: a key's home
 * slot is its hash scaled to the table (multiply-shift), not masked, so
 * the table needs no power-of-two size.  Scaling keeps the table in the
 * order of k1 (linear probing moves a key only a few slots on), so a
 * resize reads the old table and writes the new one front to back.
 *
 * A slot's hot half (what a lookup reads: the key's 128-bit hash, the
 * tracked-values hash, the change number, flags) is 32 bytes, so a hit
 * costs one cache line; the cold half (8 bytes: where the key text is,
 * the first line) is read only for deletes and duplicates.  Key text
 * lives in one buffer, each key length-prefixed and NUL-terminated, no
 * padding.  Keys are compared by their 128-bit hash: two distinct keys of
 * one pipeline colliding is about as likely as a disk returning a wrong
 * sector unnoticed. */
typedef struct slot {
    uint64_t k1, k2;  /* XXH3-128 of the key; k1 picks the slot */
    uint64_t hash;    /* hash of the tracked values */
    uint32_t version; /* the key's change number in the snapshot */
    uint8_t used;     /* USED, and ROW for a key that has a snapshot row */
    uint8_t in_snapshot, seen;
    uint8_t in_doubt; /* 0, or 1 + the operation the value was sent with */
} slot;

#define USED 1
#define ROW 2

typedef struct cold {
    uint32_t key;  /* offset of the key's length prefix in `text` */
    uint32_t line; /* origin of the first record this run */
} cold;

/* Key text is addressed by 32-bit offsets: 4 GiB of it at most. */
#define TEXT_MAX UINT32_MAX

struct weir_track_index {
    slot *slots;
    cold *colds;
    char *text;      /* the keys */
    size_t tlen, tcap;
    size_t nslots;
    size_t count;    /* used slots */
    size_t unseen;   /* snapshot keys not seen yet */
    size_t redo;     /* deletes in doubt not seen yet */
};

weir_track_index *weir_track_index_new(void)
{
    return calloc(1, sizeof(weir_track_index));
}

void weir_track_index_free(weir_track_index *t)
{
    if (!t)
        return;
    free(t->slots);
    free(t->colds);
    free(t->text);
    free(t);
}

/* k1 scaled to [0, n): the high half of the 128-bit product. */
static size_t home(uint64_t k1, size_t n)
{
    __extension__ typedef unsigned __int128 u128;
    return (size_t)(((u128)k1 * n) >> 64);
}

static size_t probe(const slot *slots, size_t n, uint64_t k1, uint64_t k2)
{
    size_t s = home(k1, n);
    while (slots[s].used && !(slots[s].k1 == k1 && slots[s].k2 == k2))
        if (++s == n)
            s = 0;
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
        size_t s = probe(slots, n, t->slots[i].k1, t->slots[i].k2);
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

/* Slots for `n` keys at most 70% full. */
static size_t slots_for(size_t n)
{
    size_t want = (n * 10 + 6) / 7;
    return want < 64 ? 64 : want;
}

int weir_track_index_reserve(weir_track_index *t, size_t n)
{
    size_t want = slots_for(n);
    return want > t->nslots ? resize(t, want) : 0;
}

weir_key_hash weir_track_index_hash(const weir_track_index *t,
                                    const char *key, size_t len)
{
    XXH128_hash_t x = XXH3_128bits(key, len);
    if (t->nslots) {
        /* the look-up writes both halves of the slot (seen, first line) */
        size_t s = home(x.low64, t->nslots);
        __builtin_prefetch(&t->slots[s], 1);
        __builtin_prefetch(&t->colds[s], 1);
    }
    return (weir_key_hash){x.low64, x.high64};
}

/* Append `key` to the text: its offset, or -1 out of memory. */
static long long add_text(weir_track_index *t, const char *key, size_t len)
{
    size_t need = t->tlen + 5 + len + 1; /* varint length, text, NUL */
    if (need > TEXT_MAX || len > TEXT_MAX)
        return -1;
    if (need > t->tcap) {
        size_t cap = t->tcap ? t->tcap * 2 : 4096;
        while (cap < need)
            cap *= 2;
        char *g = realloc(t->text, cap);
        if (!g)
            return -1;
        t->text = g;
        t->tcap = cap;
    }
    size_t at = t->tlen, p = at;
    size_t v = len;
    do {
        unsigned char b = v & 0x7f;
        v >>= 7;
        t->text[p++] = (char)(b | (v ? 0x80 : 0));
    } while (v);
    memcpy(t->text + p, key, len);
    t->text[p + len] = '\0';
    t->tlen = p + len + 1;
    return (long long)at;
}

/* The key at text offset `at`: its text, and its length in *len. */
static const char *key_at(const weir_track_index *t, uint32_t at, size_t *len)
{
    const unsigned char *p = (const unsigned char *)t->text + at;
    size_t v = 0;
    int shift = 0;
    do
        v |= (size_t)(*p & 0x7f) << shift, shift += 7;
    while (*p++ & 0x80);
    *len = v;
    return (const char *)p;
}

/* The slot of `key` (hash h), added (with its text) when absent; -1 out
 * of memory or, without `add`, absent. */
static long find_hashed(weir_track_index *t, const char *key, size_t len,
                        weir_key_hash h, int add)
{
    /* full: twice the room (a first load, or more new keys than the
     * snapshot's size left room for) */
    if (add && (t->count + 1) * 10 > t->nslots * 7 &&
        resize(t, slots_for((t->count + 1) * 2)))
        return -1;
    if (!t->nslots)
        return -1;
    size_t s = probe(t->slots, t->nslots, h.k1, h.k2);
    slot *e = &t->slots[s];
    if (!e->used) {
        if (!add)
            return -1;
        long long at = add_text(t, key, len);
        if (at < 0)
            return -1;
        memset(e, 0, sizeof(*e));
        e->k1 = h.k1;
        e->k2 = h.k2;
        e->used = USED;
        t->colds[s] = (cold){(uint32_t)at, 0};
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
    e->used |= ROW;
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

size_t weir_track_index_bytes(const weir_track_index *t)
{
    return t->nslots * (sizeof(slot) + sizeof(cold)) + t->tcap;
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
            *key = key_at(t, t->colds[i].key, len);
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
    /* delivery asks each record's key of sets that are mostly empty */
    return t->count && find((weir_track_index *)t, key, len, 0) >= 0;
}

int64_t weir_track_index_id(const weir_track_index *t, const char *key,
                            size_t len, weir_key_hash h)
{
    long s = find_hashed((weir_track_index *)t, key, len, h, 0);
    return s < 0 ? -1 : (int64_t)t->colds[s].key;
}

const char *weir_track_index_key(const weir_track_index *t, uint32_t id,
                                 size_t *len)
{
    return key_at(t, id, len);
}

int weir_track_index_set_row(weir_track_index *t, weir_key_hash h,
                             uint64_t hash, uint32_t version)
{
    long s = find_hashed(t, NULL, 0, h, 0);
    if (s < 0)
        return -1;
    slot *e = &t->slots[s];
    e->used |= ROW;
    e->hash = hash;
    e->version = version;
    e->in_doubt = 0;
    return 0;
}

/* ---- the image -------------------------------------------------------- */

/* A file of the snapshot rows in table order: header, records, trailer.
 *   "WEIRIDX\n", u32 IMAGE_FORMAT, u32 name length, the pipeline's name,
 *   i64 generation, u64 records
 *   per record: u64 hash, u32 version, u8 doubt, varint key length, key
 *   u64 XXH3-64 of all that
 * Native byte order: a cache for this machine (another order reads as
 * another format).  Table order is the order of the keys' hashes, so
 * loading it fills the next table front to back. */
#define IMAGE_MAGIC "WEIRIDX\n"
#define IMAGE_FORMAT 1u
#define IMAGE_BUF (1u << 20)

/* Bytes go through `buf`, hashed and written a buffer at a time. */
typedef struct writer {
    int fd, failed;
    unsigned char *buf;
    size_t len;
    XXH3_state_t *x;
} writer;

static void flush(writer *w)
{
    XXH3_64bits_update(w->x, w->buf, w->len);
    for (size_t off = 0; off < w->len && !w->failed;) {
        ssize_t n = write(w->fd, w->buf + off, w->len - off);
        if (n < 0)
            w->failed = 1;
        else
            off += (size_t)n;
    }
    w->len = 0;
}

static void put(writer *w, const void *p, size_t n)
{
    while (n) {
        if (w->len == IMAGE_BUF)
            flush(w);
        size_t room = IMAGE_BUF - w->len, k = n < room ? n : room;
        memcpy(w->buf + w->len, p, k);
        w->len += k;
        p = (const char *)p + k;
        n -= k;
    }
}

/* The PATH.PID.tmp files a weir killed while it saved the image left
 * beside it: removed, when that process is gone.  (Names are matched
 * exactly: PATH, a dot, digits, ".tmp".) */
static void remove_leftovers(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t blen = strlen(base);
    char *dir = !slash         ? strdup(".")
                : slash == path ? strdup("/")
                                : strndup(path, (size_t)(slash - path));
    DIR *d = dir ? opendir(dir) : NULL;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        const char *n = e->d_name;
        if (strncmp(n, base, blen) != 0 || n[blen] != '.')
            continue;
        const char *p = n + blen + 1;
        char *end;
        errno = 0;
        long pid = strtol(p, &end, 10);
        if (*p < '0' || *p > '9' || strcmp(end, ".tmp") != 0 || errno ||
            pid <= 0 || pid > INT_MAX || pid == (long)getpid() ||
            kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue; /* not such a file, or its process is alive */
        size_t len = strlen(dir) + strlen(n) + 2;
        char *left = malloc(len);
        if (left) {
            snprintf(left, len, "%s/%s", dir, n);
            unlink(left);
            free(left);
        }
    }
    if (d)
        closedir(d);
    free(dir);
}

int weir_track_index_save(const weir_track_index *t, const char *path,
                          const char *pipeline, int64_t gen)
{
    size_t plen = strlen(path) + 32;
    char *tmp = malloc(plen);
    if (!tmp)
        return -1;
    remove_leftovers(path);
    snprintf(tmp, plen, "%s.%ld.tmp", path, (long)getpid());
    /* the keys are the state's: as private as the state (0600) */
    writer w = {open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                     0600),
                0, malloc(IMAGE_BUF), 0, XXH3_createState()};
    if (w.fd < 0 || !w.buf || !w.x) {
        if (w.fd >= 0) {
            close(w.fd);
            unlink(tmp);
        }
        free(w.buf);
        XXH3_freeState(w.x);
        free(tmp);
        return -1;
    }
    XXH3_64bits_reset(w.x);
    uint64_t rows = 0;
    for (size_t i = 0; i < t->nslots; i++)
        rows += (t->slots[i].used & ROW) != 0;
    uint32_t format = IMAGE_FORMAT, nlen = (uint32_t)strlen(pipeline);
    put(&w, IMAGE_MAGIC, 8);
    put(&w, &format, 4);
    put(&w, &nlen, 4);
    put(&w, pipeline, nlen);
    put(&w, &gen, 8);
    put(&w, &rows, 8);
    for (size_t i = 0; i < t->nslots; i++) {
        const slot *e = &t->slots[i];
        if (!(e->used & ROW))
            continue;
        unsigned char rec[13];
        memcpy(rec, &e->hash, 8);
        memcpy(rec + 8, &e->version, 4);
        rec[12] = e->in_doubt;
        put(&w, rec, 13);
        /* the key as the text holds it: length, bytes, NUL */
        size_t len;
        const char *k = t->text + t->colds[i].key;
        const char *key = key_at(t, t->colds[i].key, &len);
        put(&w, k, (size_t)(key - k) + len + 1);
    }
    flush(&w);
    uint64_t sum = XXH3_64bits_digest(w.x);
    put(&w, &sum, 8);
    w.failed |= write(w.fd, w.buf, w.len) != (ssize_t)w.len;
    int rc = close(w.fd) | w.failed ? -1 : 0;
    free(w.buf);
    XXH3_freeState(w.x);
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -1;
    if (rc)
        unlink(tmp);
    free(tmp);
    return rc;
}

/* Bytes come through `buf`; those taken are hashed a buffer at a time
 * (hash_taken), up to the trailer. */
typedef struct reader {
    int fd;
    unsigned char *buf;
    size_t cap, pos, end, hashed;
    XXH3_state_t *x;
} reader;

static void hash_taken(reader *r)
{
    XXH3_64bits_update(r->x, r->buf + r->hashed, r->pos - r->hashed);
    r->hashed = r->pos;
}

/* The next `n` bytes, or NULL at the end. */
static const unsigned char *take(reader *r, size_t n)
{
    if (r->end - r->pos < n) {
        hash_taken(r);
        memmove(r->buf, r->buf + r->pos, r->end - r->pos);
        r->end -= r->pos;
        r->pos = r->hashed = 0;
        if (n > r->cap) {
            unsigned char *g = realloc(r->buf, n);
            if (!g)
                return NULL;
            r->buf = g;
            r->cap = n;
        }
        while (r->end < n) {
            ssize_t got = read(r->fd, r->buf + r->end, r->cap - r->end);
            if (got <= 0)
                return NULL;
            r->end += (size_t)got;
        }
    }
    const unsigned char *p = r->buf + r->pos;
    r->pos += n;
    return p;
}

/* Read the records into `t` (empty); 0, 1 unusable. */
static int restore(weir_track_index *t, reader *r, const char *pipeline,
                   int64_t gen)
{
    const unsigned char *p = take(r, 16);
    uint32_t format, nlen;
    if (!p || memcmp(p, IMAGE_MAGIC, 8) != 0)
        return 1;
    memcpy(&format, p + 8, 4);
    memcpy(&nlen, p + 12, 4);
    if (format != IMAGE_FORMAT || nlen != strlen(pipeline) ||
        !(p = take(r, nlen)) || memcmp(p, pipeline, nlen) != 0 ||
        !(p = take(r, 16)))
        return 1;
    int64_t g;
    uint64_t rows;
    memcpy(&g, p, 8);
    memcpy(&rows, p + 8, 8);
    if (g != gen || rows > SIZE_MAX / 64 ||
        weir_track_index_reserve(t, (size_t)(rows + rows / 8)))
        return 1;
    for (uint64_t i = 0; i < rows; i++) {
        uint64_t hash;
        uint32_t version;
        if (!(p = take(r, 13)))
            return 1;
        memcpy(&hash, p, 8);
        memcpy(&version, p + 8, 4);
        int doubt = p[12];
        size_t len = 0;
        int shift = 0;
        do {
            if (shift > 28 || !(p = take(r, 1)))
                return 1;
            len |= (size_t)(*p & 0x7f) << shift;
            shift += 7;
        } while (*p & 0x80);
        if (!(p = take(r, len + 1)) || p[len] != '\0')
            return 1;
        const char *key = (const char *)p;
        if (weir_track_index_load_hashed(t, key, len,
                                         weir_track_index_hash(t, key, len),
                                         hash, version, doubt))
            return 1;
    }
    hash_taken(r);
    uint64_t sum = XXH3_64bits_digest(r->x);
    if (!(p = take(r, 8)) || memcmp(p, &sum, 8) != 0)
        return 1;
    return take(r, 1) ? 1 : 0; /* nothing after the trailer */
}

int weir_track_index_restore(weir_track_index *t, const char *path,
                             const char *pipeline, int64_t gen)
{
    reader r = {open(path, O_RDONLY | O_CLOEXEC), malloc(IMAGE_BUF),
                IMAGE_BUF, 0, 0, 0, XXH3_createState()};
    int rc = 1;
    if (r.fd >= 0 && r.buf && r.x) {
        XXH3_64bits_reset(r.x);
        rc = restore(t, &r, pipeline, gen);
    }
    if (r.fd >= 0)
        close(r.fd);
    free(r.buf);
    XXH3_freeState(r.x);
    return rc;
}
