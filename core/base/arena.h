/*
 * arena.h - a bump allocator for data that lives exactly as long as a batch.
 *
 * Records, their fields and answers are allocated here and released all at
 * once when the batch moves on, so a batch of thousands of records costs a
 * handful of mallocs.  Not thread-safe: one arena belongs to one batch.
 */
#ifndef WEIR_ARENA_H
#define WEIR_ARENA_H

#include <stddef.h>

typedef struct weir_arena_chunk weir_arena_chunk;

typedef struct weir_arena {
    weir_arena_chunk *head;    /* chunk being filled */
    weir_arena_chunk *spare;   /* chunks kept by reset for reuse */
} weir_arena;

void weir_arena_init(weir_arena *a);
/* Memory for `size` bytes, aligned for any type; NULL out of memory.
 * (owned by the arena) */
void *weir_arena_alloc(weir_arena *a, size_t size);
/* Copy of `len` bytes plus a NUL, not aligned. (owned by the arena) */
char *weir_arena_strndup(weir_arena *a, const char *s, size_t len);
/* Forget every allocation but keep the memory for reuse. */
void weir_arena_reset(weir_arena *a);
void weir_arena_free(weir_arena *a);

#endif
