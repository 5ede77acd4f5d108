#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "engine/echo.h"

/* A blob entry: the field name's hash, then the field's hash, each 8
 * bytes little-endian (the state file may move between machines). */
#define ENTRY 16

typedef struct pair {
    uint64_t name, value;
} pair;

int weir_echo_takes_part(const weir_pipeline *p)
{
    return p->track.present && !p->track.echo_keep && p->source &&
           p->source->system_given && (p->type || p->type_field);
}

static void put64(unsigned char *b, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get64(const unsigned char *b)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | b[i];
    return v;
}

static pair entry_at(const unsigned char *blob, size_t i)
{
    return (pair){get64(blob + i * ENTRY), get64(blob + i * ENTRY + 8)};
}

static int by_name(const void *a, const void *b)
{
    uint64_t x = get64(a), y = get64(b);
    return x < y ? -1 : x > y;
}

static int add_pair(weir_echo_fields *f, pair e)
{
    if (f->len + ENTRY > f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 16 * ENTRY;
        unsigned char *g = realloc(f->buf, cap);
        if (!g)
            return -1;
        f->buf = g;
        f->cap = cap;
    }
    put64(f->buf + f->len, e.name);
    put64(f->buf + f->len + 8, e.value);
    f->len += ENTRY;
    return 0;
}

static int add_entry(weir_echo_fields *f, const weir_field *field)
{
    uint64_t name = weir_field_name_hash(field);
    return add_pair(f, (pair){name, weir_field_hash_seeded(name, field->value,
                                                           field->len)});
}

int weir_echo_fields_build(weir_echo_fields *f, const weir_record *r,
                           char *const *fields)
{
    f->len = 0;
    if (fields) {
        for (char *const *n = fields; *n; n++) {
            const weir_field *field = weir_record_field(r, *n);
            if (field && add_entry(f, field))
                return -1;
        }
    } else {
        for (uint32_t i = 0; i < r->nfields; i++)
            if (add_entry(f, &r->fields[i]))
                return -1;
    }
    if (f->len)
        qsort(f->buf, f->len / ENTRY, ENTRY, by_name);
    return 0;
}

void weir_echo_fields_free(weir_echo_fields *f)
{
    free(f->buf);
    *f = (weir_echo_fields){0};
}

/* Did weir write exactly this value (field hash) of this field?  The
 * blob is sorted by name hash. */
static int was_written(const unsigned char *w, size_t wlen, pair now)
{
    size_t lo = 0, hi = wlen / ENTRY;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        pair e = entry_at(w, mid);
        if (e.name == now.name)
            return e.value == now.value;
        if (e.name < now.name)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* 1 when every difference between `now` and `old` is a value in `w`;
 * 0 when one is not, or there is no difference at all. */
static int differences_written(const unsigned char *w, size_t wlen,
                               const weir_echo_fields *now,
                               const unsigned char *old, size_t oldlen)
{
    size_t n = now->len / ENTRY, m = oldlen / ENTRY, i = 0, j = 0;
    size_t differ = 0;
    while (i < n || j < m) {
        pair a = i < n ? entry_at(now->buf, i) : (pair){UINT64_MAX, 0};
        pair b = j < m ? entry_at(old, j) : (pair){UINT64_MAX, 0};
        if (j < m && (i == n || b.name < a.name))
            return 0; /* a field gone from the source: weir wrote no gap */
        if (j < m && a.name == b.name) {
            j++;
            if (a.value == b.value) {
                i++;
                continue;
            }
        }
        if (!was_written(w, wlen, a))
            return 0;
        differ++;
        i++;
    }
    return differ > 0;
}

/* `now` over `before` (both sorted): every field of `now`, and those of
 * `before` that `now` does not have, sorted, into *out. */
static int overlay(weir_echo_fields *out, const weir_echo_fields *now,
                   const unsigned char *before, size_t blen)
{
    size_t n = now->len / ENTRY, m = blen / ENTRY, i = 0, j = 0;
    int rc = 0;
    while (!rc && (i < n || j < m)) {
        pair a = i < n ? entry_at(now->buf, i) : (pair){0, 0};
        pair b = j < m ? entry_at(before, j) : (pair){0, 0};
        if (j == m || (i < n && a.name <= b.name)) {
            j += j < m && a.name == b.name;
            i++;
            rc = add_pair(out, a);
        } else {
            j++;
            rc = add_pair(out, b);
        }
    }
    return rc;
}

int weir_echo_written(weir_state *st, const weir_pipeline *p,
                      const weir_instance_spec *sink, const weir_record *r)
{
    const char *entity = weir_pipeline_record_type(p, r);
    if (!sink->system_given || !r->key || !entity || r->op == WEIR_OP_DELETE)
        return 0;
    weir_echo_fields now = {0}, all = {0};
    void *before = NULL;
    size_t blen = 0;
    /* the fields this record did not carry keep what was written before */
    int rc = weir_echo_fields_build(&now, r, NULL) ||
                     weir_state_echo_get(st, sink->system, entity, r->key,
                                         &before, &blen) < 0 ||
                     overlay(&all, &now, before, blen) ||
                     weir_state_echo_put(st, sink->system, entity, r->key,
                                         all.buf, all.len)
                 ? -1
                 : 0;
    free(before);
    weir_echo_fields_free(&now);
    weir_echo_fields_free(&all);
    return rc;
}

int weir_echo_only(weir_state *st, const char *pipeline, const char *system,
                   const char *entity, const char *key,
                   const weir_echo_fields *now, int is_new)
{
    void *w = NULL, *old = NULL;
    size_t wlen = 0, oldlen = 0;
    int rc = weir_state_echo_get(st, system, entity, key, &w, &wlen);
    /* Without field hashes of the value the snapshot holds (they are
     * kept only since the pipeline took part), a change is a change. */
    if (rc == 1 && !is_new)
        rc = weir_state_track_fields_get(st, pipeline, key, &old, &oldlen);
    if (rc == 1)
        rc = differences_written(w, wlen, now, old, oldlen);
    free(w);
    free(old);
    return rc;
}
