#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/secrets.h"

#define MIN_SECRET 4

static char **secrets;
static size_t nsecrets;

void weir_secrets_add(const char *value)
{
    if (!value || strlen(value) < MIN_SECRET)
        return;
    for (size_t i = 0; i < nsecrets; i++)
        if (strcmp(secrets[i], value) == 0)
            return;
    char **g = realloc(secrets, (nsecrets + 1) * sizeof(*g));
    if (!g)
        return;
    secrets = g;
    if ((secrets[nsecrets] = strdup(value)))
        nsecrets++;
}

/* The earliest secret occurring in `s`, its position in *at. */
static const char *first_secret(const char *s, const char **at)
{
    const char *best = NULL;
    *at = NULL;
    for (size_t i = 0; i < nsecrets; i++) {
        const char *p = strstr(s, secrets[i]);
        if (p && (!*at || p < *at || (p == *at && strlen(secrets[i]) >
                                                      strlen(best)))) {
            *at = p;
            best = secrets[i];
        }
    }
    return best;
}

/* The end of the masked span starting at `start`: secrets that overlap
 * it (start inside it and run past its end) extend it, so no part of
 * any of them shows. */
static const char *masked_end(const char *start, const char *end)
{
    for (int grew = 1; grew;) {
        grew = 0;
        for (size_t i = 0; i < nsecrets; i++) {
            size_t n = strlen(secrets[i]);
            for (const char *p = start; p < end; p++)
                if (strncmp(p, secrets[i], n) == 0 && p + n > end) {
                    end = p + n;
                    grew = 1;
                }
        }
    }
    return end;
}

char *weir_secrets_mask(const char *in, char *out, size_t size)
{
    size_t len = 0;
    const char *s = in;
    if (!size)
        return out;
    while (*s && len + 1 < size) {
        const char *at;
        const char *secret = nsecrets ? first_secret(s, &at) : NULL;
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
        s = masked_end(at, at + strlen(secret));
    }
    out[len] = '\0';
    return out;
}

int weir_secrets_in(const char *text)
{
    const char *at;
    return text && nsecrets && first_secret(text, &at) != NULL;
}

void weir_secrets_clear(void)
{
    for (size_t i = 0; i < nsecrets; i++)
        free(secrets[i]);
    free(secrets);
    secrets = NULL;
    nsecrets = 0;
}
