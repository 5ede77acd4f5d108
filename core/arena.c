#include "config.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

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

void *weir_arena_alloc(weir_arena *a, size_t size)
{
    const size_t align = alignof(max_align_t);
    if (size > SIZE_MAX / 2)
        return NULL; /* a corrupt length, not a real request */
    size = (size + align - 1) & ~(align - 1);
    weir_arena_chunk *c = a->head;
    if (!c || c->size - c->used < size) {
        /* Reuse a spare chunk when it is big enough, else a new one. */
        if (a->spare && a->spare->size >= size) {
            c = a->spare;
            a->spare = c->next;
            c->used = 0;
        } else {
            c = chunk_new(size);
            if (!c)
                return NULL;
        }
        c->next = a->head;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += size;
    return p;
}

char *weir_arena_strndup(weir_arena *a, const char *s, size_t len)
{
    if (len == SIZE_MAX)
        return NULL;
    char *p = weir_arena_alloc(a, len + 1);
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
