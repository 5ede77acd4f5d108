/* scratch.c - see scratch.h. */
#include "scratch.h"

#include <stdlib.h>
#include <string.h>

void map_scratch_reset(map_scratch *s)
{
    s->len = 0;
    if (s->data)
        s->data[0] = '\0';
}

int map_scratch_put(map_scratch *s, const char *bytes, size_t len)
{
    if (s->cap - s->len <= len) { /* room for the bytes and a NUL */
        size_t need = s->len + len + 1;
        if (need <= len) /* overflow */
            return -1;
        size_t cap = s->cap ? s->cap : 64;
        while (cap < need) {
            if (cap > (size_t)-1 / 2)
                return -1;
            cap *= 2;
        }
        char *p = realloc(s->data, cap);
        if (!p)
            return -1;
        s->data = p;
        s->cap = cap;
    }
    if (len)
        memcpy(s->data + s->len, bytes, len);
    s->len += len;
    s->data[s->len] = '\0';
    return 0;
}

void map_scratch_free(map_scratch *s)
{
    free(s->data);
    s->data = NULL;
    s->len = 0;
    s->cap = 0;
}
