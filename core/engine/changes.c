#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "engine/changes.h"

/* The kept values, one blob a key: per field its name's length
 * (varint), the name, its value's length + 1 (varint; 0 for NULL), the
 * value.  In the record's order; compared by name.  Bytes, so the blob
 * means the same on every machine the state file moves to. */

static int reserve(unsigned char **out, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 256;
    while (c < need)
        c *= 2;
    unsigned char *g = realloc(*out, c);
    if (!g)
        return -1;
    *out = g;
    *cap = c;
    return 0;
}

static size_t put_varint(unsigned char *p, uint64_t v)
{
    size_t n = 0;
    do {
        p[n++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    return n;
}

static int put_field(unsigned char **out, size_t *len, size_t *cap,
                     const char *name, const char *value, size_t vlen)
{
    size_t nlen = strlen(name);
    if (reserve(out, cap, *len + nlen + vlen + 20))
        return -1;
    unsigned char *p = *out + *len;
    p += put_varint(p, nlen);
    memcpy(p, name, nlen);
    p += nlen;
    p += put_varint(p, value ? (uint64_t)vlen + 1 : 0);
    if (vlen)
        memcpy(p, value, vlen);
    *len = (size_t)(p + vlen - *out);
    return 0;
}

static int is_key_field(const weir_track_spec *spec, const char *name)
{
    for (char **k = spec->key; k && *k; k++)
        if (strcmp(*k, name) == 0)
            return 1;
    return 0;
}

int weir_changes_values(const weir_record *r, const weir_track_spec *spec,
                        unsigned char **out, size_t *len, size_t *cap)
{
    *len = 0;
    int rc = reserve(out, cap, 1);
    if (spec->fields) {
        for (char **f = spec->fields; !rc && *f; f++) {
            size_t n;
            const char *v = weir_record_get(r, *f, &n);
            if (weir_record_has(r, *f))
                rc = put_field(out, len, cap, *f, v, n);
        }
    } else {
        /* every field but the key, which never differs for one key */
        for (uint32_t i = 0; !rc && i < r->nfields; i++)
            if (!is_key_field(spec, r->fields[i].name))
                rc = put_field(out, len, cap, r->fields[i].name,
                               r->fields[i].value, r->fields[i].len);
    }
    return rc;
}

/* One field of a blob (name and value borrowed from it). */
typedef struct entry {
    const char *name, *value; /* value NULL: SQL NULL */
    size_t nlen, vlen;
    int matched;
} entry;

static int get_varint(const unsigned char **p, const unsigned char *end,
                      uint64_t *v)
{
    *v = 0;
    for (int shift = 0; *p < end && shift < 64; shift += 7) {
        unsigned char b = *(*p)++;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return 0;
    }
    return -1;
}

/* The fields of `blob` into *out (owned: free); their number, or -1
 * when it is malformed or out of memory. */
static long parse(const void *blob, size_t len, entry **out)
{
    const unsigned char *p = blob, *end = p + len;
    size_t n = 0, cap = 0;
    *out = NULL;
    while (p < end) {
        uint64_t nlen, vlen;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            entry *g = realloc(*out, cap * sizeof(*g));
            if (!g)
                break;
            *out = g;
        }
        entry *e = &(*out)[n];
        if (get_varint(&p, end, &nlen) || nlen > (uint64_t)(end - p))
            break;
        e->name = (const char *)p;
        e->nlen = (size_t)nlen;
        p += nlen;
        if (get_varint(&p, end, &vlen) || (vlen && vlen - 1 > (uint64_t)(end - p)))
            break;
        e->value = vlen ? (const char *)p : NULL;
        e->vlen = vlen ? (size_t)vlen - 1 : 0;
        e->matched = 0;
        p += e->vlen;
        n++;
    }
    if (p != end) {
        free(*out);
        *out = NULL;
        return -1;
    }
    return (long)n;
}

static int by_name(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    size_t n = x->nlen < y->nlen ? x->nlen : y->nlen;
    int c = memcmp(x->name, y->name, n);
    return c ? c : (x->nlen > y->nlen) - (x->nlen < y->nlen);
}

static json_t *text_or_null(const char *v, size_t len)
{
    return v ? json_stringn(v, len) : json_null();
}

/* {"field", "old", "new"} onto `a`; an absent side is null.  0, or -1
 * (out of memory, or a value JSON cannot carry). */
static int add_change(json_t *a, const entry *field, const entry *old,
                      const entry *now)
{
    json_t *c = json_object();
    json_t *f = json_stringn(field->name, field->nlen);
    json_t *o = old ? text_or_null(old->value, old->vlen) : json_null();
    json_t *n = now ? text_or_null(now->value, now->vlen) : json_null();
    if (!c || !f || !o || !n) {
        json_decref(c);
        json_decref(f);
        json_decref(o);
        json_decref(n);
        return -1;
    }
    json_object_set_new(c, "field", f);
    json_object_set_new(c, "old", o);
    json_object_set_new(c, "new", n);
    return json_array_append_new(a, c);
}

static int same(const entry *a, const entry *b)
{
    if (!a->value || !b->value)
        return !a->value && !b->value;
    return a->vlen == b->vlen && memcmp(a->value, b->value, a->vlen) == 0;
}

/* The differences between the kept values `old` and the values `now`
 * (blobs), as a JSON array, in the order of `now`'s fields, then the
 * fields `now` no longer has.  (owned: free) NULL when either is
 * malformed, a value is no UTF-8, or out of memory: not known. */
static char *diff(const void *old, size_t oldlen, const void *now,
                  size_t nowlen)
{
    entry *o = NULL, *n = NULL;
    long no = parse(old, oldlen, &o), nn = parse(now, nowlen, &n);
    json_t *a = no >= 0 && nn >= 0 ? json_array() : NULL;
    int rc = a ? 0 : -1;
    if (!rc && no > 1)
        qsort(o, (size_t)no, sizeof(*o), by_name);
    for (long i = 0; !rc && i < nn; i++) {
        entry *was = no > 0 ? bsearch(&n[i], o, (size_t)no, sizeof(*o),
                                      by_name)
                            : NULL;
        if (was)
            was->matched = 1;
        if (!was || !same(was, &n[i]))
            rc = add_change(a, &n[i], was, &n[i]);
    }
    for (long i = 0; !rc && i < no; i++)
        if (!o[i].matched)
            rc = add_change(a, &o[i], &o[i], NULL);
    char *text = rc ? NULL : json_dumps(a, JSON_COMPACT);
    json_decref(a);
    free(o);
    free(n);
    return text;
}

typedef struct explain_ctx {
    weir_batch *b;
    const size_t *at; /* the batch index of each key asked for */
} explain_ctx;

/* The kept values of the i-th changed key: its record's changes. */
static int on_kept(size_t i, const void *blob, size_t len, void *vctx)
{
    explain_ctx *c = vctx;
    weir_record *r = weir_batch_at(c->b, c->at[i]);
    char *json = diff(blob, len, r->sent_values, r->sent_values_len);
    int rc = json ? weir_record_set_changes(r, json) : 0;
    free(json);
    return rc;
}

int weir_changes_explain(weir_state *st, const weir_pipeline *p,
                         weir_batch *b)
{
    const weir_track_spec *spec = &p->track;
    size_t n = weir_batch_count(b), m = 0, len = 0, cap = 0;
    const char **keys = spec->keep_changes ? malloc((n ? n : 1) *
                                                    sizeof(*keys))
                                           : NULL;
    size_t *at = keys ? malloc((n ? n : 1) * sizeof(*at)) : NULL;
    unsigned char *buf = NULL;
    int rc = spec->keep_changes && !at ? -1 : 0;
    for (size_t i = 0; !rc && i < n; i++) {
        weir_record *r = weir_batch_at(b, i);
        /* nothing changed: known without the kept values */
        if (weir_changes_resent(r->sent_for))
            rc = weir_record_set_changes(r, "[]");
        if (rc || !spec->keep_changes || !r->key || r->op == WEIR_OP_DELETE)
            continue;
        rc = weir_changes_values(r, spec, &buf, &len, &cap) ||
             weir_record_set_sent_values(r, buf, len);
        if (!rc && r->sent_for == WEIR_SENT_CHANGED) {
            keys[m] = r->key;
            at[m++] = i;
        }
    }
    explain_ctx c = {b, at};
    if (!rc && m && st)
        rc = weir_state_track_values_get(st, p->name, keys, m, on_kept, &c);
    free(buf);
    free(keys);
    free(at);
    return rc ? -1 : 0;
}

const char *weir_changes_resent(weir_sent_for why)
{
    return why == WEIR_SENT_FULL_REFRESH ? "full refresh"
           : why == WEIR_SENT_IN_DOUBT   ? "in doubt"
                                         : NULL;
}
