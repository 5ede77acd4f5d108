/* ref_table.c - the reference rows in one hash table; see lookup_int.h. */
#include "lookup_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* FNV-1a, 64-bit, with a final mix: keys are short codes, and the low bits
 * index the slots. */
uint64_t lk_hash(const char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 0x100000001b3ull;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

static int grow(char **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 256;
    while (n < need) {
        if (n > (size_t)-1 / 2)
            return -1;
        n *= 2;
    }
    char *g = realloc(*buf, n);
    if (!g)
        return -1;
    *buf = g;
    *cap = n;
    return 0;
}

/* A component is its length (a size_t, native order) then its bytes, so
 * ("a b", "c") and ("a", "b c") never collide. */
int lk_key_append(char **buf, size_t *len, size_t *cap, const char *p,
                  size_t n)
{
    if (n > (size_t)-1 / 2 - *len - sizeof n)
        return -1;
    if (grow(buf, cap, *len + sizeof n + n) != 0)
        return -1;
    memcpy(*buf + *len, &n, sizeof n);
    if (n)
        memcpy(*buf + *len + sizeof n, p, n);
    *len += sizeof n + n;
    return 0;
}

char *lk_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static long find_name(const char *name, const char *const *names,
                      size_t ncols)
{
    for (size_t i = 0; i < ncols; i++)
        if (strcmp(names[i], name) == 0)
            return (long)i;
    return -1;
}

int lk_table_bind(lk_table *t, lk_spec *spec, const char *const *names,
                  size_t ncols)
{
    const weir_host *h = spec->host;
    t->nkey = spec->nmatch;
    t->key_col = calloc(spec->nmatch ? spec->nmatch : 1, sizeof *t->key_col);
    if (!t->key_col)
        goto nomem;
    for (size_t i = 0; i < spec->nmatch; i++) {
        long c = find_name(spec->match[i], names, ncols);
        if (c < 0) {
            h->log(spec->inst, WEIR_LOG_ERROR,
                   "lookup: %s has no column '%s' (match)", spec->what,
                   spec->match[i]);
            return -1;
        }
        t->key_col[i] = (size_t)c;
    }
    if (spec->fields) {
        t->nout = spec->nfields;
        t->out_col = calloc(t->nout ? t->nout : 1, sizeof *t->out_col);
        if (!t->out_col)
            goto nomem;
        for (size_t i = 0; i < spec->nfields; i++) {
            long c = find_name(spec->fields[i], names, ncols);
            if (c < 0) {
                h->log(spec->inst, WEIR_LOG_ERROR,
                       "lookup: %s has no column '%s' (fields)", spec->what,
                       spec->fields[i]);
                return -1;
            }
            t->out_col[i] = (size_t)c;
        }
        return 0;
    }
    /* every column that is not matched, in the reference's order */
    t->out_col = calloc(ncols ? ncols : 1, sizeof *t->out_col);
    spec->bound_fields = calloc(ncols ? ncols : 1, sizeof(char *));
    if (!t->out_col || !spec->bound_fields)
        goto nomem;
    t->nout = 0;
    for (size_t c = 0; c < ncols; c++) {
        int matched = 0;
        for (size_t k = 0; k < t->nkey; k++)
            matched |= t->key_col[k] == c;
        if (matched)
            continue;
        spec->bound_fields[spec->nbound] = lk_strdup(names[c]);
        if (!spec->bound_fields[spec->nbound])
            goto nomem;
        spec->nbound++;
        t->out_col[t->nout++] = c;
    }
    return 0;
nomem:
    h->log(spec->inst, WEIR_LOG_ERROR, "lookup: out of memory");
    return -1;
}

static int rehash(lk_table *t, size_t nslots)
{
    uint32_t *s = calloc(nslots, sizeof *s);
    if (!s)
        return -1;
    size_t mask = nslots - 1;
    for (size_t r = 0; r < t->nrows; r++) {
        size_t i = (size_t)t->rows[r].hash & mask;
        while (s[i])
            i = (i + 1) & mask;
        s[i] = (uint32_t)(r + 1);
    }
    free(t->slots);
    t->slots = s;
    t->mask = mask;
    return 0;
}

/* "rep_code=SAL001" or "a=1, b=NULL" from the cells, cut at `size`. */
static void describe_key(const lk_table *t, const lk_spec *spec,
                         const lk_cell *cells, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t k = 0; k < t->nkey && used < size; k++) {
        const lk_cell *c = &cells[t->key_col[k]];
        int len = c->len > 200 ? 200 : (int)c->len;
        int n = snprintf(out + used, size - used, "%s%s=%.*s", k ? ", " : "",
                         spec->match[k], len, c->p ? c->p : "");
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

int lk_table_add(lk_table *t, lk_spec *spec, const lk_cell *cells,
                 long origin)
{
    const weir_host *h = spec->host;
    for (size_t k = 0; k < t->nkey; k++)
        if (cells[t->key_col[k]].len == LK_NULL)
            return 0; /* a NULL never equals anything: no record can match */
    if (t->nrows >= UINT32_MAX - 1) {
        h->log(spec->inst, WEIR_LOG_ERROR, "lookup: %s has too many rows",
               spec->what);
        return -1;
    }
    size_t key_off = t->buflen;
    for (size_t k = 0; k < t->nkey; k++) {
        const lk_cell *c = &cells[t->key_col[k]];
        if (lk_key_append(&t->buf, &t->buflen, &t->bufcap, c->p, c->len) != 0)
            goto nomem;
    }
    size_t key_len = t->buflen - key_off;
    uint64_t hash = lk_hash(t->buf + key_off, key_len);
    const lk_row *dup = lk_table_find(t, t->buf + key_off, key_len);
    if (dup) {
        char key[512];
        describe_key(t, spec, cells, key, sizeof key);
        h->log(spec->inst, WEIR_LOG_ERROR,
               "lookup: %s: duplicate key %s (%s %ld and %s %ld): an "
               "ambiguous mapping",
               spec->what, key, spec->unit, dup->origin, spec->unit, origin);
        t->buflen = key_off;
        return -2;
    }
    /* keep the table at most half full */
    if ((t->nrows + 1) * 2 > (t->slots ? t->mask + 1 : 0)) {
        size_t n = t->slots ? (t->mask + 1) * 2 : 64;
        if (rehash(t, n) != 0)
            goto nomem;
    }
    if (t->nrows == t->rowcap) {
        size_t n = t->rowcap ? t->rowcap * 2 : 256;
        lk_row *r = realloc(t->rows, n * sizeof *r);
        if (!r)
            goto nomem;
        t->rows = r;
        lk_val *v = realloc(t->vals, n * (t->nout ? t->nout : 1) * sizeof *v);
        if (!v)
            goto nomem;
        t->vals = v;
        t->rowcap = n;
    }
    lk_val *vals = &t->vals[t->nrows * t->nout];
    for (size_t i = 0; i < t->nout; i++) {
        const lk_cell *c = &cells[t->out_col[i]];
        if (c->len == LK_NULL) {
            vals[i].off = 0;
            vals[i].len = LK_NULL;
            continue;
        }
        if (grow(&t->buf, &t->bufcap, t->buflen + c->len + 1) != 0)
            goto nomem;
        vals[i].off = t->buflen;
        vals[i].len = c->len;
        if (c->len)
            memcpy(t->buf + t->buflen, c->p, c->len);
        t->buf[t->buflen + c->len] = '\0';
        t->buflen += c->len + 1;
    }
    lk_row *row = &t->rows[t->nrows];
    row->hash = hash;
    row->key_off = key_off;
    row->key_len = key_len;
    row->origin = origin;
    size_t i = (size_t)hash & t->mask;
    while (t->slots[i])
        i = (i + 1) & t->mask;
    t->slots[i] = (uint32_t)(t->nrows + 1);
    t->nrows++;
    return 0;
nomem:
    t->buflen = key_off;
    h->log(spec->inst, WEIR_LOG_ERROR, "lookup: out of memory loading %s",
           spec->what);
    return -1;
}

const lk_row *lk_table_find(const lk_table *t, const char *key, size_t len)
{
    if (!t->slots)
        return NULL;
    uint64_t hash = lk_hash(key, len);
    size_t i = (size_t)hash & t->mask;
    for (uint32_t s; (s = t->slots[i]) != 0; i = (i + 1) & t->mask) {
        const lk_row *r = &t->rows[s - 1];
        if (r->hash == hash && r->key_len == len &&
            memcmp(t->buf + r->key_off, key, len) == 0)
            return r;
    }
    return NULL;
}

void lk_table_free(lk_table *t)
{
    free(t->key_col);
    free(t->out_col);
    free(t->buf);
    free(t->rows);
    free(t->vals);
    free(t->slots);
    memset(t, 0, sizeof *t);
}

void lk_spec_free(lk_spec *spec)
{
    for (size_t i = 0; i < spec->nbound; i++)
        free(spec->bound_fields[i]);
    free(spec->bound_fields);
    spec->bound_fields = NULL;
    spec->nbound = 0;
}
