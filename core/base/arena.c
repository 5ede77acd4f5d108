#include "config.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"

#define CHUNK_SIZE (64 * 1024)

struct weir_arena_chunk {
    weir_arena_chunk *next;
    size_t size; /* usable bytes in data */
    size_t used;
    alignas(max_align_t) unsigned char data[];
};

void weir_arena_init(weir_arena *a)
{
    a->head = NULL;
    a->spare = NULL;
}

static weir_arena_chunk *chunk_new(size_t need)
{
    size_t size = need > CHUNK_SIZE ? need : CHUNK_SIZE;
    weir_arena_chunk *c = malloc(sizeof(*c) + size);
    if (c) {
        c->size = size;
        c->used = 0;
        c->next = NULL;
    }
    return c;
}

/* `size` bytes at a multiple of `align` (a power of two) from the start
 * of a chunk's data, which is aligned for any type. */
static void *take(weir_arena *a, size_t size, size_t align)
{
    if (size > SIZE_MAX / 2)
        return NULL; /* a corrupt length, not a real request */
    weir_arena_chunk *c = a->head;
    size_t at = c ? (c->used + align - 1) & ~(align - 1) : 0;
    if (!c || at > c->size || c->size - at < size) {
        /* Reuse a spare chunk when it is big enough, else a new one. */
        if (a->spare && a->spare->size >= size) {
            c = a->spare;
            a->spare = c->next;
        } else {
            c = chunk_new(size);
            if (!c)
                return NULL;
        }
        c->next = a->head;
        a->head = c;
        at = 0;
    }
    c->used = at + size;
    return c->data + at;
}

void *weir_arena_alloc(weir_arena *a, size_t size)
{
    return take(a, size, alignof(max_align_t));
}

/* Strings need no alignment: a field value of a few bytes takes a few
 * bytes, not a max_align_t slot (wide records hold millions of them). */
char *weir_arena_strndup(weir_arena *a, const char *s, size_t len)
{
    if (len == SIZE_MAX)
        return NULL;
    char *p = take(a, len + 1, 1);
    if (p) {
        if (len)
            memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

void weir_arena_reset(weir_arena *a)
{
    while (a->head) {
        weir_arena_chunk *c = a->head;
        a->head = c->next;
        c->next = a->spare;
        a->spare = c;
    }
}

static void chain_free(weir_arena_chunk *c)
{
    while (c) {
        weir_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
}

void weir_arena_free(weir_arena *a)
{
    chain_free(a->head);
    chain_free(a->spare);
    a->head = a->spare = NULL;
}
