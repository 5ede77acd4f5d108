/*
 * xref.c - the cross-reference store (xref.h): what every backend shares
 * (names, checks, wait keys, the release of held rows) and the calls
 * passed through to the backend's operations (backend.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/backend.h"
#include "store/xref.h"

static const char *const origin_names[] = {
    [WEIR_XREF_MANUAL] = "manual",
    [WEIR_XREF_GENERATED] = "generated",
    [WEIR_XREF_CREATED] = "created",
    [WEIR_XREF_MERGED] = "merged",
};
#define NORIGINS (sizeof(origin_names) / sizeof(origin_names[0]))

const char *weir_xref_origin_name(weir_xref_origin o)
{
    return (size_t)o < NORIGINS ? origin_names[o] : "unknown";
}

int weir_xref_origin_parse(const char *name, weir_xref_origin *o)
{
    for (size_t i = 0; name && i < NORIGINS; i++)
        if (strcmp(name, origin_names[i]) == 0) {
            *o = (weir_xref_origin)i;
            return 0;
        }
    return -1;
}

/* A name of an entity or system: not empty, no ':'. */
static int bad_name(const char *name)
{
    return !name || !*name || strchr(name, ':');
}

int weir_xref_end_parse(char *text, weir_xref_end *end)
{
    char *colon = strchr(text, ':');
    if (!colon || colon == text || !colon[1])
        return -1;
    *colon = '\0';
    end->system = text;
    end->id = colon + 1;
    return 0;
}

int weir_xref_check(const char *entity, const weir_xref_end *ends, size_t n,
                    weir_error *err)
{
    if (bad_name(entity)) {
        weir_error_set(err, WEIR_ERR_USAGE, "xref: entity '%s': a name is "
                       "needed, without ':'", entity ? entity : "");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (bad_name(ends[i].system)) {
            weir_error_set(err, WEIR_ERR_USAGE, "xref: system '%s': a name "
                           "is needed, without ':'",
                           ends[i].system ? ends[i].system : "");
            return -1;
        }
        if (!ends[i].id || !*ends[i].id) {
            weir_error_set(err, WEIR_ERR_USAGE, "xref: %s %s: an empty id "
                           "cannot be linked", entity, ends[i].system);
            return -1;
        }
    }
    if (n == 2 && strcmp(ends[0].system, ends[1].system) == 0) {
        weir_error_set(err, WEIR_ERR_USAGE, "xref: %s %s:%s and %s:%s are of "
                       "one system: a link joins two systems", entity,
                       ends[0].system, ends[0].id, ends[1].system,
                       ends[1].id);
        return -1;
    }
    return 0;
}

void weir_xref_wait_key(const char *entity, weir_xref_end end, char *buf,
                        size_t n)
{
    snprintf(buf, n, "xref:%s:%s:%s", entity, end.system, end.id);
}

/* ---- writes: atomic, and the held rows released with them ----------- */

/* Open a transaction when the caller has none; *own says so. */
static int own_begin(weir_state *st, int *own)
{
    *own = !weir_state_in_transaction(st);
    return *own ? weir_state_begin(st) : 0;
}

/* End what own_begin opened: commit when `ok`, else roll back keeping
 * the reason (read before the rollback clears the backend's).  Returns
 * 0, or -1. */
static int own_end(weir_state *st, int own, int ok)
{
    if (!own)
        return ok ? 0 : -1;
    if (ok && weir_state_commit(st) == 0)
        return 0;
    weir_state_error(st);
    weir_state_rollback(st);
    return -1;
}

/* The rows held for a link of `a` or of `b` back to pending: how many,
 * or -1. */
static int64_t release(weir_state *st, const char *entity, weir_xref_end a,
                       weir_xref_end b)
{
    char key[1024];
    weir_xref_wait_key(entity, a, key, sizeof(key));
    int64_t na = weir_state_outbox_release(st, key);
    if (na < 0)
        return -1;
    weir_xref_wait_key(entity, b, key, sizeof(key));
    int64_t nb = weir_state_outbox_release(st, key);
    return nb < 0 ? -1 : na + nb;
}

/* Link a and b, added with `origin` or, when NULL, merged; and release.
 * How many rows were released, or -1. */
static int64_t link_ends(weir_state *st, const char *entity, weir_xref_end a,
                         weir_xref_end b, const weir_xref_origin *origin)
{
    weir_store_conn *c;
    const weir_store_ops *ops = weir_state_backend(st, &c);
    int own;
    if (own_begin(st, &own))
        return -1;
    int linked = origin ? ops->xref_add(c, entity, a, b, *origin)
                        : ops->xref_merge(c, entity, a, b);
    int64_t released = linked >= 0 ? release(st, entity, a, b) : -1;
    return own_end(st, own, released >= 0) ? -1 : released;
}

int weir_xref_add(weir_state *st, const char *entity, weir_xref_end a,
                  weir_xref_end b, weir_xref_origin origin)
{
    return link_ends(st, entity, a, b, &origin) < 0 ? -1 : 0;
}

int64_t weir_xref_merge(weir_state *st, const char *entity,
                        weir_xref_end a, weir_xref_end b)
{
    return link_ends(st, entity, a, b, NULL);
}

int64_t weir_xref_remove(weir_state *st, const char *entity,
                         weir_xref_end end)
{
    weir_store_conn *c;
    const weir_store_ops *ops = weir_state_backend(st, &c);
    int own;
    if (own_begin(st, &own))
        return -1;
    int64_t n = ops->xref_remove(c, entity, end);
    return own_end(st, own, n >= 0) ? -1 : n;
}

char *weir_xref_generate(weir_state *st, const char *entity,
                         const char *system, const char *prefix, int digits)
{
    weir_store_conn *c;
    const weir_store_ops *ops = weir_state_backend(st, &c);
    int own;
    if (own_begin(st, &own))
        return NULL;
    char *id = ops->xref_generate(c, entity, system, prefix ? prefix : "",
                                  digits);
    if (own_end(st, own, id != NULL)) {
        free(id);
        return NULL;
    }
    return id;
}

/* ---- reads: passed straight through --------------------------------- */

int weir_xref_get(weir_state *st, const char *entity, weir_xref_end from,
                  const char *to_system, char **id)
{
    weir_store_conn *c;
    return weir_state_backend(st, &c)->xref_get(c, entity, from, to_system,
                                                id);
}

int weir_xref_each(weir_state *st, const char *entity, const char *system,
                   int (*fn)(const weir_xref_link *link, void *ctx),
                   void *ctx)
{
    weir_store_conn *c;
    return weir_state_backend(st, &c)->xref_each(c, entity, system, fn, ctx);
}

int weir_xref_each_since(weir_state *st, const char *entity,
                         const char *system, const char *to_system,
                         int64_t after, int64_t *last,
                         int (*fn)(const weir_xref_link *link, void *ctx),
                         void *ctx)
{
    weir_store_conn *c;
    return weir_state_backend(st, &c)->xref_each_since(
        c, entity, system, to_system, after, last, fn, ctx);
}

int weir_xref_history(weir_state *st, const char *entity,
                      int (*fn)(const weir_xref_event *e, void *ctx),
                      void *ctx)
{
    weir_store_conn *c;
    return weir_state_backend(st, &c)->xref_history(c, entity, fn, ctx);
}
