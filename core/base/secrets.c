#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/secrets.h"

#define MIN_SECRET 4

struct weir_secrets {
    char **v;
    size_t n;
};

weir_secrets *weir_secrets_new(void)
{
    return calloc(1, sizeof(weir_secrets));
}

void weir_secrets_free(weir_secrets *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    free(s);
}

int weir_secrets_add(weir_secrets *s, const char *value)
{
    if (!value || strlen(value) < MIN_SECRET)
        return 0;
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i], value) == 0)
            return 0;
    char **g = realloc(s->v, (s->n + 1) * sizeof(*g));
    if (!g)
        return -1;
    s->v = g;
    if (!(s->v[s->n] = strdup(value)))
        return -1;
    s->n++;
    return 0;
}

/* The earliest secret occurring in `s`, its position in *at. */
static const char *first_secret(const weir_secrets *set, const char *s,
                                const char **at)
{
    const char *best = NULL;
    *at = NULL;
    for (size_t i = 0; i < set->n; i++) {
        const char *p = strstr(s, set->v[i]);
        if (p && (!*at || p < *at || (p == *at && strlen(set->v[i]) >
                                                      strlen(best)))) {
            *at = p;
            best = set->v[i];
        }
    }
    return best;
}

/* The end of the masked span starting at `start`: secrets that overlap
 * it (start inside it and run past its end) extend it, so no part of
 * any of them shows. */
static const char *masked_end(const weir_secrets *set, const char *start,
                              const char *end)
{
    for (int grew = 1; grew;) {
        grew = 0;
        for (size_t i = 0; i < set->n; i++) {
            size_t n = strlen(set->v[i]);
            for (const char *p = start; p < end; p++)
                if (strncmp(p, set->v[i], n) == 0 && p + n > end) {
                    end = p + n;
                    grew = 1;
                }
        }
    }
    return end;
}

char *weir_secrets_mask(const weir_secrets *set, const char *in, char *out,
                        size_t size)
{
    int any = set && set->n;
    size_t len = 0;
    const char *s = in;
    if (!size)
        return out;
    while (*s && len + 1 < size) {
        const char *at;
        const char *secret = any ? first_secret(set, s, &at) : NULL;
        size_t plain = secret ? (size_t)(at - s) : strlen(s);
        if (plain > size - 1 - len)
            plain = size - 1 - len;
        memcpy(out + len, s, plain);
        len += plain;
        s += plain;
        if (!secret || s != at)
            break;
        size_t n = size - 1 - len < 3 ? size - 1 - len : 3;
        memcpy(out + len, "***", n);
        len += n;
        s = masked_end(set, at, at + strlen(secret));
    }
    out[len] = '\0';
    return out;
}

int weir_secrets_in(const weir_secrets *set, const char *text)
{
    const char *at;
    return text && set && set->n && first_secret(set, text, &at) != NULL;
}
