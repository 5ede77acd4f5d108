/*
 * floor - the lower bound for an incremental run: how fast can plain C tell
 * which rows of the next export were inserted, changed or deleted?
 *
 *   cc -O2 -o floor floor.c -lxxhash
 *   floor OLD.csv NEW.csv
 *
 * Reads each file in 4 MiB blocks, splits it into CSV records (a newline
 * inside quotes does not end one), skips the header, and hashes per record
 * the first field's raw bytes (the key) and the whole record (XXH3, 64
 * bits).  The old file's hashes go into an open-addressing table; each new
 * record probes it.  Prints "inserted N changed N deleted N unchanged N".
 * Keys are compared by their 64-bit hash only (for 10^6 keys a collision
 * has a probability of about 3e-8).  No parsing of fields, no output of
 * the changed rows: a floor, not a tool.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

typedef struct slot { uint64_t key, line; uint8_t seen; } slot;
typedef struct table { slot *s; uint64_t mask; size_t n; } table;
typedef void (*row_fn)(table *t, uint64_t key, uint64_t line, size_t *counts);
typedef struct pending { uint64_t key, line; } pending;

enum { INSERTED, CHANGED, DELETED, UNCHANGED, ROWS };

static void die(const char *what, const char *path)
{
    fprintf(stderr, "floor: %s: %s\n", path, what ? what : strerror(errno));
    exit(1);
}

static slot *find(table *t, uint64_t key)
{
    for (uint64_t i = key & t->mask;; i = (i + 1) & t->mask)
        if (t->s[i].key == key || t->s[i].key == 0)
            return &t->s[i];
}

static void add_old(table *t, uint64_t key, uint64_t line, size_t *c)
{
    if (2 * (t->n + 1) > t->mask + 1) { /* keep the load under 1/2 */
        table g = { calloc(2 * (t->mask + 1), sizeof(slot)), 2 * t->mask + 1, 0 };
        if (!g.s) die("out of memory", "table");
        for (uint64_t i = 0; i <= t->mask; i++)
            if (t->s[i].key) { *find(&g, t->s[i].key) = t->s[i]; g.n++; }
        free(t->s);
        *t = g;
    }
    slot *s = find(t, key);
    if (!s->key) t->n++;
    s->key = key, s->line = line, s->seen = 0;
    c[ROWS]++;
}

static void probe_new(table *t, uint64_t key, uint64_t line, size_t *c)
{
    slot *s = find(t, key);
    c[ROWS]++;
    if (!s->key) { c[INSERTED]++; return; }
    s->seen = 1;
    c[s->line == line ? UNCHANGED : CHANGED]++;
}

/* one CSV record starting at p, ending before its newline at *end (or at
 * lim): the record's length; *key_len the first field's */
static size_t record(const char *p, const char *lim, size_t *key_len)
{
    const char *q = p, *nl;
    int quoted = 0; /* odd number of quotes so far */
    for (;;) {
        nl = memchr(q, '\n', (size_t)(lim - q));
        if (!nl) nl = lim;
        for (const char *d = q; (d = memchr(d, '"', (size_t)(nl - d))); d++)
            quoted = !quoted;
        if (!quoted || nl == lim) break;
        q = nl + 1;
    }
    const char *k = p;
    if (*k == '"') { /* quoted key: up to the closing quote */
        for (k++; k < nl && !(k[0] == '"' && (k + 1 == nl || k[1] != '"')); k++)
            if (k[0] == '"') k++;
        k++;
    }
    k = memchr(k, ',', (size_t)(nl - k));
    *key_len = (size_t)((k ? k : nl) - p);
    return (size_t)(nl - p);
}

/* hand a block's rows to fn, prefetching the slot a few rows ahead:
 * the table is far larger than the cache, so its misses dominate */
static void drain(table *t, row_fn fn, size_t *c, const pending *q, size_t n)
{
    enum { AHEAD = 16 };
    for (size_t i = 0; i < n; i++) {
        if (i + AHEAD < n)
            __builtin_prefetch(&t->s[q[i + AHEAD].key & t->mask]);
        fn(t, q[i].key, q[i].line, c);
    }
}

static void scan(const char *path, table *t, row_fn fn, size_t *c)
{
    enum { BLOCK = 4 << 20 };
    static pending q[BLOCK / 64]; /* rows waiting for drain() */
    size_t cap = BLOCK, have = 0, nq = 0;
    char *buf = malloc(cap);
    int fd = open(path, O_RDONLY), header = 1, eof = 0;
    if (fd < 0) die(NULL, path);
    if (!buf) die("out of memory", path);
    while (!eof) {
        if (cap - have < BLOCK / 2) { /* a record longer than the block */
            char *nb = realloc(buf, cap *= 2);
            if (!nb) die("out of memory", path);
            buf = nb;
        }
        ssize_t got = read(fd, buf + have, cap - have);
        if (got < 0) die(NULL, path);
        eof = got == 0;
        have += (size_t)got;
        const char *p = buf, *lim = buf + have;
        for (;;) {
            size_t klen, len = record(p, lim, &klen);
            if (p + len == lim && !eof) break; /* incomplete: read more */
            if (len == 0 && p == lim) break;
            if (len > 0 && p[len - 1] == '\r') len--;
            if (header) header = 0;
            else if (len > 0) {
                uint64_t key = XXH3_64bits(p, klen);
                q[nq].key = key ? key : 1, q[nq].line = XXH3_64bits(p, len);
                if (++nq == sizeof(q) / sizeof(q[0]))
                    drain(t, fn, c, q, nq), nq = 0;
            }
            p += len + (p + len < lim && p[len] == '\r') + 1;
            if (p >= lim) { p = lim; break; }
        }
        drain(t, fn, c, q, nq), nq = 0;
        have = (size_t)(lim - p);
        memmove(buf, p, have);
    }
    close(fd);
    free(buf);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fputs("usage: floor OLD.csv NEW.csv\n", stderr);
        return 2;
    }
    table t = { calloc(1u << 16, sizeof(slot)), (1u << 16) - 1, 0 };
    size_t old[5] = { 0 }, c[5] = { 0 };
    if (!t.s) die("out of memory", "table");
    scan(argv[1], &t, add_old, old);
    scan(argv[2], &t, probe_new, c);
    for (uint64_t i = 0; i <= t.mask; i++)
        c[DELETED] += t.s[i].key && !t.s[i].seen;
    printf("old %zu new %zu inserted %zu changed %zu deleted %zu unchanged %zu\n",
           old[ROWS], c[ROWS], c[INSERTED], c[CHANGED], c[DELETED], c[UNCHANGED]);
    free(t.s);
    return 0;
}
