#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/env_subst.h"
#include "base/secrets.h"

typedef struct buf {
    char *s;
    size_t len, cap;
} buf;

static int put(buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *g = realloc(b->s, cap);
        if (!g)
            return -1;
        b->s = g;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
    return 0;
}

static int valid_env_name(const char *s, size_t n)
{
    if (n == 0 || n > 255 || (s[0] >= '0' && s[0] <= '9'))
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '_'))
            return 0;
    }
    return 1;
}

char *weir_env_expand(const char *in, weir_secrets *secrets, int *secret,
                      char *why, size_t whysize)
{
    buf b = {NULL, 0, 0};
    if (put(&b, "", 0))
        goto oom;
    for (const char *s = in; *s;) {
        if (s[0] == '$' && s[1] == '$' && s[2] == '{') {
            if (put(&b, "${", 2))
                goto oom;
            s += 3;
            continue;
        }
        if (!(s[0] == '$' && s[1] == '{')) {
            const char *next = strchr(s + 1, '$');
            size_t n = next ? (size_t)(next - s) : strlen(s);
            if (put(&b, s, n))
                goto oom;
            s += n;
            continue;
        }
        const char *end = strchr(s, '}');
        if (!end) {
            snprintf(why, whysize, "unterminated '${' (write $${ for a "
                                   "literal ${)");
            goto fail;
        }
        if (strncmp(s + 2, "env:", 4) != 0) {
            snprintf(why, whysize, "unknown substitution '%.*s' (only "
                     "${env:NAME} is supported; $${ is a literal ${)",
                     (int)(end - s + 1 > 64 ? 64 : end - s + 1), s);
            goto fail;
        }
        const char *name = s + 6;
        size_t n = (size_t)(end - name);
        if (!valid_env_name(name, n)) {
            snprintf(why, whysize, "'%.*s' is not a variable name (letters, "
                     "digits and _)", (int)(n > 64 ? 64 : n), name);
            goto fail;
        }
        char var[256];
        memcpy(var, name, n);
        var[n] = '\0';
        const char *val = getenv(var);
        if (!val) {
            snprintf(why, whysize, "environment variable %s is not set", var);
            goto fail;
        }
        *secret = 1;
        if (weir_secrets_add(secrets, val) || put(&b, val, strlen(val)))
            goto oom;
        s = end + 1;
    }
    return b.s;
oom:
    snprintf(why, whysize, "out of memory");
fail:
    free(b.s);
    return NULL;
}
