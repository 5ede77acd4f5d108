#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/spool.h"

struct weir_spool {
    FILE *f;
    size_t count;
    char *buf; /* read buffer for one name or value */
    size_t cap;
};

#define NULL_LEN UINT32_MAX

/* What precedes a record's key and fields. */
typedef struct head {
    int16_t op, sent_for; /* 8 bytes with nfields: no padding */
    uint32_t nfields;
    uint64_t hash, version;
    int64_t origin;
} head;

weir_spool *weir_spool_new(void)
{
    weir_spool *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->f = tmpfile();
    if (!s->f) {
        free(s);
        return NULL;
    }
    return s;
}

void weir_spool_free(weir_spool *s)
{
    if (!s)
        return;
    if (s->f)
        fclose(s->f);
    free(s->buf);
    free(s);
}

size_t weir_spool_count(const weir_spool *s) { return s->count; }

static int put_bytes(FILE *f, const char *p, size_t n, int null)
{
    uint32_t len = null ? NULL_LEN : (uint32_t)n;
    if (fwrite(&len, sizeof(len), 1, f) != 1)
        return -1;
    return null || n == 0 || fwrite(p, 1, n, f) == n ? 0 : -1;
}

int weir_spool_put(weir_spool *s, const weir_record *r)
{
    head h = {(int16_t)r->op, (int16_t)r->sent_for, r->nfields, r->hash,
              r->version, r->origin};
    if (fwrite(&h, sizeof(h), 1, s->f) != 1 ||
        put_bytes(s->f, r->key, r->key ? strlen(r->key) : 0, !r->key))
        return -1;
    for (uint32_t i = 0; i < r->nfields; i++) {
        const weir_field *f = &r->fields[i];
        if (put_bytes(s->f, f->name, strlen(f->name), 0) ||
            put_bytes(s->f, f->value, f->len, !f->value))
            return -1;
    }
    s->count++;
    return 0;
}

int weir_spool_rewind(weir_spool *s)
{
    return fflush(s->f) == 0 && fseek(s->f, 0, SEEK_SET) == 0 ? 0 : -1;
}

/* Read one length-prefixed string into s->buf; *isnull for NULL. */
static int get_bytes(weir_spool *s, size_t *n, int *isnull)
{
    uint32_t len;
    if (fread(&len, sizeof(len), 1, s->f) != 1)
        return -1;
    *isnull = len == NULL_LEN;
    *n = *isnull ? 0 : len;
    if (*n + 1 > s->cap) {
        char *g = realloc(s->buf, *n + 1);
        if (!g)
            return -1;
        s->buf = g;
        s->cap = *n + 1;
    }
    if (*n && fread(s->buf, 1, *n, s->f) != *n)
        return -1;
    s->buf[*n] = '\0';
    return 0;
}

long weir_spool_read(weir_spool *s, weir_batch *b)
{
    long got = 0;
    while (weir_batch_room(b)) {
        head h;
        if (fread(&h, sizeof(h), 1, s->f) != 1)
            return ferror(s->f) ? -1 : got;
        weir_record *r = weir_batch_add(b);
        size_t n;
        int isnull;
        r->op = (weir_op)h.op;
        r->sent_for = (weir_sent_for)h.sent_for;
        r->hash = h.hash;
        r->version = h.version;
        r->origin = (long)h.origin;
        if (get_bytes(s, &n, &isnull) ||
            (!isnull && weir_record_set_key(r, s->buf)))
            return -1;
        for (uint32_t i = 0; i < h.nfields; i++) {
            if (get_bytes(s, &n, &isnull))
                return -1;
            char *name = strdup(s->buf);
            if (!name || get_bytes(s, &n, &isnull) ||
                weir_record_set(r, name, isnull ? NULL : s->buf, n)) {
                free(name);
                return -1;
            }
            free(name);
        }
        got++;
    }
    return got;
}
