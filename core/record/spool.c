#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record/spool.h"

/* The file: records one after another, each its length (a varint) and
 *
 *   op, sent_for (a byte each), hash (8 bytes, host order),
 *   version, zigzag(origin) (varints), key, link (cstr),
 *   nfields (varint), then per field: name ref, value (bytes)
 *
 * A varint is 7 bits a byte, low first.  bytes: varint 0 for NULL, else
 * length + 1 and the bytes; cstr: the same, its bytes then followed by
 * a NUL, so the reader passes them on as C strings from its buffer.  A name ref is a
 * varint: id + 1 in the spool's name table (in memory, never written:
 * the same process reads the file back), or 0 and the name as a cstr
 * once the table holds NAMES_MAX names (a source making names up), which
 * bounds its memory.  Buffered in BUF_SIZE, written and read with
 * write(2) and read(2) in whole buffers.  The length before each record
 * lets the reader take a record whole from the buffer and check every
 * length inside it against its end: a short file is an error, never a
 * record made of garbage. */

#define BUF_SIZE (1u << 20)
#define NAMES_MAX 65536u
#define VARINT_MAX 10 /* bytes of a 64-bit varint */

typedef struct name_entry {
    char *name;
    uint32_t hash;
} name_entry;

struct weir_spool {
    int fd;
    int error;     /* errno of a failed write: the spool is lost */
    int reading;   /* rewound: no more puts */
    size_t count;  /* records put */
    uint64_t bytes; /* written to the file */
    size_t got;    /* records read since the rewind */
    unsigned char *buf;
    size_t cap;    /* BUF_SIZE, or the largest record read */
    size_t len;    /* bytes in buf: buffered (writing) or read */
    size_t pos;    /* reading: the next byte */
    name_entry *names; /* by id */
    uint32_t nnames, names_cap;
    uint32_t *slots;   /* id + 1 by name hash, open addressing, at */
    uint32_t slots_mask; /* most half full */
    uint32_t *refs;    /* put: the records' name refs; the last one's */
    uint32_t refs_cap; /* are each position's first guess */
    /* read: the names as the batch being filled interned them, by id
     * (NULL not yet); valid for one weir_spool_read() */
    const char **interned;
};

const char *weir_spool_dir(void)
{
    const char *dir = getenv("TMPDIR");
    return dir && *dir ? dir : P_tmpdir;
}

weir_spool *weir_spool_new(void)
{
    weir_spool *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->fd = -1;
    s->cap = BUF_SIZE;
    s->buf = malloc(s->cap);
    const char *dir = weir_spool_dir();
    size_t n = strlen(dir) + sizeof("/weir-spool.XXXXXX");
    char *path = malloc(n);
    if (path && s->buf) {
        snprintf(path, n, "%s/weir-spool.XXXXXX", dir);
        s->fd = mkostemp(path, O_CLOEXEC);
    }
    if (s->fd >= 0)
        unlink(path); /* nobody else opens it; it goes with the descriptor */
    int e = errno;
    free(path);
    if (s->fd < 0) {
        weir_spool_free(s);
        errno = e;
        return NULL;
    }
    return s;
}

void weir_spool_free(weir_spool *s)
{
    if (!s)
        return;
    if (s->fd >= 0)
        close(s->fd);
    for (uint32_t i = 0; i < s->nnames; i++)
        free(s->names[i].name);
    free(s->names);
    free(s->slots);
    free(s->refs);
    free(s->interned);
    free(s->buf);
    free(s);
}

size_t weir_spool_count(const weir_spool *s) { return s->count; }

/* ---- writing ---------------------------------------------------------- */

static int write_all(weir_spool *s, const unsigned char *p, size_t n)
{
    s->bytes += n;
    while (n) {
        ssize_t w = write(s->fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = EIO;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* -1 with errno set when the spool is lost. */
static int lost(weir_spool *s)
{
    if (!s->error)
        return 0;
    errno = s->error;
    return -1;
}

static int flush(weir_spool *s)
{
    if (s->len && write_all(s, s->buf, s->len))
        s->error = errno;
    s->len = 0;
    return lost(s);
}

static size_t varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static unsigned char *put_varint(unsigned char *w, uint64_t v)
{
    while (v >= 0x80) {
        *w++ = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    *w++ = (unsigned char)v;
    return w;
}

/* bytes (nul 0) and cstr (nul 1): see the top of the file */
static size_t str_size(const char *p, size_t n, int nul)
{
    return p ? varint_size((uint64_t)n + 1) + n + (size_t)nul : 1;
}

static unsigned char *put_str(unsigned char *w, const char *p, size_t n,
                              int nul)
{
    w = put_varint(w, p ? (uint64_t)n + 1 : 0);
    if (p) {
        memcpy(w, p, n + (size_t)nul);
        w += n + (size_t)nul;
    }
    return w;
}

static uint64_t zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

/* FNV-1a of a NUL-terminated name, and its length. */
static uint32_t name_hash(const char *name, size_t *len)
{
    uint32_t h = 2166136261u;
    const unsigned char *p = (const unsigned char *)name;
    for (; *p; p++)
        h = (h ^ *p) * 16777619u;
    *len = (size_t)(p - (const unsigned char *)name);
    return h;
}

static void slot_put(weir_spool *s, uint32_t id)
{
    uint32_t i = s->names[id].hash & s->slots_mask;
    while (s->slots[i])
        i = (i + 1) & s->slots_mask;
    s->slots[i] = id + 1;
}

/* Add a name to the table: its ref, or 0 when the table is full; -1 out
 * of memory. */
static int64_t name_add(weir_spool *s, const char *name, size_t len,
                        uint32_t hash)
{
    if (s->nnames == NAMES_MAX)
        return 0;
    if (s->nnames == s->names_cap) {
        uint32_t cap = s->names_cap ? 2 * s->names_cap : 64;
        name_entry *grown = realloc(s->names, cap * sizeof(*grown));
        if (!grown)
            return -1;
        s->names = grown;
        s->names_cap = cap;
    }
    if (2 * (s->nnames + 1) > (s->slots ? s->slots_mask + 1 : 0)) {
        uint32_t nslots = s->slots ? 2 * (s->slots_mask + 1) : 128;
        uint32_t *slots = calloc(nslots, sizeof(*slots));
        if (!slots)
            return -1;
        free(s->slots);
        s->slots = slots;
        s->slots_mask = nslots - 1;
        for (uint32_t i = 0; i < s->nnames; i++)
            slot_put(s, i);
    }
    char *copy = malloc(len + 1);
    if (!copy)
        return -1;
    memcpy(copy, name, len + 1);
    s->names[s->nnames] = (name_entry){copy, hash};
    slot_put(s, s->nnames);
    return ++s->nnames;
}

/* The ref of field i's name (0: written out); -1 out of memory.  Records
 * come with the same names in the same order: the previous record's
 * ref at this position is tried first. */
static int64_t name_ref(weir_spool *s, uint32_t i, const char *name)
{
    uint32_t guess = s->refs[i];
    if (guess && strcmp(s->names[guess - 1].name, name) == 0)
        return guess;
    size_t len;
    uint32_t hash = name_hash(name, &len);
    if (s->slots)
        for (uint32_t j = hash & s->slots_mask; s->slots[j];
             j = (j + 1) & s->slots_mask) {
            const name_entry *e = &s->names[s->slots[j] - 1];
            if (e->hash == hash && strcmp(e->name, name) == 0)
                return s->slots[j];
        }
    return name_add(s, name, len, hash);
}

/* r as it goes into the file, after its length: `size` bytes at w. */
static void encode(const weir_spool *s, const weir_record *r, size_t klen,
                   size_t llen, unsigned char *w)
{
    *w++ = (unsigned char)r->op;
    *w++ = (unsigned char)r->sent_for;
    memcpy(w, &r->hash, sizeof(r->hash));
    w += sizeof(r->hash);
    w = put_varint(w, r->version);
    w = put_varint(w, zigzag(r->origin));
    w = put_str(w, r->key, klen, 1);
    w = put_str(w, r->link, llen, 1);
    w = put_varint(w, r->nfields);
    for (uint32_t i = 0; i < r->nfields; i++) {
        const weir_field *f = &r->fields[i];
        w = put_varint(w, s->refs[i]);
        if (!s->refs[i])
            w = put_str(w, f->name, strlen(f->name), 1);
        w = put_str(w, f->value, f->len, 0);
    }
}

int weir_spool_put(weir_spool *s, const weir_record *r)
{
    if (lost(s))
        return -1;
    if (s->reading) {
        errno = EINVAL;
        return -1;
    }
    if (r->nfields > s->refs_cap) {
        uint32_t *grown = realloc(s->refs, r->nfields * sizeof(*grown));
        if (!grown)
            return -1;
        /* positions never seen have no guess */
        memset(grown + s->refs_cap, 0,
               (r->nfields - s->refs_cap) * sizeof(*grown));
        s->refs = grown;
        s->refs_cap = r->nfields;
    }
    /* Sized first: the length goes first. */
    size_t klen = r->key ? strlen(r->key) : 0;
    size_t llen = r->link ? strlen(r->link) : 0;
    size_t size = 2 + sizeof(r->hash) + varint_size(r->version) +
                  varint_size(zigzag(r->origin)) +
                  str_size(r->key, klen, 1) + str_size(r->link, llen, 1) +
                  varint_size(r->nfields);
    for (uint32_t i = 0; i < r->nfields; i++) {
        const weir_field *f = &r->fields[i];
        int64_t ref = name_ref(s, i, f->name);
        if (ref < 0)
            return -1;
        s->refs[i] = (uint32_t)ref;
        size += ref ? varint_size((uint64_t)ref)
                    : 1 + str_size(f->name, strlen(f->name), 1);
        size += str_size(f->value, f->len, 0);
    }
    if (VARINT_MAX + size > s->cap - s->len && flush(s))
        return -1;
    if (VARINT_MAX + size <= s->cap) {
        unsigned char *w = put_varint(s->buf + s->len, size);
        encode(s, r, klen, llen, w);
        s->len = (size_t)(w - s->buf) + size;
    } else { /* larger than the buffer: on its own */
        unsigned char *big = malloc(VARINT_MAX + size);
        if (!big)
            return -1;
        unsigned char *w = put_varint(big, size);
        encode(s, r, klen, llen, w);
        if (write_all(s, big, (size_t)(w - big) + size))
            s->error = errno;
        free(big);
        if (lost(s))
            return -1;
    }
    s->count++;
    return 0;
}

int weir_spool_rewind(weir_spool *s)
{
    if (!s->reading && flush(s))
        return -1;
    s->reading = 1;
    s->len = s->pos = 0;
    s->got = 0;
    return lseek(s->fd, 0, SEEK_SET) == 0 ? 0 : -1;
}

/* -1 for a file that is not what was written (EIO). */
static int corrupt(void)
{
    errno = EIO;
    return -1;
}

/* ---- reading ---------------------------------------------------------- */

/* Up to `need` bytes from s->pos in the buffer, fewer only at the end of
 * the file (growing the buffer for a record larger than it).  0, or -1
 * on I/O error or out of memory. */
static int fill(weir_spool *s, size_t need)
{
    if (s->len - s->pos >= need)
        return 0;
    memmove(s->buf, s->buf + s->pos, s->len - s->pos);
    s->len -= s->pos;
    s->pos = 0;
    if (need > s->cap) {
        unsigned char *grown = realloc(s->buf, need);
        if (!grown)
            return -1;
        s->buf = grown;
        s->cap = need;
    }
    while (s->len < need) {
        ssize_t n = read(s->fd, s->buf + s->len, s->cap - s->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        s->len += (size_t)n;
    }
    return 0;
}

static int get_varint(const unsigned char **p, const unsigned char *end,
                      uint64_t *v)
{
    *v = 0;
    for (unsigned shift = 0; *p < end && shift < 7 * VARINT_MAX; shift += 7) {
        unsigned char b = *(*p)++;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return 0;
    }
    return -1;
}

/* bytes or cstr (nul 1, checked): *str NULL for NULL. */
static int get_str(const unsigned char **p, const unsigned char *end,
                   int nul, const char **str, size_t *n)
{
    uint64_t v;
    if (get_varint(p, end, &v))
        return -1;
    *str = NULL;
    *n = 0;
    if (v == 0)
        return 0;
    if (v - 1 + (uint64_t)nul > (uint64_t)(end - *p))
        return -1;
    *n = (size_t)(v - 1);
    if (nul && (*p)[*n] != '\0')
        return -1;
    *str = (const char *)*p;
    *p += *n + (size_t)nul;
    return 0;
}

/* One record of `size` bytes at p into r.  0, or -1 when it is not one
 * (EIO) or out of memory. */
static int decode(weir_spool *s, const unsigned char *p, size_t size,
                  weir_record *r)
{
    const unsigned char *end = p + size;
    uint64_t version, origin, nfields;
    const char *key, *link;
    size_t n;
    if (size < 2 + sizeof(r->hash) || p[0] > WEIR_OP_DELETE ||
        p[1] > WEIR_SENT_IN_DOUBT)
        return corrupt();
    r->op = (weir_op)p[0];
    r->sent_for = (weir_sent_for)p[1];
    memcpy(&r->hash, p + 2, sizeof(r->hash));
    p += 2 + sizeof(r->hash);
    if (get_varint(&p, end, &version) || get_varint(&p, end, &origin) ||
        get_str(&p, end, 1, &key, &n) || get_str(&p, end, 1, &link, &n) ||
        get_varint(&p, end, &nfields))
        return corrupt();
    r->version = version;
    r->origin = (long)(int64_t)((origin >> 1) ^ ((uint64_t)0 - (origin & 1)));
    if ((key && weir_record_set_key(r, key)) ||
        (link && weir_record_set_link(r, link)))
        return -1;
    for (uint64_t i = 0; i < nfields; i++) {
        uint64_t ref;
        const char *name, *value;
        if (get_varint(&p, end, &ref) || ref > s->nnames)
            return corrupt();
        if (ref) {
            const char **in = &s->interned[ref - 1];
            if (!*in && !(*in = weir_batch_intern(r->batch,
                                                  s->names[ref - 1].name)))
                return -1;
            name = *in;
        } else if (get_str(&p, end, 1, &name, &n) || !name) {
            return corrupt();
        }
        if (get_str(&p, end, 0, &value, &n))
            return corrupt();
        if (weir_record_set(r, name, value, n))
            return -1;
    }
    return p == end ? 0 : corrupt();
}

long weir_spool_read(weir_spool *s, weir_batch *b)
{
    long got = 0;
    if (!s->reading) {
        errno = EINVAL;
        return -1;
    }
    if (s->nnames) {
        if (!s->interned &&
            !(s->interned = malloc(s->nnames * sizeof(*s->interned))))
            return -1;
        memset(s->interned, 0, s->nnames * sizeof(*s->interned));
    }
    while (s->got < s->count && weir_batch_room(b)) {
        uint64_t size;
        if (fill(s, VARINT_MAX))
            return -1;
        const unsigned char *p = s->buf + s->pos;
        /* also where the file ends before the records put */
        if (get_varint(&p, s->buf + s->len, &size) || size > s->bytes)
            return corrupt();
        s->pos = (size_t)(p - s->buf);
        if (fill(s, (size_t)size))
            return -1;
        if (s->len - s->pos < size)
            return corrupt();
        if (decode(s, s->buf + s->pos, (size_t)size, weir_batch_add(b)))
            return -1;
        s->pos += (size_t)size;
        s->got++;
        got++;
    }
    return got;
}
