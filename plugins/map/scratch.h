/*
 * scratch.h - a growable byte buffer owned by one map instance.
 *
 * Rules that build a new value (templates, trim, case changes) or must copy
 * a value before the record changes under it write into this buffer.  It
 * grows to the largest value seen and is then reused for every record, so
 * processing costs no malloc per record.
 */
#ifndef WEIR_MAP_SCRATCH_H
#define WEIR_MAP_SCRATCH_H

#include <stddef.h>

typedef struct map_scratch {
    char *data; /* NUL-terminated after every successful put (owned) */
    size_t len;
    size_t cap;
} map_scratch;

/* Forget the content, keep the memory. */
void map_scratch_reset(map_scratch *s);
/* Append `len` bytes.  Returns 0, or -1 out of memory (content kept). */
int map_scratch_put(map_scratch *s, const char *bytes, size_t len);
/* Release the memory; the buffer is empty and reusable afterwards. */
void map_scratch_free(map_scratch *s);

#endif
